"""The simulation loop: virtual time, the global queue of pod steps, reconciles, and publishing to the store.

`sync()` brings the simulation up to the virtual clock: pods step through their own timelines in
global time order, the controllers react when a workload or one of its pods changes, and the
changed pod statuses and events are written to the store, where list and watch requests see them.
A part of `SimCluster` that needs only the cluster's state.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from typing import Any

from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.kubelet import PodSim
from podmortem.sim.served_time import lead


class Timeline:
    """Virtual time and the order in which things happen."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        # Called (with the time) when room may have appeared for pending pods: the scheduler's retry.
        self.capacity_listeners: list[Callable[[float], None]] = []

    def served_lead(self) -> int:
        """Seconds by which responses move timestamps back so that none is ahead of the wall clock (served_time.py)."""
        return lead(self.now(), self.state.clock.wall())

    def now(self) -> float:
        return max(self.state.clock.now(), self.state.sim_time)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward and bring the cluster up to it."""
        with self.state.lock:
            self.state.clock.advance(seconds)
            self.sync()

    def sync(self) -> None:
        with self.state.lock:
            self.advance_to(self.state.clock.now())
            self.flush()

    def push(self, t: float, item: Any) -> None:
        heapq.heappush(self.state.heap, (t, next(self.state.seq), item))

    def queue_pod(self, key: tuple[str, str]) -> None:
        sim = self.state.pods.get(key)
        if sim is None:
            return
        nt = sim.next_time()
        if nt is None:
            self.state.queued.pop(key, None)
            return
        if self.state.queued.get(key) == nt:
            return
        self.state.queued[key] = nt
        self.push(nt, key)

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self.push(t, fn)

    def advance_to(self, until: float) -> None:
        heap = self.state.heap
        live = self.state.store.record_history
        while heap and heap[0][0] <= until:
            if live and heap[0][0] > self.state.sim_time and (self.state.dirty or self.state.recorder.dirty):
                # Publish each instant's state before moving on, so watchers see every transition
                # (Running -> Error -> CrashLoopBackOff) even when virtual time jumps.
                self.flush()
            t, _, item = heapq.heappop(heap)
            t = max(t, self.state.sim_time)
            self.state.sim_time = t
            if callable(item):
                item(t)
                self.run_reconciles(t)
                continue
            key = item
            sim = self.state.pods.get(key)
            if sim is None or key not in self.state.queued:
                continue
            nt = sim.next_time()
            if nt is None:
                self.state.queued.pop(key, None)
                continue
            if nt > t:
                if self.state.queued.get(key) != nt:
                    self.queue_pod(key)
                continue  # a stale entry: the pod is queued for a later time
            self.state.queued.pop(key, None)
            if sim.advance(t):
                self.state.dirty.add(key)
                self.after_pod_step(key, sim, t)
            self.queue_pod(key)
            if not heap or heap[0][0] > t:
                self.run_reconciles(t)  # once per instant: the pods that changed together are seen together
        self.run_reconciles(self.state.sim_time)
        self.state.sim_time = max(self.state.sim_time, until)

    def after_pod_step(self, key: tuple[str, str], sim: PodSim, t: float) -> None:
        if sim.gone_at is not None and sim.gone_at <= t:
            self.remove_pod(key, t)
            return
        state = (sim.ready(t), sim.phase(t))
        if self.state.observed.get(key) != state:
            self.state.observed[key] = state
            if state[1] in ("Succeeded", "Failed"):
                self.release(key, t)  # a terminated pod no longer counts against its node
            self.owner_changed(self.state.store.get("pods", key[0], key[1]), t)

    def owner_changed(self, obj: Mapping[str, Any] | None, t: float) -> None:
        if obj is None:
            return
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller"):
                storage = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "Job": "jobs",
                           "Deployment": "deployments"}.get(str(ref.get("kind")))
                if storage:
                    self.enqueue(storage, obj["metadata"]["namespace"], str(ref.get("name")))
                    if storage == "replicasets":
                        rs = self.state.store.get("replicasets", obj["metadata"]["namespace"], str(ref.get("name")))
                        if rs is not None:
                            self.owner_changed(rs, t)

    def enqueue(self, storage: str, namespace: str, name: str) -> None:
        item = (storage, namespace, name)
        self.state.reconcile_queue.setdefault(item, None)

    def run_reconciles(self, t: float) -> None:
        rounds = 0
        while self.state.reconcile_queue and rounds < 1000:
            queue = self.state.reconcile_queue
            storage, ns, name = item = next(iter(queue))
            del queue[item]
            self.state.controllers.reconcile(storage, ns, name, t)
            rounds += 1

    def flush(self) -> None:
        """Write changed pod statuses and events to the store (so lists and watches see them)."""
        t = self.state.sim_time
        for key in sorted(self.state.dirty):
            sim = self.state.pods.get(key)
            stored = self.state.store.get("pods", key[0], key[1])
            if sim is None or stored is None:
                continue
            status = sim.status(t)
            if stored.get("status") != status:
                self.state.store.put("pods", {**stored, "status": status})
        self.state.dirty.clear()
        for rec in self.state.recorder.dirty.values():
            self.state.store.put("events", rec.to_object())
        self.state.recorder.dirty.clear()
        if t >= self.state.next_ttl_check:
            self._expire_events(t)
            self.state.next_ttl_check = t + 60

    def _expire_events(self, t: float) -> None:
        limit = t - self.state.options.event_ttl
        stale = [k for k, r in self.state.recorder.records.items() if r.last < limit]
        for k in stale:
            rec = self.state.recorder.records.pop(k)
            self.state.store.remove("events", rec.namespace, rec.name)

    def release(self, key: tuple[str, str], t: float) -> None:
        if self.state.ledger.release(key):
            self.cluster_changed(t)
        self.state.unscheduled.pop(key, None)

    def cluster_changed(self, t: float) -> None:
        """Room, nodes or claims changed: pending pods get another scheduling attempt a second later."""
        if self.state.unscheduled and not self.state.retry_queued:
            self.state.retry_queued = True
            self.at(t + 1.0, self._retry_unscheduled)

    def _retry_unscheduled(self, t: float) -> None:
        self.state.retry_queued = False
        for listener in self.capacity_listeners:
            listener(t)

    def remove_pod(self, key: tuple[str, str], t: float) -> None:
        self.release(key, t)
        self.state.pods.pop(key, None)
        self.state.queued.pop(key, None)
        self.state.observed.pop(key, None)
        self.state.dirty.discard(key)
        gone = self.state.store.remove("pods", key[0], key[1])
        if gone is not None:
            self.owner_changed(gone, t)
