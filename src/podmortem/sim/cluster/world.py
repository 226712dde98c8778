"""The kubelet's view of the cluster (`kubelet.World`): ConfigMaps, Secrets, Services, events, evictions.

A part of `SimCluster`; uses the `Timeline` it is given. Every pod model gets this object as its world.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.kubelet import NodeSim
from podmortem.sim.kubelet.state import PodState


class KubeletWorld:
    """What a pod's kubelet model asks of the cluster."""

    def __init__(self, state: ClusterState, timeline: Timeline) -> None:
        self.state = state
        self.timeline = timeline

    def configmap(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.state.store.get("configmaps", namespace, name)

    def secret(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.state.store.get("secrets", namespace, name)

    def resolve(self, namespace: str, host: str, port: int, t: float) -> tuple[str | None, str | None]:
        """How a connection from a pod to host:port goes: (None, ip) works, ("dns"|"refused", ip) fails."""
        if host.replace(".", "").isdigit():
            return None, host
        parts = host.split(".")
        if len(parts) == 1:
            svc, ns = parts[0], namespace
        elif len(parts) == 2 or parts[2] == "svc":
            svc, ns = parts[0], parts[1]
        else:
            return None, None  # outside the cluster: assumed reachable
        obj = self.state.store.get("services", ns, svc)
        if obj is None:
            return "dns", None
        spec = obj.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = [p.get("port") for p in spec.get("ports") or []]
        selector = spec.get("selector")
        if not selector:
            return (None, ip) if port in ports else ("refused", ip)
        ready = False
        for p in self.state.store.items("pods", ns):
            labels = (p.get("metadata") or {}).get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()):
                sim = self.state.pods.get((ns, p["metadata"]["name"]))
                if sim is not None and sim.ready(t):
                    ready = True
                    break
        if ip in (None, "None"):
            return (None, None) if ready else ("dns", None)
        if port not in ports or not ready:
            return "refused", ip
        return None, ip

    def emit(self, pod: PodState, t: float, type_: str, reason: str, message: str, field_path: str | None,
             component: str = "kubelet") -> None:
        meta = self.state.store.get("pods", pod.namespace, pod.name)
        ref = pod.ref(field_path)
        if meta is not None:
            ref["resourceVersion"] = meta["metadata"].get("resourceVersion", "")
        if component == "default-scheduler":
            self.state.recorder.emit(t, ref, type_, reason, message, component, "sim-control-plane", series_style=True,
                               action="Binding" if reason == "Scheduled" else "Scheduling")
        else:
            self.state.recorder.emit(t, ref, type_, reason, message, component, pod.node.name if pod.node else None)

    def pressure_check(self, node: NodeSim, t: float) -> None:
        """A pod started on a node short of memory: the eviction manager looks again ten seconds later."""
        if node.pressure is None or node.name in self.state.pressure_pending:
            return
        self.state.pressure_pending.add(node.name)
        self.timeline.at(max(t + 10.0, node.pressure[2]), functools.partial(self._evict_one, node))

    def _evict_one(self, node: NodeSim, t: float) -> None:
        """Evict the non-critical pod using the most memory over its requests; that relieves the pressure."""
        self.state.pressure_pending.discard(node.name)
        if node.pressure is None:
            return
        ranked = sorted(((sim.memory_over_request(t), key) for key, sim in self.state.pods.items()
                         if sim.node is node and not sim.critical()), reverse=True)
        if not ranked or ranked[0][0] <= 0:
            return
        key = ranked[0][1]
        sim = self.state.pods[key]
        sim.evict_for_pressure(t)
        node.pressure = None
        self.state.dirty.add(key)
        self.timeline.after_pod_step(key, sim, t)
        self.timeline.queue_pod(key)
