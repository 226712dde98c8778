"""explain's JSON lists read through the typed pod view (sources/listview.py) give exactly what the
standard library's item-by-item reading (sources/jsonstream.py) gives: the same pods (plainly
healthy ones as the same summaries, with the same objects behind them), the same other objects,
and, where the view declines, the same result or the same one-line error."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.errors import InputError
from podmortem.model import PodEvidence
from podmortem.sources import loader
from podmortem.sources.healthy import is_plainly_healthy, plain_pod
from podmortem.sources.loader import Inputs, _read_jsonstream, _read_list_view, read_bundle

ROOT = Path(__file__).resolve().parents[2]


def _bench_pods() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("bench_explain", ROOT / "benchmarks" / "bench_explain.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    factory = bench.PodFactory(11)
    pods = []
    for i in range(30):
        pod = factory.pod(i, bench.FAILURES[i % len(bench.FAILURES)] if i % 3 == 0 else None)
        pods += [pod, bench.slim(pod)]
    return pods


PODS = _bench_pods()
HEALTHY = [p for p in PODS if is_plainly_healthy(p)]
assert HEALTHY and len(HEALTHY) < len(PODS)

EVENT = {"kind": "Event", "type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
         "involvedObject": {"kind": "Pod", "name": "x", "namespace": "shop"}, "count": 3}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config", "namespace": "shop"},
             "data": {"flags": "a"}}


def _entries(streamed: list[Any]) -> list[Any]:
    """What the bundle holds, comparable: a healthy pod's summary and the evidence behind it."""
    return [("plain", p.plain, p.evidence()) if not isinstance(p, PodEvidence) else ("pod", p) for p in streamed]


def _both(text: str | bytes) -> tuple[Any, Any]:
    """(the view's reading or None when it declines, jsonstream's reading), each (docs, entries) or
    the InputError message."""
    def run(read: Any) -> Any:
        streamed: list[Any] = []
        try:
            docs = read(streamed)
        except InputError as exc:
            return str(exc)
        return None if docs is None else (docs, _entries(streamed))

    as_text = text.decode() if isinstance(text, bytes) else text
    return (run(lambda s: _read_list_view(text, "pods.json", s)),
            run(lambda s: _read_jsonstream(as_text, "pods.json", s, keep_plain=True)))


def _pod_item(pod: dict[str, Any], kindless: bool) -> dict[str, Any]:
    return {k: v for k, v in pod.items() if k != "kind"} if kindless else pod


hostile = st.recursive(st.none() | st.booleans() | st.sampled_from([0, 1, 0.5, 2**70, "", "Pod", "PodList", "x"]),
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.sampled_from(["kind", "items", "metadata", "status"]), inner, max_size=3),
                       max_leaves=5)
items = st.lists(st.one_of(
    st.builds(_pod_item, st.sampled_from(PODS), st.booleans()),
    st.builds(_pod_item, st.sampled_from(HEALTHY), st.booleans()),
    st.just(EVENT), st.just(CONFIGMAP), st.just({"kind": "List", "items": [EVENT]}), hostile), max_size=6)


@settings(max_examples=200, deadline=None)
@given(items, st.sampled_from(["PodList", "List", None, "", 7]), st.permutations(["apiVersion", "kind", "metadata", "items"]),
       st.sets(st.sampled_from(["apiVersion", "kind", "metadata"])), st.sampled_from([None, 1, 4]),
       st.booleans())
def test_the_view_reads_what_jsonstream_reads(items: list[Any], kind: Any, order: list[str], absent: set[str],
                                              indent: int | None, ascii_only: bool) -> None:
    values = {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "1", "note": "é"}, "items": items}
    doc = {k: values[k] for k in order if k not in absent}
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    view, reference = _both(text)
    assert view is not None  # a list of this shape is never declined
    assert view == reference
    if ascii_only:
        assert _both(text.encode())[0] == reference


