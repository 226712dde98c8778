"""Two `podmortem watch` processes against `podmortem sim serve`: only the leader reports; SIGKILL hands over.

Everything is a real process talking real HTTP: the simulator (`sim serve`), two watchers with
leader election through the simulator's coordination.k8s.io Lease, the real kubectl to create and
fix the Deployment, and a webhook receiver on 127.0.0.1. The takeover is judged in lease terms,
from the new leader's own record of it (lease.py): it waited for the Lease to stay unchanged for
the lease duration (never less) and took it at the first reads after that; wall-clock waits are
only safety nets that fail the test instead of hanging it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from simwatch import Receiver_, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.kubectl]

KUBECTL = os.environ.get("PODMORTEM_KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"
LEASE = 5.0  # short, with room for a loaded machine; the retry period is then 1 s (lease / 5)
RETRY = 1.0
PODMORTEM = [sys.executable, "-m", "podmortem"]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: pay, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: pay}}
  template:
    metadata:
      labels: {app: pay}
      annotations:
        sim.podmortem.dev/profile.app: "runtime: go\\nneedsEnv: [DB_HOST]\\n"
    spec:
      containers: [{name: app, image: registry.example.com/pay:1.5.0}]
"""


class Process:
    """A child process whose stderr goes to a file; its JSON log lines on demand."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with open(log, "w") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def line(self, key: str) -> dict[str, Any] | None:
        return next((x for x in self.lines() if key in x), None)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


def http(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""
    except OSError:
        return 0, ""


def metric(base: str, name: str) -> float | None:
    _, text = http(base + "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


@pytest.fixture
def cluster(tmp_path: Path) -> Any:
    """`podmortem sim serve` with an empty namespace `shop`, virtual time 5x the wall clock."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    kubeconfig = tmp_path / "kubeconfig"
    sim = Process([*PODMORTEM, "sim", "serve", "--port", "0", "--kubeconfig-out", str(kubeconfig), "--scenario",
                   str(scenario), "--start-offset", "0s", "--speed", "5"], tmp_path / "sim.log")
    try:
        wait_for("the simulator's kubeconfig", lambda: kubeconfig.exists() or not sim.alive())
        assert sim.alive(), sim.log.read_text()
        yield kubeconfig
    finally:
        sim.stop()


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(kubeconfig.parent),
           "KUBECACHEDIR": str(kubeconfig.parent / "kube-cache")}
    p = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def start_watcher(kubeconfig: Path, hook: Path, identity: str, tmp_path: Path) -> Process:
    return Process([*PODMORTEM, "watch", "--kubeconfig", str(kubeconfig), "-n", "shop", "--metrics-addr",
                    "127.0.0.1:0", "--webhook-file", f"json={hook}", "--resolve-after", "1s", "--lease-namespace",
                    "shop", "--lease-duration", f"{LEASE:.0f}s", "--identity", identity], tmp_path / f"{identity}.log")


def base_url(w: Process) -> str:
    doc = wait_for(f"{w.log.stem}'s status port", lambda: w.line("port") or (not w.alive() and {"port": None}))
    assert doc["port"], w.log.read_text()
    return f"http://127.0.0.1:{doc['port']}"


def announced(w: Process) -> list[tuple[str, str]]:
    return [(x["event"], x["incident"]["id"]) for x in w.lines() if "event" in x and "incident" in x]


@pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="needs the real kubectl")
def test_two_watcher_processes_one_reports_sigkill_hands_over_without_reannouncing(
        cluster: Path, tmp_path: Path) -> None:
    receiver = Receiver_(time.monotonic)
    hook = tmp_path / "hook-url"
    hook.write_text(receiver.url + "\n")
    a = start_watcher(cluster, hook, "a", tmp_path)
    b: Process | None = None
    try:
        a_url = base_url(a)
        wait_for("a leads", lambda: metric(a_url, "podmortem_leader") == 1.0)
        b = start_watcher(cluster, hook, "b", tmp_path)
        b_url = base_url(b)
        wait_for("b has listed the pods", lambda: http(b_url + "/readyz")[0] == 200)

        kubectl(cluster, "apply", "-f", "-", stdin=DEPLOYMENT)
        wait_for("the incident's webhook call", lambda: receiver.calls)
        [(_, opened)] = receiver.calls
        iid = opened["incident"]["id"]
        assert opened["event"] == "opened" and opened["incident"]["owner"] == "deployment/pay"
        assert opened["diagnosis"]["findings"][0]["cause"] == "app.missing-env"
        # Only the leader reports: the standby sees the same failing pods and stays quiet.
        wait_for("b sees the failing pods", lambda: (metric(b_url, "podmortem_pods_failing") or 0) >= 1)
        assert metric(b_url, "podmortem_leader") == 0.0
        assert announced(a) == [("opened", iid)] and announced(b) == []
        before = json.loads(kubectl(cluster, "get", "lease", "podmortem-watch", "-n", "shop", "-o", "json"))
        assert before["spec"]["holderIdentity"] == "a"

        a.proc.send_signal(signal.SIGKILL)  # killed: no chance to release the Lease
        a.proc.wait(timeout=30)
        took = wait_for("b takes the Lease over", lambda: b.line("takeover"))["takeover"]
        # In lease terms: b waited until the Lease had not changed for the lease duration (not less: no
        # two leaders) and took it at its first reads after that, not rounds later.
        assert took["previous_holder"] == "a"
        assert took["lease_duration"] == LEASE and took["unchanged_for"] >= LEASE
        assert took["polls_unchanged"] <= math.ceil(LEASE / RETRY) + 2, took
        after = json.loads(kubectl(cluster, "get", "lease", "podmortem-watch", "-n", "shop", "-o", "json"))
        assert after["spec"]["holderIdentity"] == "b"
        assert after["spec"]["leaseTransitions"] == before["spec"]["leaseTransitions"] + 1

        # The new leader rebuilt the open incident from a's Event, then diagnosed the failing pods itself:
        # they join that incident, and nothing is announced again.
        wait_for("b leads", lambda: metric(b_url, "podmortem_leader") == 1.0)
        wait_for("b diagnosed a failing pod", lambda: (metric(b_url, "podmortem_diagnosis_seconds_count") or 0) >= 1)
        assert any("1 open incidents rebuilt" in x.get("msg", "") for x in b.lines())
        assert [c[1]["event"] for c in receiver.calls] == ["opened"] and announced(b) == []

        kubectl(cluster, "set", "env", "deployment/pay", "-n", "shop", "DB_HOST=db")
        wait_for("the resolve call", lambda: len(receiver.calls) >= 2)
        assert [(c[1]["event"], c[1]["incident"]["id"]) for c in receiver.calls] == [("opened", iid), ("resolved", iid)]
        assert announced(b) == [("resolved", iid)]
        events = json.loads(kubectl(cluster, "get", "events.v1.events.k8s.io", "-n", "shop", "-l",
                                    "app.kubernetes.io/managed-by=podmortem-watch", "-o", "json"))["items"]
        assert sorted((e["reason"], e["reportingInstance"]) for e in events) == [
            ("CrashLoopDiagnosed", "a"), ("CrashLoopResolved", "b")]
    finally:
        if a.alive():
            a.proc.kill()
            a.proc.wait(timeout=30)
        if b is not None:
            b.stop()
        receiver.close()
    assert b.proc.returncode == 0, b.log.read_text()[-2000:]
    assert "s3cr3t-token" not in a.log.read_text() + b.log.read_text()
