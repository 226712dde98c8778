"""The model's types are frozen msgspec structs (model/evidence.py says why): immutable, equal and
hashed by value, written as dataclasses wrote them, and pickled whole (the forked workers send
diagnoses back)."""

from __future__ import annotations

import pickle

import pytest

from podmortem.kube.typedjson import msgspec
from podmortem.model import (
    ContainerEvidence,
    ContainerState,
    ContainerStatus,
    PodEvidence,
    Termination,
    evidence,
    finding,
    remedy,
)
from podmortem.model.finding import Citation


def _pod() -> PodEvidence:
    last = ContainerState(terminated=Termination(exit_code=137, reason="OOMKilled"))
    status = ContainerStatus("web", restart_count=3, last_state=last)
    return PodEvidence(name="web-1", namespace="shop", containers=(ContainerEvidence("web", status=status),))


def test_every_model_type_is_a_frozen_struct() -> None:
    kinds = [v for m in (evidence, finding, remedy) for v in vars(m).values()
             if isinstance(v, type) and v.__module__ == m.__name__ and issubclass(v, msgspec.Struct)]
    assert len(kinds) >= 29
    for kind in kinds:
        assert kind.__struct_config__.frozen, kind.__name__


def test_a_field_cannot_be_set() -> None:
    pod = _pod()
    with pytest.raises(AttributeError):
        pod.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del pod.containers[0].status


def test_equal_by_value_and_hashable_when_the_fields_are() -> None:
    a, b = Citation("status", "Last State: Terminated", "x"), Citation("status", "Last State: Terminated", "x")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Citation("status", "Last State: Terminated", "y")
    assert _pod() == _pod() and _pod() != PodEvidence(name="web-1")
    with pytest.raises(TypeError):
        hash(_pod())  # its labels are a dict, as with the dataclasses


def test_repr_is_the_dataclass_one() -> None:
    assert repr(Citation("status", "x", "y")) == "Citation(source='status', text='x', path='y')"


def test_pickled_whole() -> None:
    pod = _pod()
    assert pickle.loads(pickle.dumps(pod, protocol=pickle.HIGHEST_PROTOCOL)) == pod
