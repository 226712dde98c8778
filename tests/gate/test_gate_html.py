"""`gate -o html`: the gate's report of a crash-looping rollout, opened in headless Chromium."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))  # the browser helpers

from browser import assert_one_mark_per_restart, open_report
from gate_support import deployment, profile


@pytest.mark.slow
def test_gate_crash_loop(sim: Callable[..., Any], gate: Callable[..., Any], tmp_path: Path) -> None:
    s = sim()
    s.apply(deployment("web", replicas=1, profiles={"app": profile(runtime="python", needsEnv=["DB_HOST"])}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "2m", "-o", "html",
               "--settle", "0.5s", "-n", "shop")
    assert run.code == 1, run.out + run.err
    assert "podmortem gate: FAILED" in run.out
    dom = open_report(run.out, "gate-crash-loop", tmp_path)
    assert_one_mark_per_restart(dom)
    assert "app.missing-env" in dom
