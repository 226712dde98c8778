"""The log subresource: which instance `kubectl logs [--previous]` reads, or the kubelet's error text.

A part of `PodSim` that needs only the pod's state.
"""

from __future__ import annotations

from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.state import PodState

CONTENT_REMOVED_AFTER = 1.0  # an evicted pod's containers are deleted once its worker has stopped them


class LogsUnavailable(Exception):
    """The status names a container the runtime no longer has: the kubelet answers 200 with this text.

    pkg/kubelet/kuberuntime GetContainerLogs (v1.32): "unable to retrieve container logs for <id>", as
    `kubectl logs` prints it for an evicted pod (whose containers the kubelet removes,
    podWorkers.ShouldPodContentBeRemoved) or a container the garbage collector took.
    """

    def __init__(self, container_id: str) -> None:
        super().__init__(f"unable to retrieve container logs for {container_id}")
        self.text = str(self)


class Logs:
    """validateContainerLogStatus."""

    def __init__(self, pod: PodState) -> None:
        self.pod = pod

    def instance_for_logs(self, c: ContainerSim, previous: bool, t: float) -> tuple[Instance | None, str | None]:
        """The kubelet's choice of instance for /log (validateContainerLogStatus), or its error text."""
        who = f'container "{c.name}" in pod "{self.pod.name}"'
        evicted = self.pod.evicted_at
        if evicted is not None and t >= evicted + CONTENT_REMOVED_AFTER:
            return None, self._removed(c, previous, who)
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

    def _removed(self, c: ContainerSim, previous: bool, who: str) -> str:
        """validateContainerLogStatus over the status an evicted pod keeps; the container it names is gone.

        Raises LogsUnavailable when the status gives a container ID (the runtime no longer knows it),
        else returns the kubelet's error text. The state made up for a container killed by the eviction
        (ContainerStatusUnknown) has no container ID.
        """
        last, prev = c.latest, c.previous
        state_id: str | None
        last_state: Instance | None

        def known(inst: Instance | None) -> str:
            return inst.container_id if inst is not None and inst.reason != "ContainerStatusUnknown" else ""

        if c.waiting is not None and last is not None:
            state_id, last_state = None, last  # waiting, with the instance that exited as lastState
        elif last is not None:
            state_id, last_state = known(last), prev
        else:
            state_id, last_state = None, None
        if previous:
            if not known(last_state):
                return f'previous terminated container "{c.name}" in pod "{self.pod.name}" not found'
            raise LogsUnavailable(known(last_state))
        if state_id or known(last_state):
            raise LogsUnavailable(state_id or known(last_state))
        if state_id is not None or last_state is not None:
            return f"{who} is terminated"
        reason = (c.waiting or (self.pod.default_waiting(), ""))[0]
        return f"{who} is waiting to start: {reason}"
