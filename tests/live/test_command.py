"""`podmortem diagnose` and `podmortem snapshot` end to end against the fake API: output, exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from clirun import run
from fakeapi import FakeCluster, Fault


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["pods"]}


def test_json_is_the_explain_contract_plus_groups(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    code, out, err = run(["diagnose", "-o", "json"], capsys)
    assert code == 1, err
    doc = json.loads(out)
    schema = json.loads((Path(__file__).parents[2] / "src/podmortem/schema.json").read_text())
    jsonschema.validate(doc, schema)
    pods = by_name(doc)
    assert len(pods) == 6  # one entry per pod, healthy ones included
    assert pods["worker-0"]["findings"][0]["cause"] == "resources.oom-killed"
    assert pods["api-0"]["findings"][0]["cause"] == "config.key-missing"
    assert pods["cache-0"]["findings"] == []
    web = next(g for g in doc["groups"] if g["owner"] == "deployment/web")
    assert web["count"] == 2 and web["pods"] == ["web-7c9b-bbbb0", "web-7c9b-bbbb1"]
    assert web["what_changed"]["began_with_revision"] == 7
    assert web["what_changed"]["summary"].startswith(
        "Crash loop began with revision 7, which changed image 1.4.2 -> 1.5.0 and removed env DB_HOST")
    assert doc["missing_rbac"] == []
    # without --secret-keys the Secret is not read, and the reference says so
    ref = pods["api-0"]["config_refs"][0]
    assert ref["exists"] is None and ref["missing_keys"] == [] and "--secret-keys" in ref["unknown_because"]
    assert "secrets" not in doc["source"]["requests"]
    assert doc["source"]["requests"]["pods/log"] == 2  # the two web pods fail alike: one log for both
    assert "1 Secret referenced by failing pods not checked (shop/db)" in err
    code, out, err = run(["diagnose", "-o", "json", "--secret-keys"], capsys)
    assert by_name(json.loads(out))["api-0"]["config_refs"][0]["missing_keys"] == ["password"]


def test_text_shows_each_group_once(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diagnose", "--no-color"], capsys)
    assert code == 1
    assert "▶ 2 pods of deployment/web" in out
    assert out.count("shop/web-7c9b-bbbb") == 1  # the group's representative only
    assert "what changed: Crash loop began with revision 7" in out
    assert "6 pods checked, 4 with problems in 3 groups" in out


def test_markdown(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diagnose", "-o", "markdown"], capsys)
    assert code == 1
    assert out.startswith("# podmortem: 6 pods, 4 with problems in 3 groups")
    assert "## 2 pods of deployment/web" in out and "### shop/web-7c9b-bbbb" in out


def test_named_pod(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diagnose", "cache-0", "-o", "json"], capsys)
    assert code == 0
    assert [p["name"] for p in json.loads(out)["pods"]] == ["cache-0"]


def test_named_pod_not_found(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["diagnose", "nope"], capsys)
    assert code == 2 and err.count("\n") == 1 and 'pods "nope" not found' in err  # kubectl's words; exit 2


def test_selector(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diagnose", "-l", "app=web", "-o", "json"], capsys)
    assert code == 1
    assert sorted(by_name(json.loads(out))) == ["web-6d8f-aaaaa", "web-7c9b-bbbb0", "web-7c9b-bbbb1"]


def test_all_namespaces(kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diagnose", "-A", "-o", "json"], capsys)
    assert code == 1
    assert len(json.loads(out)["pods"]) == 7
    assert cluster.requests["/api/v1/pods"] == 1


def test_flag_conflicts_are_usage_errors(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["diagnose", "-A", "-n", "shop"], capsys)[0] == 2
    assert run(["diagnose", "--request-timeout", "soon"], capsys)[0] == 2


def test_unreachable_cluster_exit_3_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # A bound socket that never listens refuses connections, and holding it keeps the port from
    # being handed to a simulator started by a parallel test.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        cfg = tmp_path / "kc"
        cfg.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "x",
            "clusters": [{"name": "x", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}]}))
        code, out, err = run(["diagnose", "-A", "--kubeconfig", str(cfg)], capsys)
    assert code == 3 and out == ""
    assert err.startswith("podmortem: error: cannot reach the Kubernetes API at https://127.0.0.1:")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_rbac_run_completes_and_says_what_it_could_not_see(
        kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.faults.append(Fault(r"/secrets/", code=403, times=100))
    cluster.faults.append(Fault(r"/events$", code=403, times=100))
    code, out, err = run(["diagnose", "-o", "json", "--secret-keys"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert {(m["verb"], m["resource"]) for m in doc["missing_rbac"]} == {("get", "secrets"), ("list", "events")}
    assert "missing RBAC: get secrets in namespace shop" in err
    assert len(doc["pods"]) == 6
    assert by_name(doc)["worker-0"]["findings"][0]["cause"] == "resources.oom-killed"
    assert "events" in by_name(doc)["worker-0"]["missing_evidence"]
    code, out, _ = run(["diagnose", "--no-color"], capsys)
    assert out.startswith("! missing RBAC: ")


@pytest.mark.slow
def test_server_errors_everywhere_but_no_pod_dropped(kubeconfig: Path, cluster: FakeCluster,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cluster.faults.append(Fault(r"/log$", code=500, times=1000))
    cluster.faults.append(Fault(r"/pods$", code=429, times=2, retry_after="0"))
    code, out, err = run(["diagnose", "-o", "json"], capsys)
    assert code == 1 and "Traceback" not in err
    doc = by_name(json.loads(out))
    assert len(doc) == 6
    assert any("not read" in n for n in doc["worker-0"]["notes"])


def test_secret_values_never_printed(kubeconfig: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args in (["diagnose", "-o", "json", "--secret-keys"], ["diagnose", "-o", "wide", "--secret-keys"],
                 ["diagnose", "-o", "markdown", "--secret-keys"]):
        _, out, err = run(args, capsys)
        assert "aHVudGVyMg==" not in out + err and "hunter2" not in out + err and "YWRtaW4=" not in out + err
    snap = tmp_path / "snap"
    run(["snapshot", str(snap), "--secret-keys"], capsys)
    for f in snap.rglob("*"):
        if f.is_file():
            text = f.read_text()
            assert "aHVudGVyMg==" not in text and "YWRtaW4=" not in text


def test_snapshot_then_explain_gives_the_same_causes(kubeconfig: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "incident"
    code, out, err = run(["snapshot", str(snap), "--secret-keys"], capsys)
    assert code == 0, err
    assert "saved 6 pods (4 failing, 3 logs)" in out
    names = sorted(p.name for p in snap.iterdir())
    assert names == ["events.json", "logs", "pods.json", "references.json", "replicasets.json", "snapshot.json"]
    assert sorted(p.name for p in (snap / "logs").iterdir()) == [
        "shop_web-7c9b-bbbb0_app.previous.log", "shop_web-7c9b-bbbb1_app.previous.log",
        "shop_worker-0_worker.previous.log"]
    refs = json.loads((snap / "references.json").read_text())["references"]
    assert refs == [{"kind": "secret", "namespace": "shop", "name": "db", "exists": True,
                     "keys": ["pass", "username"], "unknown_because": None}]
    _, live, _ = run(["diagnose", "-o", "json"], capsys)
    code, offline, err = run(["explain", str(snap), "-o", "json"], capsys)
    assert code == 1, err

    def causes(text: str) -> dict[str, str | None]:
        return {p["name"]: (p["findings"][0]["cause"] if p["findings"] else None) for p in json.loads(text)["pods"]}

    assert causes(offline) == causes(live)


def test_snapshot_refuses_a_non_empty_folder(kubeconfig: Path, tmp_path: Path, cluster: FakeCluster,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    code, _, err = run(["snapshot", str(tmp_path / "full")], capsys)
    assert code == 2 and "not empty" in err
    assert sum(cluster.requests.values()) == 0  # refused before any API call


def test_snapshot_keeps_logs_of_same_named_pods_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from fakeapi import FakeServer, crashlooping, pod

    cluster = FakeCluster()
    for ns, line in (("dev", "KeyError: 'DB_HOST'"), ("prod", "java.lang.OutOfMemoryError: Java heap space")):
        cluster.pods.append(pod("db-0", ns, owner=("StatefulSet", "db"), statuses=[crashlooping("app")], ready=False))
        cluster.add_log(ns, "db-0", "app", f"starting\n{line}\n")
    with FakeServer(cluster) as srv:
        monkeypatch.setenv("HOME", str(tmp_path))
        kc = srv.kubeconfig(tmp_path / "kc")
        _, live, _ = run(["diagnose", "-A", "-o", "json", "--kubeconfig", str(kc)], capsys)
        run(["snapshot", str(tmp_path / "snap"), "-A", "--kubeconfig", str(kc)], capsys)
    assert (tmp_path / "snap" / "logs" / "dev_db-0_app.previous.log").exists()
    _, offline, _ = run(["explain", str(tmp_path / "snap"), "-o", "json"], capsys)

    def causes(text: str) -> dict[str, str]:
        return {p["namespace"]: p["findings"][0]["cause"] for p in json.loads(text)["pods"]}

    assert causes(offline) == causes(live)
    assert causes(live)["prod"] == "resources.runtime-oom"


@pytest.mark.kubectl
def test_runs_as_a_kubectl_plugin(kubeconfig: Path) -> None:
    """`kubectl podmortem -A` finds kubectl-podmortem on PATH and diagnoses, as kubectl plugins do."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed (/usr/bin/kubectl on our machines)")
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "kubectl-podmortem").exists()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", KUBECONFIG=str(kubeconfig))
    p = subprocess.run(["kubectl", "podmortem", "-A", "-o", "json"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 1, p.stderr
    assert len(json.loads(p.stdout)["pods"]) == 7


def test_credentials_in_logs_are_redacted_everywhere(kubeconfig: Path, cluster: FakeCluster, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cluster.add_log("shop", "worker-0", "worker",
                    "connecting to postgres://app:s3cr3tpass@db:5432/app\n"
                    "psycopg2.OperationalError: could not connect to server: Connection refused\n"
                    "    Is the server running on host \"db\" (10.0.0.7) and accepting TCP/IP connections on port 5432?\n"
                    "DB_PASSWORD=s3cr3tpass\n")
    for fmt in ("json", "wide", "markdown"):
        _, out, err = run(["diagnose", "-o", fmt], capsys)
        assert "s3cr3tpass" not in out + err
    run(["snapshot", str(tmp_path / "snap")], capsys)
    text = (tmp_path / "snap" / "logs" / "shop_worker-0_worker.previous.log").read_text()
    assert "s3cr3tpass" not in text and "[REDACTED]" in text and "psycopg2.OperationalError" in text


def test_a_process_of_its_own_leaves_fast_but_whole(kubeconfig: Path, tmp_path: Path) -> None:
    """`diagnose` in a process of its own exits without freeing its heap (commandline.leave): the
    output is complete, the exit code is the diagnosis', and atexit handlers (the kubernetes client
    deletes its certificate files in one) still run."""
    import os
    import subprocess
    import sys

    marker = tmp_path / "atexit-ran"
    script = ("import atexit, sys\n"
              f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
              "from podmortem.cli import main\n"
              "sys.argv = ['podmortem', 'diagnose', '-A', '-o', 'json']\n"
              "main()\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, KUBECONFIG=str(kubeconfig)))
    assert p.returncode == 1, p.stderr
    assert len(json.loads(p.stdout)["pods"]) == 7
    assert marker.exists()
