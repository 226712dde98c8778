"""`kubectl podmortem ...` works: kubectl finds the kubectl-podmortem script on PATH and runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.mark.kubectl
def test_kubectl_finds_the_plugin(tmp_path: Path) -> None:
    if not os.path.exists(KUBECTL):
        pytest.fail("kubectl is not installed: the plugin test needs the real kubectl (apt-get install kubectl)")
    bindir = Path(sys.executable).parent
    assert (bindir / "kubectl-podmortem").exists(), "install podmortem into this venv first (make test does)"
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    listed = subprocess.run([KUBECTL, "plugin", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert "kubectl-podmortem" in listed.stdout
    done = subprocess.run([KUBECTL, "podmortem", "rules", "list"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "oom-killed-last-state" in done.stdout
    helped = subprocess.run([KUBECTL, "podmortem", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "kubectl podmortem" in helped.stdout
