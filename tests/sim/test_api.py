"""The simulated API server over HTTP: discovery, lists, watches, writes, errors and fault injection."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from podmortem.errors import InputError
from podmortem.sim import SimCluster
from podmortem.sim.faults import FaultRule, parse_fault

Make = Callable[..., SimCluster]

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
""" + "".join(f"""---
apiVersion: v1
kind: Pod
metadata:
  name: p{i:02d}
  namespace: team-{'a' if i % 2 else 'b'}
  labels: {{app: web, tier: "{'front' if i < 5 else 'back'}"}}
spec:
  containers: [{{name: app, image: registry.example.com/app:1}}]
""" for i in range(10))


@pytest.fixture()
def api(make_cluster: Make) -> Iterator[Callable[..., tuple[int, Any, dict[str, str]]]]:
    cluster = make_cluster(PODS, serve=True, now=None, start_offset=120)

    def call(method: str, path: str, body: Any = None, accept: str = "application/json",
             ctype: str = "application/json") -> tuple[int, Any, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=10)
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        conn.request(method, path, body=data, headers={"Accept": accept, "Content-Type": ctype})
        resp = conn.getresponse()
        raw = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw.decode()
        return resp.status, parsed, headers

    call.cluster = cluster  # type: ignore[attr-defined]
    yield call


