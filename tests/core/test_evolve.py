"""model.evolve gives what building the object anew with the changed field gives, for every class of
the model (its structs), and refuses what dataclasses.replace refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from podmortem.engine import diagnose
from podmortem.kube.typedjson import msgspec
from podmortem.model import evidence, finding, remedy
from podmortem.model.evolve import evolve
from podmortem.testing import build_evidence, case_files

CASES = Path(__file__).resolve().parent.parent / "rules" / "cases"


def _walk(obj: Any) -> Iterator[Any]:
    if isinstance(obj, msgspec.Struct):
        yield obj
        for f in msgspec.structs.fields(obj):
            yield from _walk(getattr(obj, f.name))
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _walk(item)


def _objects() -> list[Any]:
    found: list[Any] = []
    for path in case_files(CASES)[:80]:
        pod = build_evidence(yaml.safe_load(path.read_text()))
        found.extend(_walk(pod))
        found.extend(_walk(diagnose(pod)))
    return found


def _names(cls: type) -> list[str]:
    return [f.name for f in msgspec.structs.fields(cls)]


def test_evolve_equals_the_object_built_anew_field_by_field() -> None:
    objects = _objects()
    by_class: dict[type, list[Any]] = {}
    for obj in objects:
        by_class.setdefault(type(obj), []).append(obj)
    checked = 0
    for cls, instances in by_class.items():
        if cls is remedy.Placeholder:  # validates in __post_init__: evolve refuses it
            continue
        first, other = instances[0], instances[-1]
        names = _names(cls)
        for name in names:
            for obj in (first, other):
                value = getattr(other if obj is first else first, name)
                got = evolve(obj, **{name: value})
                want = cls(**{n: value if n == name else getattr(obj, n) for n in names})
                assert type(got) is type(want) and got == want, (cls.__name__, name)
                assert all(getattr(got, n) is getattr(want, n) for n in names)
                assert getattr(obj, name) is not value or got == obj
                checked += 1
    assert {evidence.PodEvidence, evidence.ContainerEvidence, finding.Finding, remedy.Remedy} <= set(by_class)
    assert checked > 200


def test_evolve_refuses_what_replace_refuses() -> None:
    pod = evidence.PodEvidence(name="x")
    with pytest.raises(TypeError):
        evolve(pod, nmae="y")
    with pytest.raises(TypeError):
        evolve(remedy.Placeholder("POD"), name="NAMESPACE")  # has a __post_init__
