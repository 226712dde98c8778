"""The real kubectl against `podmortem sim`: it must behave as against a cluster (issue 4 acceptance)."""

from __future__ import annotations

import re
import select
import time
from pathlib import Path
from typing import Any

import pytest

from podmortem.sim import SimCluster

pytestmark = pytest.mark.kubectl


def _rows(text: str) -> dict[str, list[str]]:
    """`kubectl get pods -A` output as {namespace/name: [ready, status, restarts..., age]}."""
    lines = text.strip().splitlines()
    header = lines[0].split()
    assert header[:3] == ["NAMESPACE", "NAME", "READY"], header
    rows = {}
    for line in lines[1:]:
        cols = re.split(r"\s{2,}", line.strip())
        rows[f"{cols[0]}/{cols[1]}"] = cols[2:]
    return rows


def _find(rows: dict[str, list[str]], prefix: str) -> list[str]:
    hits = [v for k, v in rows.items() if k.startswith(prefix)]
    assert hits, f"no pod {prefix}* in {sorted(rows)}"
    return hits[0]


def test_get_pods_shows_the_statuses_of_a_crash_looping_cluster(kubectl: Any) -> None:
    rows = _rows(kubectl.out("get", "pods", "-A"))
    statuses = {v[1] for v in rows.values()}
    for want in ("CrashLoopBackOff", "Init:CrashLoopBackOff", "CreateContainerConfigError", "OOMKilled", "Error",
                 "ImagePullBackOff", "ContainerCreating", "Completed", "Running"):
        assert want in statuses, f"{want} not among {sorted(statuses)}"
    ready, status, restarts, _age = _find(rows, "payments/billing-api-")
    assert (ready, status) == ("0/1", "CrashLoopBackOff")
    # 20 minutes of a 10 s -> 5 min back-off give 8 restarts, the last one a few minutes ago.
    assert re.fullmatch(r"[5-9] \((\d+m)?(\d+s)? ago\)", restarts), restarts
    assert _find(rows, "shop/profile-service-")[1] == "Init:CrashLoopBackOff"
    assert _find(rows, "batch/thumbnail-backfill")[1] == "OOMKilled"
    assert _find(rows, "payments/payments-worker-")[1:3] == ["CreateContainerConfigError", "0"]
    assert _find(rows, "platform/metrics-gateway-")[0] == "1/2"
    assert _find(rows, "kube-system/coredns-")[:3] == ["1/1", "Running", "0"]


def test_get_pods_wide_adds_ip_and_node(kubectl: Any) -> None:
    out = kubectl.out("get", "pods", "-n", "shop", "-o", "wide")
    header = out.splitlines()[0].split()
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                      "READINESS", "GATES"]
    assert re.search(r"redis-0\s+1/1\s+Running\s+0\s+3h\s+10\.244\.\d+\.\d+\s+sim-worker", out), out


def test_describe_shows_last_state_and_back_off_events(kubectl: Any) -> None:
    out = kubectl.out("describe", "pod", "-n", "payments", "-l", "app=billing-api")
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff", out), out
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n\s+Started:", out), out
    assert re.search(r"Restart Count:\s+[5-9]", out)
    assert re.search(r"Warning\s+BackOff\s+\S+ \(x\d+ over \d+m\)\s+kubelet\s+Back-off restarting failed container "
                     r"api in pod billing-api-\S+_payments\([0-9a-f-]{36}\)", out), out
    assert re.search(r"Normal\s+Scheduled\s+\d+m\s+default-scheduler\s+Successfully assigned payments/billing-api-", out)
    assert "Controlled By:  ReplicaSet/billing-api-" in out


def test_describe_oom_killed_shows_exit_137(kubectl: Any) -> None:
    out = kubectl.out("describe", "pod", "-n", "shop", "-l", "app=image-resizer")
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137", out), out
    assert re.search(r"Limits:\n\s+memory:\s+256Mi", out)


def test_describe_config_error_shows_failed_events(kubectl: Any) -> None:
    out = kubectl.out("describe", "pod", "-n", "shop", "-l", "app=shipping")
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+CreateContainerConfigError", out), out
    assert re.search(r"Warning\s+Failed\s+.*kubelet\s+Error: couldn't find key api_url in ConfigMap shop/shipping-config",
                     out), out


