"""The kubectl commands people debug with (issue 16 item 4), with the real kubectl: typed `create`
commands (protobuf bodies), `debug --copy-to`, `auth can-i`, the newer kinds, and the streaming
commands answering at once with a clear error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from podmortem.sim import SimCluster
from podmortem.sim.faults import parse_fault

from .conftest import Kubectl

Make = Callable[..., SimCluster]
NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n"


@pytest.fixture()
def lab(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> tuple[SimCluster, Kubectl]:
    cluster = make_cluster(NS, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    return cluster, kc


@pytest.mark.slow
def test_typed_create_commands_send_protobuf_and_are_understood(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("create", "deployment", "web", "--image=nginx:1.27.3", "--replicas=2", "--port=80")
    kc.run("create", "job", "once", "--image=busybox:1.36", "--", "sh", "-c", "echo hi")
    kc.run("create", "service", "clusterip", "web", "--tcp=80:8080")
    kc.run("create", "serviceaccount", "bot")
    kc.run("create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=0 3 * * *", "--", "echo", "x")
    kc.run("create", "job", "manual", "--from=cronjob/nightly")
    dep = json.loads(kc.out("get", "deploy", "web", "-o", "json"))
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert dep["spec"]["replicas"] == 2 and container["image"] == "nginx:1.27.3"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    svc = json.loads(kc.out("get", "svc", "web", "-o", "json"))
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["targetPort"] == 8080
    job = json.loads(kc.out("get", "job", "once", "-o", "json"))
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["sh", "-c", "echo hi"]
    assert json.loads(kc.out("get", "cronjob", "nightly", "-o", "json"))["spec"]["schedule"] == "0 3 * * *"
    assert kc.out("get", "job", "manual", "-o", "name").strip() == "job.batch/manual"
    assert "bot" in kc.out("get", "sa")
    cluster.advance(30)
    assert kc.out("get", "job", "once", "-o", "jsonpath={.status.succeeded}") == "1"


def test_debug_copy_to_makes_a_copy_that_runs_its_command(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "app", "--image=busybox:1.36", "--", "sh", "-c", "echo starting; exit 2")
    kc.run("debug", "app", "--copy-to=app-debug", "--image=busybox:1.36", "--container=dbg", "--", "sleep", "3600")
    cluster.advance(30)
    copy = json.loads(kc.out("get", "pod", "app-debug", "-o", "json"))
    names = {c["name"]: c for c in copy["status"]["containerStatuses"]}
    assert set(names) == {"app", "dbg"}
    assert "running" in names["dbg"]["state"]
    assert names["app"]["lastState"]["terminated"]["exitCode"] == 2


@pytest.mark.parametrize("args", [
    ("exec", "box", "--", "ls"),
    ("attach", "box"),
    ("cp", "box:/etc/hosts", "hosts-copy"),
    ("port-forward", "pod/box", "18080:80"),
])
def test_streaming_commands_fail_at_once_with_a_clear_error(lab: tuple[SimCluster, Kubectl],
                                                            args: tuple[str, ...]) -> None:
    cluster, kc = lab
    kc.run("run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
    cluster.advance(10)
    proc = kc.run(*args, check=False, timeout=20)  # a hang would raise TimeoutExpired
    assert proc.returncode == 1
    assert "the simulated cluster (podmortem sim) has no container runtime" in proc.stderr


@pytest.mark.slow
def test_run_rm_i_does_not_hang(lab: tuple[SimCluster, Kubectl]) -> None:
    _cluster, kc = lab
    proc = kc.run("run", "tmp", "--rm", "-i", "--restart=Never", "--image=busybox:1.36", "--", "echo", "hi",
                  check=False, timeout=30)
    assert 'pod "tmp" deleted' in proc.stdout + proc.stderr


def test_auth_can_i_follows_the_forbidden_faults(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    assert kc.out("auth", "can-i", "list", "pods").strip() == "yes"
    cluster.faults.add(parse_fault("forbidden:verb=get,resource=secrets"))
    proc = kc.run("auth", "can-i", "get", "secrets", check=False)
    assert proc.stdout.strip().startswith("no") and proc.returncode == 1
    assert kc.out("auth", "can-i", "list", "secrets").strip() == "yes"


def test_the_newer_kinds_are_served(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    _cluster, kc = lab
    (tmp_path / "pvc.yaml").write_text("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n"
                                       "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n")
    kc.run("apply", "-f", str(tmp_path / "pvc.yaml"))
    out = kc.out("get", "pvc,ds,cronjob,endpoints,endpointslices")
    assert "persistentvolumeclaim/data" in out
    assert json.loads(kc.out("get", "pvc", "data", "-o", "json"))["status"]["phase"] == "Pending"


def test_debug_target_adds_an_ephemeral_container_that_runs_its_command(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "app", "--image=nginx:1.27.3")
    cluster.advance(20)
    kc.run("debug", "app", "--target=app", "--image=busybox:1.36", "--container=dbg", "--",
           "sh", "-c", "echo debugging; sleep 2; exit 3")
    cluster.advance(20)
    pod = json.loads(kc.out("get", "pod", "app", "-o", "json"))
    assert [e["name"] for e in pod["spec"]["ephemeralContainers"]] == ["dbg"]
    (status,) = pod["status"]["ephemeralContainerStatuses"]
    assert status["state"]["terminated"]["exitCode"] == 3 and status["restartCount"] == 0
    assert pod["status"]["containerStatuses"][0]["ready"] is True  # the app is untouched
    assert kc.out("logs", "app", "-c", "dbg").strip() == "debugging"
    cluster.advance(120)
    again = json.loads(kc.out("get", "pod", "app", "-o", "json"))["status"]["ephemeralContainerStatuses"][0]
    assert again["restartCount"] == 0 and "terminated" in again["state"]  # ephemeral containers never restart
