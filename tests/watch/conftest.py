"""The simulated cluster the watcher's acceptance tests run against (simwatch.py says how time works)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests use --import-mode=importlib: make simwatch importable

from simwatch import SPEED, namespace

from podmortem.sim.cluster import SimCluster, SimOptions


@pytest.fixture
def sim(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[SimCluster, str]]:
    speed = getattr(request, "param", SPEED)  # indirect parametrisation: a slower virtual clock
    with SimCluster(SimOptions(port=0, speed=speed, start_offset=0), docs=[namespace("shop")]) as cluster:
        kubeconfig = str(tmp_path / "kubeconfig")
        cluster.write_kubeconfig(kubeconfig, namespace="shop")
        yield cluster, kubeconfig


