"""Patches, selectors, durations and profiles: the parsers of the simulated API server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podmortem.errors import InputError
from podmortem.sim.patch import PatchError, json_patch, merge_patch, strategic_merge
from podmortem.sim.profile import parse_profile
from podmortem.sim.selectors import (
    SelectorError,
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector,
    selector_predicate,
    selector_string,
)
from podmortem.sim.timefmt import go_duration, parse_duration

# --- strategic merge patch (what client-side kubectl apply sends) ------------------------------------

DEPLOY = {"spec": {"template": {"spec": {
    "containers": [{"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80}], "volumeMounts": [{"name": "v", "mountPath": "/v"}]},
                   {"name": "sidecar", "image": "s:1"}],
    "volumes": [{"name": "v", "emptyDir": {}}]}}}}


def _spec(doc: dict) -> dict:  # type: ignore[type-arg]
    return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_lists_merge_by_their_merge_key() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:2",
                                                            "env": [{"name": "B", "value": "3"}]}]}}}}
    out = strategic_merge(DEPLOY, patch)
    app, sidecar = _spec(out)["containers"]
    assert app["image"] == "a:2" and sidecar == {"name": "sidecar", "image": "s:1"}
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert app["ports"] == [{"containerPort": 80}]
    assert _spec(DEPLOY)["containers"][0]["image"] == "a:1"  # the original is not modified


def test_delete_directives_and_nulls() -> None:
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"name": "sidecar", "$patch": "delete"},
                       {"name": "app", "env": [{"name": "A", "$patch": "delete"}], "volumeMounts": None}],
        "volumes": [{"name": "v", "$patch": "delete"}]}}}}
    out = _spec(strategic_merge(DEPLOY, patch))
    assert [c["name"] for c in out["containers"]] == ["app"]
    assert out["containers"][0]["env"] == [{"name": "B", "value": "2"}]
    assert "volumeMounts" not in out["containers"][0] and out["volumes"] == []


def test_set_element_order_and_replace() -> None:
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}}}}
    assert [c["name"] for c in _spec(strategic_merge(DEPLOY, patch))["containers"]] == ["sidecar", "app"]
    replaced = strategic_merge({"a": {"x": 1, "y": 2}}, {"a": {"$patch": "replace", "z": 3}})
    assert replaced == {"a": {"z": 3}}
    assert strategic_merge({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}  # no merge key: replaced


def test_merge_patch_and_json_patch() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 4}}) == {"a": {"c": 2, "d": 4}}
    doc = {"spec": {"replicas": 1, "items": [1, 2]}}
    assert json_patch(doc, [{"op": "replace", "path": "/spec/replicas", "value": 3},
                            {"op": "add", "path": "/spec/items/-", "value": 9},
                            {"op": "remove", "path": "/spec/items/0"}]) == {"spec": {"replicas": 3, "items": [2, 9]}}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "replace", "path": "/spec/nope", "value": 1}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/spec/replicas", "value": 2}])


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.one_of(st.integers(), st.text(max_size=5)), max_size=5),
       st.dictionaries(st.text(min_size=1, max_size=5), st.one_of(st.none(), st.integers()), max_size=5))
def test_merge_patch_properties(target: dict, patch: dict) -> None:  # type: ignore[type-arg]
    out = merge_patch(target, patch)
    for k, v in patch.items():
        assert (k not in out) if v is None else out[k] == v
    for k, v in target.items():
        if k not in patch:
            assert out[k] == v


# --- selectors -------------------------------------------------------------------------------------------

def test_label_selector_operators() -> None:
    reqs = parse_label_selector("app=web,tier in (front, edge),!canary,env!=prod,team")
    assert labels_match(reqs, {"app": "web", "tier": "edge", "team": "a"})
    assert not labels_match(reqs, {"app": "web", "tier": "edge", "team": "a", "canary": "1"})
    assert not labels_match(reqs, {"app": "web", "tier": "back", "team": "a"})
    assert not labels_match(reqs, {"app": "web", "tier": "edge"})
    assert labels_match(parse_label_selector("tier notin (back)"), {})
    with pytest.raises(SelectorError):
        parse_label_selector("app in web")


label_keys = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
label_values = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)


@given(st.dictionaries(label_keys, label_values, min_size=1, max_size=4),
       st.dictionaries(label_keys, label_values, max_size=6))
def test_match_labels_round_trip(selector: dict, labels: dict) -> None:  # type: ignore[type-arg]
    """A LabelSelector printed as kubectl prints it and parsed back selects the same label sets."""
    printed = selector_string({"matchLabels": selector})
    reqs = parse_label_selector(printed)
    want = all(labels.get(k) == v for k, v in selector.items())
    assert labels_match(reqs, labels) == want == labels_match(selector_from_label_selector({"matchLabels": selector}),
                                                              labels)


def test_field_selectors() -> None:
    pod = {"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "w1", "hostNetwork": False},
           "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}]}}
    assert fields_match(parse_field_selector("spec.nodeName=w1,status.phase!=Failed", "pods"), pod, "pods")
    assert fields_match(parse_field_selector("spec.hostNetwork=false", "pods"), pod, "pods")
    assert not fields_match(parse_field_selector("metadata.namespace==other", "pods"), pod, "pods")
    ev = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"}, "source": {"component": "kubelet"}}
    assert fields_match(parse_field_selector("involvedObject.name=p,involvedObject.uid=u,source=kubelet", "events"),
                        ev, "events")
    with pytest.raises(SelectorError, match=r"field label not supported: spec\.image"):
        parse_field_selector("spec.image=x", "pods")
    # The list path's predicate reads the fields whose value is not the text at their path the same way.
    for text, obj, resource, want in [
        ("spec.hostNetwork=false", pod, "pods", True), ("status.podIPs=10.0.0.1", pod, "pods", True),
        ("source=kubelet", ev, "events", True), ("source!=kubelet", ev, "events", False),
        ("spec.unschedulable=false", {"metadata": {"name": "n"}, "spec": {}}, "nodes", True),
        ("involvedObject.kind=Pod,type!=Normal", ev, "events", True),
    ]:
        reqs = parse_field_selector(text, resource)
        assert fields_match(reqs, obj, resource) is want
        assert selector_predicate((), reqs, resource)(obj) is want


_FIELD_NAMES = {"pods": ["spec.nodeName", "spec.hostNetwork", "status.phase", "status.podIPs", "metadata.name"],
                "events": ["involvedObject.kind", "involvedObject.name", "source", "type", "metadata.namespace"],
                "nodes": ["spec.unschedulable"], "replicasets": ["status.replicas"]}
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["Pod", "p", "kubelet", "", "true"]))
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=2),
    st.dictionaries(st.sampled_from(["spec", "status", "metadata", "involvedObject", "source", "nodeName", "kind",
                                     "name", "component", "podIPs", "ip", "labels", "app", "hostNetwork", "phase",
                                     "unschedulable", "replicas", "namespace", "type"]), inner, max_size=4)),
    max_leaves=12)


@given(st.sampled_from(sorted(_FIELD_NAMES)), st.data(), _TREES)
def test_selector_predicate_is_labels_and_fields_match(resource: str, data: st.DataObject, obj: object) -> None:
    # The list path's predicate answers as the two reference functions do, on objects of any shape.
    fields = data.draw(st.lists(st.tuples(st.sampled_from(_FIELD_NAMES[resource]), st.sampled_from(["=", "!="]),
                                          st.sampled_from(["Pod", "p", "kubelet", "", "true", "false", "1"])),
                                max_size=3))
    field_reqs = parse_field_selector(",".join(f"{f}{op}{v}" for f, op, v in fields), resource)
    label_reqs = parse_label_selector(data.draw(st.sampled_from(["", "app=p", "app!=p", "app", "!app"])))
    # Stored objects have a metadata object with string labels (the API validated them); the rest varies.
    meta = data.draw(st.fixed_dictionaries({"name": st.just("p")}, optional={
        "labels": st.dictionaries(st.just("app"), st.sampled_from(["p", "q"]))}))
    obj = {**obj, "metadata": meta} if isinstance(obj, dict) else {"metadata": meta, "spec": obj}
    want = labels_match(label_reqs, meta.get("labels")) and fields_match(field_reqs, obj, resource)
    assert selector_predicate(label_reqs, field_reqs, resource)(obj) == want


# --- durations and profiles ---------------------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=10**6))
def test_durations_round_trip(seconds: int) -> None:
    assert parse_duration(go_duration(seconds)) == seconds


@pytest.mark.parametrize(("seconds", "text"), [(10, "10s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"),
                                               (3600, "1h0m0s"), (0.5, "500ms"), (1.234, "1.234s")])
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_parse_duration_errors() -> None:
    assert parse_duration("1h30m") == 5400 and parse_duration("45") == 45
    with pytest.raises(InputError, match="is not a duration"):
        parse_duration("20 minutes")


def test_profile_parsing() -> None:
    p = parse_profile("runtime: go\nexitAfterSeconds: [1, 700]\nhealth: {paths: [/h], status: 500}\nlistens: [80]", "x")
    assert (p.runtime, p.run_length(0), p.run_length(5), p.health.status, p.listens) == ("go", 1, 700, 500, (80,))
    for bad, msg in [("runtime: cobol", "runtime 'cobol'"), ("exitCode: 300", "exitCode"), ("colour: red", "unknown"),
                     ("health: {speed: 1}", "unknown health"), ("- a", "mapping"), ("listens: [http]", "port numbers"),
                     ("startSeconds: -1", "negative"), ("a: [", "not valid YAML")]:
        with pytest.raises(InputError, match=msg):
            parse_profile(bad, "pod x")
