"""Events the kubelet emits for a pod: now, at a later time, while an instance runs, or periodically.

A layer of `PodSim`: `Emitters` builds on `PodState` only. Imports `state` and `model`, nothing above.
"""

from __future__ import annotations

from collections.abc import Callable

from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.state import PodState


class Emitters(PodState):
    """Event emission through `World.emit`, immediate or scheduled."""

    def _emit(self, c: ContainerSim | None, t: float, type_: str, reason: str, message: str) -> None:
        self.world.emit(self, t, type_, reason, message, c.field_path if c else None)

    def _emitter(self, c: ContainerSim, type_: str, reason: str, message: str) -> Callable[[float], None]:
        def fire(when: float) -> None:
            self._emit(c, when, type_, reason, message)

        return fire

    def _while_running(self, c: ContainerSim, inst: Instance, type_: str, reason: str,
                       message: str) -> Callable[[float], None]:
        """An event emitter that stays quiet if the instance has ended by then (it died of something else)."""
        def fire(when: float) -> None:
            if c.latest is inst and inst.running(when):
                self._emit(c, when, type_, reason, message)

        return fire

    def _recurring(self, c: ContainerSim, t0: float, period: float, until: float, message: str) -> None:
        def fire(when: float) -> None:
            if when >= until or c.latest is None or not c.latest.running(when):
                return
            self._emit(c, when, "Warning", "Unhealthy", message)
            self._at(when + period, fire)

        self._at(t0, fire)


def _noop(when: float) -> None:
    """A wake-up: the pod's status changes at this time although nothing else happens."""
