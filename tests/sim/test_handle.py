"""The API server as a pure function: `api.handle(cluster, Request) -> Response`, no socket involved.

The same routes the real kubectl reaches over HTTP (test_kubectl.py), called in-process: discovery,
the verbs, Status errors, faults, a watch stream read to its end, and the route table's 404s.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from podmortem.sim import SimCluster, SimOptions
from podmortem.sim.api import call, handle
from podmortem.sim.faults import FaultRule
from podmortem.sim.wire import Request, StreamDropped

T0 = 1_767_225_600.0

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}


@pytest.fixture()
def cluster() -> Iterator[SimCluster]:
    with SimCluster(SimOptions(serve=False, now=T0), docs=[]) as c:
        yield c


def test_no_socket_is_opened(cluster: SimCluster) -> None:
    assert cluster.server is None and cluster.port == 0
    assert call(cluster, "GET", "/version").json()["gitVersion"].startswith("v1.32")


def test_create_get_and_list_with_a_selector(cluster: SimCluster) -> None:
    created = call(cluster, "POST", "/api/v1/namespaces/default/pods", POD)
    assert created.status == 201 and created.json()["metadata"]["uid"]
    got = call(cluster, "GET", "/api/v1/namespaces/default/pods/web")
    assert got.status == 200 and got.json()["spec"]["nodeName"]
    listed = call(cluster, "GET", "/api/v1/pods?labelSelector=app%3Dweb&limit=5").json()
    assert [p["metadata"]["name"] for p in listed["items"]] == ["web"]
    assert call(cluster, "GET", "/api/v1/pods?labelSelector=app%3Ddb").json()["items"] == []


def test_table_format_for_kubectl_get(cluster: SimCluster) -> None:
    call(cluster, "POST", "/api/v1/namespaces/default/pods", POD)
    doc = call(cluster, "GET", "/api/v1/namespaces/default/pods",
               headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).json()
    assert doc["kind"] == "Table"
    assert [c["name"] for c in doc["columnDefinitions"]][:3] == ["Name", "Ready", "Status"]


def test_errors_are_status_objects(cluster: SimCluster) -> None:
    missing = call(cluster, "GET", "/api/v1/namespaces/default/pods/nope")
    assert missing.status == 404
    assert missing.json()["message"] == 'pods "nope" not found'
    assert call(cluster, "GET", "/apis/no.such/v1/things").status == 404
    assert call(cluster, "GET", "/nowhere").status == 404
    assert call(cluster, "OPTIONS", "/api/v1/namespaces/default/pods").status == 405
    bad = handle(cluster, Request("POST", "/api/v1/namespaces/default/pods", {"Content-Type": "application/json"},
                                  b"[1, 2]"))
    assert bad.status == 400


def test_a_token_is_checked_when_the_cluster_asks_for_one() -> None:
    with SimCluster(SimOptions(serve=False, now=T0, check_token=True), docs=[]) as c:
        assert handle(c, Request("GET", "/api/v1/pods")).status == 401
        assert call(c, "GET", "/api/v1/pods").status == 200  # call() sends the cluster's token


def test_throttle_fault_answers_429_with_retry_after() -> None:
    rule = FaultRule("throttle", verb="list", resource="pods", retry_after=3, count=1)
    with SimCluster(SimOptions(serve=False, now=T0, faults=[rule]), docs=[]) as c:
        first = call(c, "GET", "/api/v1/pods")
        assert first.status == 429 and first.headers["Retry-After"] == "3"
        assert call(c, "GET", "/api/v1/pods").status == 200


def test_watch_is_a_stream_of_json_lines(cluster: SimCluster) -> None:
    call(cluster, "POST", "/api/v1/namespaces/default/pods", POD)
    watch = call(cluster, "GET", "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=0")
    assert watch.stream is not None
    events = [orjson.loads(line) for line in watch.read().splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "web")]


def test_a_drop_watch_fault_ends_the_stream_with_stream_dropped() -> None:
    rule = FaultRule("drop-watch", after=0.0)
    with SimCluster(SimOptions(serve=False, now=T0, faults=[rule]), docs=[]) as c:
        watch = call(c, "GET", "/api/v1/namespaces/default/pods?watch=true")
        with pytest.raises(StreamDropped):
            watch.read()


def test_logs_and_the_no_runtime_answer(cluster: SimCluster) -> None:
    call(cluster, "POST", "/api/v1/namespaces/default/pods", POD)
    cluster.advance(30)
    assert call(cluster, "GET", "/api/v1/namespaces/default/pods/web/log").status == 200
    exec_ = call(cluster, "POST", "/api/v1/namespaces/default/pods/web/exec?command=sh")
    assert exec_.status == 400 and "no container runtime" in exec_.json()["message"]
