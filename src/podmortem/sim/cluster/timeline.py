"""The simulation loop: virtual time, the global queue of pod steps, reconciles, and publishing to the store.

`sync()` brings the simulation up to the virtual clock: pods step through their own timelines in
global time order, the controllers react when a workload or one of its pods changes, and the
changed pod statuses and events are written to the store, where list and watch requests see them.
A layer of `SimCluster` on top of `ClusterState`. Imports `state`, nothing above.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from typing import Any

from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.kubelet import PodSim


class Timeline(ClusterState):
    """Virtual time and the order in which things happen."""

    def now(self) -> float:
        return max(self.clock.now(), self.sim_time)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward and bring the cluster up to it."""
        with self.lock:
            self.clock.advance(seconds)
            self.sync()

    def sync(self) -> None:
        with self.lock:
            self.advance_to(self.clock.now())
            self.flush()

    def _push(self, t: float, item: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), item))

    def _queue_pod(self, key: tuple[str, str]) -> None:
        sim = self.pods.get(key)
        if sim is None:
            return
        nt = sim.next_time()
        if nt is None:
            self._queued.pop(key, None)
            return
        if self._queued.get(key) == nt:
            return
        self._queued[key] = nt
        self._push(nt, key)

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self._push(t, fn)

    def advance_to(self, until: float) -> None:
        heap = self._heap
        live = self.store.record_history
        while heap and heap[0][0] <= until:
            if live and heap[0][0] > self.sim_time and (self._dirty or self.recorder.dirty):
                # Publish each instant's state before moving on, so watchers see every transition
                # (Running -> Error -> CrashLoopBackOff) even when virtual time jumps.
                self.flush()
            t, _, item = heapq.heappop(heap)
            t = max(t, self.sim_time)
            self.sim_time = t
            if callable(item):
                item(t)
                self._run_reconciles(t)
                continue
            key = item
            sim = self.pods.get(key)
            if sim is None or key not in self._queued:
                continue
            nt = sim.next_time()
            if nt is None:
                self._queued.pop(key, None)
                continue
            if nt > t:
                if self._queued.get(key) != nt:
                    self._queue_pod(key)
                continue  # a stale entry: the pod is queued for a later time
            self._queued.pop(key, None)
            sim.advance(t)
            self._dirty.add(key)
            self._after_pod_step(key, sim, t)
            self._queue_pod(key)
            if not heap or heap[0][0] > t:
                self._run_reconciles(t)  # once per instant: the pods that changed together are seen together
        self._run_reconciles(self.sim_time)
        self.sim_time = max(self.sim_time, until)

    def _after_pod_step(self, key: tuple[str, str], sim: PodSim, t: float) -> None:
        if sim.gone_at is not None and sim.gone_at <= t:
            self._remove_pod(key, t)
            return
        state = (sim.ready(t), sim.phase(t))
        if self._observed.get(key) != state:
            self._observed[key] = state
            self._owner_changed(self.store.get("pods", key[0], key[1]), t)

    def _owner_changed(self, obj: Mapping[str, Any] | None, t: float) -> None:
        if obj is None:
            return
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller"):
                storage = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "Job": "jobs",
                           "Deployment": "deployments"}.get(str(ref.get("kind")))
                if storage:
                    self._enqueue(storage, obj["metadata"]["namespace"], str(ref.get("name")))
                    if storage == "replicasets":
                        rs = self.store.get("replicasets", obj["metadata"]["namespace"], str(ref.get("name")))
                        if rs is not None:
                            self._owner_changed(rs, t)

    def _enqueue(self, storage: str, namespace: str, name: str) -> None:
        item = (storage, namespace, name)
        if item not in self._reconcile:
            self._reconcile.append(item)

    def _run_reconciles(self, t: float) -> None:
        rounds = 0
        while self._reconcile and rounds < 1000:
            storage, ns, name = self._reconcile.pop(0)
            self.controllers.reconcile(storage, ns, name, t)
            rounds += 1

    def flush(self) -> None:
        """Write changed pod statuses and events to the store (so lists and watches see them)."""
        t = self.sim_time
        for key in sorted(self._dirty):
            sim = self.pods.get(key)
            stored = self.store.get("pods", key[0], key[1])
            if sim is None or stored is None:
                continue
            status = sim.status(t)
            if stored.get("status") != status:
                self.store.put("pods", {**stored, "status": status})
        self._dirty.clear()
        for rec in self.recorder.dirty.values():
            self.store.put("events", rec.to_object())
        self.recorder.dirty.clear()
        if t >= self._next_ttl_check:
            self._expire_events(t)
            self._next_ttl_check = t + 60

    def _expire_events(self, t: float) -> None:
        limit = t - self.options.event_ttl
        stale = [k for k, r in self.recorder.records.items() if r.last < limit]
        for k in stale:
            rec = self.recorder.records.pop(k)
            self.store.remove("events", rec.namespace, rec.name)

    def _remove_pod(self, key: tuple[str, str], t: float) -> None:
        self.pods.pop(key, None)
        self._queued.pop(key, None)
        self._observed.pop(key, None)
        self._dirty.discard(key)
        gone = self.store.remove("pods", key[0], key[1])
        if gone is not None:
            self._owner_changed(gone, t)