def test_discovery(api: Any) -> None:
    code, body, _ = api("GET", "/api")
    assert code == 200 and body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    code, body, headers = api("GET", "/apis", accept=AGGREGATED)
    assert headers["content-type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    groups = {g["metadata"]["name"]: g for g in body["items"]}
    deployments = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["shortNames"] == ["deploy"] and deployments["scope"] == "Namespaced"
    code, body, _ = api("GET", "/api", accept=AGGREGATED)
    pods = next(r for r in body["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert {s["subresource"] for s in pods["subresources"]} == {"attach", "ephemeralcontainers", "exec", "log",
                                                                  "portforward", "status"}
    code, body, _ = api("GET", "/api/v1")
    assert {r["name"] for r in body["resources"]} >= {"pods", "pods/log", "events", "configmaps", "secrets", "nodes"}
    code, body, _ = api("GET", "/apis/batch/v1")
    assert body["groupVersion"] == "batch/v1" and body["resources"][0]["name"] == "jobs"
    code, body, _ = api("GET", "/version")
    assert body["gitVersion"] == "v1.32.4"
    code, body, _ = api("GET", "/apis/nope/v1")
    assert code == 404 and body["message"] == "the server could not find the requested resource"


def test_not_found_and_already_exists_bodies(api: Any) -> None:
    code, body, _ = api("GET", "/api/v1/namespaces/team-a/pods/missing")
    assert code == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'pods "missing" not found', "reason": "NotFound",
                    "details": {"name": "missing", "kind": "pods"}, "code": 404}
    code, body, _ = api("GET", "/apis/apps/v1/namespaces/team-a/deployments/web")
    assert body["message"] == 'deployments.apps "web" not found' and body["details"]["group"] == "apps"
    code, body, _ = api("POST", "/api/v1/namespaces/team-a/pods", {"metadata": {"name": "p01"}, "spec": {
        "containers": [{"name": "a", "image": "x"}]}})
    assert code == 409 and body["reason"] == "AlreadyExists" and body["message"] == 'pods "p01" already exists'
    code, body, _ = api("POST", "/api/v1/namespaces/nowhere/configmaps", {"metadata": {"name": "c"}})
    assert code == 404 and body["message"] == 'namespaces "nowhere" not found'
    code, body, _ = api("POST", "/api/v1/namespaces/team-a/pods", {"metadata": {"name": "bad"}, "spec": {}})
    assert code == 422 and body["reason"] == "Invalid" and "spec.containers: Required value" in body["message"]


def test_label_and_field_selectors(api: Any) -> None:
    code, body, _ = api("GET", "/api/v1/pods?labelSelector=" + quote("app=web,tier in (front)"))
    assert [p["metadata"]["name"] for p in body["items"]] == ["p01", "p03", "p00", "p02", "p04"]
    code, body, _ = api("GET", "/api/v1/namespaces/team-a/pods?labelSelector=" + quote("tier!=front"))
    assert [p["metadata"]["name"] for p in body["items"]] == ["p05", "p07", "p09"]
    code, body, _ = api("GET", "/api/v1/pods?fieldSelector=" + quote("metadata.name=p03"))
    assert [p["metadata"]["name"] for p in body["items"]] == ["p03"]
    code, body, _ = api("GET", "/api/v1/pods?fieldSelector=" + quote("status.phase=Running,metadata.namespace=team-b"))
    assert {p["metadata"]["namespace"] for p in body["items"]} == {"team-b"} and len(body["items"]) == 5
    code, body, _ = api("GET", "/api/v1/pods?fieldSelector=" + quote("spec.containers=x"))
    assert code == 400 and body["message"] == "field label not supported: spec.containers"
    code, body, _ = api("GET", "/api/v1/pods?labelSelector=" + quote("app in web"))
    assert code == 400 and body["message"].startswith("unable to parse requirement")


def test_events_by_involved_object(api: Any) -> None:
    pod = api("GET", "/api/v1/namespaces/team-a/pods/p01")[1]
    selector = quote(f"involvedObject.name=p01,involvedObject.namespace=team-a,involvedObject.uid={pod['metadata']['uid']}")
    code, body, _ = api("GET", f"/api/v1/namespaces/team-a/events?fieldSelector={selector}&limit=500")
    reasons = [e["reason"] for e in body["items"]]
    assert code == 200 and {"Scheduled", "Created", "Started"} <= set(reasons)
    assert all(e["involvedObject"]["name"] == "p01" for e in body["items"])


def test_selected_pages_join_to_the_selected_list(api: Any) -> None:
    """A field-selected list read in pages gives exactly the one-shot list, in the same order."""
    whole = api("GET", "/api/v1/events?fieldSelector=involvedObject.kind%3DPod")[1]["items"]
    assert whole and all(e["involvedObject"]["kind"] == "Pod" for e in whole)
    got: list[tuple[str, str]] = []
    path = "/api/v1/events?fieldSelector=involvedObject.kind%3DPod&limit=3"
    while True:
        body = api("GET", path)[1]
        assert len(body["items"]) <= 3
        got += [(e["metadata"]["namespace"], e["metadata"]["name"]) for e in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
        path = f"/api/v1/events?fieldSelector=involvedObject.kind%3DPod&limit=3&continue={quote(token)}"
    assert got == [(e["metadata"]["namespace"], e["metadata"]["name"]) for e in whole]


def test_pagination_and_expired_continue(api: Any) -> None:
    names: list[str] = []
    path = "/api/v1/pods?limit=4&labelSelector=app%3Dweb"
    pages = 0
    while True:
        code, body, _ = api("GET", path)
        assert code == 200
        names += [p["metadata"]["name"] for p in body["items"]]
        pages += 1
        token = body["metadata"].get("continue")
        if not token:
            break
        # etcd3's store counts what remains only without a selector (it would count non-matching objects)
        assert "remainingItemCount" not in body["metadata"]
        path = f"/api/v1/pods?limit=4&labelSelector=app%3Dweb&continue={token}"
    assert pages == 3 and sorted(names) == [f"p{i:02d}" for i in range(10)]
    code, body, _ = api("GET", "/api/v1/pods?limit=4")
    assert body["metadata"]["remainingItemCount"] == len(api.cluster.objects("pods")) - 4
    token = body["metadata"]["continue"]
    with api.cluster.lock:
        api.cluster.store.compact()  # as after etcd compaction: the token's resourceVersion is gone
        api.cluster.store.rv += 1
        api.cluster.store.oldest_rv = api.cluster.store.rv
    code, body, _ = api("GET", f"/api/v1/pods?limit=4&continue={token}")
    assert code == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old to display a consistent list result.")


def test_table_for_pods(api: Any) -> None:
    code, body, _ = api("GET", "/api/v1/namespaces/team-a/pods?limit=500", accept=TABLE)
    assert code == 200 and body["kind"] == "Table" and body["apiVersion"] == "meta.k8s.io/v1"
    cols = [(c["name"], c["priority"]) for c in body["columnDefinitions"]]
    assert cols == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1),
                    ("Nominated Node", 1), ("Readiness Gates", 1)]
    row = body["rows"][0]
    assert row["cells"][:4] == ["p01", "1/1", "Running", "0"]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["namespace"] == "team-a"
    _code, body, _ = api("GET", "/api/v1/namespaces/team-a/pods/p01?includeObject=Object", accept=TABLE)
    assert body["rows"][0]["object"]["kind"] == "Pod"


