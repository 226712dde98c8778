"""`podmortem sim serve` as a user runs it: a server kubectl can use, and one-line errors for bad flags."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PODMORTEM = [sys.executable, "-m", "podmortem"]


@pytest.mark.kubectl
def test_serve_writes_a_kubeconfig_kubectl_can_use(tmp_path: Path, kubectl_binary: str) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen([*PODMORTEM, "sim", "serve", "--port", "0", "--kubeconfig-out", str(kubeconfig),
                             "--start-offset", "5m"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert kubeconfig.exists(), proc.stderr.read() if proc.poll() is not None and proc.stderr else "timeout"
        assert "server: http://127.0.0.1:" in kubeconfig.read_text()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path / "c")}
        out = subprocess.run([kubectl_binary, "get", "pods", "-n", "payments"], env=env, capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        assert "billing-api-" in out.stdout and "CrashLoopBackOff" in out.stdout
        assert "5m" in out.stdout  # --start-offset 5m: the scenario was applied five minutes ago
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "podmortem sim: serving" in err and "podmortem sim: stopped" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--start-offset", "soon"], "podmortem: error: --start-offset 'soon' is not a duration such as 20m, 1h30m or 90s"),
    (["--fault", "meltdown"], "podmortem: error: --fault 'meltdown': unknown kind 'meltdown'"),
])
def test_bad_flags_are_one_line_errors(args: list[str], message: str) -> None:
    proc = subprocess.run([*PODMORTEM, "sim", "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[0].startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_scenario_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "scenario.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
                   "    sim.podmortem.dev/profile.app: 'runtime: cobol'\nspec:\n  containers: [{name: app, image: x}]\n")
    proc = subprocess.run([*PODMORTEM, "sim", "serve", "--port", "0", "--scenario", str(bad)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "runtime 'cobol' is not one of" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
