"""A rule's precondition (rules/facts.py) is false only where the rule finds nothing.

The engine skips a rule whose precondition is false, so a wrong precondition would silently hide a
finding. Every rule that declares one is run anyway on every rule case, every metamorphic variant
of them (test_metamorphic.FAMILIES) and every shared real-world case when the checkout has them:
where the precondition says no, the rule must yield no hit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_metamorphic import case_pods

from podmortem.model import PodEvidence
from podmortem.rules import ALL_RULES
from podmortem.rules.facts import facts_of
from podmortem.sources.loader import Inputs, load

SHARED = Path(os.environ.get("PODMORTEM_SHARED_CASES", "/work/shared/cases"))
GATED = [r for r in ALL_RULES if r.when is not None]


def _pods() -> Iterator[tuple[str, PodEvidence]]:
    yield from case_pods()
    if SHARED.is_dir():
        for case in sorted(p for p in SHARED.iterdir() if p.is_dir()):
            describe, logs = case / "describe.txt", case / "logs.txt"
            inputs = Inputs(describe=[str(describe)] if describe.is_file() else [],
                            logs=[str(logs)] if logs.is_file() else [])
            if not inputs.describe and not inputs.logs:
                continue
            for pod in load(inputs):
                yield f"shared {case.name}", pod


@pytest.mark.slow
def test_a_rule_whose_precondition_is_false_finds_nothing() -> None:
    assert GATED, "no rule declares a precondition: this test guards nothing"
    wrong: list[str] = []
    skipped = fired = 0
    for name, pod in _pods():
        facts = facts_of(pod)
        for r in GATED:
            hits = list(r.check(pod))
            assert r.when is not None
            if r.when(facts):
                fired += bool(hits)
            else:
                skipped += 1
                if hits:
                    wrong.append(f"{r.id} on {name}: precondition false, {len(hits)} hit(s)")
    assert not wrong, "\n".join(wrong)
    # Both sides were exercised: preconditions did rule rules out, and gated rules did find things.
    assert skipped > 100 and fired > 50, (skipped, fired)
