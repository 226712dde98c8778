"""Reading a container's spec for rules: citing spec fields, finding the mount behind a path.

The spec is optional evidence (describe text carries part of it, a log alone none), so each
helper returns None when the field is unknown and never raises for a missing part.
"""

from __future__ import annotations

import posixpath

from podmortem.model import Citation, ContainerEvidence, PodEvidence, Volume, VolumeMount
from podmortem.model.evidence import DESCRIBE, SPEC


def spec_source(pod: PodEvidence) -> str:
    return DESCRIBE if pod.origin == DESCRIBE else SPEC


def spec_path(c: ContainerEvidence, field: str) -> str:
    kind = "initContainers" if c.init else "containers"
    return f"spec.{kind}[{c.name}].{field}"


def cite_spec(pod: PodEvidence, c: ContainerEvidence, field: str, text: str) -> Citation:
    return Citation(spec_source(pod), text, spec_path(c, field))


def image_of(c: ContainerEvidence | None) -> str | None:
    if c is None:
        return None
    if c.spec is not None and c.spec.image:
        return c.spec.image
    return c.status.image if c.status is not None and c.status.image else None


def command_line(c: ContainerEvidence | None) -> tuple[str, ...]:
    """command + args as declared (empty when the image's ENTRYPOINT/CMD are used or unknown)."""
    if c is None or c.spec is None:
        return ()
    return (*c.spec.command, *c.spec.args)


def cite_command(pod: PodEvidence, c: ContainerEvidence) -> Citation | None:
    if c.spec is None or not (c.spec.command or c.spec.args):
        return None
    parts = []
    if c.spec.command:
        parts.append(f"Command: {list(c.spec.command)}")
    if c.spec.args:
        parts.append(f"Args: {list(c.spec.args)}")
    return cite_spec(pod, c, "command" if c.spec.command else "args", ", ".join(parts))


def mount_covering(
    pod: PodEvidence, c: ContainerEvidence | None, path: str
) -> tuple[VolumeMount, Volume | None] | None:
    """The volume mount whose mountPath holds `path` (the deepest one), with its volume if declared."""
    if c is None or c.spec is None or not path.startswith("/"):
        return None
    path = posixpath.normpath(path)
    best: VolumeMount | None = None
    for m in c.spec.mounts:
        mp = posixpath.normpath(m.mount_path or "/")
        if (path == mp or path.startswith(mp.rstrip("/") + "/")) and (
            best is None or len(mp) > len(best.mount_path)
        ):
            best = m
    if best is None:
        return None
    return best, pod.volume(best.name)


def is_service_account_mount(m: VolumeMount) -> bool:
    return m.mount_path.startswith("/var/run/secrets/kubernetes.io")


__all__ = [
    "cite_command", "cite_spec", "command_line", "image_of", "is_service_account_mount", "mount_covering",
    "spec_path", "spec_source",
]
