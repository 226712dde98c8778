"""Nodes joining the cluster and pods placed on them: the scheduler and the pod's kubelet model.

A part of `SimCluster`; uses the `Timeline` and the `KubeletWorld` (each pod model's world) it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.sim.cluster.nodes import parse_pressure, tolerates
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.cluster.world import KubeletWorld
from podmortem.sim.kubelet import NodeSim, PodSim
from podmortem.sim.profile import CSI_DRIVERS, MEMORY_PRESSURE


class Placement:
    """Node registration, scheduling and the creation of pod models."""

    def __init__(self, state: ClusterState, timeline: Timeline, world: KubeletWorld) -> None:
        self.state = state
        self.timeline = timeline
        self.world = world

    def node_added(self, node: Mapping[str, Any], t: float) -> None:
        name = node["metadata"]["name"]
        addrs = {a.get("type"): a.get("address") for a in (node.get("status") or {}).get("addresses") or []}
        sim = NodeSim(name, len(self.state.nodes) + 1, str(addrs.get("InternalIP") or f"172.18.0.{len(self.state.nodes) + 2}"))
        annotations = self.state.hidden.of(str(node["metadata"].get("uid")))
        pressure = annotations.get(MEMORY_PRESSURE)
        if pressure:
            sim.pressure = parse_pressure(str(pressure), t)
        drivers = annotations.get(CSI_DRIVERS)
        if drivers:
            sim.csi_drivers = frozenset(d.strip() for d in str(drivers).split(",") if d.strip())
        self.state.nodes[name] = sim

    def schedule(self, spec: dict[str, Any]) -> tuple[NodeSim | None, str | None]:
        if spec.get("nodeName"):
            return self.state.nodes.get(str(spec["nodeName"])), None
        candidates = []
        tolerations = spec.get("tolerations") or []
        selector = spec.get("nodeSelector") or {}
        for name in sorted(self.state.nodes):
            node_obj = self.state.store.get("nodes", "", name)
            if node_obj is None:
                continue
            labels = node_obj["metadata"].get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                continue
            taints = [x for x in (node_obj.get("spec") or {}).get("taints") or [] if x.get("effect") == "NoSchedule"]
            if any(not tolerates(tolerations, x) for x in taints):
                continue
            candidates.append(self.state.nodes[name])
        if not candidates:
            n = len(self.state.nodes)
            why = "didn't match Pod's node affinity/selector" if selector else "had untolerated taint(s)"
            return None, (f"0/{n} nodes are available: {n} node(s) {why}. preemption: 0/{n} nodes are available: "
                          f"{n} Preemption is not helpful for scheduling.")
        node = candidates[self.state.sched_counter % len(candidates)]
        self.state.sched_counter += 1
        return node, None

    def create_pod(self, obj: dict[str, Any], t: float) -> dict[str, Any]:
        spec = obj["spec"]
        node, why = self.schedule(spec)
        if node is not None:
            spec["nodeName"] = node.name
        stored = self.state.store.put("pods", obj)
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        sim = PodSim(stored, self.world, node, t, self.state.settings, sim_annotations=self.state.hidden.of(str(obj["metadata"]["uid"])))
        if why:
            sim.unschedulable = why
        self.state.pods[key] = sim
        self.timeline.queue_pod(key)
        return stored
