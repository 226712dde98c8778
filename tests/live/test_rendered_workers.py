"""`diagnose -o json` renders each pod's entry where the pod is diagnosed (live/report.py, rendered=True),
in forked workers when there are many: the report is, byte for byte, the one the plain loop renders
(and then makes inert) in one process, with 1, 2 or 3 workers and when a worker dies."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest

from podmortem.live import report
from podmortem.live.client import connect
from podmortem.live.collect import Collector, Scope
from podmortem.render.escape import neutralise

pytest.importorskip("podmortem.sim.cluster")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from podmortem.sim.cluster import SimCluster, SimOptions

    with SimCluster(SimOptions(scale=1500, speed=0.0), docs=[]) as cluster:
        kc = cluster.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kc")
        client = connect(kc)
        col = Collector(client, now=lambda: NOW, whole_pods=False).collect(Scope(None))
    assert col.listed_at is not None and len(col.failing) > 50
    return col


def _json(col: Any, **kw: Any) -> tuple[str, Any]:
    result = report.diagnose_collection(col, now=col.listed_at, **kw)
    return report.render_live(result, "json", color=False), result


def test_rendered_entries_are_the_plain_loops_report(collection: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, whole = _json(collection, keep_evidence=False)
    monkeypatch.setattr(report, "PARALLEL_FROM", 2)
    for workers in (1, 2, 3):
        got, result = _json(collection, workers=workers, keep_evidence=False, rendered=True)
        assert result.entries is not None and len(result.entries) == workers
        assert got == neutralise(plain)
        assert result.problem == whole.problem
        assert [g.as_dict() for g in result.groups] == [g.as_dict() for g in whole.groups]
        assert result.diagnoses == [d for d in whole.diagnoses if d.findings]


def test_a_worker_that_dies_changes_nothing(collection: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import podmortem.engine

    plain, _ = _json(collection, keep_evidence=False)
    monkeypatch.setattr(report, "PARALLEL_FROM", 2)
    parent = os.getpid()
    original = podmortem.engine.diagnose

    def dies(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            os._exit(5)
        return original(*args, **kwargs)

    monkeypatch.setattr(podmortem.engine, "diagnose", dies)
    got, _ = _json(collection, workers=3, keep_evidence=False, rendered=True)
    assert got == neutralise(plain)


def test_unrendered_workers_give_the_plain_loops_diagnoses(collection: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unrendered with several workers (text, patches, HTML) gives the plain loop's diagnoses too."""
    _, whole = _json(collection)
    monkeypatch.setattr(report, "PARALLEL_FROM", 2)
    _, forked = _json(collection, workers=2)
    assert forked.evidence == whole.evidence
    assert forked.diagnoses == whole.diagnoses and forked.extras == whole.extras