def test_logs_previous_returns_the_crashed_instance(kubectl: Any) -> None:
    out = kubectl.out("logs", "-n", "payments", "deploy/billing-api", "--previous")
    assert "KeyError: 'DATABASE_URL'" in out
    assert out.splitlines()[-1] == "KeyError: 'DATABASE_URL'"
    tail = kubectl.out("logs", "-n", "payments", "deploy/billing-api", "--previous", "--tail=1", "--timestamps")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z KeyError: 'DATABASE_URL'\n", tail), tail


def test_logs_fail_with_the_api_servers_words(kubectl: Any) -> None:
    running = kubectl.run("logs", "-n", "shop", "redis-0", "--previous", check=False)
    assert running.returncode == 1
    assert running.stderr.strip() == ('Error from server (BadRequest): previous terminated container "redis" in pod '
                                      '"redis-0" not found')
    waiting = kubectl.run("logs", "-n", "shop", "deploy/shipping", check=False)
    assert re.fullmatch(r'Error from server \(BadRequest\): container "shipping" in pod "shipping-\S+" is waiting to '
                        r"start: CreateContainerConfigError", waiting.stderr.strip()), waiting.stderr
    pulling = kubectl.run("logs", "-n", "shop", "deploy/recommendations", check=False)
    assert "is waiting to start: trying and failing to pull image" in pulling.stderr
    missing = kubectl.run("logs", "-n", "shop", "no-such-pod", check=False)
    # kubectl logs words a NotFound Status itself; the Status must carry reason NotFound for this text.
    assert missing.stderr.strip() == ('error: error from server (NotFound): pods "no-such-pod" not found in namespace '
                                      '"shop"')


def test_logs_of_a_two_container_pod_default_to_the_first(kubectl: Any) -> None:
    proc = kubectl.run("logs", "-n", "platform", "deploy/metrics-gateway", "-c", "statsd-exporter", "--previous")
    assert "listen tcp :9090: bind: address already in use" in proc.stdout
    wrong = kubectl.run("logs", "-n", "platform", "deploy/metrics-gateway", "-c", "nope", check=False)
    assert "container nope is not valid for pod metrics-gateway-" in wrong.stderr


def test_get_events_lists_back_off(kubectl: Any) -> None:
    out = kubectl.out("get", "events", "-A")
    assert out.splitlines()[0].split() == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert re.search(r"payments\s+\S+\s+Warning\s+BackOff\s+pod/billing-api-\S+\s+Back-off restarting failed container",
                     out), out
    assert re.search(r"Warning\s+Failed\s+pod/payments-worker-\S+\s+Error: configmap \"payments-config\" not found", out)
    assert re.search(r"Warning\s+FailedMount\s+pod/fraud-detector-\S+\s+MountVolume.SetUp failed for volume "
                     r"\"model-credentials\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name "
                     r"secrets-store.csi.k8s.io not found in the list of registered CSI drivers", out), out
    selected = kubectl.out("get", "events", "-n", "shop", "--field-selector", "reason=Killing")
    assert "failed liveness probe, will be restarted" in selected
    assert all("Killing" in line for line in selected.splitlines()[1:])


def test_other_resources_print_like_a_cluster(kubectl: Any) -> None:
    deploy = kubectl.out("get", "deploy", "-n", "shop", "storefront")
    assert re.search(r"storefront\s+3/3\s+1\s+3\s+\d+m", deploy), deploy
    rs = kubectl.out("get", "rs", "-n", "shop", "-l", "app=storefront")
    assert len(rs.strip().splitlines()) == 3, rs
    jobs = kubectl.out("get", "jobs", "-n", "batch")
    assert re.search(r"invoice-export\s+Failed\s+0/1", jobs) and re.search(r"nightly-backup\s+Complete\s+1/1", jobs)
    nodes = kubectl.out("get", "nodes")
    assert re.search(r"sim-control-plane\s+Ready\s+control-plane\s+30d\s+v1\.32\.4", nodes), nodes
    assert "kube-system" in kubectl.out("get", "ns")
    rollout = kubectl.out("rollout", "history", "deployment/storefront", "-n", "shop")
    assert re.search(r"^1\s+<none>\n2\s+<none>", rollout.split("REVISION")[1].strip() + "\n", re.M), rollout


