"""`explain` shares many failing pods out among forked processes: the report is the one a plain loop
gives (same findings, same order), whatever the number of workers."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podmortem import explainpods
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


def _explain(path: Path, *args: str, code: int = 1) -> str:
    result = CliRunner().invoke(cli, ["explain", str(path), *args])
    assert result.exit_code == code, result.output
    return result.output


def _workers(monkeypatch: pytest.MonkeyPatch, n: int) -> list[int]:
    """Explain shares the pods out among n processes (as if the machine had them idle); the
    numbers of workers asked for are recorded."""
    import podmortem.live.parallel as parallel

    asked: list[int] = []
    original = parallel.staged_map

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(parallel, "staged_map", spy)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: n)
    monkeypatch.setattr(parallel, "load_average", lambda: 0.0)
    monkeypatch.setattr(parallel, "runnable_now", lambda: 1)
    return asked


ARGS = [("-o", "json", "--now", "2026-01-15T10:30:00Z"), ("-o", "json"), ("-o", "text", "--details", "all"),
        ("-o", "yaml"), ("-o", "wide", "--now", "2026-01-15T12:30:00Z")]


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) for a in ARGS])
def test_forked_workers_give_the_plain_loops_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    args: tuple[str, ...]) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(_pods(240)))
    asked = _workers(monkeypatch, 3)
    forked = _explain(path, *args)
    assert asked == [3]
    monkeypatch.setattr(explainpods, "PARALLEL_FROM", 10**9)
    plain = _explain(path, *args)
    assert asked == [3, 1]  # the plain loop this time
    assert forked == plain
    if args[:2] == ("-o", "json"):
        doc = json.loads(plain)
        assert len(doc["pods"]) == 290
        if "--now" not in args:  # a paste from January: diagnosed at its own latest time, and says so
            assert any("latest timestamp 2026-01-15T10:29:30Z" in n for p in doc["pods"] for n in p["notes"])


@pytest.mark.parametrize("stage", ["prepare", "report", "finish"])
def test_a_worker_that_dies_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(_pods(240)))
    monkeypatch.setattr(explainpods, "PARALLEL_FROM", 10**9)
    plain = _explain(path, "-o", "json")
    monkeypatch.setattr(explainpods, "PARALLEL_FROM", 1)
    asked = _workers(monkeypatch, 2)
    parent = os.getpid()
    original = getattr(explainpods._Chain, stage)

    def dies(self: Any, *args: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return original(self, *args)

    monkeypatch.setattr(explainpods._Chain, stage, dies)
    assert _explain(path, "-o", "json") == plain
    assert asked == [2]


def test_every_split_of_a_generated_list_gives_the_same_bytes(tmp_path: Path) -> None:
    """The chain straight, on lists of every size around the share boundaries, healthy and failing
    pods mixed, JSON entries and diagnoses: N workers give the plain loop's bytes."""
    from podmortem.commandline import backoff_settings
    from podmortem.explainpods import explain_pods
    from podmortem.render.json import render_json
    from podmortem.render.jsonparts import json_report
    from podmortem.sources.loader import Inputs, read_bundle

    doc = _pods(40)
    items = doc["items"]
    assert isinstance(items, list)
    now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    empty = explain_pods([], now=now, fixed=False, settings=backoff_settings(False, None), as_json=True, workers=2)
    assert json_report(empty.entries) == render_json([]) and not empty.problem
    for n in (1, 2, 3, 7, 41, 90):
        doc["items"] = items[:n] if n % 2 else items[-n:]
        path = tmp_path / f"pods-{n}.json"
        path.write_text(json.dumps(doc))
        pods = read_bundle(Inputs([str(path)]), keep_plain=True).pods_pending()
        want = None
        for workers in (1, 2, 3, 5):
            for fixed in (True, False):
                kw: dict[str, Any] = {"now": now if fixed else datetime.now(UTC), "fixed": fixed,
                                      "settings": backoff_settings(False, None), "workers": workers}
                as_json = explain_pods(pods, as_json=True, **kw)
                diagnosed = explain_pods(pods, **kw)
                assert diagnosed.diagnoses is not None
                text = json_report(as_json.entries)
                assert text == render_json(diagnosed.diagnoses)
                assert as_json.problem == diagnosed.problem == any(d.findings for d in diagnosed.diagnoses)
                if fixed:
                    want = want or text
                    assert text == want
