"""The server-side Table (meta.k8s.io/v1) that `kubectl get` asks for, per resource.

Columns, priorities and cell rules follow the API server's printers (kubernetes-facts.md 4.1-4.5,
`pkg/printers/internalversion/printers.go`). The pod READY/STATUS/RESTARTS/AGE cells come from the
simulator's own sim.podcolumns, not from podmortem.podstatus, so the simulator can check the
diagnosis engine's STATUS instead of echoing it; the server computes every column and kubectl hides
priority-1 columns unless `-o wide`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from podmortem.kube.times import rfc3339_seconds
from podmortem.sim.podcolumns import age, human_duration, pod_columns
from podmortem.sim.selectors import selector_string

Obj = Mapping[str, Any]
Column = tuple[str, str, int, str]  # name, type, priority, description

NAME_DESC = "Name must be unique within a namespace. Cannot be updated."
AGE_DESC = "CreationTimestamp is a timestamp representing the server time when this object was created."


def _age(ts: Any, now: float) -> str:
    return age(ts, now)


def _containers(spec: Obj) -> tuple[str, str]:
    cs = spec.get("containers") or []
    return ",".join(str(c.get("name")) for c in cs), ",".join(str(c.get("image")) for c in cs)


def _template_spec(obj: Obj) -> Obj:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


# --- pods ----------------------------------------------------------------------------------------

POD_COLUMNS: list[Column] = [
    ("Name", "string", 0, NAME_DESC),
    ("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
    ("Status", "string", 0, "The aggregate status of the containers in this pod."),
    ("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the "
                              "last container in this pod has restarted."),
    ("Age", "string", 0, AGE_DESC),
    ("IP", "string", 1, "podIP is an IP address allocated to the pod. Routable at least within the cluster."),
    ("Node", "string", 1, "NodeName indicates in which node this pod is scheduled."),
    ("Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
    ("Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness."),
]


def pod_cells(pod: Obj, now: float) -> tuple[list[Any], list[dict[str, Any]] | None]:
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    ready, reason, restarts, pod_age = pod_columns(pod, now)
    ips = [p.get("ip") for p in status.get("podIPs") or [] if p.get("ip")] or ([status["podIP"]] if status.get("podIP") else [])
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if gates:
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        gate_text = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    else:
        gate_text = "<none>"
    cells = [
        meta.get("name"), ready, reason, restarts, pod_age,
        ips[0] if ips else "<none>", (pod.get("spec") or {}).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>", gate_text,
    ]
    conditions = None
    if status.get("phase") == "Succeeded":
        conditions = [{"type": "Completed", "status": "True", "reason": "Succeeded",
                       "message": "The pod has completed successfully."}]
    elif status.get("phase") == "Failed":
        conditions = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return cells, conditions


# --- events --------------------------------------------------------------------------------------

EVENT_COLUMNS: list[Column] = [
    ("Last Seen", "string", 0, "The time the event was last seen"),
    ("Type", "string", 0, "Type of this event (Normal, Warning), new types could be added in the future."),
    ("Reason", "string", 0, "The reason this event was generated."),
    ("Object", "string", 0, "The object this Event is about."),
    ("Subobject", "string", 1, "The subobject this Event is about."),
    ("Source", "string", 1, "The component reporting this event."),
    ("Message", "string", 0, "A human-readable description of the status of this operation."),
    ("First Seen", "string", 1, "The time the event was first seen"),
    ("Count", "string", 1, "The number of times this event has occurred."),
    ("Name", "string", 1, NAME_DESC),
]


def _event_cells(e: Obj, now: float) -> list[Any]:
    first = _age(e.get("firstTimestamp"), now) if e.get("firstTimestamp") else _age(e.get("eventTime"), now)
    last = _age(e.get("lastTimestamp"), now) if e.get("lastTimestamp") else first
    count = e.get("count") or 1
    series = e.get("series")
    if series:
        last = _age(series.get("lastObservedTime"), now)
        count = series.get("count") or count
    io = e.get("involvedObject") or {}
    target = f"{str(io.get('kind') or '').lower()}/{io.get('name')}" if io.get("name") else str(io.get("kind") or "").lower()
    src = e.get("source") or {}
    component = src.get("component") or e.get("reportingComponent") or ""
    host = src.get("host") or ""
    source = f"{component}, {host}" if host else component
    return [last, e.get("type"), e.get("reason"), target, io.get("fieldPath") or "", source,
            str(e.get("message") or "").strip(), first, int(count), (e.get("metadata") or {}).get("name")]


# --- workloads and the rest ------------------------------------------------------------------------

def _deployment_cells(d: Obj, now: float) -> list[Any]:
    spec, st = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers(_template_spec(d))
    return [d["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            int(st.get("updatedReplicas", 0)), int(st.get("availableReplicas", 0)),
            _age(d["metadata"].get("creationTimestamp"), now), names, images, selector_string(spec.get("selector"))]


def _replicaset_cells(r: Obj, now: float) -> list[Any]:
    spec, st = r.get("spec") or {}, r.get("status") or {}
    names, images = _containers(_template_spec(r))
    return [r["metadata"]["name"], int(spec.get("replicas", 1)), int(st.get("replicas", 0)),
            int(st.get("readyReplicas", 0)), _age(r["metadata"].get("creationTimestamp"), now), names, images,
            selector_string(spec.get("selector"))]


def _statefulset_cells(s: Obj, now: float) -> list[Any]:
    spec, st = s.get("spec") or {}, s.get("status") or {}
    names, images = _containers(_template_spec(s))
    return [s["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            _age(s["metadata"].get("creationTimestamp"), now), names, images]


def _job_cells(j: Obj, now: float) -> list[Any]:
    spec, st = j.get("spec") or {}, j.get("status") or {}
    conds = {c.get("type") for c in st.get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in conds:
        status = "Complete"
    elif "Failed" in conds:
        status = "Failed"
    elif j["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    elif "Suspended" in conds:
        status = "Suspended"
    elif "FailureTarget" in conds:
        status = "FailureTarget"
    elif "SuccessCriteriaMet" in conds:
        status = "SuccessCriteriaMet"
    else:
        status = "Running"
    completions = f"{st.get('succeeded', 0)}/{spec.get('completions', 1)}"
    start = rfc3339_seconds(str(st.get("startTime") or "")) if st.get("startTime") else None
    end = rfc3339_seconds(str(st.get("completionTime") or "")) if st.get("completionTime") else None
    duration = human_duration((end or now) - start) if start is not None else ""
    names, images = _containers(_template_spec(j))
    return [j["metadata"]["name"], status, completions, duration, _age(j["metadata"].get("creationTimestamp"), now),
            names, images, selector_string(spec.get("selector"))]


def _node_cells(n: Obj, now: float) -> list[Any]:
    st = n.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = {"True": "Ready", "False": "NotReady"}.get(str(conds.get("Ready")), "Unknown")
    if (n.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (n["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    info = st.get("nodeInfo") or {}
    addrs = {a.get("type"): a.get("address") for a in st.get("addresses") or []}
    return [n["metadata"]["name"], status, ",".join(roles) or "<none>", _age(n["metadata"].get("creationTimestamp"), now),
            info.get("kubeletVersion", ""), addrs.get("InternalIP", "<none>"), addrs.get("ExternalIP", "<none>"),
            info.get("osImage", "<unknown>"), info.get("kernelVersion", "<unknown>"),
            info.get("containerRuntimeVersion", "<unknown>")]


def _service_cells(s: Obj, now: float) -> list[Any]:
    spec = s.get("spec") or {}
    ports = []
    for p in spec.get("ports") or []:
        text = f"{p.get('port')}"
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        ports.append(f"{text}/{p.get('protocol', 'TCP')}")
    external = ",".join(spec.get("externalIPs") or []) or "<none>"
    sel = spec.get("selector")
    return [s["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external,
            ",".join(ports) or "<none>", _age(s["metadata"].get("creationTimestamp"), now),
            ",".join(f"{k}={v}" for k, v in sorted(sel.items())) if sel else "<none>"]


def _simple(*getters: Callable[[Obj], Any]) -> Callable[[Obj, float], list[Any]]:
    def cells(o: Obj, now: float) -> list[Any]:
        return [o["metadata"]["name"], *(g(o) for g in getters), _age(o["metadata"].get("creationTimestamp"), now)]

    return cells


def _data_count(o: Obj) -> int:
    return len(o.get("data") or {}) + len(o.get("binaryData") or {})


TABLES: dict[str, tuple[list[Column], Callable[[Obj, float], list[Any]]]] = {
    "pods": (POD_COLUMNS, lambda o, now: pod_cells(o, now)[0]),
    "events": (EVENT_COLUMNS, _event_cells),
    "deployments": ([("Name", "string", 0, NAME_DESC), ("Ready", "string", 0, "Number of the pod with ready state"),
                     ("Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that "
                                                 "have the desired template spec."),
                     ("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) "
                                                "targeted by this deployment."),
                     ("Age", "string", 0, AGE_DESC), ("Containers", "string", 1, "Names of each container in the template."),
                     ("Images", "string", 1, "Images referenced by each container in the template."),
                     ("Selector", "string", 1, "Label selector for pods.")], _deployment_cells),
    "replicasets": ([("Name", "string", 0, NAME_DESC), ("Desired", "integer", 0, "Replicas is the number of desired replicas."),
                     ("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
                     ("Ready", "integer", 0, "readyReplicas is the number of pods targeted by this ReplicaSet with a "
                                             "Ready Condition."),
                     ("Age", "string", 0, AGE_DESC), ("Containers", "string", 1, "Names of each container in the template."),
                     ("Images", "string", 1, "Images referenced by each container in the template."),
                     ("Selector", "string", 1, "Selector is a label query over pods.")], _replicaset_cells),
    "statefulsets": ([("Name", "string", 0, NAME_DESC), ("Ready", "string", 0, "Number of the pod with ready state"),
                      ("Age", "string", 0, AGE_DESC), ("Containers", "string", 1, "Names of each container in the template."),
                      ("Images", "string", 1, "Images referenced by each container in the template.")], _statefulset_cells),
    "jobs": ([("Name", "string", 0, NAME_DESC), ("Status", "string", 0, "Status of the job."),
              ("Completions", "string", 0, "The completion status of the job"),
              ("Duration", "string", 0, "Time required to complete the job."), ("Age", "string", 0, AGE_DESC),
              ("Containers", "string", 1, "Names of each container in the template."),
              ("Images", "string", 1, "Images referenced by each container in the template."),
              ("Selector", "string", 1, "A label query over pods that should match the pod count.")], _job_cells),
    "nodes": ([("Name", "string", 0, NAME_DESC), ("Status", "string", 0, "The status of the node"),
               ("Roles", "string", 0, "The roles of the node"), ("Age", "string", 0, AGE_DESC),
               ("Version", "string", 0, "Kubelet Version reported by the node."),
               ("Internal-IP", "string", 1, "List of internal IPs."), ("External-IP", "string", 1, "List of external IPs."),
               ("OS-Image", "string", 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
                                         "(wheezy))."),
               ("Kernel-Version", "string", 1, "Kernel Version reported by the node from 'uname -r'."),
               ("Container-Runtime", "string", 1, "ContainerRuntime Version reported by the node through runtime remote "
                                                  "API (e.g. containerd://1.4.2).")], _node_cells),
    "services": ([("Name", "string", 0, NAME_DESC), ("Type", "string", 0, "type determines how the Service is exposed."),
                  ("Cluster-IP", "string", 0, "clusterIP is the IP address of the service."),
                  ("External-IP", "string", 0, "externalIPs is a list of IP addresses for which nodes in the cluster will "
                                               "also accept traffic for this service."),
                  ("Port(s)", "string", 0, "The list of ports that are exposed by this service."),
                  ("Age", "string", 0, AGE_DESC),
                  ("Selector", "string", 1, "Route service traffic to pods with label keys and values matching this "
                                            "selector.")], _service_cells),
    "configmaps": ([("Name", "string", 0, NAME_DESC), ("Data", "integer", 0, "Data contains the configuration data."),
                    ("Age", "string", 0, AGE_DESC)], _simple(_data_count)),
    "secrets": ([("Name", "string", 0, NAME_DESC), ("Type", "string", 0, "The type of the secret"),
                 ("Data", "integer", 0, "The number of entries in the secret's data."), ("Age", "string", 0, AGE_DESC)],
                _simple(lambda o: o.get("type", "Opaque"), _data_count)),
    "namespaces": ([("Name", "string", 0, NAME_DESC), ("Status", "string", 0, "The status of the namespace"),
                    ("Age", "string", 0, AGE_DESC)], _simple(lambda o: (o.get("status") or {}).get("phase", "Active"))),
    "serviceaccounts": ([("Name", "string", 0, NAME_DESC), ("Secrets", "string", 0, "Secrets is a list of the secrets "
                                                                                     "in the same namespace."),
                         ("Age", "string", 0, AGE_DESC)], _simple(lambda o: len(o.get("secrets") or []))),
}

_ACCESS = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def _access_modes(o: Obj) -> str:
    modes = (o.get("status") or {}).get("accessModes") or []
    return ",".join(_ACCESS.get(m, m) for m in modes)


# kubectl's PersistentVolumeClaim columns (pkg/printers/internalversion/printers.go v1.32).
TABLES["persistentvolumeclaims"] = (
    [("Name", "string", 0, NAME_DESC), ("Status", "string", 0, "The status of the persistent volume claim"),
     ("Volume", "string", 0, "The volume bound to the claim"), ("Capacity", "string", 0, "The capacity of the volume"),
     ("Access Modes", "string", 0, "The access modes of the volume"),
     ("StorageClass", "string", 0, "The storage class of the claim"),
     ("VolumeAttributesClass", "string", 0, "The volume attributes class of the claim"), ("Age", "string", 0, AGE_DESC),
     ("VolumeMode", "string", 1, "The volume mode of the claim")],
    lambda o, now: [o["metadata"]["name"], (o.get("status") or {}).get("phase", "Pending"),
                    (o.get("spec") or {}).get("volumeName", ""),
                    ((o.get("status") or {}).get("capacity") or {}).get("storage", ""), _access_modes(o),
                    (o.get("spec") or {}).get("storageClassName") or "", "<unset>",
                    _age(o["metadata"].get("creationTimestamp"), now),
                    (o.get("spec") or {}).get("volumeMode", "Filesystem")])

def _storage_class_cells(o: Obj, now: float) -> list[Any]:
    name = o["metadata"]["name"]
    if (o["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [name, o.get("provisioner", ""), o.get("reclaimPolicy", "Delete"), o.get("volumeBindingMode", "Immediate"),
            str(bool(o.get("allowVolumeExpansion"))).lower(), _age(o["metadata"].get("creationTimestamp"), now)]


def _volume_cells(o: Obj, now: float) -> list[Any]:
    spec = o.get("spec") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref else ""
    modes = ",".join(_ACCESS.get(m, m) for m in spec.get("accessModes") or [])
    return [o["metadata"]["name"], (spec.get("capacity") or {}).get("storage", ""), modes,
            spec.get("persistentVolumeReclaimPolicy", "Retain"), (o.get("status") or {}).get("phase", "Pending"), claim,
            spec.get("storageClassName") or "", "<unset>", (o.get("status") or {}).get("reason", ""),
            _age(o["metadata"].get("creationTimestamp"), now), spec.get("volumeMode", "Filesystem")]


# kubectl's StorageClass and PersistentVolume columns (pkg/printers/internalversion/printers.go v1.32).
TABLES["storageclasses"] = (
    [("Name", "string", 0, NAME_DESC), ("Provisioner", "string", 0, "Indicates the type of the provisioner."),
     ("ReclaimPolicy", "string", 0, "Indicates the type of the reclaim policy."),
     ("VolumeBindingMode", "string", 0, "Indicates the mode of the volume binding."),
     ("AllowVolumeExpansion", "string", 0, "Indicates whether the storage class allow volume expand."),
     ("Age", "string", 0, AGE_DESC)], _storage_class_cells)
TABLES["persistentvolumes"] = (
    [("Name", "string", 0, NAME_DESC), ("Capacity", "string", 0, "The capacity of the volume"),
     ("Access Modes", "string", 0, "The access modes of the volume"),
     ("Reclaim Policy", "string", 0, "What happens to a persistent volume when released from its claim."),
     ("Status", "string", 0, "The status of the persistent volume"),
     ("Claim", "string", 0, "The claim bound to the volume"), ("StorageClass", "string", 0, "The storage class"),
     ("VolumeAttributesClass", "string", 0, "The volume attributes class"),
     ("Reason", "string", 0, "The reason the volume is in this phase"), ("Age", "string", 0, AGE_DESC),
     ("VolumeMode", "string", 1, "The volume mode of the volume")], _volume_cells)

_GENERIC: tuple[list[Column], Callable[[Obj, float], list[Any]]] = (
    [("Name", "string", 0, NAME_DESC), ("Age", "string", 0, AGE_DESC)], _simple())


def column_definitions(resource: str) -> list[dict[str, Any]]:
    columns, _ = TABLES.get(resource, _GENERIC)
    return [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": d, "priority": p}
            for n, t, p, d in columns]


def rows(resource: str, objects: Iterable[Obj], now: float, include: str = "Metadata") -> list[dict[str, Any]]:
    _, cells_of = TABLES.get(resource, _GENERIC)
    out = []
    for o in objects:
        row: dict[str, Any]
        if resource == "pods":
            cells, conditions = pod_cells(o, now)
            row = {"cells": cells}
            if conditions:
                row["conditions"] = conditions
        else:
            row = {"cells": cells_of(o, now)}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata")}
        out.append(row)
    return out


def table(resource: str, objects: Iterable[Obj], now: float, meta: Mapping[str, Any], include: str = "Metadata",
          headers: bool = True) -> dict[str, Any]:
    t: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": dict(meta)}
    t["columnDefinitions"] = column_definitions(resource) if headers else None
    t["rows"] = rows(resource, objects, now, include)
    return t