def test_a_healthy_pod_keeps_its_start_times_and_owner() -> None:
    text = json.dumps({"kind": "PodList", "items": HEALTHY[:2]})
    streamed: list[Any] = []
    _read_list_view(text.encode(), "pods.json", streamed)
    plain = [p.plain for p in streamed]
    assert plain == [plain_pod(h) for h in HEALTHY[:2]]
    assert all(p.times for p in plain) and any(p.owner for p in plain)


def test_the_api_order_makes_kindless_items_pods_only_when_kind_comes_first() -> None:
    pod = _pod_item(HEALTHY[0], kindless=True)
    first = '{"kind": "PodList", "items": [' + json.dumps(pod) + ']}'
    after = '{"items": [' + json.dumps(pod) + '], "kind": "PodList"}'
    for text in (first, after):
        view, reference = _both(text)
        assert view == reference
    assert _both(first)[0][1][0][0] == "plain"  # streamed as a pod
    assert _both(after)[0][1] == []  # left to the document, as jsonstream leaves it


@pytest.mark.parametrize("text", [
    '{"items": [{"kind": "Pod", "metadata": {"name": "a"}}], "extra": 1}',  # another top-level field
    '{"kind": "PodList", "items": {"not": "a list"}}',
    '{"kind": "PodList"}',
    '{"kind": "EventList", "items": [{"involvedObject": {"kind": "Pod", "name": "a"}, "reason": "BackOff"}]}',
    '{"kind": "PodList", "items": [{"kind": "Pod", "metadata": {"name": "a", "x": NaN}}]}',  # json.load reads NaN
    '{"kind": "PodList", "items": [{"kind": "Pod", "metadata": {"name": "\\ud800"}}]}',  # a lone surrogate too
    '{"kind": "PodList", "items": [{"kind": "Pod", "status": {"x": 1e999}}]}',
    '{"kind": "PodList", "items": [{"kind": "Pod"}, ',  # truncated: jsonstream words the error
    '{"kind": "PodList", "items": [{"kind": "Pod"}]} trailing',
    '{"kind": "PodList", "items": [' + "[" * 3000 + "]" * 3000 + "]}",
])
def test_what_the_view_declines_is_read_as_before(text: str) -> None:
    streamed: list[Any] = []
    view = None
    try:
        view = _read_list_view(text, "pods.json", streamed)
    except InputError:
        pytest.fail("the view never words an error itself")
    if view is None:
        assert streamed == []
    bundle_new = _bundle(text)
    streamed_old: list[Any] = []
    try:
        old: Any = (_read_jsonstream(text, "pods.json", streamed_old, keep_plain=True), _entries(streamed_old))
    except InputError as exc:
        old = str(exc)
    assert bundle_new == old


def _bundle(text: str) -> Any:
    streamed: list[Any] = []
    try:
        docs = loader._stream_json(text, "pods.json", streamed, keep_plain=True)
    except InputError as exc:
        return str(exc)
    return docs, _entries(streamed)


def test_a_key_given_twice_counts_once_the_last() -> None:
    """A deliberate difference (sources/listview.py): json.load and kubectl read the last `items`."""
    a, b = (copy.deepcopy(HEALTHY[0]), copy.deepcopy(HEALTHY[1]))
    text = '{"kind": "PodList", "items": [' + json.dumps(a) + '], "items": [' + json.dumps(b) + ']}'
    streamed: list[Any] = []
    _read_list_view(text, "pods.json", streamed)
    assert [p.plain.name for p in streamed] == [b["metadata"]["name"]]


def test_a_skipped_field_json_load_refuses_is_one_line_when_the_pod_is_needed(tmp_path: Path) -> None:
    pod = copy.deepcopy(HEALTHY[0])
    pod["metadata"]["annotations"] = {"n": "BIG"}
    text = json.dumps({"kind": "PodList", "items": [pod]}).replace('"BIG"', "1" * 5000)
    streamed: list[Any] = []
    _read_list_view(text, "pods.json", streamed)
    assert streamed and streamed[0].plain.name == pod["metadata"]["name"]  # summarised without it
    with pytest.raises(InputError, match=r"^pods\.json: truncated or invalid JSON \(.*4300"):
        streamed[0].evidence()


