"""`PodSim`: one pod on one node as a discrete-event simulation, driven by `advance(t)`.

It jumps from one moment where something happens to the next (a container exits, a back-off
ends, a probe fails, a sync retries), so twenty minutes of a crash loop cost a few dozen steps and
a pod can be brought to any time without ticking. `PodSim` is the pod's state (`PodState`) plus
one object per part, each given the state and the few parts it calls; only the package's
`__init__` imports it.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.checks import StartChecks
from podmortem.sim.kubelet.emit import Emitter
from podmortem.sim.kubelet.eviction import Eviction
from podmortem.sim.kubelet.logs import Logs
from podmortem.sim.kubelet.model import ContainerSim, Instance, KubeletSettings, NodeSim
from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.probes import Probes
from podmortem.sim.kubelet.program import Program
from podmortem.sim.kubelet.restarts import Restarts
from podmortem.sim.kubelet.starting import Starting
from podmortem.sim.kubelet.state import PodState, World
from podmortem.sim.kubelet.status import StatusWriter
from podmortem.sim.kubelet.volumes import Volumes


class PodSim(PodState):
    """One pod on one node, simulated from its creation on: the state plus one part per job."""

    def __init__(self, pod: Mapping[str, Any], world: World, node: NodeSim | None, created: float,
                 settings: KubeletSettings, ip: str | None = None,
                 sim_annotations: Mapping[str, str] | None = None) -> None:
        super().__init__(pod, world, node, created, settings, ip, sim_annotations)
        self.events = Emitter(self)
        self.order = StartOrder(self)
        self.checks = StartChecks(self)
        self.probes = Probes(self, self.events, self.order)
        self.program = Program(self, self.checks, self.probes)
        self.volumes = Volumes(self, self.order)
        self.starting = Starting(self, self.events, self.checks, self.program, self.volumes)
        self.restarts = Restarts(self, self.events, self.order, self.starting)
        self.eviction = Eviction(self, self.events, self.program)
        self.writer = StatusWriter(self, self.order)
        self.logs = Logs(self)
        # ready() and phase() are asked many times per instant (controllers, services, the timeline);
        # they only change when the pod steps or is stopped, so each is cached for (time, version).
        self.version = 0
        self._ready_at: tuple[float, int, bool] | None = None
        self._phase_at: tuple[float, int, str] | None = None
        if node is not None:
            self.at(created, self.starting.schedule)
        else:
            self.at(created, self.starting.unschedulable)

    # The cluster's view of the pod (cluster/); each answer comes from the part that owns it.
    def ready(self, t: float) -> bool:
        cached = self._ready_at
        if cached is not None and cached[0] == t and cached[1] == self.version:
            return cached[2]
        value = self.writer.ready(t)
        self._ready_at = (t, self.version, value)
        return value

    def phase(self, t: float) -> str:
        cached = self._phase_at
        if cached is not None and cached[0] == t and cached[1] == self.version:
            return cached[2]
        value = self.writer.phase(t)
        self._phase_at = (t, self.version, value)
        return value

    def status(self, t: float) -> dict[str, Any]:
        return self.writer.status(t)

    def memory_over_request(self, t: float) -> float:
        return self.eviction.memory_over_request(t)

    def critical(self) -> bool:
        return self.eviction.critical()

    def evict_for_pressure(self, t: float) -> None:
        self.version += 1
        self.eviction.evict_for_pressure(t)

    def bind(self, node: NodeSim, t: float) -> None:
        self.version += 1
        self.starting.bind(node, t)

    def still_unschedulable(self, message: str, t: float) -> None:
        self.version += 1
        self.starting.still_unschedulable(message, t)

    def delete(self, t: float, grace: float) -> None:
        self.version += 1
        self.eviction.delete(t, grace)

    def add_ephemeral(self, spec: Mapping[str, Any], t: float) -> bool:
        self.version += 1
        return super().add_ephemeral(spec, t)

    def instance_for_logs(self, c: ContainerSim, previous: bool, t: float) -> tuple[Instance | None, str | None]:
        return self.logs.instance_for_logs(c, previous, t)

    def next_time(self) -> float | None:
        if self.finished:
            return None
        times = []
        if self.pending:
            times.append(self.pending[0][0])
        for c in self.containers:
            last = c.latest
            if last is not None and last.end is not None and not last.handled:
                times.append(last.end)
            if c.next_attempt is not None:
                times.append(c.next_attempt)
        if self.mount_retry is not None:
            times.append(self.mount_retry[0])
        if self.gone_at is not None:
            times.append(self.gone_at)
        return min(times) if times else None

    def advance(self, until: float) -> bool:
        """Process everything that happens up to `until`; True if the pod's status may have changed."""
        changed = False
        guard = 0
        while True:
            t = self.next_time()
            if t is None or t > until:
                break
            t = max(t, self.now)
            self.now = t
            changed = self.step(t) or changed
            guard += 1
            if guard > 100_000:
                raise RuntimeError(f"pod {self.namespace}/{self.name}: simulation does not progress at {t}")
        self.now = max(self.now, until)
        return changed

    def _quiet(self, t: float) -> bool:
        """Only crash-loop retries that stay in back-off are due at t: do them, True (nothing else changes)."""
        if (self.pending and self.pending[0][0] <= t) or (self.gone_at is not None and self.gone_at <= t) \
                or (self.mount_retry is not None and self.mount_retry[0] <= t):
            return False
        due = []
        for c in self.containers:
            last = c.latest
            if last is None:
                if not c.done:
                    return False  # a first attempt may be due: the full sync decides
                continue
            if last.end is not None and last.end <= t and not last.handled:
                return False
            if c.next_attempt is not None and c.next_attempt <= t:
                due.append(c)
        if not due:
            return False
        startable = self.order.startable(t)
        restarts = self.restarts
        if any(c not in startable or restarts.quiet_retry_blocked(c, t) for c in due):
            return False
        for c in due:
            restarts.quiet_retry(c, t)
        return True

    def step(self, t: float) -> bool:
        """Everything due at t; False when only quiet back-off retries were (the status is unchanged)."""
        if self._quiet(t):
            return False
        self.version += 1
        while self.pending and self.pending[0][0] <= t:
            when, _, fn = heapq.heappop(self.pending)
            fn(when)
        for c in self.containers:
            last = c.latest
            if last is not None and last.end is not None and last.end <= t and not last.handled:
                last.handled = True
                self.restarts.exited(c, last.end)
        if self.gone_at is not None and self.gone_at <= t:
            self.finished = True
            return True
        if self.mount_retry is not None and self.mount_retry[0] <= t:
            self.volumes.mount(t)
        self.restarts.sync(t)
        self.writer.update_conditions(t)
        return True
