"""The API server's defaulting of new objects: containers, pod specs (service account token volume), nodes.

Pure functions that fill in a manifest in place. Imports only `options` from the cluster package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from podmortem.sim.cluster.options import KUBE_VERSION
from podmortem.sim.kubelet import image_pull_policy
from podmortem.sim.profile import MEMORY_PRESSURE


def _token_volume_name(seed: str) -> str:
    h = hashlib.sha1(seed.encode()).digest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "kube-api-access-" + "".join(alphabet[b % len(alphabet)] for b in h[:5])


def _default_container(c: dict[str, Any]) -> None:
    image = str(c.get("image") or "")
    c.setdefault("imagePullPolicy", image_pull_policy(image, None))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(key)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("path", "/")
                probe["httpGet"].setdefault("scheme", "HTTP")


def default_pod_spec(spec: dict[str, Any], template: bool = False) -> None:
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if template:
        return
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    if spec.get("automountServiceAccountToken") is False:
        return
    volumes = spec.setdefault("volumes", [])
    if any(str(v.get("name", "")).startswith("kube-api-access-") for v in volumes):
        return
    vname = _token_volume_name(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS).decode())
    volumes.append({"name": vname, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "metadata.namespace"}}]}}]}})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            c.setdefault("volumeMounts", []).append({"name": vname, "readOnly": True,
                                                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})


def default_node(obj: dict[str, Any], index: int, sim_annotations: Mapping[str, str] | None = None) -> None:
    meta = obj["metadata"]
    name = meta["name"]
    labels = meta.setdefault("labels", {})
    for k, v in (("beta.kubernetes.io/arch", "amd64"), ("beta.kubernetes.io/os", "linux"),
                 ("kubernetes.io/arch", "amd64"), ("kubernetes.io/hostname", name), ("kubernetes.io/os", "linux")):
        labels.setdefault(k, v)
    meta.setdefault("annotations", {}).update({"node.alpha.kubernetes.io/ttl": "0",
                                               "volumes.kubernetes.io/controller-managed-attach-detach": "true"})
    spec = obj.setdefault("spec", {})
    spec.setdefault("podCIDR", f"10.244.{index + 1}.0/24")
    spec.setdefault("podCIDRs", [spec["podCIDR"]])
    spec.setdefault("providerID", f"kind://docker/sim/{name}")
    pressure = (sim_annotations or {}).get(MEMORY_PRESSURE)
    if pressure:
        taints = spec.setdefault("taints", [])
        if not any(t.get("key") == "node.kubernetes.io/memory-pressure" for t in taints):
            taints.append({"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule",
                           "timeAdded": meta.get("creationTimestamp")})
    status = obj.setdefault("status", {})
    ts = meta.get("creationTimestamp")
    ip = f"172.18.0.{index + 2}"
    status.setdefault("addresses", [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}])
    cap = {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
           "memory": "16374584Ki", "pods": "110"}
    status.setdefault("capacity", cap)
    status.setdefault("allocatable", dict(cap))
    mem = ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available") if pressure else \
        ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")
    status.setdefault("conditions", [
        {"type": "MemoryPressure", "status": mem[0], "reason": mem[1], "message": mem[2],
         "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
         "message": "kubelet has no disk pressure", "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
         "message": "kubelet has sufficient PID available", "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
         "lastHeartbeatTime": ts, "lastTransitionTime": ts},
    ])
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    h = hashlib.md5(name.encode()).hexdigest()
    status.setdefault("nodeInfo", {
        "machineID": h, "systemUUID": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        "bootID": hashlib.md5((name + "boot").encode()).hexdigest(),
        "kernelVersion": "6.8.0-1021-azure", "osImage": "Debian GNU/Linux 12 (bookworm)",
        "containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": KUBE_VERSION,
        "kubeProxyVersion": KUBE_VERSION, "operatingSystem": "linux", "architecture": "amd64"})
