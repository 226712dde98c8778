"""The answer stays server-side: no API response carries a profile or an expected cause (issue 16 item 2)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from podmortem.sim import SimCluster
from podmortem.sim.resources import RESOURCES

from .conftest import Kubectl

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
LEAKS = ("sim.podmortem.dev", "expected-cause", "profile.")


def _get(cluster: SimCluster, path: str, accept: str = "application/json") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def test_no_object_of_the_default_scenario_carries_the_answer(default_cluster: SimCluster) -> None:
    scanned = 0
    for rt in RESOURCES:
        if "list" not in rt.verbs:
            continue
        prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        for accept in ("application/json", TABLE):
            code, body = _get(default_cluster, f"{prefix}/{rt.plural}", accept)
            assert code == 200, (rt.plural, body[:200])
            for needle in LEAKS:
                assert needle not in body, (rt.plural, accept, needle)
        items = json.loads(_get(default_cluster, f"{prefix}/{rt.plural}")[1])["items"]
        for obj in items[:50]:
            meta = obj["metadata"]
            path = f"{prefix}/namespaces/{meta['namespace']}/{rt.plural}/{meta['name']}" if rt.namespaced \
                else f"{prefix}/{rt.plural}/{meta['name']}"
            code, body = _get(default_cluster, path)
            assert code == 200 and not any(n in body for n in LEAKS), path
        scanned += len(items)
    assert scanned > 200


def test_the_answer_is_kept_by_the_simulator(default_cluster: SimCluster) -> None:
    expected = default_cluster.expectations()
    assert len(set(expected.values())) >= 20
    code, body = _get(default_cluster, "/sim.podmortem.dev/v1/expectations")
    assert code == 200
    served = {(i["namespace"], i["name"]): i["expectedCause"] for i in json.loads(body)["items"]}
    assert served == expected


def test_describe_shows_no_annotations_on_a_failing_pod(default_cluster: SimCluster, kubectl: Kubectl) -> None:
    (ns, name), _cause = next(iter(sorted(default_cluster.expectations().items())))
    out = kubectl.out("describe", "pod", "-n", ns, name)
    assert "Annotations:      <none>" in out or "Annotations:  <none>" in out or \
        [line for line in out.splitlines() if line.startswith("Annotations:") and "<none>" in line], out[:800]
    assert "sim.podmortem.dev" not in out
    yaml_out = kubectl.out("get", "deploy,rs,sts,job,pod", "-A", "-o", "yaml")
    assert "sim.podmortem.dev" not in yaml_out


def test_a_profile_applied_with_kubectl_drives_the_pod_but_is_not_served(fresh_cluster: SimCluster,
                                                                            fresh_kubectl: Kubectl,
                                                                            tmp_path: object) -> None:
    from pathlib import Path

    manifest = Path(str(tmp_path)) / "crash.yaml"
    manifest.write_text("""apiVersion: apps/v1
kind: Deployment
metadata: {name: crasher, namespace: default}
spec:
  selector: {matchLabels: {app: crasher}}
  template:
    metadata:
      labels: {app: crasher}
      annotations:
        sim.podmortem.dev/profile.app: |
          exitAfterSeconds: 2
          exitCode: 3
          logs: ["fatal: boom"]
    spec:
      containers: [{name: app, image: registry.example.com/crasher:1}]
""")
    fresh_kubectl.run("apply", "-f", str(manifest))
    fresh_cluster.advance(60)
    pods = json.loads(fresh_kubectl.out("get", "pods", "-l", "app=crasher", "-o", "json"))["items"]
    assert len(pods) == 1
    state = pods[0]["status"]["containerStatuses"][0]
    assert state["restartCount"] >= 1 or "terminated" in state["lastState"] or "terminated" in state["state"]
    everything = fresh_kubectl.out("get", "deploy,rs,pod", "-o", "yaml")
    assert "sim.podmortem.dev" not in everything and "fatal: boom" not in everything
    # A second apply of the same file is a no-op, not a new revision.
    fresh_kubectl.run("apply", "-f", str(manifest))
    rs = json.loads(fresh_kubectl.out("get", "rs", "-l", "app=crasher", "-o", "json"))["items"]
    assert len(rs) == 1


def _post(cluster: SimCluster, path: str) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    conn.request("POST", path, body=b"", headers={"Accept": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read().decode())
    conn.close()
    return resp.status, body


def test_the_sim_only_advance_path_jumps_virtual_time(make_cluster: Any) -> None:
    cluster = make_cluster(serve=True)
    before = cluster.now()
    code, body = _post(cluster, "/sim.podmortem.dev/v1/advance?seconds=600")
    assert code == 200, body
    assert cluster.now() - before >= 600
    for bad in ("-1", "nan", "inf", "x", "1e9"):
        code, body = _post(cluster, f"/sim.podmortem.dev/v1/advance?seconds={bad}")
        assert code == 400 and body["reason"] == "BadRequest", (bad, body)
    assert _get(cluster, "/sim.podmortem.dev/v1/advance?seconds=1")[0] == 405


def test_the_sim_only_watches_path_counts_watch_streams(make_cluster: Any) -> None:
    """What tests/e2e/remedies.py waits for before it moves virtual time on under a waiting kubectl."""
    cluster = make_cluster(serve=True)

    def started() -> int:
        code, body = _get(cluster, "/sim.podmortem.dev/v1/watches")
        assert code == 200, body
        doc = json.loads(body)
        assert doc["kind"] == "WatchCount"
        return int(doc["started"])

    assert started() == 0
    code, body = _get(cluster, "/api/v1/pods")  # a list is not a watch
    assert code == 200 and started() == 0
    rv = json.loads(body)["metadata"]["resourceVersion"]
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    resp = conn.getresponse()
    assert resp.status == 200
    resp.read()  # the stream ends after its timeoutSeconds
    conn.close()
    assert started() == 1
    stale = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    stale.request("GET", "/api/v1/pods?watch=1&resourceVersion=1")  # older than the history: 410, not a watch
    assert b"Expired" in stale.getresponse().read() and started() == 1
    stale.close()
