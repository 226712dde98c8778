"""Cause ids are a typed enumeration that matches the canonical list (shared/causes.md) exactly."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from podmortem.causes import CAUSES, CauseId
from podmortem.rules import ALL_RULES, rule

CANONICAL = Path(os.environ.get("PODMORTEM_CAUSES_MD", "/work/shared/causes.md"))


@pytest.mark.skipif(not CANONICAL.is_file(), reason="the canonical causes.md is not on this machine")
def test_the_enumeration_is_the_canonical_list() -> None:
    listed = re.findall(r"^\| `([a-z0-9.-]+)` \|", CANONICAL.read_text(encoding="utf-8"), re.M)
    assert listed, "no cause rows found: has the table's layout changed?"
    assert sorted(CauseId) == sorted(listed)
    assert len(set(listed)) == len(listed)


def test_every_cause_is_described_and_every_rule_names_a_member() -> None:
    assert set(CAUSES) == set(CauseId)
    assert all(isinstance(r.cause, CauseId) for r in ALL_RULES)
    assert all(CAUSES[c].id is c for c in CauseId)


def test_a_misspelt_cause_id_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cause id"):
        rule("x", cause="app.crashed", title="x", needs=("logs",))
