"""Capability checks: an entrypoint that needs capabilities the securityContext drops."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from podmortem.lint.checks.base import check
from podmortem.lint.model import Emit
from podmortem.lint.workloads import ContainerView, Workload, as_dict, as_list


def capability_set(values: Any) -> set[str]:
    """Capability names as the runtime reads them: upper case, with or without the CAP_ prefix."""
    return {str(x).upper().removeprefix("CAP_") for x in as_list(values) if isinstance(x, str | int)}


def starts_as_root(c: ContainerView) -> bool:
    """The process starts as uid 0: runAsUser 0, or no runAsUser on an image whose USER is root."""
    uid = c.security.get("runAsUser")
    if isinstance(uid, int) and not isinstance(uid, bool):
        return uid == 0
    return c.facts is not None and c.facts.runs_as_root


def missing_capabilities(c: ContainerView, needed: tuple[str, ...]) -> list[str]:
    """Which of `needed` the container's securityContext takes away (drop, not added back)."""
    if c.security.get("privileged") is True:
        return []
    caps = as_dict(c.spec.get("securityContext")).get("capabilities")
    caps = as_dict(caps)  # capabilities are per container: the pod securityContext has none
    dropped = capability_set(caps.get("drop"))
    added = capability_set(caps.get("add"))
    if "ALL" in added:
        return []
    return [cap for cap in needed if ("ALL" in dropped or cap in dropped) and cap not in added]


@check(
    "capabilities-dropped-needed-at-start",
    cause="security.permission-denied",
    severity="error",
    title="Capabilities dropped that the image's entrypoint needs while it starts as root",
    fix="Add back the capabilities the entrypoint needs (capabilities.add), or run the image's non-root "
        "variant with runAsUser so the entrypoint skips its root steps.",
)
def capabilities_dropped_needed_at_start(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container that starts as root (no runAsUser on an image whose USER is root, or runAsUser 0)
    and drops capabilities (`drop: [ALL]`, or by name) that its image's start needs, according to
    image_facts.yaml: the stock nginx master chowns its temp paths under /var/cache/nginx and
    switches its workers to the `nginx` user (CHOWN, SETUID, SETGID); the postgres, mysql,
    mariadb, mongo and redis entrypoints chown their data directory and re-execute themselves as
    their own user with gosu (CHOWN, SETUID, SETGID).

    ## Why the pod fails
    Root without those capabilities may not change a file's owner or its own uid: the start dies
    with "Operation not permitted" (nginx: `chown(...) failed (1: Operation not permitted)`;
    gosu: `error: failed switching to "postgres": operation not permitted`) and the container
    exits 1, every time.

    ## How to fix
    Add the capabilities back (`capabilities: {drop: [ALL], add: [CHOWN, SETUID, SETGID]}`), or
    better, run as the image's own non-root user (runAsUser plus fsGroup for its data volume, or
    the image's unprivileged variant such as nginxinc/nginx-unprivileged), where the entrypoint
    skips the steps that need them.

    ## Near misses
    A container with runAsUser set to a non-zero uid passes (the entrypoint's root steps are
    skipped; other checks cover permissions then), as do privileged containers, `add: [ALL]`,
    capabilities added back after `drop: [ALL]`, and images podmortem knows nothing about.
    """
    for c in w.containers:
        facts = c.facts
        if facts is None or not facts.start_capabilities or not starts_as_root(c):
            continue
        missing = missing_capabilities(c, facts.start_capabilities)
        if not missing:
            continue
        caps = as_dict(as_dict(c.spec.get("securityContext")).get("capabilities"))
        line = w.line(caps, "drop") if "drop" in caps else w.line(c.spec)
        said = f" (\"{facts.start_capability_error}\")" if facts.start_capability_error else ""
        keep = ", ".join(missing)
        yield Emit(line, f"container {c.name} starts {c.image} as root but drops {keep}, which its entrypoint "
                         f"needs to chown its directories and switch to its own user: the start fails with "
                         f"\"Operation not permitted\"{said}",
                   container=c.name, severity=None if facts.confirmed else "warning",
                   fix=f"Add {keep} to securityContext.capabilities.add, or run as the image's non-root user "
                       f"(runAsUser) so the entrypoint skips its root steps.")
