"""Shell prompts and kubectl commands pasted along with describe output.

`$ kubectl describe pod web-1 -n shop` (or `oc`, `k`, `microk8s kubectl`, a PowerShell or
zsh prompt) tells where one pod's output starts and which pod it is; kubectl's own
`Pod 'x': error ..., but found events` line names a pod that is gone. Standard library
only: it must not import the rest of the parser.
"""

from __future__ import annotations

import re

PROMPT = re.compile(
    r"^(?:(?:\[[^\]]{0,80}\]|[\w.@~:/-]{0,80}|PS [^>]{0,120})[ \t]*[$#%>]|➜\s+\S*)?[ \t]*(?:sudo[ \t]+)?"
    r"(?P<cmd>kubectl|oc|k|microk8s[. ]kubectl|k3s[ \t]+kubectl|minikube[ \t]+kubectl[ \t]+--)[ \t]+(?P<args>.*)$")
VERBS = frozenset({"describe", "logs", "get", "apply", "delete", "edit", "exec", "rollout", "top", "events",
                    "create", "run", "debug", "version", "config", "explain", "patch", "scale", "set", "label",
                    "annotate", "port-forward", "cluster-info", "auth", "adm", "project", "status", "new-app",
                    "login", "whoami", "cp", "attach", "wait", "replace", "-n", "--namespace", "--context",
                    "-A", "--all-namespaces"})
_FLAGS_WITH_VALUE = frozenset({"-l", "--selector", "-f", "--filename", "-k", "--kustomize", "--context",
                               "--kubeconfig", "--cluster", "--user", "--chunk-size", "--request-timeout", "-s",
                               "--server", "--token", "--as", "--as-group"})
NOT_FOUND_BUT_EVENTS = re.compile(r"^Pod '(?P<name>[^']+)': error '.*', but found events\.?$")


def describe_target(tokens: list[str]) -> tuple[str | None, str | None]:
    """The pod a `kubectl describe` command names (None when it names none or may name
    several) and the namespace it gives, from the command's tokens."""
    names: list[str] = []
    namespace = None
    verb_at = tokens.index("describe")
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in ("|", ">", ">>", "&&", ";", "2>&1"):
            break
        if t in ("-n", "--namespace") and i + 1 < len(tokens):
            namespace = tokens[i + 1]
            i += 1
        elif t.startswith("--namespace="):
            namespace = t.split("=", 1)[1]
        elif t.startswith("-n") and len(t) > 2 and not t.startswith("--"):
            namespace = t[2:]
        elif t in _FLAGS_WITH_VALUE:
            i += 1
            if t in ("-l", "--selector", "-f", "--filename"):
                names.append("*")  # a selector or file: any number of pods
        elif t.startswith(("-l", "--selector=", "-f", "--filename=")):
            names.append("*")
        elif (i > verb_at and not t.startswith("-") and t not in ("pod", "pods", "po")
              and "=" not in t):
            names.append(t.split("/", 1)[1] if "/" in t else t)
        i += 1
    name = names[0] if len(names) == 1 and names[0] != "*" else None
    return name, namespace
