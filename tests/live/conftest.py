"""Fixtures for the live source: a small canned cluster served by the simulator in-process (fakeapi.py), and a kubeconfig."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests use --import-mode=importlib: make fakeapi importable

from fakeapi import (
    FakeCluster,
    FakeServer,
    config_error,
    crashlooping,
    deployment,
    event,
    pod,
    replicaset,
)


def _template(image: str, env: list[dict[str, object]]) -> dict[str, object]:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": image, "env": env,
                                     "resources": {"limits": {"memory": "256Mi"}}}]}}


GOOD_TEMPLATE = _template("registry.example/web:1.4.2", [{"name": "DB_HOST", "value": "db"},
                                                         {"name": "LOG_LEVEL", "value": "info"}])
BAD_TEMPLATE = _template("registry.example/web:1.5.0", [{"name": "LOG_LEVEL", "value": "info"}])


def small_cluster() -> FakeCluster:
    """Namespace shop: deployment web rolled from revision 6 (good) to 7 (crashes); an OOM-killed worker;
    a pod stuck on a missing Secret key; healthy pods. Namespace other: one healthy pod."""
    c = FakeCluster()
    good = pod("web-6d8f-aaaaa", "shop", owner=("ReplicaSet", "web-6d8f"), labels={"app": "web"},
               containers=[dict(GOOD_TEMPLATE["spec"]["containers"][0])])  # type: ignore[index]
    c.pods.append(good)
    for i in range(2):
        p = pod(f"web-7c9b-bbbb{i}", "shop", owner=("ReplicaSet", "web-7c9b"), labels={"app": "web"},
                containers=[dict(BAD_TEMPLATE["spec"]["containers"][0])],  # type: ignore[index]
                statuses=[crashlooping("app", exit_code=1)], ready=False)
        c.pods.append(p)
        c.events.append(event(p, "BackOff", "Back-off restarting failed container app in pod "
                                            f"web-7c9b-bbbb{i}_shop(uid)", count=30, field_path="spec.containers{app}"))
        c.add_log("shop", f"web-7c9b-bbbb{i}", "app",
                  "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
                  "    host = os.environ['DB_HOST']\n  File \"<frozen os>\", line 679, in __getitem__\n"
                  "KeyError: 'DB_HOST'\n")
    worker = pod("worker-0", "shop", owner=("StatefulSet", "worker"),
                 containers=[{"name": "worker", "image": "registry.example/worker:2",
                              "resources": {"limits": {"memory": "64Mi"}}}],
                 statuses=[crashlooping("worker", exit_code=137, reason="OOMKilled")], ready=False)
    c.pods.append(worker)
    c.add_log("shop", "worker-0", "worker", "loading 2GB index into memory\n")
    stuck = pod("api-0", "shop", owner=("StatefulSet", "api"),
                containers=[{"name": "api", "image": "registry.example/api:3",
                             "env": [{"name": "DB_PASSWORD",
                                      "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}],
                statuses=[config_error("api", "couldn't find key password in Secret shop/db")],
                phase="Pending", ready=False)
    c.pods.append(stuck)
    c.events.append(event(stuck, "Failed", "Error: couldn't find key password in Secret shop/db", count=12,
                          field_path="spec.containers{api}"))
    c.secrets[("shop", "db")] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
                                 "data": {"username": "YWRtaW4=", "pass": "aHVudGVyMg=="}}
    c.pods.append(pod("cache-0", "shop", owner=("StatefulSet", "cache")))
    c.pods.append(pod("lonely", "other"))
    c.replicasets += [
        replicaset("web-6d8f", "web", 6, GOOD_TEMPLATE, ns="shop", ready=1),
        replicaset("web-7c9b", "web", 7, BAD_TEMPLATE, ns="shop", ready=0, replicas=2),
        replicaset("web-5a1e", "web", 5, _template("registry.example/web:1.4.1", []), ns="shop", ready=0, replicas=0),
    ]
    c.deployments.append(deployment("web", BAD_TEMPLATE, ns="shop", revision=7))
    return c


@pytest.fixture
def cluster() -> FakeCluster:
    return small_cluster()


@pytest.fixture
def server(cluster: FakeCluster) -> Iterator[FakeServer]:
    with FakeServer(cluster) as srv:
        yield srv


@pytest.fixture
def kubeconfig(server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = server.kubeconfig(tmp_path / "kubeconfig", namespace="shop")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube of the machine's user
    return path
