"""`explain` shares many failing pods out among forked processes: the report is the one a plain loop
gives (same findings, same order), whatever the number of workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import podmortem.cli as cli_module
from podmortem.cli import cli

REASONS = [(137, "OOMKilled"), (1, "Error"), (0, "Completed"), (139, "Error"), (143, "Error")]


def _pods(n: int) -> dict[str, object]:
    items = []
    for i in range(n):
        code, reason = REASONS[i % len(REASONS)]
        items.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"api-{i}", "namespace": f"ns{i % 3}", "uid": f"uid-{i}",
                         "ownerReferences": [{"kind": "ReplicaSet", "name": f"api-{i % 7}-5d8f", "controller": True}]},
            "spec": {"containers": [{"name": "api", "image": f"registry.example.com/api:{i}",
                                     "resources": {"limits": {"memory": "256Mi"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "api", "ready": False, "restartCount": 3 + i % 9,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                                      "message": f"back-off 40s restarting failed container=api pod=api-{i}_ns{i % 3}"}},
                "lastState": {"terminated": {"exitCode": code, "reason": reason,
                                             "startedAt": "2026-01-15T10:20:00Z",
                                             "finishedAt": f"2026-01-15T10:2{i % 10}:30Z"}}}]},
        })
    # healthy pods in between, which stay summaries
    items += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"ok-{i}", "namespace": "ns0"},
               "spec": {"containers": [{"name": "web"}]},
               "status": {"phase": "Running", "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0,
                                                                     "state": {"running": {}}}]}} for i in range(50)]
    return {"apiVersion": "v1", "kind": "PodList", "items": items}


def _explain(path: Path) -> str:
    result = CliRunner().invoke(cli, ["explain", str(path), "-o", "json", "--now", "2026-01-15T10:30:00Z"])
    assert result.exit_code == 1, result.output
    return result.output


def test_forked_workers_give_the_plain_loops_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(_pods(240)))
    shared: list[int] = []
    import podmortem.live.parallel as parallel  # explain imports from it when it needs it: patched there

    original = parallel.parallel_map

    def spy(fn, items, workers):  # type: ignore[no-untyped-def]
        shared.append(workers)
        return original(fn, items, workers)

    monkeypatch.setattr(parallel, "parallel_map", spy)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 3)
    monkeypatch.setattr(parallel, "load_average", lambda: 0.2)
    forked = _explain(path)
    assert shared == [3]
    monkeypatch.setattr(cli_module, "PARALLEL_FROM", 10**9)
    plain = _explain(path)
    assert shared == [3]  # the plain loop this time
    assert forked == plain
    assert len(json.loads(plain)["pods"]) == 290
