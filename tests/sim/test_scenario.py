"""The bundled scenario shows every cause a cluster can show, and --scale adds load with ~10% failing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podmortem.causes import CAUSES
from podmortem.errors import InputError
from podmortem.sim import SimCluster, SimOptions
from podmortem.sim.profile import EXPECTED_CAUSE
from podmortem.sim.scenario import default_scenario_path, read_documents, scale_documents
from podmortem.sim.tables import pod_cells

HEALTHY = ("Running", "Completed")


def _labelled(cluster: SimCluster) -> dict[str, list[tuple[str, str]]]:
    """cause id -> [(namespace/pod, STATUS column)] for every pod the scenario means to fail."""
    out: dict[str, list[tuple[str, str]]] = {}
    expected = cluster.expectations()
    with cluster.lock:
        for p in cluster.store.items("pods"):
            cause = expected.get((p["metadata"]["namespace"], p["metadata"]["name"]))
            if cause:
                status = pod_cells(p, cluster.now())[0][2]
                out.setdefault(cause, []).append((f"{p['metadata']['namespace']}/{p['metadata']['name']}", status))
    return out


def test_every_cause_a_cluster_can_show_has_a_failing_workload(default_cluster: SimCluster) -> None:
    labelled = _labelled(default_cluster)
    want = set(CAUSES) - {"unknown"}
    assert set(labelled) == want, sorted(want ^ set(labelled))
    for cause, pods in labelled.items():
        for name, status in pods:
            # A labelled pod must actually be failing (not Running and Ready).
            ready = None
            with default_cluster.lock:
                ns, pod = name.split("/")
                obj = default_cluster.store.get("pods", ns, pod)
                assert obj is not None
                ready = pod_cells(obj, default_cluster.now())[0][1]
            assert status not in HEALTHY or ready.startswith("0/") or ready.split("/")[0] != ready.split("/")[1], \
                (cause, name, status, ready)


def test_healthy_workloads_are_ready(default_cluster: SimCluster) -> None:
    with default_cluster.lock:
        pods = {f"{p['metadata']['namespace']}/{p['metadata']['name']}": pod_cells(p, default_cluster.now())[0]
                for p in default_cluster.store.items("pods")}
    for prefix in ("data/postgres-0", "shop/redis-0", "platform/api-gateway-", "kube-system/coredns-"):
        hits = [cells for name, cells in pods.items() if name.startswith(prefix)]
        assert hits and all(c[2] == "Running" and c[1].split("/")[0] == c[1].split("/")[1] for c in hits), prefix
    # storefront: revision 1 still serves (3 pods) while revision 2 crash-loops in one surge pod.
    storefront = Counter(cells[2] for name, cells in pods.items() if name.startswith("shop/storefront-"))
    assert storefront == Counter({"Running": 3, "CrashLoopBackOff": 1})


def test_expected_causes_are_canonical_ids() -> None:
    for doc in read_documents(default_scenario_path()):
        spec = doc.get("spec") or {}
        for meta in (doc.get("metadata") or {}, (spec.get("template") or {}).get("metadata") or {}):
            cause = (meta.get("annotations") or {}).get(EXPECTED_CAUSE)
            if cause:
                assert cause in CAUSES and cause != "unknown", cause


def test_scale_documents() -> None:
    docs = scale_documents(95)
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert sum(d["spec"]["replicas"] for d in deployments) == 95
    failing = [d for d in deployments if EXPECTED_CAUSE in d["spec"]["template"]["metadata"]["annotations"]]
    assert len(failing) == 1 and len(deployments) == 10


def test_scaled_cluster_has_about_ten_percent_failing() -> None:
    with SimCluster(SimOptions(scale=300, serve=False)) as cluster, cluster.lock:
        load = [p for p in cluster.store.items("pods") if p["metadata"]["namespace"].startswith("load-")]
        statuses = Counter(pod_cells(p, cluster.now())[0][2] for p in load)
    assert len(load) == 300
    failing = len(load) - statuses["Running"]
    assert 20 <= failing <= 40, statuses
    assert len(set(statuses) - {"Running"}) >= 3, statuses


def test_scenario_errors_are_one_line(tmp_path: Path, make_cluster: Callable[..., Any]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_documents(bad)
    with pytest.raises(InputError, match="no such scenario"):
        read_documents(tmp_path / "missing.yaml")
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}}
    with pytest.raises(InputError, match="the simulator serves"):
        make_cluster(ingress)
    broken = {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "p", "annotations": {"sim.podmortem.dev/profile.app": "exitCode: lots"}},
              "spec": {"containers": [{"name": "app", "image": "x"}]}}
    with pytest.raises(Exception, match="exitCode must be an integer"):
        make_cluster(broken)
