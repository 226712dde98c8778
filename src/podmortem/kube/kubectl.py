"""kubectl command lines as data: the one way podmortem writes a kubectl command it prints.

Remedies, verify commands and hints name kubectl commands for a reader to run. They are built here
as `Command` values (argument vectors), so every value in them is shell-quoted by
`podmortem.shell.render_command` when printed, and the namespace is said one way everywhere:

- `namespace="web"` adds `-n web`; `namespace=None` (the evidence does not name one) adds
  `-n NAMESPACE`, the placeholder the reader fills in (never an assumed `default`); leaving it out
  means the command is cluster-scoped (nodes, ClusterRoles) or names no namespace on purpose.
- `all_namespaces=True` adds `-A`; `context=` adds `--context` (kubectl's global flags).

These flags go where kubectl's own help writes them: after the command's leading words (verb,
resource, name: `kubectl get pod web-1 -n shop -o yaml`) and before its first flag or `--`, so a
line reads the way people type it. render/validate.py recognises `-n` and `--namespace`
(NAMESPACE_FLAGS) when it checks that a namespace came from the evidence.
"""

from __future__ import annotations

import enum

from podmortem.model.remedy import Arg, Command, Joined, Placeholder, Value

# kubectl's spellings of its namespace flag (k8s.io/cli-runtime genericclioptions: "namespace", "n").
NAMESPACE_FLAGS = ("-n", "--namespace")


class Scope(enum.Enum):
    """The namespace argument's default: the command takes no `-n` (cluster-scoped, or on purpose)."""

    CLUSTER = "cluster"


CLUSTER = Scope.CLUSTER
_ALL = ("-A", "--all-namespaces")


def namespace_arg(namespace: Value | None) -> Value:
    """The value of `-n`: the namespace the evidence names, else the NAMESPACE placeholder."""
    return namespace if namespace else Placeholder("NAMESPACE")


def object_ref(kind: str | None, name: Value | None) -> Joined:
    """`deployment/web` as kubectl names an object (kind lower-cased), KIND or NAME where unknown."""
    return Joined((kind.lower() if kind else Placeholder("KIND"), "/", name if name else Placeholder("NAME")))


def is_flag(arg: Arg) -> bool:
    """True for `-o`, `--image=x` (also assembled: `--as=` + a value) and the `--` separator."""
    if isinstance(arg, str):
        return arg.startswith("-")
    if isinstance(arg, Joined):
        first = arg.parts[0] if arg.parts else ""
        return isinstance(first, str) and first.startswith("-")
    return False


def kubectl(*words: Arg, namespace: Value | Scope | None = CLUSTER, all_namespaces: bool = False,
            context: str | None = None, flags_after: int | None = None, pipe: Command | None = None,
            stdout: str | Placeholder | None = None, background: bool = False) -> Command:
    """`kubectl WORDS...` with the namespace and context flags placed after the leading words.

    `flags_after` places them after that many words instead (`port-forward pod/web -n shop 8080`,
    whose last positional word follows them). `words` are the command after `kubectl` (verb, resource, name, flags); none of them may be a
    namespace flag before `--` (after it the words are the container's command): the namespace is
    this function's to place. Every `str` is a value, quoted when rendered; placeholders stay bare.
    """
    # One pass (this runs for every command of every finding): the first flag (`--` is one) is where the
    # namespace goes; no namespace flag may come before `--`.
    first_flag: int | None = None
    for i, w in enumerate(words):
        if isinstance(w, str):
            if w == "--":
                first_flag = i if first_flag is None else first_flag
                break
            if w in NAMESPACE_FLAGS or w.startswith("--namespace=") or w in _ALL:
                raise ValueError("pass the namespace as namespace= or all_namespaces=, not in the words")
            if first_flag is None and w.startswith("-"):
                first_flag = i
        elif first_flag is None and is_flag(w):
            first_flag = i
    flags: list[Arg] = []
    if all_namespaces:
        if namespace is not CLUSTER:
            raise ValueError("a command is either in one namespace or in all of them")
        flags.append("-A")
    elif not isinstance(namespace, Scope):
        flags += ["-n", namespace_arg(namespace)]
    if context:
        flags += ["--context", context]
    at = flags_after if flags_after is not None else (first_flag if first_flag is not None else len(words))
    return Command(("kubectl", *words[:at], *flags, *words[at:]), pipe=pipe, stdout=stdout, background=background)


__all__ = ["CLUSTER", "NAMESPACE_FLAGS", "Scope", "is_flag", "kubectl", "namespace_arg", "object_ref"]
