"""Nodes joining the cluster and pods placed on them: the scheduler and the pod's kubelet model.

A layer of `SimCluster` on top of `Admission`. Imports `admission` and `nodes`, nothing above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.sim.cluster.admission import Admission
from podmortem.sim.cluster.nodes import _parse_pressure, _tolerates
from podmortem.sim.kubelet import NodeSim, PodSim
from podmortem.sim.profile import CSI_DRIVERS, MEMORY_PRESSURE


class Placement(Admission):
    """Node registration, scheduling and the creation of pod models."""

    def _node_added(self, node: Mapping[str, Any], t: float) -> None:
        name = node["metadata"]["name"]
        addrs = {a.get("type"): a.get("address") for a in (node.get("status") or {}).get("addresses") or []}
        sim = NodeSim(name, len(self.nodes) + 1, str(addrs.get("InternalIP") or f"172.18.0.{len(self.nodes) + 2}"))
        annotations = self.hidden.of(str(node["metadata"].get("uid")))
        pressure = annotations.get(MEMORY_PRESSURE)
        if pressure:
            sim.pressure = _parse_pressure(str(pressure), t)
        drivers = annotations.get(CSI_DRIVERS)
        if drivers:
            sim.csi_drivers = frozenset(d.strip() for d in str(drivers).split(",") if d.strip())
        self.nodes[name] = sim

    def _schedule(self, spec: dict[str, Any]) -> tuple[NodeSim | None, str | None]:
        if spec.get("nodeName"):
            return self.nodes.get(str(spec["nodeName"])), None
        candidates = []
        tolerations = spec.get("tolerations") or []
        selector = spec.get("nodeSelector") or {}
        for name in sorted(self.nodes):
            node_obj = self.store.get("nodes", "", name)
            if node_obj is None:
                continue
            labels = node_obj["metadata"].get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                continue
            taints = [x for x in (node_obj.get("spec") or {}).get("taints") or [] if x.get("effect") == "NoSchedule"]
            if any(not _tolerates(tolerations, x) for x in taints):
                continue
            candidates.append(self.nodes[name])
        if not candidates:
            n = len(self.nodes)
            why = "didn't match Pod's node affinity/selector" if selector else "had untolerated taint(s)"
            return None, (f"0/{n} nodes are available: {n} node(s) {why}. preemption: 0/{n} nodes are available: "
                          f"{n} Preemption is not helpful for scheduling.")
        node = candidates[self._sched % len(candidates)]
        self._sched += 1
        return node, None

    def _create_pod(self, obj: dict[str, Any], t: float) -> dict[str, Any]:
        spec = obj["spec"]
        node, why = self._schedule(spec)
        if node is not None:
            spec["nodeName"] = node.name
        stored = self.store.put("pods", obj)
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        sim = PodSim(stored, self, node, t, self.settings, sim_annotations=self.hidden.of(str(obj["metadata"]["uid"])))
        if why:
            sim.unschedulable = why
        self.pods[key] = sim
        self._queue_pod(key)
        return stored
