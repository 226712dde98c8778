"""The gate's loop when the cluster goes away or revokes access mid-run (hard to stage in the simulator,
whose open watch streams outlive a stopped server): a scripted client whose watches can be cut."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from podmortem.errors import ApiForbidden, ApiUnreachable
from podmortem.gate.run import Gate, Settings
from podmortem.gate.targets import Target
from podmortem.live.client import Call, Forbidden

DEPLOYMENT = {"metadata": {"name": "web", "namespace": "shop", "uid": "d1", "generation": 1,
                           "annotations": {"deployment.kubernetes.io/revision": "1"}},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}},
              "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1}}
REPLICASET = {"metadata": {"name": "web-5d9f", "uid": "r1", "annotations": {"deployment.kubernetes.io/revision": "1"},
                           "ownerReferences": [{"kind": "Deployment", "uid": "d1", "controller": True}]}}
POD = {"metadata": {"name": "web-5d9f-aaaaa", "namespace": "shop", "uid": "p1",
                    "ownerReferences": [{"kind": "ReplicaSet", "uid": "r1", "controller": True}]},
       "spec": {"containers": [{"name": "app", "image": "registry.example.com/web:1"}]},
       "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                  "containerStatuses": [{"name": "app", "ready": False, "restartCount": 0,
                                         "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}


class Cut(Exception):
    """The connection dropped."""


class Watch:
    chunked = True

    def __init__(self, cut: threading.Event) -> None:
        self.cut = cut

    def stream(self, _amt: int) -> Any:
        self.cut.wait(10)
        raise Cut("connection dropped")
        yield b""  # pragma: no cover - a generator that never yields

    def release_conn(self) -> None:
        pass

    def close(self) -> None:
        self.cut.set()


class Cluster:
    """A rollout stuck with one pod not Ready; `fail` turns every later request into that error."""

    host = "https://203.0.113.7:6443"
    context = "ci"
    namespace = "shop"

    def __init__(self) -> None:
        self.cut = threading.Event()
        self.fail: Exception | None = None
        self.requests: dict[str, int] = {}

    def get_json(self, path: str, _params: Any, call: Call) -> dict[str, Any]:
        if self.fail is not None:
            raise self.fail
        if path.endswith("/deployments/web"):
            return DEPLOYMENT
        items = {"deployments": [DEPLOYMENT], "replicasets": [REPLICASET], "pods": [POD]}[path.rsplit("/", 1)[1]]
        return {"items": items, "metadata": {"resourceVersion": "7"}}

    def stream(self, _path: str, _params: Any, _call: Call, timeout: float) -> Watch:
        if self.fail is not None:
            raise self.fail
        return Watch(self.cut)

    def outage(self, error: Exception, after: float) -> threading.Timer:
        def go() -> None:
            self.fail = error
            self.cut.set()  # every open watch drops; the lists that follow fail

        timer = threading.Timer(after, go)
        timer.start()
        return timer


def run(cluster: Cluster, timeout: float) -> Any:
    gate = Gate(cluster, "shop", [Target("Deployment", "web")], None, Settings(timeout, settle=0.0))  # type: ignore[arg-type]
    return gate.run()


def test_without_trouble_the_stuck_rollout_times_out() -> None:
    outcome = run(Cluster(), 0.5)
    assert outcome.result == "timeout"
    assert [p.why for p in outcome.not_ready] == ["container app is running but not Ready"]


def test_cluster_lost_mid_run_is_reported_at_the_deadline() -> None:
    cluster = Cluster()
    timer = cluster.outage(ApiUnreachable("cannot reach the Kubernetes API at https://203.0.113.7:6443: "
                                          "connection refused"), 0.2)
    try:
        with pytest.raises(ApiUnreachable, match="connection refused"):
            run(cluster, 1.0)
    finally:
        timer.cancel()


def test_a_short_outage_is_waited_out() -> None:
    cluster = Cluster()
    timer = cluster.outage(ApiUnreachable("down"), 0.1)
    back = threading.Timer(0.4, lambda: setattr(cluster, "fail", None))
    back.start()
    try:
        outcome = run(cluster, 1.5)
    finally:
        timer.cancel()
        back.cancel()
    assert outcome.result == "timeout"  # the rollout is still stuck, but the cluster answered again


def test_permission_revoked_mid_run_fails_at_once() -> None:
    cluster = Cluster()
    timer = cluster.outage(Forbidden(Call("list", "pods", "shop"), 403, 'pods is forbidden: User "ci" cannot list'),
                           0.2)
    try:
        with pytest.raises(ApiForbidden, match=r"missing RBAC: list \w+ in namespace shop"):
            run(cluster, 10.0)
    finally:
        timer.cancel()


def test_unreachable_before_the_first_list() -> None:
    cluster = Cluster()
    cluster.fail = ApiUnreachable("cannot reach the Kubernetes API")
    with pytest.raises(ApiUnreachable):
        run(cluster, 10.0)
