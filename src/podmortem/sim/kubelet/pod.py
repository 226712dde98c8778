"""`PodSim`: one pod on one node as a discrete-event simulation, driven by `advance(t)`.

It jumps from one moment where something happens to the next (a container exits, a back-off
ends, a probe fails, a sync retries), so twenty minutes of a crash loop cost a few dozen steps and
a pod can be brought to any time without ticking. The top of the layers (logs -> status ->
eviction -> restarts -> starting -> volumes -> program -> probes -> checks -> order -> emit ->
state); only the package's `__init__` imports it.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.logs import Logs
from podmortem.sim.kubelet.model import KubeletSettings, NodeSim
from podmortem.sim.kubelet.state import World


class PodSim(Logs):
    """One pod on one node, simulated from its creation on."""

    def __init__(self, pod: Mapping[str, Any], world: World, node: NodeSim | None, created: float,
                 settings: KubeletSettings, ip: str | None = None,
                 sim_annotations: Mapping[str, str] | None = None) -> None:
        super().__init__(pod, world, node, created, settings, ip, sim_annotations)
        if node is not None:
            self._at(created, self._schedule)
        else:
            self._at(created, self._unschedulable)

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
        """Process everything that happens up to `until`; True if anything did."""
        changed = False
        guard = 0
        while True:
            t = self.next_time()
            if t is None or t > until:
                break
            t = max(t, self.now)
            self.now = t
            self.step(t)
            changed = True
            guard += 1
            if guard > 100_000:
                raise RuntimeError(f"pod {self.namespace}/{self.name}: simulation does not progress at {t}")
        self.now = max(self.now, until)
        return changed

    def step(self, t: float) -> None:
        while self.pending and self.pending[0][0] <= t:
            when, _, fn = heapq.heappop(self.pending)
            fn(when)
        for c in self.containers:
            last = c.latest
            if last is not None and last.end is not None and last.end <= t and not last.handled:
                last.handled = True
                self._exited(c, last.end)
        if self.gone_at is not None and self.gone_at <= t:
            self.finished = True
            return
        if self.mount_retry is not None and self.mount_retry[0] <= t:
            self._mount(t)
        self._sync(t)
        self._update_conditions(t)
