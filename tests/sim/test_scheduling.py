"""The scheduler (issue 16 item 3): resource fit, taints, node selectors and claims, driven by the real kubectl.

The expected texts are kube-scheduler v1.32's FitError format (cluster/scheduler.py cites the files).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from podmortem.sim import SimCluster

from .conftest import Kubectl

Make = Callable[..., SimCluster]
NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n"
CONTROL_PLANE = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


@pytest.fixture()
def lab(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> tuple[SimCluster, Kubectl]:
    cluster = make_cluster(NS, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    return cluster, kc


def pod(name: str, memory: str | None = None, node: str | None = None, claim: str | None = None) -> str:
    resources = f"resources: {{requests: {{memory: {memory}}}}}" if memory else "resources: {}"
    selector = f"  nodeSelector: {{kubernetes.io/hostname: {node}}}\n" if node else ""
    volumes = (f"  volumes: [{{name: data, persistentVolumeClaim: {{claimName: {claim}}}}}]\n" if claim else "")
    mounts = ", volumeMounts: [{name: data, mountPath: /data}]" if claim else ""
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{selector}{volumes}"
            f"  containers: [{{name: c, image: busybox:1.36, command: [sleep, '86400'], {resources}{mounts}}}]\n")


def apply(kc: Kubectl, tmp_path: Path, text: str) -> None:
    f = tmp_path / "obj.yaml"
    f.write_text(text)
    kc.run("apply", "-f", str(f))


def scheduled(kc: Kubectl, name: str) -> dict[str, str]:
    obj = json.loads(kc.out("get", "pod", name, "-o", "json"))
    cond = next(c for c in obj["status"]["conditions"] if c["type"] == "PodScheduled")
    return {"status": cond["status"], "message": cond.get("message", ""), "node": obj["spec"].get("nodeName", ""),
            "phase": obj["status"]["phase"]}


def failed_scheduling(kc: Kubectl, name: str) -> list[str]:
    out = kc.out("get", "events", "--field-selector", f"involvedObject.name={name},reason=FailedScheduling",
                 "-o", "json")
    return [e["message"] for e in json.loads(out)["items"]]


def test_insufficient_memory_then_room_frees(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    apply(kc, tmp_path, pod("first", "10Gi", "sim-worker"))
    apply(kc, tmp_path, pod("second", "10Gi", "sim-worker"))
    cluster.advance(30)
    assert scheduled(kc, "first")["node"] == "sim-worker"
    # Each node gives the first filter that rejects it: the taint comes before the selector.
    want = (f"0/4 nodes are available: 1 Insufficient memory, 1 {CONTROL_PLANE}, "
            "2 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, "
            "3 Preemption is not helpful for scheduling.")
    second = scheduled(kc, "second")
    assert (second["status"], second["message"], second["phase"]) == ("False", want, "Pending")
    assert failed_scheduling(kc, "second") == [want]
    assert "Warning  FailedScheduling" in kc.out("describe", "pod", "second")

    kc.run("delete", "pod", "first", "--wait=false")
    cluster.advance(40)
    second = scheduled(kc, "second")
    assert (second["status"], second["node"], second["phase"]) == ("True", "sim-worker", "Running")


def test_too_big_for_any_node_and_the_control_plane_taint(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    apply(kc, tmp_path, pod("huge", "64Gi"))
    cluster.advance(10)
    assert scheduled(kc, "huge")["message"] == (
        f"0/4 nodes are available: 1 {CONTROL_PLANE}, 3 Insufficient memory. preemption: 0/4 nodes are available: "
        "1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.")
    # Nothing changes: the scheduling queue flushes the pod after five minutes and tries again.
    cluster.advance(620)
    events = json.loads(kc.out("get", "events", "--field-selector", "involvedObject.name=huge", "-o", "json"))["items"]
    assert [e["reason"] for e in events] == ["FailedScheduling"]
    assert events[0]["series"]["count"] == 3  # created, then the flushes at 5 and 10 minutes
    assert "(x3 over 10m)" in kc.out("describe", "pod", "huge")


def test_taints_block_until_removed(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    kc.run("taint", "nodes", "sim-worker", "sim-worker2", "sim-worker3", "dedicated=gpu:NoSchedule")
    apply(kc, tmp_path, pod("plain"))
    cluster.advance(10)
    assert scheduled(kc, "plain")["message"] == (
        f"0/4 nodes are available: 1 {CONTROL_PLANE}, 3 node(s) had untolerated taint {{dedicated: gpu}}. "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    kc.run("taint", "nodes", "sim-worker2", "dedicated-")
    cluster.advance(30)
    assert scheduled(kc, "plain")["node"] == "sim-worker2"


def test_claims_missing_unbound_and_provisioned(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    apply(kc, tmp_path, pod("needs-data", claim="data"))
    cluster.advance(10)
    assert scheduled(kc, "needs-data")["message"] == (
        '0/4 nodes are available: persistentvolumeclaim "data" not found. '
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    # A claim without a class (and no PersistentVolume to match) stays Pending, and so does the pod.
    apply(kc, tmp_path, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n"
                        "spec: {storageClassName: '', accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n")
    cluster.advance(30)
    assert scheduled(kc, "needs-data")["message"] == (
        "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    assert kc.out("get", "pvc", "data", "-o", "jsonpath={.status.phase}") == "Pending"
    assert "no persistent volumes available for this claim and no storage class is set" in kc.out(
        "describe", "pvc", "data")
    # A claim of the default class (kind's local-path, WaitForFirstConsumer) binds when its pod is scheduled.
    apply(kc, tmp_path, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: cache}\n"
                        "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}\n")
    cluster.advance(5)
    assert kc.out("get", "pvc", "cache", "-o", "jsonpath={.status.phase} {.spec.storageClassName}") == "Pending standard"
    apply(kc, tmp_path, pod("uses-cache", claim="cache"))
    cluster.advance(30)
    assert scheduled(kc, "uses-cache")["phase"] == "Running"
    assert kc.out("get", "pvc", "cache", "-o", "jsonpath={.status.phase}") == "Bound"
    assert "pvc-" in kc.out("get", "pv", "-o", "name")
    # kubectl's own columns for classes and volumes (the server's Table)
    sc = kc.out("get", "sc").splitlines()
    assert sc[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert sc[1].split()[:5] == ["standard", "(default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer"]
    pv = kc.out("get", "pv").splitlines()[1].split()
    assert pv[1:6] == ["2Gi", "RWO", "Delete", "Bound", "lab/cache"]


STS = """apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}}}
spec:
  serviceName: {name}
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: c, image: busybox:1.36, command: [sleep, '86400'], volumeMounts: [{{name: data, mountPath: /data}}]}}]
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec: {{{cls}accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""


def test_statefulset_claims_from_templates(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    apply(kc, tmp_path, STS.format(name="db", cls=""))
    apply(kc, tmp_path, STS.format(name="cache", cls="storageClassName: fast-ssd, "))
    cluster.advance(120)
    claims = {c["metadata"]["name"]: c for c in json.loads(kc.out("get", "pvc", "-o", "json"))["items"]}
    # The default class provisions db's claims as each pod is scheduled; both pods run, one at a time.
    assert [claims[f"data-db-{i}"]["status"]["phase"] for i in (0, 1)] == ["Bound", "Bound"]
    assert claims["data-db-0"]["metadata"]["labels"] == {"app": "db"}
    assert [scheduled(kc, f"db-{i}")["phase"] for i in (0, 1)] == ["Running", "Running"]
    assert "create Claim data-db-0 Pod db-0 in StatefulSet db success" in kc.out("describe", "statefulset", "db")
    # A class that does not exist: the claim stays Pending and pod-0 waits; pod-1 is never created.
    assert claims["data-cache-0"]["status"]["phase"] == "Pending" and "data-cache-1" not in claims
    assert 'storageclass.storage.k8s.io "fast-ssd" not found' in kc.out("describe", "pvc", "data-cache-0")
    assert scheduled(kc, "cache-0")["message"].startswith(
        "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
    assert "cache-1" not in kc.out("get", "pods", "-o", "name")
