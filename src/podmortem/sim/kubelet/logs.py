"""The log subresource: which instance `kubectl logs [--previous]` reads, or the kubelet's error text.

A part of `PodSim` that needs only the pod's state.
"""

from __future__ import annotations

from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.state import PodState


class Logs:
    """validateContainerLogStatus."""

    def __init__(self, pod: PodState) -> None:
        self.pod = pod

    def instance_for_logs(self, c: ContainerSim, previous: bool, t: float) -> tuple[Instance | None, str | None]:
        """The kubelet's choice of instance for /log (validateContainerLogStatus), or its error text."""
        who = f'container "{c.name}" in pod "{self.pod.name}"'
        last, prev = c.latest, c.previous
        running = last is not None and last.running(t)
        exited = last is not None and last.end is not None and last.end <= t
        waiting_now = c.waiting is not None and (last is None or exited)
        if previous:
            if running:
                return (prev, None) if prev is not None else (None, f'previous terminated container "{c.name}" in pod '
                                                                     f'"{self.pod.name}" not found')
            if exited and waiting_now:
                return last, None  # lastState is the instance that just exited
            if exited and prev is not None:
                return prev, None
            return None, f'previous terminated container "{c.name}" in pod "{self.pod.name}" not found'
        if running or exited:
            return last, None
        reason = (c.waiting or (self.pod.default_waiting(), ""))[0]
        if reason == "ErrImagePull":
            return None, f"{who} is waiting to start: image can't be pulled"
        if reason == "ImagePullBackOff":
            return None, f"{who} is waiting to start: trying and failing to pull image"
        return None, f"{who} is waiting to start: {reason}"
