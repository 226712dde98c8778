"""The fast collection plan (cluster-wide lists, concurrent) gives what the plain sequential one gives.

The reference path is the collector with `cluster_wide=False` and one worker: one request at a
time, events per namespace or per pod, ReplicaSets per namespace. Both run against the same
simulated cluster over HTTP, on the default scenario and on a scaled one, and must agree on
every pod's findings, notes and groups, modulo order. A 403 on the cluster-wide lists (a role
bound in some namespaces only) falls back to the per-namespace plan and records the refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeCluster, Fault

from podmortem.live.client import connect
from podmortem.live.collect import CLUSTER_WIDE_FROM, Collector, Scope
from podmortem.live.report import diagnose_collection

pytest.importorskip("podmortem.sim.cluster")


NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def outcome(kubeconfig: str, *, workers: int = 1, **kw: Any) -> tuple[dict[tuple[str, str], Any], list[Any], dict[str, int]]:
    client = connect(kubeconfig)
    col = Collector(client, now=lambda: NOW, **kw).collect(Scope(None))
    assert col.listed_at is not None
    result = diagnose_collection(col, now=col.listed_at, workers=workers)
    pods = {(d.namespace, d.name): (d.status, [(f.cause, f.container, f.summary) for f in d.findings],
                                    sorted(d.notes), d.missing) for d in result.diagnoses}
    groups = sorted((g.namespace, g.owner, g.cause, tuple(sorted(g.pods)), repr(g.what_changed)) for g in result.groups)
    return pods, groups, dict(client.requests)


@pytest.mark.parametrize("scale", [None, 2000])
def test_fast_path_equals_the_sequential_reference(scale: int | None, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path as `diagnose` runs it: the pipelined collection (healthy pods recognised on the
    typed view of the list, live/podpage.py), then the engine shared out among forked processes
    (live/parallel.py), against one request at a time, whole pod objects and one process."""
    from podmortem.live import parallel, report
    from podmortem.sim.cluster import SimCluster, SimOptions

    forks: list[range] = []
    fork = parallel._fork

    def counted(fn: Any, items: Any, part: range, *rest: Any) -> Any:
        forks.append(part)
        return fork(fn, items, part, *rest)

    monkeypatch.setattr(parallel, "_fork", counted)
    monkeypatch.setattr(report, "PARALLEL_FROM", 2)  # the default scenario has a few dozen pods

    # The simulated clock stands still (speed 0) and both runs diagnose at the same moment: the
    # two paths must see one cluster state, or a pod moving from ErrImagePull on would differ.
    opts = SimOptions(scale=scale or 0, speed=0.0)
    with SimCluster(opts, **({"docs": []} if scale else {})) as cluster:
        kc = cluster.write_kubeconfig(tmp_path / "kc")
        fast_pods, fast_groups, fast_requests = outcome(kc, workers=3, whole_pods=False)
        ref_pods, ref_groups, ref_requests = outcome(kc, cluster_wide=False, concurrency=1)
    assert len(forks) == 2 and all(forks)
    assert fast_pods == ref_pods
    assert fast_groups == ref_groups
    assert sum(fast_requests.values()) <= sum(ref_requests.values())
    if scale:  # enough namespaces fail for the cluster-wide list to be chosen, and it is fewer calls
        assert fast_requests["replicasets"] < ref_requests["replicasets"]


def _many_namespaces(cluster: FakeCluster) -> None:
    from fakeapi import crashlooping, event, pod, replicaset

    template = {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
    for i in range(CLUSTER_WIDE_FROM + 2):
        p = pod("app-1-a", f"ns{i}", owner=("ReplicaSet", "app-1"),
                containers=[{"name": "app", "image": "registry.example/app:1"}],
                statuses=[crashlooping("app")], ready=False)
        cluster.pods.append(p)
        cluster.events.append(event(p, "BackOff", "Back-off restarting failed container app"))
        cluster.replicasets.append(replicaset("app-1", "app", 1, template, ns=f"ns{i}", ready=0))
    cluster.events.sort(key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))  # the API's order


def test_cluster_wide_events_are_one_list_beside_the_pods(kubeconfig: Path, cluster: FakeCluster) -> None:
    _many_namespaces(cluster)
    col = Collector(connect(str(kubeconfig))).collect(Scope(None))
    assert cluster.requests["/api/v1/events"] == 1
    assert not [p for p in cluster.requests if p.startswith("/api/v1/namespaces/") and p.endswith("/events")]
    for i in range(CLUSTER_WIDE_FROM + 2):
        assert [e["reason"] for e in col.events[(f"ns{i}", "app-1-a")]] == ["BackOff"]
    # the same, one request at a time in the plain order, namespace by namespace
    ref = Collector(connect(str(kubeconfig)), cluster_wide=False, concurrency=1).collect(Scope(None))
    assert ref.events == col.events


def test_forbidden_cluster_wide_events_fall_back_per_namespace(kubeconfig: Path, cluster: FakeCluster) -> None:
    _many_namespaces(cluster)
    cluster.faults.append(Fault(r"^/api/v1/events$", code=403, times=100))
    cluster.faults.append(Fault(r"^/api/v1/namespaces/ns2/events$", code=403, times=100))
    col = Collector(connect(str(kubeconfig))).collect(Scope(None))
    assert [(m.resource, m.namespace) for m in col.missing_rbac] == [("events", "ns2")]
    assert ("ns2", "app-1-a") not in col.events  # not read: the diagnosis says events are missing
    assert [e["reason"] for e in col.events[("ns3", "app-1-a")]] == ["BackOff"]


def test_cluster_wide_replicasets_are_one_list(kubeconfig: Path, cluster: FakeCluster) -> None:
    _many_namespaces(cluster)
    col = Collector(connect(str(kubeconfig))).collect(Scope(None))
    assert cluster.requests["/apis/apps/v1/replicasets"] == 1
    assert not [p for p in cluster.requests if p.startswith("/apis/apps/v1/namespaces/")]
    assert {k for k in col.replicasets if k[0].startswith("ns")} == {(f"ns{i}", "app-1") for i in range(10)}


def test_forbidden_cluster_wide_falls_back_per_namespace(kubeconfig: Path, cluster: FakeCluster) -> None:
    _many_namespaces(cluster)
    cluster.faults.append(Fault(r"^/apis/apps/v1/replicasets$", code=403, times=100))  # bound in some namespaces
    cluster.faults.append(Fault(r"^/apis/apps/v1/namespaces/ns1/replicasets$", code=403, times=100))
    col = Collector(connect(str(kubeconfig))).collect(Scope(None))
    assert ("ns3", "app-1") in col.replicasets and ("ns1", "app-1") not in col.replicasets
    assert [(m.resource, m.namespace) for m in col.missing_rbac] == [("replicasets", "ns1")]
