"""Real-cluster texture (issue 16 item 3): Job back-off limits by restart policy, version 4 uids."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podmortem.sim import SimCluster

from .conftest import Kubectl

Make = Callable[..., SimCluster]
NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n"


@pytest.fixture()
def lab(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> tuple[SimCluster, Kubectl]:
    cluster = make_cluster(NS, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    return cluster, kc


@pytest.mark.parametrize("policy", ["OnFailure", "Never"])
def test_a_failing_job_stops_at_its_backoff_limit(lab: tuple[SimCluster, Kubectl], tmp_path: Path,
                                                  policy: str) -> None:
    cluster, kc = lab
    (tmp_path / "job.yaml").write_text(f"""apiVersion: batch/v1
kind: Job
metadata: {{name: export}}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: {policy}
      containers: [{{name: c, image: busybox:1.36, command: [sh, -c, "echo failing; exit 1"]}}]
""")
    kc.run("apply", "-f", str(tmp_path / "job.yaml"))
    cluster.advance(900)
    job = json.loads(kc.out("get", "job", "export", "-o", "json"))
    failed = [c for c in job["status"]["conditions"] if c["type"] == "Failed"]
    assert failed and failed[0]["reason"] == "BackoffLimitExceeded"
    assert failed[0]["message"] == "Job has reached the specified backoff limit"
    pods = json.loads(kc.out("get", "pods", "-l", "job-name=export", "-o", "json"))["items"]
    if policy == "OnFailure":
        # The crash-looping pod's restarts counted; the controller deleted it.
        assert pods == [] or all(p["metadata"].get("deletionTimestamp") for p in pods)
    else:
        assert len(pods) == 3 and all(p["status"]["phase"] == "Failed" for p in pods)
    assert "BackoffLimitExceeded" in kc.out("describe", "job", "export")


def test_uids_are_version_4(lab: tuple[SimCluster, Kubectl]) -> None:
    _cluster, kc = lab
    kc.run("run", "p", "--image=busybox:1.36", "--", "sleep", "60")
    uid = json.loads(kc.out("get", "pod", "p", "-o", "json"))["metadata"]["uid"]
    assert uuid.UUID(uid).version == 4


STS = """apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db}}
spec:
  serviceName: db
  replicas: 2
  selector: {{matchLabels: {{app: db}}}}
  template:
    metadata: {{labels: {{app: db}}}}
    spec:
      containers: [{{name: db, image: busybox:1.36, command: [sh, -c, "{script}"]}}]
"""


def test_statefulset_forced_rollback(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    """A crash-looping pod-0 is not replaced when the template is fixed; it is once deleted (docs: Forced rollback)."""
    cluster, kc = lab
    manifest = tmp_path / "sts.yaml"
    manifest.write_text(STS.format(script="echo boom; exit 1"))
    kc.run("apply", "-f", str(manifest))
    cluster.advance(120)
    bad = json.loads(kc.out("get", "pod", "db-0", "-o", "json"))
    bad_revision = bad["metadata"]["labels"]["controller-revision-hash"]
    assert bad["status"]["containerStatuses"][0]["restartCount"] >= 2

    manifest.write_text(STS.format(script="echo serving; sleep 86400"))
    kc.run("apply", "-f", str(manifest))
    cluster.advance(900)
    stuck = json.loads(kc.out("get", "pod", "db-0", "-o", "json"))
    assert stuck["metadata"]["uid"] == bad["metadata"]["uid"]
    assert stuck["metadata"]["labels"]["controller-revision-hash"] == bad_revision
    assert stuck["status"]["containerStatuses"][0]["restartCount"] > bad["status"]["containerStatuses"][0]["restartCount"]
    status = json.loads(kc.out("get", "statefulset", "db", "-o", "json"))["status"]
    assert status["currentRevision"] == bad_revision != status["updateRevision"]
    assert "db-1" not in kc.out("get", "pods", "-o", "name")

    kc.run("delete", "pod", "db-0", "--wait=false")
    cluster.advance(120)
    fixed = json.loads(kc.out("get", "pod", "db-0", "-o", "json"))
    assert fixed["metadata"]["uid"] != bad["metadata"]["uid"]
    assert fixed["metadata"]["labels"]["controller-revision-hash"] == status["updateRevision"]
    cluster.advance(60)
    status = json.loads(kc.out("get", "statefulset", "db", "-o", "json"))["status"]
    assert status.get("readyReplicas") == 2
    assert status["currentRevision"] == status["updateRevision"]
    assert kc.out("logs", "db-1") == "serving\n"


TIGHT = """apiVersion: v1
kind: Node
metadata:
  name: tight
  annotations: {sim.podmortem.dev/memory-pressure: "threshold=100Mi,available=50Mi"}