def test_a_big_text_that_is_not_ascii_is_read_by_jsonstream(monkeypatch: pytest.MonkeyPatch) -> None:
    pod = copy.deepcopy(HEALTHY[0])
    pod["metadata"]["annotations"] = {"note": "café"}
    text = json.dumps({"kind": "PodList", "items": [pod, PODS[0]]}, ensure_ascii=False)
    called: list[bool] = []
    real = loader._read_list_view
    monkeypatch.setattr(loader, "_read_list_view", lambda *a: called.append(True) or real(*a))
    want = _bundle(text)
    assert called == [True]
    monkeypatch.setattr(loader, "VIEW_MAX_NON_ASCII", len(text) - 1)
    assert _bundle(text) == want
    assert called == [True]


def test_files_folders_and_stdin_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [*PODS, EVENT, CONFIGMAP]}, indent=2)
    (tmp_path / "pods.json").write_text(text)

    def read(*paths: str) -> Any:
        bundle = read_bundle(Inputs(list(paths)), keep_plain=True)
        return bundle.pods_or_plain(), bundle.others()

    from_file = read(str(tmp_path / "pods.json"))
    assert from_file == read(str(tmp_path))
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert read("-") == from_file
    streamed: list[Any] = []
    docs = _read_jsonstream(text, "pods.json", streamed, keep_plain=True)
    assert from_file[1] == [CONFIGMAP] and docs[0]["items"] == [EVENT, CONFIGMAP]


@pytest.mark.parametrize("pods", [4, 250])  # 250: enough failing pods for explain's forked workers
@pytest.mark.parametrize("typed", [False, True])
def test_a_number_json_load_refuses_is_one_line_and_exit_2(tmp_path: Path, pods: int, typed: bool) -> None:
    """In a pod the view cannot type (read by jsonstream after all) or in one it typed but found not
    plainly healthy (built later, maybe in a worker): the same line as any invalid JSON."""
    import os
    import subprocess
    import sys

    items = [copy.deepcopy(PODS[i % len(PODS)]) for i in range(pods)]
    odd = copy.deepcopy(HEALTHY[0])
    if typed:
        odd["status"]["containerStatuses"][0]["ready"] = False  # the view types it; not plainly healthy
    else:
        odd["status"]["containerStatuses"][0]["restartCount"] = 3  # the view cannot type it
    odd["metadata"]["annotations"] = {"n": "BIG"}
    items[1] = odd
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).replace('"BIG"', "1" * 5000))
    done = subprocess.run([sys.executable, "-m", "podmortem", "explain", str(path), "-o", "json"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pods.json: truncated or invalid JSON (Exceeds the limit (4300 digits)" in lines[0]


def test_msgspec_without_typing_extensions_reads_the_same(tmp_path: Path) -> None:
    """kube/typedjson imports msgspec without typing_extensions in a fresh process (explain's); the
    views must judge a list exactly as they do with it (this process has it loaded)."""
    import subprocess
    import sys

    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [*PODS, EVENT, None, 7]})
    (tmp_path / "pods.json").write_text(text)
    script = ("import sys; from podmortem.sources import loader; s = []; "
              "docs = loader._read_list_view(open(sys.argv[1], 'rb').read(), 'pods.json', s); "
              "assert 'typing_extensions' not in sys.modules; "
              "print(repr((docs, [(p.plain, p.evidence()) for p in s])))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "pods.json")], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "typing_extensions" in sys.modules
    streamed: list[Any] = []
    docs = _read_list_view(text.encode(), "pods.json", streamed)
    assert done.stdout.strip() == repr((docs, [(p.plain, p.evidence()) for p in streamed]))
    assert any(p.plain for p in streamed) and any(p.plain is None for p in streamed)
