"""The cluster-wide event list decoded with msgspec attributes and keeps every event exactly as the
plain orjson dicts do (collect._involved_key), whatever shape the items have."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.live.client import Call, CallFailed
from podmortem.live.eventpage import EventPage, event_key

CALL = Call("list", "events", None)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["", "Pod", "shop", "web-1", "Node"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.sampled_from(["kind", "name", "x"]),
                                                                             inner, max_size=3)), max_leaves=6)
references = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"kind": scalars, "namespace": scalars, "name": scalars, "uid": scalars,
                                        "fieldPath": st.just("spec.containers{app}")}),
)
events = st.one_of(
    json_values,  # not an event at all
    st.fixed_dictionaries({"message": st.just("Back-off restarting failed container app")},
                          optional={"involvedObject": references, "regarding": references,
                                    "metadata": st.one_of(json_values, st.fixed_dictionaries(
                                        {}, optional={"namespace": scalars, "name": scalars,
                                                      "managedFields": st.just([{"manager": "kubelet"}])}))}),
)


def plain(body: bytes) -> list[tuple[tuple[str, str], Any]]:
    doc = orjson.loads(body)
    return [(event_key(e), e) for e in doc.get("items") or [] if isinstance(e, dict)]


def decoded(body: bytes) -> tuple[list[tuple[tuple[str, str], Any]], str]:
    page = EventPage(body, CALL)
    return [(key, page.event(item)) for key, item in page.about], page.cont


@settings(max_examples=200, deadline=None)
@given(st.lists(events, max_size=6), st.one_of(st.none(), st.just({"continue": "abc"}), json_values))
def test_every_event_is_attributed_as_the_plain_dicts_are(items: list[Any], meta: Any) -> None:
    body = orjson.dumps({"kind": "EventList", "metadata": meta, "items": items})
    got, cont = decoded(body)
    assert got == plain(body)
    assert cont == (str(meta.get("continue") or "") if isinstance(meta, dict) else "")


def test_a_page_of_unexpected_shape_is_read_the_plain_way() -> None:
    for doc in ({"items": "not a list"}, {"items": None}, {"metadata": "x", "items": [{"involvedObject": {"name": "a"}}]},
                {"items": [1, "two", {"involvedObject": {"kind": "Pod", "name": "web", "namespace": "shop"}}]}):
        body = orjson.dumps(doc)
        assert decoded(body)[0] == plain(body)


def test_a_kept_event_is_the_dict_of_the_plain_list() -> None:
    e = {"metadata": {"namespace": "shop", "name": "web.1", "managedFields": [{"manager": "kubelet"}]},
         "involvedObject": {"kind": "Pod", "name": "web", "uid": "u1"}, "reason": "BackOff", "count": 7}
    got, _ = decoded(orjson.dumps({"metadata": {"continue": ""}, "items": [e]}))
    assert got == [(("shop", "web"), e)]


def test_invalid_json_fails_the_call() -> None:
    with pytest.raises(CallFailed, match="invalid JSON"):
        EventPage(b'{"items": [', CALL)
    with pytest.raises(CallFailed, match="not an object"):
        EventPage(b"[1, 2]", CALL)
