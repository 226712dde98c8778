"""Nodes joining the cluster and pods placed on them: the scheduler, claim binding, the pod's kubelet model.

The scheduler's filters and messages are in scheduler.py; this layer keeps its queue. A pod that
fits nowhere stays Pending with a FailedScheduling event and is tried again, as the scheduling
queue does (pkg/scheduler/internal/queue, v1.32): one second after something that can make room
(a pod bound to a node ends, a node or a claim changes), and at the latest after five minutes
(podMaxInUnschedulablePodsDuration). Claims are bound as the PersistentVolume controller and a
provisioner would: a claim of a class with a provisioner is provisioned (at once for Immediate
binding, once its first pod is scheduled for WaitForFirstConsumer); one without a class, or of a
class nothing provisions, stays Pending (the simulator has no pre-created PersistentVolumes).
A part of `SimCluster`; uses the `Timeline` and the `KubeletWorld` (each pod model's world) it is given.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from podmortem.sim.cluster.nodes import parse_pressure
from podmortem.sim.cluster.scheduler import NO_PROVISIONER, check_claims, filter_node, fit_error, pod_request
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.cluster.world import KubeletWorld
from podmortem.sim.kubelet import NodeSim, PodSim
from podmortem.sim.profile import CSI_DRIVERS, MEMORY_PRESSURE
from podmortem.sim.timefmt import rfc3339

FLUSH_UNSCHEDULABLE = 300.0  # podMaxInUnschedulablePodsDuration
PV_CONTROLLER = "persistentvolume-controller"


class Placement:
    """Node registration, scheduling, claim binding and the creation of pod models."""

    def __init__(self, state: ClusterState, timeline: Timeline, world: KubeletWorld) -> None:
        self.state = state
        self.timeline = timeline
        self.world = world
        timeline.capacity_listeners.append(self.retry_unscheduled)

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
        self.state.node_names = []
        self.timeline.cluster_changed(t)

    # --- the scheduler ---------------------------------------------------------------------------------

    def _claim(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.state.store.get("persistentvolumeclaims", namespace, name)

    def _storage_class(self, name: str) -> Mapping[str, Any] | None:
        return self.state.store.get("storageclasses", "", name)

    def schedule(self, obj: Mapping[str, Any]) -> tuple[NodeSim | None, str | None, list[str]]:
        """(node, None, claims to provision) or (None, the FailedScheduling message, [])."""
        spec = obj.get("spec") or {}
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        if spec.get("nodeName"):
            return self.state.nodes.get(str(spec["nodeName"])), None, []  # bound by its creator: no scheduler involved
        if not self.state.nodes:
            return None, "no nodes available to schedule pods", []
        claims = check_claims(namespace, spec, self._claim, self._storage_class)
        preempt = spec.get("preemptionPolicy") != "Never"
        total = len(self.state.nodes)
        if claims.prefilter:
            return None, fit_error(total, claims.prefilter, [], preempt), []
        request = pod_request(spec)
        names = self._node_order()
        start = self.state.sched_counter % len(names)
        verdicts = []
        # Like the scheduler's round-robin start over the node list: the first node that fits is taken;
        # only an unschedulable pod needs every node's verdict, for the message.
        for offset, name in enumerate(names[start:] + names[:start]):
            node_obj = self.state.store.get("nodes", "", name)
            if node_obj is None or name not in self.state.nodes:
                continue
            verdict = filter_node(spec, node_obj, request, self.state.ledger.requested.get(name) or _NONE,
                                  self.state.ledger.pods.get(name, 0), claims.node_reason)
            if verdict is None:
                self.state.sched_counter = start + offset + 1  # the next pod starts after this node: even spread
                return self.state.nodes[name], None, claims.to_provision
            verdicts.append(verdict)
        return None, fit_error(total, None, verdicts, preempt), []

    def _node_order(self) -> list[str]:
        if len(self.state.node_names) != len(self.state.nodes):  # emptied whenever a node joins or leaves
            self.state.node_names = sorted(self.state.nodes)
        return self.state.node_names

    def create_pod(self, obj: dict[str, Any], t: float) -> dict[str, Any]:
        spec = obj["spec"]
        node, why, provision = self.schedule(obj)
        if node is not None:
            spec["nodeName"] = node.name
        stored = self.state.store.put("pods", obj)
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        sim = PodSim(stored, self.world, node, t, self.state.settings, sim_annotations=self.state.hidden.of(str(obj["metadata"]["uid"])))
        self.state.pods[key] = sim
        if node is not None:
            self.state.ledger.bind(key, node.name, spec)
            self._provision(key[0], provision, node.name, t)
        else:
            sim.unschedulable = why
            self._pending(key, t)
        self.timeline.queue_pod(key)
        return stored

    def _pending(self, key: tuple[str, str], t: float) -> None:
        self.state.unscheduled[key] = t
        self.timeline.at(t + FLUSH_UNSCHEDULABLE, functools.partial(self._flush_unschedulable, key, t))

    def _flush_unschedulable(self, key: tuple[str, str], attempted: float, t: float) -> None:
        if self.state.unscheduled.get(key) == attempted:  # no attempt since: the five-minute flush
            self._attempt(key, t)

    def retry_unscheduled(self, t: float) -> None:
        for key in sorted(self.state.unscheduled):
            self._attempt(key, t)

    def _attempt(self, key: tuple[str, str], t: float) -> None:
        sim = self.state.pods.get(key)
        stored = self.state.store.get("pods", key[0], key[1])
        if sim is None or stored is None or stored["metadata"].get("deletionTimestamp"):
            self.state.unscheduled.pop(key, None)
            return
        node, why, provision = self.schedule(stored)
        if node is None:
            sim.still_unschedulable(why or "", t)
            self._pending(key, t)
        else:
            self.state.unscheduled.pop(key, None)
            bound = self.state.store.put("pods", {**stored, "spec": {**stored["spec"], "nodeName": node.name}})
            sim.meta = bound["metadata"]
            sim.spec["nodeName"] = node.name
            self.state.ledger.bind(key, node.name, bound["spec"])
            sim.bind(node, t)
            self._provision(key[0], provision, node.name, t)
        self.state.dirty.add(key)
        self.timeline.queue_pod(key)

    # --- claims: the PersistentVolume controller and a provisioner ---------------------------------------

    def claim_created(self, pvc: Mapping[str, Any], t: float) -> None:
        self.timeline.cluster_changed(t)  # a pod waiting for this claim gets another attempt
        spec = pvc.get("spec") or {}
        class_name = spec.get("storageClassName") or ""
        if not class_name:
            self._claim_event(pvc, t, "Normal", "FailedBinding",
                              "no persistent volumes available for this claim and no storage class is set")
            return
        sc = self._storage_class(str(class_name))
        if sc is None:
            self._claim_event(pvc, t, "Warning", "ProvisioningFailed",
                              f'storageclass.storage.k8s.io "{class_name}" not found')
            return
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer":
            self._claim_event(pvc, t, "Normal", "WaitForFirstConsumer",
                              "waiting for first consumer to be created before binding")
        elif sc.get("provisioner") != NO_PROVISIONER:
            ns, name = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
            self.timeline.at(t + 1.0, functools.partial(self._bind_claim, ns, name, None))

    def _provision(self, namespace: str, claims: list[str], node: str, t: float) -> None:
        for name in claims:
            self.timeline.at(t + 0.5, functools.partial(self._bind_claim, namespace, name, node))

    def _bind_claim(self, namespace: str, name: str, node: str | None, t: float) -> None:
        """A provisioner created a volume for the claim and the PV controller bound them."""
        pvc = self.state.store.get("persistentvolumeclaims", namespace, name)
        if pvc is None or (pvc.get("spec") or {}).get("volumeName"):
            return
        spec = pvc.get("spec") or {}
        sc = self._storage_class(str(spec.get("storageClassName") or "")) or {}
        provisioner = str(sc.get("provisioner") or "")
        size = str(((spec.get("resources") or {}).get("requests") or {}).get("storage") or "1Gi")
        volume = f"pvc-{pvc['metadata']['uid']}"
        modes = list(spec.get("accessModes") or ["ReadWriteOnce"])
        self._claim_event(pvc, t, "Normal", "ExternalProvisioning",
                          f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or "
                          "manually by the system administrator. If volume creation is delayed, please verify that "
                          "the provisioner is running and correctly registered.")
        self._claim_event(pvc, t, "Normal", "Provisioning",
                          f'External provisioner is provisioning volume for claim "{namespace}/{name}"',
                          component=provisioner)
        self._claim_event(pvc, t, "Normal", "ProvisioningSucceeded",
                          f"Successfully provisioned volume {volume}", component=provisioner)
        pv: dict[str, Any] = {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": volume, "annotations": {"pv.kubernetes.io/provisioned-by": provisioner}},
            "spec": {"capacity": {"storage": size}, "accessModes": modes,
                     "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                     "storageClassName": spec.get("storageClassName"), "volumeMode": spec.get("volumeMode", "Filesystem"),
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": namespace,
                                  "name": name, "uid": pvc["metadata"]["uid"],
                                  "resourceVersion": pvc["metadata"].get("resourceVersion", "")}},
            "status": {"phase": "Bound", "lastPhaseTransitionTime": rfc3339(t)},
        }
        if node:
            pv["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
        self.state.store.put("persistentvolumes", {**pv, "metadata": {
            **pv["metadata"], "uid": str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4)),
            "creationTimestamp": rfc3339(t)}})
        annotations = {**(pvc["metadata"].get("annotations") or {}), "pv.kubernetes.io/bind-completed": "yes",
                       "pv.kubernetes.io/bound-by-controller": "yes",
                       "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                       "volume.kubernetes.io/storage-provisioner": provisioner}
        if node:
            annotations["volume.kubernetes.io/selected-node"] = node
        self.state.store.put("persistentvolumeclaims", {
            **pvc, "metadata": {**pvc["metadata"], "annotations": annotations,
                                "finalizers": ["kubernetes.io/pvc-protection"]},
            "spec": {**spec, "volumeName": volume},
            "status": {"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}}})
        self.timeline.cluster_changed(t)

    def _claim_event(self, pvc: Mapping[str, Any], t: float, type_: str, reason: str, message: str,
                     component: str = PV_CONTROLLER) -> None:
        m = pvc["metadata"]
        ref = {"kind": "PersistentVolumeClaim", "namespace": m.get("namespace"), "name": m["name"], "uid": m["uid"],
               "apiVersion": "v1", "resourceVersion": m.get("resourceVersion", "")}
        self.state.recorder.emit(t, ref, type_, reason, message, component, None)


_NONE = pod_request({})
