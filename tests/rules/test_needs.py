"""Each rule's declared `needs` (documented as "reads:") covers what it reads and what it cites.

Run over every rule case file (tests/rules/cases), with each evidence kind the rule did not
declare taken away in turn: its findings must not change. A rule that reads events, logs, the
spec or the status without declaring them fails here, and so does one whose citations name a
kind it did not declare. Describe text stands for status, spec and events at once, so a rule
that declares `describe` may read them from a pasted describe, and a `describe` citation is the
status seen through one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podmortem.model import PodEvidence
from podmortem.model.evidence import DESCRIBE
from podmortem.model.evolve import evolve
from podmortem.rules import ALL_RULES, Rule
from podmortem.testing import case_files, load_case

CASES = [load_case(p) for p in case_files(Path(__file__).parent / "cases")]


def _no_events(pod: PodEvidence) -> PodEvidence:
    return evolve(pod, events=(), has_events=False)


def _no_logs(pod: PodEvidence) -> PodEvidence:
    return evolve(pod, containers=tuple(evolve(c, logs=()) for c in pod.containers))


def _no_spec(pod: PodEvidence) -> PodEvidence:
    return evolve(pod, containers=tuple(evolve(c, spec=None) for c in pod.containers), volumes=(),
                   security=None, restart_policy=None, has_spec=False)


def _no_status(pod: PodEvidence) -> PodEvidence:
    return evolve(pod, containers=tuple(evolve(c, status=None) for c in pod.containers), phase=None,
                   reason=None, message=None, conditions={}, has_status=False)


WITHOUT: dict[str, Callable[[PodEvidence], PodEvidence]] = {
    "events": _no_events, "logs": _no_logs, "spec": _no_spec, "status": _no_status}


def _findings(rule: Rule, pod: PodEvidence) -> list[str]:
    return [repr(h) for h in rule(pod)]  # every field of every Hit


def _declared(rule: Rule, kind: str, pod: PodEvidence) -> bool:
    return kind in rule.needs or (pod.origin == DESCRIBE and "describe" in rule.needs
                                  and kind in ("status", "spec", "events"))


def undeclared_reads(rule: Rule) -> list[tuple[str, str]]:
    return sorted({
        (kind, case.path.parent.name + "/" + case.path.name)
        for case in CASES
        for kind, strip in WITHOUT.items()
        if not _declared(rule, kind, case.pod) and _findings(rule, strip(case.pod)) != _findings(rule, case.pod)
    })


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.id for r in ALL_RULES])
def test_a_rule_reads_only_the_evidence_it_declares(rule: Rule) -> None:
    undeclared = undeclared_reads(rule)
    assert not undeclared, f"{rule.id} declares needs={sorted(rule.needs)} but reads: {undeclared[:6]}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.id for r in ALL_RULES])
def test_a_rule_cites_only_the_evidence_it_declares(rule: Rule) -> None:
    cited = sorted({
        (c.source, case.path.parent.name + "/" + case.path.name)
        for case in CASES for h in rule(case.pod) for c in h.evidence
        if c.source not in rule.needs and not (c.source == DESCRIBE and "status" in rule.needs)
    })
    assert not cited, f"{rule.id} declares needs={sorted(rule.needs)} but cites: {cited[:6]}"


def test_the_check_catches_an_undeclared_read() -> None:
    # A rule declared on logs alone that looks at the events: taking them away changes its answer.
    from podmortem.rules.base import rule as declare

    @declare("probe-reads-events", cause="app.crash", title="probe", needs=("logs",))
    def reads_events(pod: PodEvidence) -> list[Any]:
        """probe"""
        return [len(pod.events)] if pod.events else []

    assert any(kind == "events" for kind, _ in undeclared_reads(reads_events))