def test_apply_of_a_fixed_manifest_makes_the_pods_ready(fresh_cluster: SimCluster, fresh_kubectl: Any,
                                                        tmp_path: Path) -> None:
    fixed = tmp_path / "shipping-config.yaml"
    fixed.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shipping-config, namespace: shop}\n"
                     "data:\n  api_url: https://api.carrier.example.com/v2\n  timeout: 30s\n")
    resizer = tmp_path / "image-resizer.yaml"
    resizer.write_text(fresh_kubectl.out("get", "deploy", "image-resizer", "-n", "shop", "-o", "yaml")
                       .replace("memory: 256Mi", "memory: 1Gi"))
    assert "configmap/shipping-config configured" in fresh_kubectl.out("apply", "-f", str(fixed))
    assert "deployment.apps/image-resizer configured" in fresh_kubectl.out("apply", "-f", str(resizer))
    fresh_cluster.advance(60)
    rows = {k: v for k, v in _rows(fresh_kubectl.out("get", "pods", "-A")).items()
            if k.startswith(("shop/shipping-", "shop/image-resizer-"))}
    # The config error is retried on the kubelet's next sync; the new memory limit rolls out a new ReplicaSet.
    assert sorted(v[:2] for v in rows.values()) == [["1/1", "Running"], ["1/1", "Running"]], rows
    assert fresh_kubectl.out("rollout", "status", "deployment/image-resizer", "-n", "shop", "--timeout=10s").strip() \
        == 'deployment "image-resizer" successfully rolled out'


@pytest.mark.slow
def test_get_pods_watch_streams_changes(fresh_cluster: SimCluster, fresh_kubectl: Any) -> None:
    proc = fresh_kubectl.popen("get", "pods", "-n", "payments", "-w", "--request-timeout=60s")
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 20
        advanced = 0
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.3)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line.rstrip("\n"))
            elif lines and advanced < 8:
                fresh_cluster.advance(60)  # virtual time moves: crash loops restart, statuses change
                advanced += 1
            if advanced >= 8 and sum("billing-api" in x for x in lines) >= 3:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert lines and lines[0].split()[:3] == ["NAME", "READY", "STATUS"], lines
    billing = [x for x in lines if x.startswith("billing-api-")]
    statuses = {x.split()[2] for x in billing}
    assert len(billing) >= 3, lines
    # Each restart is seen as it happens: running again, exited with an error, back in back-off.
    assert {"Running", "Error", "CrashLoopBackOff"} <= statuses, billing
    restarts = [int(x.split()[3]) for x in billing]
    assert restarts == sorted(restarts) and restarts[-1] > restarts[0], billing


def test_create_the_missing_configmap_and_secret(fresh_cluster: SimCluster, fresh_kubectl: Any) -> None:
    # kubectl's typed clients send these as protobuf; the server decodes ConfigMaps, Secrets and Namespaces.
    out = fresh_kubectl.out("create", "configmap", "payments-config", "-n", "payments",
                            "--from-literal=PAYMENT_PROVIDER=stripe", "--from-literal=RETRIES=3")
    assert out.strip() == "configmap/payments-config created"
    data = fresh_kubectl.out("get", "configmap", "payments-config", "-n", "payments", "-o",
                             "jsonpath={.data.PAYMENT_PROVIDER},{.data.RETRIES}")
    assert data == "stripe,3"
    assert fresh_kubectl.out("create", "secret", "generic", "db-creds", "-n", "payments",
                             "--from-literal=password=hunter2").strip() == "secret/db-creds created"
    assert re.search(r"db-creds\s+Opaque\s+1", fresh_kubectl.out("get", "secrets", "-n", "payments"))
    fresh_cluster.advance(30)  # the kubelet retries the config error on its next sync
    rows = _rows(fresh_kubectl.out("get", "pods", "-A", "-l", "app=payments-worker"))
    assert [v[:2] for v in rows.values()] == [["1/1", "Running"], ["1/1", "Running"]], rows
    # A Deployment is sent as protobuf too (test_debugging.py covers the other kinds).
    fresh_kubectl.run("create", "deployment", "web", "--image=nginx:1.27", "-n", "payments")
    assert fresh_kubectl.out("get", "deploy", "web", "-n", "payments", "-o", "jsonpath={.spec.template.spec."
                                                                           "containers[0].image}") == "nginx:1.27"
