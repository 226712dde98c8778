"""kube.owners: the one choice of a pod's owner that every reader of a pod makes."""

from __future__ import annotations

from typing import Any

import pytest

from podmortem.kube.owners import controlling_owner, owner_refs
from podmortem.live.collect import controller_of
from podmortem.sources.objects import pod_evidence


def test_the_controller_wins_over_references_before_and_after_it() -> None:
    refs = [("ConfigMap", "x", False), ("ReplicaSet", "api-7d9f", True), ("Job", "later", False)]
    assert controlling_owner(refs) == ("ReplicaSet", "api-7d9f")


def test_without_a_controller_the_last_named_reference_stands_for_the_owner() -> None:
    assert controlling_owner([("A", "a", None), ("B", "b", False), ("", "c", True), ("D", None, True)]) == ("B", "b")
    assert controlling_owner([]) is None


@pytest.mark.parametrize("value", [None, "ReplicaSet/api", {"kind": "ReplicaSet", "name": "api"}, 7,
                                   ["ReplicaSet", ["x"], None]])
def test_what_is_not_a_list_of_objects_names_no_owner(value: Any) -> None:
    assert list(owner_refs(value)) == []
    pod = {"metadata": {"name": "p", "namespace": "ns", "ownerReferences": value}}
    assert controller_of(pod) is None  # raised AttributeError on a list of strings before
    assert pod_evidence(pod).owner is None


def test_the_readers_agree() -> None:
    refs = [{"kind": "Node", "name": "n1"}, {"kind": "StatefulSet", "name": "db", "controller": True}]
    pod = {"metadata": {"name": "db-0", "namespace": "data", "ownerReferences": refs}}
    owner = pod_evidence(pod).owner
    assert owner is not None and (owner.kind, owner.name) == controller_of(pod) == ("StatefulSet", "db")
