"""The pod list decoded with msgspec's typed views calls a pod plainly healthy exactly when the plain
rule (sources.healthy.plain_pod) does on its dict, and gives every other pod as the dict the plain
list gives, whatever shape the items have."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.live.client import Call, CallFailed
from podmortem.live.collect import controller_of
from podmortem.live.podpage import PodPage, owner_stub
from podmortem.sources.healthy import PlainPod, plain_pod

CALL = Call("list", "pods", None)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-1, 2), st.just(0.0), st.just(2**70),
                    st.sampled_from(["", "app", "side", "Running", "True", "False", "ReplicaSet", "web-1"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.sampled_from(["name", "running", "x"]),
                                                                             inner, max_size=3)), max_leaves=6)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the well-formed value, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, json_values)


names = st.sampled_from(["app", "side"])
running = st.fixed_dictionaries({"running": st.fixed_dictionaries({}, optional={"startedAt": st.just("2026-01-15T10:00:00Z")})})
states = maybe(st.one_of(running, running, st.just({"waiting": {"reason": "CrashLoopBackOff"}}),
                         st.just({"running": {}, "terminated": {"exitCode": 1}})))
container_statuses = st.fixed_dictionaries(
    {"name": maybe(names), "ready": maybe(st.just(True)), "restartCount": maybe(st.just(0)), "state": states},
    optional={"lastState": maybe(st.one_of(st.just({}), st.just({"terminated": {"exitCode": 137}}))),
              "image": st.just("app:1")})
owner_refs = maybe(st.lists(maybe(st.fixed_dictionaries(
    {"kind": maybe(st.sampled_from(["ReplicaSet", "StatefulSet", ""])), "name": maybe(st.sampled_from(["web-1", ""]))},
    optional={"controller": scalars})), max_size=2))
pods = st.one_of(json_values, st.fixed_dictionaries(
    {"metadata": maybe(st.fixed_dictionaries({"name": maybe(st.sampled_from(["web-1", "web-2"]))},
                                             optional={"namespace": maybe(st.just("shop")),
                                                       "ownerReferences": owner_refs,
                                                       "managedFields": st.just([{"manager": "kubelet"}])})),
     "spec": maybe(st.fixed_dictionaries({"containers": maybe(st.lists(maybe(st.fixed_dictionaries({"name": maybe(names)})),
                                                                       min_size=1, max_size=2))},
                                         optional={"initContainers": json_values})),
     "status": maybe(st.fixed_dictionaries(
         {"phase": maybe(st.just("Running")), "containerStatuses": maybe(st.lists(container_statuses, min_size=1, max_size=2))},
         optional={"reason": scalars, "initContainerStatuses": json_values,
                   "conditions": maybe(st.lists(maybe(st.fixed_dictionaries({"status": maybe(st.just("True"))})),
                                                max_size=2))}))}))


def plain(body: bytes) -> list[PlainPod | dict[str, Any]]:
    doc = orjson.loads(body)
    out: list[PlainPod | dict[str, Any]] = []
    for p in doc.get("items") or []:
        if isinstance(p, dict):
            out.append(plain_pod(p, with_times=False) or p)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(pods, max_size=5), st.one_of(st.none(), st.just({"continue": "abc"}), json_values))
def test_every_pod_is_judged_as_the_plain_dicts_are(items: list[Any], meta: Any) -> None:
    try:
        body = orjson.dumps({"kind": "PodList", "metadata": meta, "items": items})
    except TypeError:  # an integer past 64 bits: not a page the API could send; see the test below
        return
    page = PodPage(body, CALL)
    assert page.items == plain(body)
    assert page.cont == (str(meta.get("continue") or "") if isinstance(meta, dict) else "")


def test_plainly_healthy_pods_are_found_and_others_kept_whole() -> None:
    healthy = {"metadata": {"name": "web-1", "namespace": "shop", "managedFields": [{"manager": "kubelet"}],
                            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7f", "controller": True}]},
               "spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "b"}]}]},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                          "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0,
                                                 "state": {"running": {"startedAt": "2026-01-15T10:00:00Z"}}}]}}
    crashing = orjson.loads(orjson.dumps(healthy))
    crashing["metadata"]["name"] = "web-2"
    crashing["status"]["containerStatuses"][0]["restartCount"] = 4
    float_count = orjson.loads(orjson.dumps(healthy))
    float_count["status"]["containerStatuses"][0]["restartCount"] = 0.0  # the plain rule wants an int
    odd_owner = orjson.loads(orjson.dumps(healthy))  # fails the view; plainly healthy by the plain rule
    odd_owner["metadata"]["ownerReferences"] = [7, {"kind": "StatefulSet", "name": "db"}]
    body = orjson.dumps({"metadata": {"continue": "next"}, "items": [healthy, crashing, float_count, 7, odd_owner]})
    page = PodPage(body, CALL)
    assert page.items == [PlainPod("web-1", "shop", "ReplicaSet/web-7f"), crashing, float_count,
                          PlainPod("web-1", "shop", "StatefulSet/db")]
    assert page.cont == "next"
    assert controller_of(owner_stub(page.items[0])) == controller_of(healthy)  # type: ignore[arg-type]


def test_a_page_of_unexpected_shape_is_read_the_plain_way() -> None:
    for doc in ({"items": "not a list"}, {"items": None}, {"items": {"a": 1}}, {"metadata": "x", "items": [{"metadata": 1}]},
                {"items": [1, "two", {"metadata": {"name": 5}}]}):
        body = orjson.dumps(doc)
        assert PodPage(body, CALL).items == plain(body)


def test_invalid_json_fails_the_call() -> None:
    with pytest.raises(CallFailed, match="invalid JSON"):
        PodPage(b'{"items": [', CALL)
    with pytest.raises(CallFailed, match="not an object"):
        PodPage(b"[1, 2]", CALL)
    # A restart count past 64 bits: msgspec reads it as an int, orjson as a float; the plain dict wins.
    body = b'{"items": [{"status": {"containerStatuses": [{"restartCount": 99999999999999999999999}]}}]}'
    assert PodPage(body, CALL).items == plain(body)