"""
HOG = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  annotations: {{sim.podmortem.dev/profile.app: "{profile}"}}
spec:
  nodeName: tight
  containers: [{{name: app, image: registry.example.com/app:1, resources: {{requests: {{memory: 100Mi}}}}}}]
"""


def test_evicted_pods_have_no_logs(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> None:
    cluster = make_cluster(NS, TIGHT, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    (tmp_path / "hog.yaml").write_text(HOG.format(name="hog", profile="memoryMiB: 600"))
    kc.run("apply", "-f", str(tmp_path / "hog.yaml"))
    cluster.advance(60)
    describe = kc.out("describe", "pod", "hog")
    assert "Status:           Failed" in describe and "Reason:           Evicted" in describe
    assert "Message:          The node was low on resource: memory. Threshold quantity: 100Mi" in describe
    # The kubelet removed the evicted pod's containers; the one killed has a made-up state without an ID.
    out = kc.run("logs", "hog", check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (BadRequest): container "app" in pod "hog" is terminated'
    out = kc.run("logs", "hog", "--previous", check=False)
    assert out.stderr.strip() == ('Error from server (BadRequest): previous terminated container "app" in pod "hog" '
                                  "not found")


def test_evicted_pod_with_an_earlier_instance(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> None:
    cluster = make_cluster(NS, TIGHT, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    (tmp_path / "hog.yaml").write_text(HOG.format(name="flaky", profile="memoryMiB: 600\\nexitAfterSeconds: 8\\n"
                                                                      "exitCode: 1\\nlogs: [starting]"))
    kc.run("apply", "-f", str(tmp_path / "hog.yaml"))
    cluster.advance(60)
    pod = json.loads(kc.out("get", "pod", "flaky", "-o", "json"))
    assert pod["status"]["reason"] == "Evicted"
    earlier = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["containerID"]
    # The status still names the earlier instance; the runtime no longer has it: the kubelet says so with a 200.
    for args in (("logs", "flaky"), ("logs", "flaky", "--previous")):
        out = kc.run(*args)
        assert out.stdout.strip() == f"unable to retrieve container logs for {earlier}"


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""


def test_defaults_survive_a_replace_and_scaling_events_read_as_upstream(lab: tuple[SimCluster, Kubectl],
                                                                        tmp_path: Path) -> None:
    cluster, kc = lab
    (tmp_path / "web.yaml").write_text(DEPLOY)
    kc.run("apply", "-f", str(tmp_path / "web.yaml"))
    cluster.advance(30)
    (tmp_path / "web.yaml").write_text(DEPLOY.replace("nginx:1.27", "nginx:1.26"))
    kc.run("replace", "-f", str(tmp_path / "web.yaml"))  # a PUT of the bare manifest: every default left out
    cluster.advance(120)
    spec = json.loads(kc.out("get", "deployment", "web", "-o", "json"))["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    tspec = spec["template"]["spec"]
    assert (tspec["restartPolicy"], tspec["dnsPolicy"], tspec["terminationGracePeriodSeconds"]) == ("Always",
                                                                                                  "ClusterFirst", 30)
    assert tspec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    # pkg/controller/deployment/sync.go (v1.32) scaleReplicaSet: "Scaled %s replica set %s from %d to %d".
    events = json.loads(kc.out("get", "events", "--field-selector", "reason=ScalingReplicaSet", "-o", "json"))["items"]
    rs = sorted(json.loads(kc.out("get", "rs", "-o", "json"))["items"], key=lambda r: r["metadata"]["creationTimestamp"])
    old, new = rs[0]["metadata"]["name"], rs[-1]["metadata"]["name"]
    messages = [e["message"] for e in sorted(events, key=lambda e: e["firstTimestamp"])]
    assert messages[0] == f"Scaled up replica set {old} from 0 to 3"
    assert f"Scaled up replica set {new} from 0 to 1" in messages
    assert f"Scaled down replica set {old} from 1 to 0" in messages


def _pod_events(kc: Kubectl, name: str) -> list[dict[str, Any]]:
    items = json.loads(kc.out("get", "events", "--field-selector", f"involvedObject.name={name}", "-o", "json"))["items"]
    return sorted(items, key=lambda e: e["metadata"]["name"])  # <pod>.<hex nanoseconds>: creation order


def test_image_pulls_are_serial_per_node_and_only_on_starts(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    (tmp_path / "pods.yaml").write_text("""apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  nodeName: sim-worker
  containers:
  - {name: a, image: nginx:1.27.3}
  - {name: b, image: redis:7.4.1}
---
apiVersion: v1
kind: Pod
metadata: {name: third}
spec:
  nodeName: sim-worker
  containers: [{name: c, image: postgres:17.2, env: [{name: POSTGRES_PASSWORD, value: x}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: looping}
spec:
  nodeName: sim-worker2
  containers: [{name: l, image: busybox:1.36, imagePullPolicy: Always, command: [sh, -c, "sleep 2; exit 1"]}]
""")
    kc.run("apply", "-f", str(tmp_path / "pods.yaml"))
    cluster.advance(300)
    # One pod: SyncPod takes its containers in turn, each pull finishing before the next container's begins.
    two = [(e["reason"], e["involvedObject"].get("fieldPath", "")) for e in _pod_events(kc, "two")
           if e["reason"] in ("Pulling", "Pulled", "Created", "Started")]
    a, b = "spec.containers{a}", "spec.containers{b}"
    assert two == [("Pulling", a), ("Pulled", a), ("Created", a), ("Started", a),
                   ("Pulling", b), ("Pulled", b), ("Created", b), ("Started", b)]
    # Two pods on one node: one puller, so a pull that was queued says it waited.
    waits = []
    for name in ("two", "third"):
        for e in _pod_events(kc, name):
            if e["reason"] == "Pulled":
                m = re.fullmatch(r'Successfully pulled image "[^"]+" in ([\d.]+m?s) \(([\d.]+m?s) including waiting\)\. '
                                 r"Image size: \d+ bytes\.", e["message"])
                assert m, e["message"]
                waits.append((_secs(m.group(1)), _secs(m.group(2))))
    assert sum(1 for own, total in waits if total > own + 0.5) >= 1, waits
    # A crash loop with imagePullPolicy Always pulls once per start, never while backing off.
    by_reason = {e["reason"]: e.get("count", 1) for e in _pod_events(kc, "looping")}
    restarts = json.loads(kc.out("get", "pod", "looping", "-o", "json"))["status"]["containerStatuses"][0]["restartCount"]
    assert by_reason["Pulling"] == by_reason["Started"] == restarts + 1 or (
        by_reason["Pulling"] == by_reason["Started"] == restarts), (by_reason, restarts)
    assert by_reason["BackOff"] >= 2


def _secs(text: str) -> float:
    return float(text[:-2]) / 1000 if text.endswith("ms") else float(text[:-1])
