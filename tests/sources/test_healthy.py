"""The plainly-healthy shortcut (sources.healthy, engine.diagnose_plain) must give exactly what the
full path gives: over every pod in the repository's fixtures, the benchmark's generated pods
(healthy and failing, full and slim), and single-field variations of healthy pods. The typed view
that live and explain judge pods with (sources/podview.py) must give exactly what the plain rule
gives, on those pods and on healthy pods with a field made hostile."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.engine import PlainPod, diagnose, diagnose_plain, is_plainly_healthy, looks_healthy, plain_pod
from podmortem.explainpods import latest_time
from podmortem.model import PodEvidence
from podmortem.render.json import render_json
from podmortem.sources.loader import Inputs, read_bundle
from podmortem.sources.objects import pod_evidence
from podmortem.sources.podview import POD_VIEW, plain_view

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def _pods_in(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        if doc.get("kind") == "Pod":
            yield doc
        items = doc.get("items")
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and doc.get("kind") == "PodList":
                    item = {"kind": "Pod", **item}
                yield from _pods_in(item)


def _fixture_pods() -> list[dict[str, Any]]:
    pods = []
    for base in (ROOT / "tests", ROOT / "src" / "podmortem" / "examples"):
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
                continue
            try:
                text = path.read_text()
                docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
            except (ValueError, yaml.YAMLError, UnicodeDecodeError):
                continue
            for doc in docs:
                pods.extend(_pods_in(doc))
    return pods


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_explain", ROOT / "benchmarks" / "bench_explain.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generated_pods() -> list[dict[str, Any]]:
    bench = _bench()
    factory = bench.PodFactory(7)
    pods = []
    for i in range(120):
        failure = bench.FAILURES[i % len(bench.FAILURES)] if i % 3 == 0 else None
        pod = factory.pod(i, failure)
        pods += [pod, bench.slim(pod)]
    return pods


def _variations(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One field of a healthy pod changed at a time: each must take the full path or agree with it."""
    def changed(edit: Any) -> dict[str, Any]:
        p = copy.deepcopy(pod)
        edit(p)
        return p

    st = "containerStatuses"
    yield changed(lambda p: p["status"][st][0].update(restartCount=1))
    yield changed(lambda p: p["status"][st][0].update(ready=False))
    yield changed(lambda p: p["status"][st][0].update(state={"waiting": {"reason": "CrashLoopBackOff"}}))
    yield changed(lambda p: p["status"][st][0].update(state={"terminated": {"exitCode": 0, "reason": "Completed"}}))
    yield changed(lambda p: p["status"][st][0].update(lastState={"terminated": {"exitCode": 137,
                                                                                "reason": "OOMKilled"}}))
    yield changed(lambda p: p["status"].update(phase="Pending"))
    yield changed(lambda p: p["status"].update(reason="Evicted"))
    yield changed(lambda p: p["status"].update(conditions=[{"type": "Ready", "status": "False"}]))
    yield changed(lambda p: p["status"].pop(st))
    yield changed(lambda p: p["spec"].update(initContainers=[{"name": "init", "image": "busybox"}]))
    yield changed(lambda p: p["spec"]["containers"].append({"name": "extra", "image": "x"}))
    yield changed(lambda p: p["metadata"].update(ownerReferences=[{"kind": "Job", "name": "j"},
                                                                  {"kind": "ReplicaSet", "name": "r",
                                                                   "controller": True}]))
    yield changed(lambda p: p["metadata"].update(ownerReferences=[{"kind": "ReplicaSet", "name": "r", "controller": True},
                                                                  {"kind": "Job", "name": "j"}]))
    yield changed(lambda p: p["metadata"].pop("namespace"))

    def twins(p: dict[str, Any]) -> None:  # two containers of one name: not a pod the plain rule trusts
        p["spec"]["containers"] = [p["spec"]["containers"][0]] * 2
        p["status"][st] = [p["status"][st][0]] * 2

    yield changed(twins)


def _all_pods() -> list[dict[str, Any]]:
    base = _fixture_pods() + _generated_pods()
    return base + [v for p in base if is_plainly_healthy(p) for v in _variations(p)]


ALL = _all_pods()


def test_the_corpus_has_both_kinds() -> None:
    plain = [p for p in ALL if is_plainly_healthy(p)]
    assert len(plain) >= 100
    assert len(ALL) - len(plain) >= 100


@pytest.mark.parametrize("has_events", [False, True])
def test_the_shortcut_diagnoses_as_the_full_path_does(has_events: bool) -> None:
    checked = 0
    for raw in ALL:
        plain = plain_pod(raw, has_events=has_events)
        if plain is None:
            continue
        full = pod_evidence(raw, has_events=has_events)
        assert looks_healthy(full)
        assert diagnose_plain(plain) == diagnose(full, now=NOW), raw["metadata"]
        assert latest_time([plain]) == latest_time([full])
        checked += 1
    assert checked >= 100


