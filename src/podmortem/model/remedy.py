"""Remedies as data: what to change (a patch mapping on a target object) and which commands to run.

A remedy keeps its values apart from the text it will become: commands are argument vectors whose
values are rendered through `shlex.quote` in exactly one place (`podmortem.render.commands`), so a
name, path or image from hostile input can never break out of its argument. Placeholders
(`NAMESPACE`, `POD`...) stand where the evidence did not give a value; they render bare and a
reader (or the end-to-end test) fills them from `target`.

Pure data; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Union

from podmortem.kube.typedjson import msgspec

_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*(?::[A-Z][A-Z0-9_]*)?")

# Every placeholder a remedy may carry, with what the reader fills in (docs/json.md lists them). A name
# outside this list is refused when the remedy is built, so no rule can print an unexplained word.
PLACEHOLDERS: Mapping[str, str] = {
    "CLAIM": "the name of a PersistentVolumeClaim",
    "CONTAINER": "the container's name",
    "DIR": "a directory",
    "IMAGE": "an image reference",
    "IMAGE:TAG": "an image reference with the tag to run",
    "KEY": "a key of the ConfigMap or Secret",
    "KIND": "the kind of the object to change (deployment, statefulset...)",
    "NAME": "the name of the object to change",
    "NAMESPACE": "the namespace (the evidence does not name it; never assume `default`)",
    "NODE": "the node's name",
    "PASSWORD": "the registry password or token",
    "PATH": "the file to load",
    "POD": "the pod's name",
    "PORT": "the port number (the evidence gives only a port name, or none)",
    "REVISION": "the rollout revision to return to",
    "SCRIPT": "the script or command the container should run",
    "SECRET_NAME": "the name of the Secret to create",
    "USER": "the user name",
    "VALUE": "the value to set (yours to give)",
}


class Placeholder(msgspec.Struct, frozen=True):
    """A value the evidence did not give: rendered bare (`NAMESPACE`), for the reader to fill in."""

    name: str

    def __post_init__(self) -> None:
        if not _PLACEHOLDER.fullmatch(self.name):  # shell-safe by construction: it is never quoted
            raise ValueError(f"placeholder names are upper-case words: {self.name!r}")
        if self.name not in PLACEHOLDERS:
            raise ValueError(f"placeholder {self.name!r} is not in PLACEHOLDERS (say what a reader fills in)")


class Joined(msgspec.Struct, frozen=True):
    """One argument assembled from parts, e.g. `--image=` + an image name, or `NAME=` + a placeholder.

    Literal parts and values are quoted together as one word; placeholder parts stay bare."""

    parts: tuple[str | Placeholder, ...]


Value = str | Placeholder  # one value: quoted when rendered, or a placeholder left bare
Arg = Union[str, Placeholder, Joined, "Command"]


class Command(msgspec.Struct, frozen=True):
    """A command line as data. Every `str` in argv is a value and is quoted when rendered; a nested
    `Command` becomes one quoted argument (for `sh -c`); `pipe` feeds the next command; `stdout`
    redirects to a file; `background` runs it with `&` (a port-forward before a curl)."""

    argv: tuple[Arg, ...]
    pipe: Command | None = None
    stdout: str | Placeholder | None = None
    background: bool = False


class ApplyPatch(msgspec.Struct, frozen=True):
    """Apply the remedy's patch to its target. Rendered as `kubectl patch KIND/NAME -n NS --type
    strategic -p '<json>'` (or `--patch-file FILE` when patches are written to files); for a Pod
    that no controller owns, the fixed manifest is piped into `kubectl replace --force`."""


Step = Command | ApplyPatch

APPLY = ApplyPatch()


class Target(msgspec.Struct, frozen=True):
    """The object the remedy changes. None for a field means the evidence did not name it."""

    kind: str | None  # Deployment | StatefulSet | DaemonSet | Job | CronJob | Pod | ConfigMap | Secret | Node
    namespace: str | None
    name: str | None
    container: str | None = None


class Remedy(msgspec.Struct, frozen=True):
    summary: str
    # A strategic-merge patch for the target: for a workload rooted at the object (`spec.template.spec`),
    # for a bare Pod at `spec`. None when the fix is not in the object's spec.
    patch: Mapping[str, Any] | None = None
    commands: tuple[Step, ...] = ()  # apply the fix, verify it, or collect more evidence, in order
    target: Target | None = None
    # Why the fix is outside the pod spec (the image, the application's code, a node, another object):
    # None when the patch is the fix or the remedy has no patch for another stated reason.
    outside_spec: str | None = None
    patch_type: str = "strategic"
    patch_file: str | None = None  # where `--write-patches` wrote the patch; the apply command then names it
    notes: tuple[str, ...] = msgspec.field(default_factory=tuple)
    # Namespaces the evidence names that commands may pass to -n besides the target's (the pod's own, a
    # namespace an error message names). Any other `-n` value is replaced by the NAMESPACE placeholder
    # when rendered (podmortem.render.validate).
    namespaces: tuple[str, ...] = ()


_TEXT_ONLY = frozenset({str})


def all_text(args: Iterable[Arg]) -> bool:
    """True when every argument is a plain `str` value (no placeholder, joined or nested command): most
    commands' words, which the renderer and the checks then take in one pass."""
    return _TEXT_ONLY.issuperset(map(type, args))


def placeholders_in(step: Step) -> list[str]:
    """Placeholder names a step carries, in order (an ApplyPatch's come from its target)."""
    out: list[str] = []

    def walk(arg: Arg | None) -> None:
        if isinstance(arg, Placeholder):
            out.append(arg.name)
        elif isinstance(arg, Joined):
            for p in arg.parts:
                walk(p)
        elif isinstance(arg, Command):
            for a in arg.argv:
                walk(a)
            walk(arg.stdout)
            walk(arg.pipe)

    if isinstance(step, Command):
        walk(step)
    return out


__all__ = [
    "APPLY",
    "PLACEHOLDERS",
    "ApplyPatch",
    "Arg",
    "Command",
    "Joined",
    "Placeholder",
    "Remedy",
    "Step",
    "Target",
    "Value",
    "all_text",
    "placeholders_in",
]
