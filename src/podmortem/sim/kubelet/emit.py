"""Events the kubelet emits for a pod: now, at a later time, while an instance runs, or periodically.

A part of `PodSim` that needs only the pod's state (its `World` and event queue).
"""

from __future__ import annotations

from collections.abc import Callable

from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.state import PodState


class Emitter:
    """Event emission through `World.emit`, immediate or scheduled."""

    def __init__(self, pod: PodState) -> None:
        self.pod = pod

    def emit(self, c: ContainerSim | None, t: float, type_: str, reason: str, message: str) -> None:
        self.pod.world.emit(self.pod, t, type_, reason, message, c.field_path if c else None)

    def emitter(self, c: ContainerSim, type_: str, reason: str, message: str) -> Callable[[float], None]:
        def fire(when: float) -> None:
            self.emit(c, when, type_, reason, message)

        return fire

    def while_running(self, c: ContainerSim, inst: Instance, type_: str, reason: str,
                       message: str) -> Callable[[float], None]:
        """An event emitter that stays quiet if the instance has ended by then (it died of something else)."""
        def fire(when: float) -> None:
            if c.latest is inst and inst.running(when):
                self.emit(c, when, type_, reason, message)

        return fire

    def recurring(self, c: ContainerSim, t0: float, period: float, until: float, message: str) -> None:
        def fire(when: float) -> None:
            if when >= until or c.latest is None or not c.latest.running(when):
                return
            self.emit(c, when, "Warning", "Unhealthy", message)
            self.pod.at(when + period, fire)

        self.pod.at(t0, fire)


def noop(when: float) -> None:
    """A wake-up: the pod's status changes at this time although nothing else happens."""