def _by_view(raw: Any, *, has_events: bool = False, with_times: bool = True) -> tuple[PlainPod | None, bool]:
    """What live/podpage.py and sources/listview.py make of an item: the view's judgement, or the
    plain rule on the decoded item when the view cannot type it; and whether the view could."""
    text = json.dumps(raw)
    try:
        view = POD_VIEW.decode(text)
    except msgspec.ValidationError:
        return plain_pod(json.loads(text), has_events=has_events, with_times=with_times), False
    return plain_view(view, has_events=has_events, with_times=with_times), True


@pytest.mark.parametrize("has_events", [False, True])
@pytest.mark.parametrize("with_times", [True, False])
def test_the_typed_view_judges_every_pod_as_the_plain_rule(has_events: bool, with_times: bool) -> None:
    typed = 0
    for raw in ALL:
        got, by_view = _by_view(raw, has_events=has_events, with_times=with_times)
        assert got == plain_pod(raw, has_events=has_events, with_times=with_times), raw["metadata"]
        typed += by_view and got is not None
    assert typed >= 100  # the view itself judged the healthy pods, not only the fallback


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


_HEALTHY = [p for p in ALL if is_plainly_healthy(p)]
_HOSTILE = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, 1, -1, 0.0, 1.5, 2**70, "", "True", "Running", "app", "Pod",
                                               "2026-01-15T10:00:00Z", "2026-01-15T10:00:00.123456789+02:00",
                                               "not a time", "\u202e", "x" * 300]),
    st.recursive(st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "running", "True", "app"]),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["running", "waiting", "name", "startedAt", "status", "x"]),
                                   inner, max_size=3), max_leaves=6))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_typed_view_judges_hostile_pods_as_the_plain_rule(data: st.DataObject) -> None:
    """A healthy pod with one field (anywhere in it) replaced by a hostile value, removed, or given a
    stray neighbour key."""
    pod = copy.deepcopy(data.draw(st.sampled_from(_HEALTHY)))
    path = data.draw(st.sampled_from(list(_paths(pod))))
    parent = pod
    for step in path[:-1]:
        parent = parent[step]
    how = data.draw(st.sampled_from(["replace", "replace", "remove", "neighbour"]))
    if how == "replace":
        parent[path[-1]] = data.draw(_HOSTILE)
    elif how == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["terminated", "waiting", "kind", "x"]))] = data.draw(_HOSTILE)
    else:
        parent.append(data.draw(_HOSTILE))
    has_events = data.draw(st.booleans())
    assert _by_view(pod, has_events=has_events)[0] == plain_pod(pod, has_events=has_events)


def test_plainly_healthy_is_narrower_than_looks_healthy() -> None:
    for raw in ALL:
        if is_plainly_healthy(raw):
            assert looks_healthy(pod_evidence(raw))


def _explain(bundle_path: Path, *more: Path) -> tuple[list[str], list[PodEvidence | PlainPod], str]:
    bundle = read_bundle(Inputs([str(bundle_path), *map(str, more)]), keep_plain=True)
    entries = bundle.pods_or_plain()
    shortcut = [diagnose_plain(p) if isinstance(p, PlainPod) else diagnose(p, now=NOW) for p in entries]
    full = [diagnose(p, now=NOW) for p in bundle.pods()]
    assert render_json(shortcut) == render_json(full)
    assert latest_time(entries) == latest_time(bundle.pods())
    return [type(p).__name__ for p in entries], entries, render_json(full)


@pytest.mark.slow
def test_a_streamed_list_gives_the_same_report_either_way(tmp_path: Path) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": ALL}, indent=4))
    kinds, _, _ = _explain(path)
    assert "PlainPod" in kinds and "PodEvidence" in kinds


def test_an_event_or_a_log_about_a_healthy_pod_takes_the_full_path(tmp_path: Path) -> None:
    healthy = [p for p in _generated_pods() if is_plainly_healthy(p)][:3]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": healthy}))
    first, second = healthy[0]["metadata"], healthy[1]["metadata"]
    (folder / "events.json").write_text(json.dumps({"apiVersion": "v1", "kind": "EventList", "items": [{
        "type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with "
        "statuscode: 503", "count": 4, "lastTimestamp": "2026-01-15T10:29:00Z",
        "involvedObject": {"kind": "Pod", "name": first["name"], "namespace": first["namespace"]}}]}))
    container = healthy[1]["spec"]["containers"][0]["name"]
    (folder / f"{second['name']}_{container}.log").write_text("panic: runtime error: index out of range\n")
    kinds, entries, _ = _explain(folder)
    assert kinds == ["PodEvidence", "PodEvidence", "PlainPod"]
    assert all(p.has_events for p in entries)
    assert isinstance(entries[0], PodEvidence) and entries[0].events
    assert isinstance(entries[1], PodEvidence) and entries[1].has_logs
