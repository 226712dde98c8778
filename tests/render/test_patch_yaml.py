"""Patches are written with libyaml's emitter only where it writes exactly what PyYAML's pure-Python
emitter writes: `emitters_agree` must hold for no data on which the two differ."""

from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podmortem.render.commands import block_yaml, emitters_agree, patch_yaml

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeDumper"), reason="PyYAML built without libyaml")

_ANY_TEXT = st.text(max_size=60) | st.text(alphabet=string.printable, max_size=150)
_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _ANY_TEXT
            | st.sampled_from(["yes", "no", "on", "0x1f", "1e3", "~", "- a", ": b", "#c", "a: b", "'q'", '"d"',
                               "\t", "a\n\nb", "a  \n b", "  lead", "trail  ", "x" * 100 + " y" * 30, "é", "",
                               "\U00068016", "\x85"]))
_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_ANY_TEXT, inner, max_size=4), max_leaves=15)


def _both(data: Any) -> tuple[str, str]:
    kw: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True}
    return yaml.dump(data, Dumper=yaml.SafeDumper, **kw), yaml.dump(data, Dumper=yaml.CSafeDumper, **kw)


@pytest.mark.slow
@settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.dictionaries(_ANY_TEXT, _DATA, max_size=5))
def test_libyaml_is_used_only_where_it_writes_the_same(data: dict[str, Any]) -> None:
    pure, c = _both(data)
    if emitters_agree(data):
        assert pure == c
    assert patch_yaml(data) == pure


@pytest.mark.parametrize("data", [{"": None}, {"\U00068016\u00c7": None}, {"a\r": 1}, {"k": "\x85"}])
def test_data_the_emitters_write_differently_keeps_the_pure_emitter(data: dict[str, Any]) -> None:
    assert not emitters_agree(data)
    assert patch_yaml(data) == _both(data)[0]


_SAFE = st.from_regex(r"[A-Za-z0-9_/][A-Za-z0-9_./-]{0,11}", fullmatch=True)
_ODD = st.sampled_from(
    ["yes", "No", "on", "OFF", "null", "true", "0x1f", "1e3", "1_000", "0b11", "0o7", "2026-01-02", ".5", "...",
     "/tmp", "256Mi", "2Gi", "500m", "app.kubernetes.io/name", "x" * 140, "-", "-a", "_a", "1", "01", "+1", "a b"])
_WORD = st.one_of(*[_SAFE] * 12, _ODD)  # mostly words the block writer takes
def _blocks(word: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    leaf = word | st.none() | st.booleans() | st.integers()
    return st.recursive(leaf, lambda inner: st.lists(leaf | st.dictionaries(word, inner, min_size=1, max_size=3),
                                                     min_size=1, max_size=3)
                        | st.dictionaries(word, inner, min_size=1, max_size=3), max_leaves=12)


@pytest.mark.slow
@settings(max_examples=1000, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.dictionaries(_WORD, _blocks(_WORD), min_size=1, max_size=4)
       | st.dictionaries(_SAFE, _blocks(_SAFE), min_size=1, max_size=4))
def test_the_block_writer_writes_what_pyyaml_writes(data: dict[str, Any]) -> None:
    """Patches of bare words skip PyYAML's emitter; where the writer answers, it answers as PyYAML does."""
    pure = _both(data)[0]
    fast = block_yaml(data)
    if fast is not None:
        assert fast == pure
    assert patch_yaml(data) == pure


def test_the_block_writer_answers_for_a_typical_patch() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "api", "resources": {"limits": {"memory": "512Mi"}}, "args": ["serve", 8080, True]}]}}}}
    assert block_yaml(patch) == _both(patch)[0]
    assert block_yaml({"spec": {"containers": [{"name": "yes"}]}}) is None  # PyYAML quotes it: 'yes'
