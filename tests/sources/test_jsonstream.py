"""The streaming JSON reader must read exactly what json.loads reads, and the loader's streamed path
must give the same pods as parsing the document whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.engine import diagnose
from podmortem.errors import InputError
from podmortem.render.json import render_json
from podmortem.sources.jsonstream import StreamError, fields_before, parse_streaming
from podmortem.sources.loader import load_path
from podmortem.sources.objects import pods_from_objects

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
documents = json_values | st.fixed_dictionaries(
    {"items": st.lists(json_values, max_size=5)}, optional={"kind": st.text(max_size=8), "metadata": json_values}
)


def _keep(item: Any, top: dict[str, Any]) -> Any:
    return item


@settings(max_examples=300)
@given(documents, st.sampled_from([None, 0, 2, 4]))
def test_reads_what_json_loads_reads(doc: Any, indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        # Items that are null are dropped by design (None means "consumed"): compare without them.
        want = dict(doc, items=[i for i in doc["items"] if i is not None])
    else:
        want = doc
    assert parse_streaming(text, _keep) == want


@settings(max_examples=300)
@given(documents, st.data())
def test_damaged_text_fails_exactly_when_json_loads_fails(doc: Any, data: st.DataObject) -> None:
    text = json.dumps(doc, indent=1)
    cut = data.draw(st.integers(0, len(text)))
    damaged = text[:cut] + data.draw(st.sampled_from(["", "}", "]", ",", " x", '"']))
    try:
        json.loads(damaged)
    except ValueError:
        with pytest.raises(StreamError):
            parse_streaming(damaged, _keep)
    else:
        parse_streaming(damaged, _keep)


@settings(max_examples=300)
@given(documents, st.sampled_from([None, 2]), st.data())
def test_fields_before_gives_what_the_first_item_sees(doc: Any, indent: int | None, data: st.DataObject) -> None:
    text = json.dumps(doc, indent=indent)
    if isinstance(doc, dict) and "items" in doc:
        before = dict(list(doc.items())[:list(doc).index("items")])
        assert fields_before(text, "items") == before
        head = text[:data.draw(st.integers(0, len(text)))]  # a head cut short answers None, never wrongly
        assert fields_before(head, "items") in (None, before)
    else:
        assert fields_before(text, "items") is None


def test_items_reach_the_callback_in_order_and_can_be_consumed() -> None:
    seen: list[tuple[Any, dict[str, Any]]] = []

    def take(item: Any, top: dict[str, Any]) -> Any:
        seen.append((item, dict(top)))
        return None if item.get("kind") == "Pod" else item

    text = json.dumps({"kind": "List", "items": [{"kind": "Pod", "n": 1}, {"kind": "Event"}, {"kind": "Pod", "n": 2}],
                       "metadata": {}})
    doc = parse_streaming(text, take)
    assert [i for i, _ in seen] == [{"kind": "Pod", "n": 1}, {"kind": "Event"}, {"kind": "Pod", "n": 2}]
    assert seen[0][1] == {"kind": "List"}  # fields before `items` are known to the callback
    assert doc == {"kind": "List", "items": [{"kind": "Event"}], "metadata": {}}


@pytest.mark.parametrize("text", ['{"items": [1, 2', '{"items": [1 2]}', '{"a": 1} x', "", "{", '{"a" 1}',
                                  '{"items": [{"kind": "Pod"},]}'])
def test_invalid_json_is_a_stream_error(text: str) -> None:
    with pytest.raises(StreamError):
        parse_streaming(text, _keep)


# The loader: streamed pods are the same pods, with the same events, as parsing the file whole.

def _pod(name: str, restarts: int, ns: str = "shop", kind: bool = True) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "app", "image": "app:1", "resources": {"limits": {"memory": "64Mi"}}}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "app", "ready": False, "restartCount": restarts,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}} if restarts else {"running": {}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                         "startedAt": "2026-01-15T10:20:00Z",
                                         "finishedAt": "2026-01-15T10:21:00Z"}} if restarts else {},
        }]},
    }
    if kind:
        pod = {"apiVersion": "v1", "kind": "Pod", **pod}
    return pod


def _event(pod: str, reason: str, message: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": reason, "message": message,
            "count": 3, "lastTimestamp": "2026-01-15T10:22:00Z",
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": "shop", "fieldPath": "spec.containers{app}"}}


def _same_as_whole(path: Path, doc: Any) -> None:
    streamed = [diagnose(p) for p in load_path(str(path))]
    whole = [diagnose(p) for p in pods_from_objects([doc])]
    assert render_json(streamed) == render_json(whole)
    assert streamed


def test_kubectl_list_with_pods_and_events(tmp_path: Path) -> None:
    # kubectl writes keys in alphabetical order: `kind` comes after `items`.
    doc = {"apiVersion": "v1", "items": [_pod("a", 3), _event("a", "BackOff", "Back-off restarting failed container"),
                                         _pod("b", 0), _event("b", "Unhealthy", "Liveness probe failed: x")],
           "kind": "List", "metadata": {"resourceVersion": ""}}
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(doc, indent=4))
    _same_as_whole(path, doc)
    pods = load_path(str(path))
    assert [p.name for p in pods] == ["a", "b"]
    assert all(p.has_events for p in pods)
    assert [e.reason for e in pods[0].events] == ["BackOff"]


def test_api_pod_list_without_item_kinds(tmp_path: Path) -> None:
    # The API server writes `kind` first and leaves it out of the items.
    doc = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [_pod("a", 2, kind=False),
                                                                           _pod("b", 0, kind=False)]}
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(doc))
    _same_as_whole(path, doc)
    assert [p.name for p in load_path(str(path))] == ["a", "b"]


def test_single_pod_object(tmp_path: Path) -> None:
    doc = _pod("solo", 4)
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(doc))
    _same_as_whole(path, doc)


def test_truncated_list_is_a_clear_input_error(tmp_path: Path) -> None:
    text = json.dumps({"kind": "List", "items": [_pod("a", 1), _pod("b", 1)]}, indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match="truncated or invalid JSON"):
        load_path(str(path))


def test_events_only_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"kind": "EventList", "items": [_event("a", "BackOff", "x")]}))
    with pytest.raises(InputError, match="events but no pod"):
        load_path(str(path))
