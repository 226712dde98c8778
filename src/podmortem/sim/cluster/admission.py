"""Validation and defaulting of objects on create and update, as the API server does them.

A part of `SimCluster` that needs only the cluster's state.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from podmortem.errors import InputError
from podmortem.sim.cluster.defaults import default_node, default_pod_spec
from podmortem.sim.cluster.errors import ApiError
from podmortem.sim.cluster.options import WORKLOADS
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.profile import profiles_of
from podmortem.sim.resources import ResourceType

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


class Admission:
    """Required fields, profile annotations and defaults."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state

    def validate(self, rt: ResourceType, obj: dict[str, Any], sim_meta: Mapping[str, str] | None = None,
                  sim_template: Mapping[str, str] | None = None) -> None:
        """Required fields, and the profiles among the simulator's annotations (taken off the object)."""
        where = f'{rt.kind} "{obj["metadata"]["name"]}"'
        causes: list[tuple[str, str]] = []
        pod_spec: Mapping[str, Any] | None = None
        prefix = "spec"
        if rt.plural == "pods":
            pod_spec = obj.get("spec") or {}
        elif rt.plural in WORKLOADS:
            pod_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
            prefix = "spec.template.spec"
            sel = (obj.get("spec") or {}).get("selector")
            if rt.plural != "jobs" and not sel:
                causes.append(("spec.selector", "Required value"))
        if pod_spec is not None:
            containers = pod_spec.get("containers") or []
            if not containers:
                causes.append((f"{prefix}.containers", "Required value"))
            for key in ("initContainers", "containers"):
                for i, c in enumerate(pod_spec.get(key) or []):
                    if not c.get("name"):
                        causes.append((f"{prefix}.{key}[{i}].name", "Required value"))
                    if not c.get("image"):
                        causes.append((f"{prefix}.{key}[{i}].image", "Required value"))
            hidden = (sim_meta if rt.plural == "pods" else sim_template) or {}
            try:
                profiles_of({"annotations": hidden}, where)
            except InputError as exc:
                causes.append(("metadata.annotations", f"Invalid value: {exc.message}"))
        if causes:
            msg = f"{where} is invalid: " + ", ".join(f"{f}: {m}" for f, m in causes)
            raise ApiError(422, "Invalid", msg, {"name": obj["metadata"]["name"], "group": rt.group, "kind": rt.kind,
                                                 "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f}
                                                            for f, m in causes]})

    def default_update(self, rt: ResourceType, new: dict[str, Any], current: Mapping[str, Any], t: float) -> None:
        """Defaulting on an update: the apiserver defaults every object it decodes, not only new ones.

        A replace that leaves out a Deployment's strategy, revisionHistoryLimit or progressDeadlineSeconds,
        or a template's restartPolicy, gets the defaults back; what the server allocated or made immutable
        (a Service's clusterIP, a claim's class, the status) stays the current object's.
        """
        p = rt.plural
        if p in WORKLOADS or p == "cronjobs":
            self.default(rt, new, t)
        elif p == "pods":
            default_pod_spec(new.setdefault("spec", {}))
        elif p == "services":
            spec = new.setdefault("spec", {})
            cur = current.get("spec") or {}
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            for key in ("clusterIP", "clusterIPs"):
                if key in cur:
                    spec[key] = cur[key]
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
        elif p == "persistentvolumeclaims":
            spec = new.setdefault("spec", {})
            spec.setdefault("volumeMode", "Filesystem")
            cur = current.get("spec") or {}
            for key in ("storageClassName", "volumeName"):
                if key in cur:
                    spec.setdefault(key, cur[key])
        if "status" in current:
            new["status"] = current["status"]

    def default(self, rt: ResourceType, obj: dict[str, Any], t: float,
                 sim_meta: Mapping[str, str] | None = None) -> None:
        p = rt.plural
        if p == "pods":
            default_pod_spec(obj.setdefault("spec", {}))
            obj["status"] = {"phase": "Pending"}
        elif p in WORKLOADS:
            spec = obj.setdefault("spec", {})
            tmpl = spec.setdefault("template", {})
            default_pod_spec(tmpl.setdefault("spec", {}), template=True)
            tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
            if p in ("deployments", "replicasets", "statefulsets"):
                spec.setdefault("replicas", 1)
                spec.setdefault("revisionHistoryLimit", 10)
            if p == "deployments":
                spec.setdefault("strategy", {"type": "RollingUpdate",
                                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
                spec.setdefault("progressDeadlineSeconds", 600)
            if p == "statefulsets":
                spec.setdefault("podManagementPolicy", "OrderedReady")
                spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
                spec.setdefault("serviceName", "")
            if p == "jobs":
                spec.setdefault("backoffLimit", 6)
                spec.setdefault("completions", 1)
                spec.setdefault("parallelism", 1)
                spec.setdefault("completionMode", "NonIndexed")
                spec.setdefault("suspend", False)
                uid = obj["metadata"]["uid"]
                labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                          "controller-uid": uid, "job-name": obj["metadata"]["name"]}
                spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
                tmpl["metadata"]["labels"] = {**labels, **(tmpl["metadata"].get("labels") or {})}
            obj.setdefault("status", {})
        elif p == "persistentvolumeclaims":
            spec = obj.setdefault("spec", {})
            spec.setdefault("volumeMode", "Filesystem")
            if "storageClassName" not in spec:  # the DefaultStorageClass admission plugin; "" stays ""
                default = next((sc["metadata"]["name"] for sc in self.state.store.items("storageclasses")
                                if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"), None)
                if default:
                    spec["storageClassName"] = default
            obj["status"] = {"phase": "Pending"}  # bound later (placement.py), if something provisions it
        elif p == "cronjobs":
            spec = obj.setdefault("spec", {})
            spec.setdefault("concurrencyPolicy", "Allow")
            spec.setdefault("suspend", False)
            spec.setdefault("successfulJobsHistoryLimit", 3)
            spec.setdefault("failedJobsHistoryLimit", 1)
            job_spec = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
            job_spec.setdefault("backoffLimit", 6)
            default_pod_spec(job_spec.setdefault("template", {}).setdefault("spec", {}), template=True)
            obj.setdefault("status", {})
        elif p == "services":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if spec.get("clusterIP") not in ("None",):
                n = next(self.state.service_ips)
                spec["clusterIP"] = spec.get("clusterIP") or f"10.96.{(n // 250) % 250}.{n % 250 + 1}"
            spec["clusterIPs"] = [spec["clusterIP"]]
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            obj.setdefault("status", {"loadBalancer": {}})
        elif p == "secrets":
            obj["type"] = obj.get("type") or "Opaque"
            string = obj.pop("stringData", None) or {}
            data = dict(obj.get("data") or {})
            for k, v in string.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            if data:
                obj["data"] = data
        elif p == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        elif p == "nodes":
            default_node(obj, len(self.state.nodes), sim_meta)
        elif p == "serviceaccounts":
            pass
