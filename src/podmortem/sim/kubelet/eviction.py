"""Node memory pressure and deletion: evictions, graceful stops, the pod going away.

A part of `PodSim`; uses the `Emitter` and the `Program` (memory use) it is given.
"""

from __future__ import annotations

from podmortem.sim.kubelet.emit import Emitter
from podmortem.sim.kubelet.program import Program
from podmortem.sim.kubelet.runtime import memory_limit_mib, quantity_text, sigterm_behaviour
from podmortem.sim.kubelet.state import PodState


class Eviction:
    """The eviction manager's and the API's ways to stop a pod."""

    def __init__(self, pod: PodState, events: Emitter, program: Program) -> None:
        self.pod = pod
        self.events = events
        self.program = program

    def memory_over_request(self, t: float) -> float:
        """How far the pod's memory use exceeds its requests (MiB): what the eviction manager ranks by."""
        if self.pod.phase_final or self.pod.deleting_at is not None:
            return 0.0
        return sum(self.program.memory_usage_mib(c, t) - (memory_limit_mib(c.spec, "requests") or 0.0)
                   for c in self.pod.containers if c.latest is not None and c.latest.running(t))

    def critical(self) -> bool:
        """Static and system-critical pods are never evicted by the kubelet."""
        owners = self.pod.meta.get("ownerReferences") or []
        return (self.pod.spec.get("priorityClassName") in ("system-node-critical", "system-cluster-critical")
                or any(o.get("kind") == "Node" for o in owners))

    def evict_for_pressure(self, t: float) -> None:
        node = self.pod.node
        if node is None or node.pressure is None:
            return
        threshold, available, _ = node.pressure
        self.evict(t, "memory", quantity_text(threshold), quantity_text(available))

    def evict(self, t: float, resource: str, threshold: str, available: str) -> None:
        if self.pod.phase_final or self.pod.deleting_at is not None:
            return
        worst = max(self.pod.apps(), key=lambda c: self.program.memory_usage_mib(c, t), default=None)
        parts = [f"The node was low on resource: {resource}. Threshold quantity: {threshold}, available: {available}. "]
        if worst is not None:
            used = int(self.program.memory_usage_mib(worst, t) * 1024)
            req = (((worst.spec.get("resources") or {}).get("requests") or {}).get("memory")) or "0"
            parts.append(f"Container {worst.name} was using {used}Ki, request is {req}, has larger consumption of "
                         f"{resource}. ")
        message = "".join(parts)
        self.pod.evicted_at = t
        self.pod.evict_info = ("Evicted", message)
        self.pod.failed_reason = ("Evicted", message)
        self.pod.phase_final = "Failed"
        self.events.emit(None, t, "Warning", "Evicted", message)
        for c in self.pod.containers:
            c.next_attempt = None
            last = c.latest
            if last is not None and last.running(t):
                self.events.emit(c, t, "Normal", "Killing", f"Stopping container {c.name}")
                last.end = t + 0.5
                last.reason, last.exit_code = "ContainerStatusUnknown", 137
                last.message = "The container could not be located when the pod was terminated"
            c.done = True

    def delete(self, t: float, grace: float) -> None:
        """Graceful deletion: stop every container, then the pod is gone."""
        if self.pod.deleting_at is not None:
            return
        self.pod.deleting_at = t
        latest_end = t
        for c in self.pod.containers:
            c.next_attempt = None
            last = c.latest
            if last is not None and last.running(t):
                self.events.emit(c, t, "Normal", "Killing", f"Stopping container {c.name}")
                behaviour = sigterm_behaviour(c.profile)
                stop = t + (min(grace, 0.5) if behaviour != "ignore" else grace)
                last.end = stop
                last.stopping_from = t
                last.reason, last.exit_code = ("Completed", 0) if behaviour == "graceful" else \
                    (("Error", 137) if behaviour == "ignore" else ("Error", 143))
                latest_end = max(latest_end, stop)
            c.done = True
        self.pod.gone_at = latest_end + 0.1
