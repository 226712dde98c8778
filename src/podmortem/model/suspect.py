"""Which container a finding is about when the evidence does not say: the failing one, else the only one.

The rules name it in their findings, and the log reader (sources.logs) attaches an unnamed log to
it, so both make the same choice from the same code.
"""

from __future__ import annotations

import re

from podmortem.lazyre import lazy
from podmortem.model.evidence import ContainerEvidence, PodEvidence

# Waiting reasons that mean "not started yet, nothing wrong by itself".
BENIGN_WAITING = frozenset({"ContainerCreating", "PodInitializing"})


CONTAINER_IN_MESSAGE = lazy(
    r"""(?:failed\ container|container[:=]\s?|container\ |Container\ )"?([a-z0-9][-a-z0-9.]*)"?""",
    re.X,
)


def container_named_in(pod: PodEvidence, text: str) -> ContainerEvidence | None:
    """The container of this pod that a message names ("failed container app", "container: app")."""
    for m in CONTAINER_IN_MESSAGE.finditer(text):
        c = pod.container(m.group(1))
        if c is not None:
            return c
    return None


def failing_containers(pod: PodEvidence) -> list[ContainerEvidence]:
    """Containers that show a failure, the most obviously failing first (init containers before apps)."""
    scored: list[tuple[int, int, ContainerEvidence]] = []
    backing_off = {m.group(1) for e in pod.events if e.reason in ("BackOff", "Failed", "Unhealthy", "Killing")
                   for m in [CONTAINER_IN_MESSAGE.search(e.message)] if m} | {
        e.container for e in pod.events if e.type == "Warning" and e.container}
    for i, c in enumerate(pod.containers):
        score = 2 if c.name in backing_off else 0
        w = c.waiting_reason
        if w and w not in BENIGN_WAITING:
            score += 3
        t = c.last_termination
        if t is not None and (t.exit_code not in (0, None) or (t.reason or "") not in ("", "Completed")):
            score += 2
        if c.restart_count:
            score += 1
        if c.logs:
            score += 1
        if score:
            scored.append((-score, i, c))
    scored.sort(key=lambda x: (x[0], x[1]))
    return [c for _, _, c in scored]


def main_suspect(pod: PodEvidence) -> ContainerEvidence | None:
    """The container a finding is most likely about when the evidence does not name one."""
    failing = failing_containers(pod)
    if failing:
        return failing[0]
    # While the app containers wait in PodInitializing, the init container still running is what they wait
    # for (the last one running: regular init containers run one at a time, after any sidecars).
    running_init = [c for c in pod.containers if c.init and not c.is_sidecar and c.status is not None
                    and c.status.state.kind == "running"]
    if running_init and all(c.waiting_reason == "PodInitializing" for c in pod.app_containers if c.status):
        return running_init[-1]
    if len(pod.containers) == 1:
        return pod.containers[0]
    apps = pod.app_containers
    return apps[0] if len(apps) == 1 else None
