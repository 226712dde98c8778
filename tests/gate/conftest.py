"""Fixtures for `podmortem gate` against the simulated cluster (helpers: gate_support.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests use --import-mode=importlib: make gate_support importable

from gate_support import SPEED, GateRun, Sim

from podmortem.sim import SimCluster, SimOptions


@pytest.fixture()
def sim(tmp_path: Path) -> Iterator[Callable[..., Sim]]:
    """Start a simulated cluster with namespace `shop` (and any objects given) on a fast clock."""
    started: list[SimCluster] = []

    def make(*docs: Mapping[str, Any], **options: Any) -> Sim:
        options.setdefault("speed", SPEED)
        options.setdefault("start_offset", 0.0)
        options.setdefault("retry_jitter", 0.0)
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
        cluster = SimCluster(SimOptions(**options), docs=[ns, *docs]).start()
        started.append(cluster)
        return Sim(cluster, cluster.write_kubeconfig(tmp_path / f"kubeconfig-{len(started)}", namespace="shop"))

    yield make
    for c in started:
        c.stop()


@pytest.fixture()
def gate(capsys: pytest.CaptureFixture[str]) -> Callable[..., GateRun]:
    """Run `podmortem gate ARGS` in this process, through the real entry point (cli.main)."""
    from podmortem.cli import main

    def run(*args: str) -> GateRun:
        start = time.monotonic()
        with pytest.raises(SystemExit) as exited:
            main(["gate", *args])
        seconds = time.monotonic() - start
        out, err = capsys.readouterr()
        code = exited.value.code
        return GateRun(code if isinstance(code, int) else 1, out, err, seconds)

    return run