def _stream(cluster: SimCluster, path: str, accept: str = "application/json") -> tuple[socket.socket, Any]:
    sock = socket.create_connection(("127.0.0.1", cluster.port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n".encode())
    return sock, sock.makefile("rb")


def _events(f: Any, n: int) -> list[dict[str, Any]]:
    """Read n watch events from a chunked HTTP response (after its headers)."""
    out = []
    while len(out) < n:
        size_line = f.readline()
        if not size_line:
            break
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            break
        data = f.read(size)
        f.readline()
        out += [json.loads(x) for x in data.splitlines() if x.strip()]
    return out


def _skip_headers(f: Any) -> str:
    status = f.readline().decode()
    while f.readline().strip():
        pass
    return status


def test_watch_from_a_resource_version(api: Any) -> None:
    cluster = api.cluster
    _code, body, _ = api("GET", "/api/v1/namespaces/team-a/configmaps")
    rv = body["metadata"]["resourceVersion"]
    sock, f = _stream(cluster, f"/api/v1/namespaces/team-a/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=5")
    try:
        assert "200" in _skip_headers(f)
        api("POST", "/api/v1/namespaces/team-a/configmaps", {"metadata": {"name": "cfg", "labels": {"a": "b"}},
                                                              "data": {"k": "v"}})
        api("PATCH", "/api/v1/namespaces/team-a/configmaps/cfg", {"data": {"k": "w"}},
            ctype="application/merge-patch+json")
        api("DELETE", "/api/v1/namespaces/team-a/configmaps/cfg")
        events = _events(f, 3)
    finally:
        sock.close()
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["data"] == {"k": "w"}
    assert int(events[2]["object"]["metadata"]["resourceVersion"]) > int(events[1]["object"]["metadata"]["resourceVersion"])


def test_watch_too_old_is_an_error_event(api: Any) -> None:
    sock, f = _stream(api.cluster, "/api/v1/pods?watch=true&resourceVersion=5")
    try:
        assert "200" in _skip_headers(f)
        events = _events(f, 1)
    finally:
        sock.close()
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith("too old resource version: 5 (")


def test_watch_list_sends_initial_events_then_a_bookmark(api: Any) -> None:
    path = ("/api/v1/namespaces/team-b/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
            "&resourceVersionMatch=NotOlderThan&timeoutSeconds=2")
    sock, f = _stream(api.cluster, path, TABLE)
    try:
        _skip_headers(f)
        events = _events(f, 6)
    finally:
        sock.close()
    assert [e["type"] for e in events] == ["ADDED"] * 5 + ["BOOKMARK"]
    assert events[0]["object"]["kind"] == "Table" and events[0]["object"]["columnDefinitions"]
    assert events[1]["object"]["columnDefinitions"] is None  # the header comes once per stream
    assert events[5]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_patch_flavours_and_conflicts(api: Any) -> None:
    base = {"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.26",
                                                           "env": [{"name": "A", "value": "1"}]}]}}}}
    code, dep, _ = api("POST", "/apis/apps/v1/namespaces/team-a/deployments", base)
    assert code == 201 and dep["metadata"]["generation"] == 1
    smp = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                                          "env": [{"name": "B", "value": "2"}]}]}}}}
    code, dep, _ = api("PATCH", "/apis/apps/v1/namespaces/team-a/deployments/web", smp,
                       ctype="application/strategic-merge-patch+json")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert code == 200 and c["image"] == "nginx:1.27" and [e["name"] for e in c["env"]] == ["A", "B"]
    assert dep["metadata"]["generation"] == 2
    code, dep, _ = api("PATCH", "/apis/apps/v1/namespaces/team-a/deployments/web",
                       [{"op": "replace", "path": "/spec/replicas", "value": 3}], ctype="application/json-patch+json")
    assert dep["spec"]["replicas"] == 3
    stale = dict(dep, metadata={**dep["metadata"], "resourceVersion": "1"})
    code, body, _ = api("PUT", "/apis/apps/v1/namespaces/team-a/deployments/web", stale)
    assert code == 409 and body["reason"] == "Conflict"
    assert body["message"].startswith('Operation cannot be fulfilled on deployments.apps "web": the object has been '
                                      "modified")
    # Server-side apply needs a field manager (serverside.py; kubectl sends fieldManager=kubectl).
    code, body, _ = api("PATCH", "/apis/apps/v1/namespaces/team-a/deployments/web", {"a": 1},
                        ctype="application/apply-patch+yaml")
    assert code == 422 and "fieldManager: Required value" in body["message"]
    code, rs, _ = api("GET", "/apis/apps/v1/namespaces/team-a/replicasets")
    revisions = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rs["items"])
    assert revisions == ["1", "2"]
    for r in rs["items"]:
        ref = r["metadata"]["ownerReferences"][0]
        assert (ref["kind"], ref["name"], ref["controller"]) == ("Deployment", "web", True)
        assert r["metadata"]["name"] == f"web-{r['metadata']['labels']['pod-template-hash']}"
    code, scale, _ = api("GET", "/apis/apps/v1/namespaces/team-a/deployments/web/scale")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 3 and scale["status"]["selector"] == "app=web"
    code, body, _ = api("DELETE", "/apis/apps/v1/namespaces/team-a/deployments/web")
    assert body["status"] == "Success" and body["details"]["kind"] == "deployments"
    code, rs, _ = api("GET", "/apis/apps/v1/namespaces/team-a/replicasets")
    assert rs["items"] == []  # garbage-collected with their owner


