"""The cluster-wide event list read by a forked helper (live/eventfork.py) gives what the collector's
own thread gives: the same events per pod, the same requests counted, the same fall-back per
namespace when the list is refused or the helper dies; and no request when the list is not wanted.

pytest runs servers on threads, where the collector would not fork (a child could inherit a lock one
of them holds): these tests let it, the helper using nothing those threads hold."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeCluster, Fault, crashlooping, event, pod, replicaset

from podmortem.live import eventfork, parallel
from podmortem.live.client import connect
from podmortem.live.collect import CLUSTER_WIDE_FROM, Collector, Scope


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let fork_helper fork in the test process, and record each helper's pid."""
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    pids: list[int] = []
    real = parallel.fork_helper

    def recorded(body: Any) -> Any:
        helper = real(body)
        if helper is not None:
            pids.append(helper.pid)
        return helper

    monkeypatch.setattr(parallel, "fork_helper", recorded)
    return pids


def _many_namespaces(cluster: FakeCluster, n: int = CLUSTER_WIDE_FROM + 2) -> None:
    template = {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
    for i in range(n):
        p = pod("app-1-a", f"ns{i}", owner=("ReplicaSet", "app-1"),
                containers=[{"name": "app", "image": "registry.example/app:1"}],
                statuses=[crashlooping("app")], ready=False)
        cluster.pods.append(p)
        cluster.events.append(event(p, "BackOff", "Back-off restarting failed container app"))
        cluster.events.append(event(p, "Pulled", f"Container image \"app:{i}\" already present", type_="Normal"))
        cluster.replicasets.append(replicaset("app-1", "app", 1, template, ns=f"ns{i}", ready=0))
    healthy = pod("web-0", "ns0", containers=[{"name": "web", "image": "web:1"}])
    cluster.pods.append(healthy)
    cluster.events.append(event(healthy, "Started", "Started container web", type_="Normal"))
    cluster.events.sort(key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))  # the API's order


def _collect(kubeconfig: Path) -> tuple[Any, dict[str, int]]:
    client = connect(str(kubeconfig))
    col = Collector(client).collect(Scope(None))
    return col, dict(client.requests)


def test_the_helper_reads_what_the_thread_reads(kubeconfig: Path, cluster: FakeCluster, forks: list[int],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _many_namespaces(cluster)
    forked, forked_requests = _collect(kubeconfig)
    assert len(forks) == 1
    assert cluster.requests["/api/v1/events"] == 1  # sent by the helper, counted here too
    monkeypatch.setattr(parallel, "fork_helper", lambda body: None)
    threaded, threaded_requests = _collect(kubeconfig)
    assert forked.events == threaded.events
    assert forked_requests == threaded_requests
    assert [e["reason"] for e in forked.events[("ns1", "app-1-a")]] == ["BackOff", "Pulled"]
    assert ("ns0", "web-0") not in forked.events  # healthy: its events are not kept


def test_a_refused_list_falls_back_per_namespace(kubeconfig: Path, cluster: FakeCluster, forks: list[int]) -> None:
    _many_namespaces(cluster)
    cluster.faults.append(Fault(r"^/api/v1/events$", code=403, times=100))
    cluster.faults.append(Fault(r"^/api/v1/namespaces/ns2/events$", code=403, times=100))
    col, _ = _collect(kubeconfig)
    assert len(forks) == 1
    assert [(m.resource, m.namespace) for m in col.missing_rbac] == [("events", "ns2")]
    assert ("ns2", "app-1-a") not in col.events
    assert [e["reason"] for e in col.events[("ns3", "app-1-a")]] == ["BackOff", "Pulled"]


def test_a_helper_that_dies_leaves_the_list_to_the_namespaces(kubeconfig: Path, cluster: FakeCluster,
                                                               forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    _many_namespaces(cluster)
    monkeypatch.setattr(eventfork, "_list_events", lambda *a: os._exit(3))
    col, _ = _collect(kubeconfig)
    assert len(forks) == 1
    assert cluster.requests["/api/v1/events"] == 0
    assert [e["reason"] for e in col.events[("ns1", "app-1-a")]] == ["BackOff", "Pulled"]  # per namespace
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped


def test_no_request_when_the_list_is_not_wanted(kubeconfig: Path, cluster: FakeCluster, forks: list[int]) -> None:
    _many_namespaces(cluster, n=2)  # too few namespaces fail for the cluster-wide list
    col, _ = _collect(kubeconfig)
    assert len(forks) == 1
    assert cluster.requests["/api/v1/events"] == 0
    assert [e["reason"] for e in col.events[("ns1", "app-1-a")]] == ["BackOff", "Pulled"]
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)


def test_without_fork_or_beside_other_threads_there_is_no_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert parallel.fork_helper(lambda receive, send: None) is None


def test_on_the_simulator_the_report_is_the_threads(tmp_path: Path, forks: list[int],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """--scale 2000 (enough failing namespaces for the cluster-wide list): every pod's events and
    the whole report, with the helper and without."""
    from datetime import UTC, datetime

    from podmortem.live.report import diagnose_collection, render_live
    from podmortem.sim.cluster import SimCluster, SimOptions

    now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)

    def run(kc: str) -> tuple[Any, str, dict[str, int]]:
        client = connect(kc)
        col = Collector(client, now=lambda: now, whole_pods=False).collect(Scope(None))
        assert col.listed_at is not None
        return col.events, render_live(diagnose_collection(col, now=col.listed_at, workers=1), "json",
                                       color=False), dict(client.requests)

    with SimCluster(SimOptions(scale=2000, speed=0.0), docs=[]) as cluster:  # the clock stands still
        kc = cluster.write_kubeconfig(tmp_path / "kc")
        forked = run(kc)
        assert len(forks) == 1
        monkeypatch.setattr(parallel, "fork_helper", lambda body: None)
        threaded = run(kc)
    assert forked[2]["events"] >= 1  # the cluster-wide list, in pages
    assert forked == threaded


@pytest.mark.parametrize("fault", ["error:rate=0.3", "expire-continue", "throttle:retry-after=1,count=3"])
def test_faults_leave_the_helpers_events_as_they_were(fault: str, tmp_path: Path, forks: list[int]) -> None:
    """Answers that fail, expire or throttle: the helper retries as the client does, or its list fails
    and the namespaces' lists stand in; the events kept are those of a run without the fault."""
    from podmortem.sim.cluster import SimCluster, SimOptions
    from podmortem.sim.faults import parse_fault

    with SimCluster(SimOptions(scale=2000, speed=0.0), docs=[]) as cluster:  # the clock stands still
        kc = cluster.write_kubeconfig(tmp_path / "kc")
        calm = Collector(connect(kc)).collect(Scope(None)).events
        cluster.faults.add(parse_fault(fault))
        client = connect(kc)
        client.sleep = lambda _s: None  # Retry-After and back-off waits are not slept here
        faulty = Collector(client).collect(Scope(None)).events
    assert len(forks) == 2
    assert faulty == calm
