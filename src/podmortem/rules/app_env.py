"""The app.missing-env rule: the app exits because an environment variable it needs is unset or empty.

Part of the application family (rules/app.py lists it in its RULES). Besides the app's own
message it reads the container's env and envFrom, to say where the variable should come from,
and tells a Service-link variable Kubernetes injected (`<NAME>_PORT=tcp://IP:PORT`) from the app's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.lazyre import lazy
from podmortem.model import APPLY, ContainerEvidence, Hit, Joined, Placeholder, PodEvidence, Remedy, Step
from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import Analysis, Candidate
from podmortem.rules.app_findings import (
    app_citations,
    container_title,
    log_rule_hits,
    one_container_patch,
    quoted_match,
)
from podmortem.rules.base import rule
from podmortem.rules.evidence import namespace_of, watch_command, workload_ref
from podmortem.rules.facts import printed
from podmortem.rules.patch import template_patch

_SECRETISH = lazy(r"(?i)pass(?:word|wd)?|secret|token|key|credential|auth|private|cert")


def _env_situation(pod: PodEvidence, c: ContainerEvidence, var: str | None) -> str:
    spec = c.spec
    if spec is None or not var:
        return ""
    for e in spec.env:
        if e.name == var:
            if e.ref_kind in ("configmap", "secret"):
                opt = " (optional)" if e.optional else ""
                return (f" The spec takes {var} from {e.ref_kind} {e.ref_name} key {e.ref_key}{opt}: "
                        "that key is empty or holds the wrong value.")
            if e.value is not None and not e.value.strip():
                return f" The spec sets {var} to an empty string."
            return f" The spec sets {var}, but the app rejects its value."
    if spec.env_from:
        srcs = ", ".join(f"{f.ref_kind} {f.ref_name}" + (f" (prefix {f.prefix})" if f.prefix else "")
                         for f in spec.env_from)
        return f" The spec does not set {var}; it loads variables from {srcs}, and none of them supplies it."
    if pod.has_spec:
        return f" The container's spec does not set {var}."
    return ""


def _service_link(an: Analysis, cand: Candidate) -> tuple[str | None, str | None]:
    """(variable, service name) behind a `tcp://IP:PORT` value Kubernetes injected for a Service."""
    var = cand.subject
    if var is None:
        # The error line, or the code shown just above it in a trace, names the variable.
        for k in range(cand.index, max(-1, cand.index - 5), -1):
            m = re.search(r"\b([A-Z][A-Z0-9_]*_PORT)\b", an.lines[k].text)
            if m:
                var = m.group(1)
                break
    if var and var.endswith("_PORT"):
        return var, var[: -len("_PORT")].lower().replace("_", "-")
    return var, None


@rule("env-var-missing", cause="app.missing-env", title="A required environment variable is missing or wrong",
      needs=("logs", "status", "spec"), when=printed)
def env_var_missing(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app says an environment variable it needs is not set, empty or
    invalid: "X is not set", "environment variable X is required", envconfig's "required key X
    missing value", a Python `KeyError: 'X'` raised from `os.environ[...]`, Spring's "Could not
    resolve placeholder 'X'", Ruby's `key not found: "X"`, bash's "X: unbound variable",
    pydantic settings "Field required", the database images' "You must specify
    POSTGRES_PASSWORD", and a `tcp://IP:PORT` value that Kubernetes injected for a Service whose
    name collides with the app's own `<NAME>_PORT` setting.

    ## Why the pod crash-loops
    The app validates its configuration at start and exits when a variable is absent; every
    restart reads the same environment, so it fails the same way until the spec changes.

    ## Evidence used
    The app's own message in the crashed container's log (or termination message), the
    variable's name, and the container's `env` / `envFrom` when the spec is known.

    ## How to fix
    Add the variable to the container's `env` (from a Secret with `secretKeyRef` for
    credentials), or add the key to the ConfigMap/Secret the container loads with `envFrom`.
    For a Service-link collision set `enableServiceLinks: false` or rename the Service.

    ## Near misses
    A `KeyError` from an ordinary dict is an app bug (`app.crash`). A warning that a variable is
    unset and a default is used is not a failure. A ConfigMap or Secret key that the kubelet
    cannot find stops the container before it starts (`config.key-missing`).
    """
    for c, an, cand in log_rule_hits(pod, pt.MISSING_ENV):
        who = container_title(c)
        if cand.detail == "service-link-env-collision":
            var, svc = _service_link(an, cand)
            value = re.search(r"tcp://[\d.]+:\d+", cand.line.text)
            shown = value.group(0) if value else "tcp://IP:PORT"
            named = f"{var}={shown}" if var else f"a *_PORT variable set to {shown}"
            svc_text = f"the Service named {svc}" if svc else "a Service in the namespace"
            summary = (f"{who} exits because it reads {named}, a variable Kubernetes injects for {svc_text} "
                       f"(service links), where it expects a plain value: {quoted_match(cand)}")
            patch = template_patch({"enableServiceLinks": False})
            fix = ("Turn off service-link variables (enableServiceLinks: false) or rename the Service so "
                   f"{var or 'its <NAME>_PORT variable'} no longer collides with the app's own setting.")
            cmds: list[Step] = [kubectl("get", "svc", namespace=namespace_of(pod)),
                                kubectl("set", "env", workload_ref(pod), "--list",
                                        namespace=namespace_of(pod)), APPLY,
                                watch_command(pod)]
            yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, patch, tuple(cmds)),
                      cand.confidence, c.init, cand.detail, cand.strength)
            continue
        var = cand.subject
        situation = _env_situation(pod, c, var)
        what = f"the environment variable {var}" if var else "a required environment variable"
        summary = f"{who} exits because {what} is missing or empty: {quoted_match(cand)}.{situation}"
        if cand.detail == "env-value-rejected":
            summary = f"{who} exits because {what} is set to a value it rejects: {quoted_match(cand)}.{situation}"
        name = var if var and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var) else None
        ns = namespace_of(pod)
        wl = (workload_ref(pod), *(("-c", c.name) if c.name else ()))
        loaded = [f for f in (c.spec.env_from if c.spec else ()) if not f.prefix]
        entry: dict[str, Any] | None
        if name and _SECRETISH.search(name):
            entry = {"env": [{"name": name, "valueFrom": {"secretKeyRef": {"name": "SECRET_NAME", "key": name}}}]}
            fix = (f"Add {name} to the container's env from a Secret (secretKeyRef), and check the Secret holds it "
                   "(SECRET_NAME and VALUE are yours to fill in).")
            cmds = [kubectl("create", "secret", "generic", Placeholder("SECRET_NAME"),
                            Joined(("--from-literal=", name, "=", Placeholder("VALUE"))), namespace=ns),
                    kubectl("set", "env", *wl, Joined(("--from=secret/", Placeholder("SECRET_NAME"))),
                            Joined(("--keys=", name)), namespace=ns)]
        elif name:
            entry = None  # the value is the reader's to give: `set env NAME=VALUE` below, not a patch of a guess
            fix = f"Add {name} to the container's env (or to the ConfigMap/Secret it loads with envFrom); VALUE is yours."
            cmds = [kubectl("set", "env", *wl, Joined((name, "=", Placeholder("VALUE"))),
                            namespace=ns, flags_after=3)]
            if loaded and loaded[0].ref_kind == "configmap" and loaded[0].ref_name:
                src = loaded[0].ref_name
                fix = (f"Add {name} to configmap {src}, which the container loads with envFrom (or set it in the "
                       "container's env); pods read env at start, so restart them after the change.")
                cmds = [kubectl("patch", "configmap", src, "--type", "merge", "-p",
                                Joined(('{"data":{' + _json_str(name) + ':"', Placeholder("VALUE"), '"}}')),
                                namespace=namespace_of(pod)),
                        kubectl("rollout", "restart", workload_ref(pod), namespace=namespace_of(pod))]
        elif cand.detail == "db-password-not-sent":
            entry = None
            summary = (f"{who} exits because it connects to its database without any password: {quoted_match(cand)}. "
                       "The variable or Secret key meant to hold the password is absent or empty.")
            fix = ("Set the database password in the container's env from a Secret (secretKeyRef), check the variable "
                   "name the app reads and that the Secret key holds a non-empty value.")
            cmds = []
        else:
            entry = None
            fix = ("Find the variable the app names in its log and add it to the container's env "
                   "(or to the ConfigMap/Secret it loads with envFrom).")
            cmds = []
        env_patch = one_container_patch(c, entry) if entry else None
        cmds = [kubectl("set", "env", *wl, "--list",
                        namespace=ns), *cmds, *((APPLY,) if env_patch else ()), watch_command(pod)]
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, env_patch, tuple(cmds)),
                  cand.confidence, c.init, cand.detail, cand.strength)


def _json_str(text: str) -> str:
    import json

    return json.dumps(text)