# --- faults --------------------------------------------------------------------------------------------

def test_fault_500(api: Any) -> None:
    api.cluster.faults.add(FaultRule("error", verb="list", resource="pods", count=1))
    code, body, _ = api("GET", "/api/v1/pods")
    assert code == 500 and body["reason"] == "InternalError"
    assert api("GET", "/api/v1/pods")[0] == 200  # count=1: only the first request fails


def test_fault_429_with_retry_after(api: Any) -> None:
    api.cluster.faults.add(FaultRule("throttle", retry_after=3))
    code, body, headers = api("GET", "/api/v1/namespaces/team-a/pods/p01")
    assert code == 429 and headers["retry-after"] == "3"
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 3


def test_fault_403_forbidden(api: Any) -> None:
    api.cluster.faults.add(FaultRule("forbidden", verb="list", resource="secrets", user="alice"))
    code, body, _ = api("GET", "/api/v1/secrets")
    assert code == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" at the '
                               "cluster scope")
    code, body, _ = api("GET", "/api/v1/namespaces/team-a/secrets")
    assert body["message"].endswith('in API group "" in the namespace "team-a"')
    assert api("GET", "/api/v1/namespaces/team-a/pods")[0] == 200


def test_fault_slow_and_expired_continue(api: Any) -> None:
    api.cluster.faults.add(FaultRule("slow", resource="configmaps", delay=0.6))
    t0 = time.monotonic()
    assert api("GET", "/api/v1/configmaps")[0] == 200
    assert time.monotonic() - t0 >= 0.6
    api.cluster.faults.add(FaultRule("expire-continue"))
    token = api("GET", "/api/v1/pods?limit=2")[1]["metadata"]["continue"]
    code, body, _ = api("GET", f"/api/v1/pods?limit=2&continue={token}")
    assert code == 410 and body["reason"] == "Expired"


def test_fault_dropped_watch(api: Any) -> None:
    api.cluster.faults.add(FaultRule("drop-watch", after=0.5))
    sock, f = _stream(api.cluster, "/api/v1/namespaces/team-a/pods?watch=1&timeoutSeconds=30")
    try:
        _skip_headers(f)
        # The initial ADDED events, then the stream is cut without a final chunk. The socket timeout
        # guards against a watch that is never cut (it would run to timeoutSeconds=30): it fails the
        # test with an error instead of passing late; it is not a measure of speed.
        sock.settimeout(20)
        events = _events(f, 100)
    finally:
        sock.close()
    assert len(events) == 5


def test_parse_fault_flags() -> None:
    rule = parse_fault("forbidden:verb=list,resource=secrets,user=bob")
    assert (rule.kind, rule.verb, rule.resource, rule.user) == ("forbidden", "list", "secrets", "bob")
    assert parse_fault("429:retry-after=2,count=3").retry_after == 2
    assert parse_fault("drop-watch:after=1.5").after == 1.5
    with pytest.raises(InputError, match="unknown kind"):
        parse_fault("explode")
    with pytest.raises(InputError, match="needs a number"):
        parse_fault("slow:delay=soon")


def test_log_follow_streams_new_lines(make_cluster: Make) -> None:
    ticker = """
apiVersion: v1
kind: Pod
metadata:
  name: ticker
  namespace: default
  annotations:
    sim.podmortem.dev/profile.app: |
      logs: ["starting"]
      repeatLogs: ["tick"]
      repeatEverySeconds: 5
spec:
  containers: [{name: app, image: registry.example.com/app:1}]
"""
    cluster = make_cluster(ticker, serve=True, now=None, start_offset=60)
    sock, f = _stream(cluster, "/api/v1/namespaces/default/pods/ticker/log?follow=true&tailLines=2", "*/*")
    try:
        assert "200" in _skip_headers(f)
        first = f.read(int(f.readline().strip(), 16)).decode()
        f.readline()
        assert first == "tick\ntick\n"
        cluster.advance(11)
        more = f.read(int(f.readline().strip(), 16)).decode()
    finally:
        sock.close()
    assert more.startswith("tick\n")


def test_an_early_error_leaves_a_kept_alive_connection_usable(api: Any) -> None:
    api.cluster.faults.add(FaultRule("forbidden", verb="create", resource="configmaps"))
    conn = http.client.HTTPConnection("127.0.0.1", api.cluster.port, timeout=10)
    body = json.dumps({"metadata": {"name": "c"}, "data": {"k": "v" * 1000}})
    conn.request("POST", "/api/v1/namespaces/team-a/configmaps", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 403 and json.loads(resp.read())["reason"] == "Forbidden"
    conn.request("GET", "/api/v1/namespaces/team-a/pods/p01")  # same connection
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["metadata"]["name"] == "p01"
    conn.close()
