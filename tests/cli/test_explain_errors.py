"""Bad input gets one line on stderr and the documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PODMORTEM = [sys.executable, "-m", "podmortem"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMORTEM, *args], input=stdin.decode() if stdin else None, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})


def assert_clean_error(done: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert words in lines[0]


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.json"
    f.write_text("")
    assert_clean_error(run("explain", str(f)), 2, "empty")


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "blob.bin"
    f.write_bytes(bytes(range(256)) * 40)
    assert_clean_error(run("explain", str(f)), 2, "binary")


def test_truncated_json(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_text('{"kind": "PodList", "items": [{"metadata": {"name": "a"')
    assert_clean_error(run("explain", str(f)), 2, "truncated or invalid JSON")


def test_yaml_that_is_not_a_kubernetes_object(tmp_path: Path) -> None:
    f = tmp_path / "values.yaml"
    f.write_text("replicaCount: 2\nimage:\n  repository: nginx\n")
    done = run("explain", str(f))
    assert_clean_error(done, 2, "values.yaml")


def test_workload_manifest_points_to_lint(tmp_path: Path) -> None:
    f = tmp_path / "deploy.yaml"
    f.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    assert_clean_error(run("explain", str(f)), 2, "no Pod")


def test_a_log_passed_positionally_is_refused_with_a_hint(tmp_path: Path) -> None:
    f = tmp_path / "app.log"
    f.write_text("2026-01-01 12:00:00 INFO starting\nTraceback (most recent call last):\nValueError: boom\n")
    assert_clean_error(run("explain", str(f)), 2, "--logs")


def test_missing_file() -> None:
    assert_clean_error(run("explain", "/nonexistent/pods.json"), 2, "no such file")


def test_no_input_is_a_usage_error() -> None:
    done = run("explain")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_fifty_megabyte_log_is_read_bounded(tmp_path: Path) -> None:
    f = tmp_path / "big.log"
    line = b"2026-01-01T00:00:00Z INFO handled request path=/api/v1/items status=200 duration=3ms\n"
    with f.open("wb") as fh:
        fh.write(line * (50 * 1024 * 1024 // len(line)))
        fh.write(b"Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
                 b"    import redis\nModuleNotFoundError: No module named 'redis'\n")
    done = run("explain", "--logs", str(f), "-o", "json")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["pods"][0]["findings"][0]["cause"] == "app.missing-module"


def test_healthy_pod_object_is_nothing_wrong(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                      "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0,
                                             "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(pod))
    done = run("explain", str(f), "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pods"][0]["findings"] == []


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_stdin_dash(fmt: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api"},
           "spec": {"containers": [{"name": "api", "resources": {"limits": {"memory": "64Mi"}}}]},
           "status": {"phase": "Running", "containerStatuses": [{
               "name": "api", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
               "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}}
    text = json.dumps(pod) if fmt == "json" else __import__("yaml").safe_dump(pod)
    done = run("explain", "-", "-o", "json", stdin=text.encode())
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["pods"][0]["findings"][0]["cause"] == "resources.oom-killed"


DESCRIBE_DIR = Path(__file__).parents[1] / "sources" / "describe"


def test_describe_of_a_healthy_pod_is_nothing_wrong() -> None:
    done = run("explain", "--describe", str(DESCRIBE_DIR / "healthy-events-none.txt"), "-o", "json")
    assert done.returncode == 0, done.stderr
    pods = json.loads(done.stdout)["pods"]
    assert pods and all(p["findings"] == [] for p in pods)
    text = run("explain", "--describe", str(DESCRIBE_DIR / "healthy-events-none.txt"))
    assert text.returncode == 0
    assert "nothing wrong found" in text.stdout


def test_describe_of_a_crash_looping_pod_is_a_problem() -> None:
    done = run("explain", "--describe", str(DESCRIBE_DIR / "modern-crashloop-init-probes.txt"), "-o", "json")
    assert done.returncode == 1, done.stderr
    finding = json.loads(done.stdout)["pods"][0]["findings"][0]
    assert finding["cause"] != "unknown"
    assert finding["evidence"] and finding["remedy"]["summary"]
