"""Fixtures for the simulated cluster: in-process clusters, the real kubectl, and small helpers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from podmortem.sim import SimCluster, SimOptions

KUBECTL = os.environ.get("PODMORTEM_KUBECTL", "/usr/bin/kubectl")
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a round virtual start for tests that do not use kubectl's clock


class Kubectl:
    """The real kubectl against one cluster, with its own KUBECONFIG and discovery cache."""

    def __init__(self, binary: str, kubeconfig: Path, home: Path) -> None:
        self.binary = binary
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home),
                    "KUBECACHEDIR": str(home / "cache"), "NO_COLOR": "1"}

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([self.binary, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)


@pytest.fixture(scope="session")
def kubectl_binary() -> str:
    if not (os.path.isfile(KUBECTL) and os.access(KUBECTL, os.X_OK)):
        pytest.fail(f"the real kubectl is required at {KUBECTL} (or set PODMORTEM_KUBECTL): the simulator is "
                    "tested against it", pytrace=False)
    return KUBECTL


def _kubectl_for(cluster: SimCluster, binary: str, tmp: Path) -> Kubectl:
    kubeconfig = Path(cluster.write_kubeconfig(tmp / "kubeconfig"))
    (tmp / "home").mkdir(exist_ok=True)
    return Kubectl(binary, kubeconfig, tmp / "home")


@pytest.fixture(scope="module")
def default_cluster() -> Iterator[SimCluster]:
    """The bundled scenario, 20 minutes into its crash loops, on the wall clock (kubectl computes ages)."""
    with SimCluster(SimOptions()) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def kubectl(default_cluster: SimCluster, kubectl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    return _kubectl_for(default_cluster, kubectl_binary, tmp_path_factory.mktemp("kubectl"))


@pytest.fixture()
def fresh_cluster() -> Iterator[SimCluster]:
    """A default-scenario cluster a test may change."""
    with SimCluster(SimOptions()) as cluster:
        yield cluster


@pytest.fixture()
def fresh_kubectl(fresh_cluster: SimCluster, kubectl_binary: str, tmp_path: Path) -> Kubectl:
    return _kubectl_for(fresh_cluster, kubectl_binary, tmp_path)


Manifest = Mapping[str, Any]


@pytest.fixture()
def make_cluster() -> Iterator[Callable[..., SimCluster]]:
    """Start a cluster (no HTTP unless serve=True) from manifests given as dicts or YAML text."""
    started: list[SimCluster] = []

    def make(*docs: Manifest | str, serve: bool = False, **options: Any) -> SimCluster:
        objects: list[Manifest] = []
        for d in docs:
            if isinstance(d, str):
                objects.extend(x for x in yaml.safe_load_all(d) if x)
            else:
                objects.append(d)
        options.setdefault("now", T0)
        options.setdefault("start_offset", 0.0)
        options.setdefault("retry_jitter", 0.0)
        cluster = SimCluster(SimOptions(serve=serve, **options), docs=objects).start()
        started.append(cluster)
        return cluster

    yield make
    for c in started:
        c.stop()


def pod_named(cluster: SimCluster, namespace: str, prefix: str) -> dict[str, Any]:
    """The one pod in the namespace whose name starts with prefix (Deployment pods get random suffixes)."""
    with cluster.lock:
        pods = [p for p in cluster.store.items("pods", namespace) if p["metadata"]["name"].startswith(prefix)]
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return pods[0]


def events_of(cluster: SimCluster, namespace: str, name: str) -> list[dict[str, Any]]:
    with cluster.lock:
        return [e for e in cluster.store.items("events", namespace) if e["involvedObject"]["name"] == name]


@pytest.fixture()
def helpers() -> Any:
    class H:
        pod = staticmethod(pod_named)
        events = staticmethod(events_of)

    return H
