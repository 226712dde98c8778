"""Meta-tests over the rule catalogue: every rule documented, identified, tied to a cause, and exercised.

These keep the catalogue honest as it grows: a rule nobody wrote a case for, a cause no rule can
name, a cause folder without a near miss, or generated docs that drifted from the code all fail here.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from podmortem import docgen
from podmortem.causes import CAUSES
from podmortem.engine import diagnose
from podmortem.rules import ALL_RULES, DOC_HEADINGS, Rule
from podmortem.testing import Case, case_files, load_case

CASES = Path(__file__).parent / "cases"
DOCS = Path(__file__).resolve().parents[2] / "docs"
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@cache
def _cases() -> tuple[Case, ...]:
    return tuple(load_case(p) for p in case_files(CASES))


def _positive(case: Case) -> bool:
    return not case.path.name.startswith("near-miss-")


@cache
def _exercised_rules() -> frozenset[str]:
    """Rules named as `expect.rule` of a positive case, or ranked first when a positive case names none."""
    seen: set[str] = set()
    for case in _cases():
        if not _positive(case):
            continue
        if "rule" in case.expect:
            seen.add(str(case.expect["rule"]))
        else:
            result = diagnose(case.pod)
            if result.findings:
                seen.add(result.findings[0].rule)
    return frozenset(seen)


@pytest.mark.parametrize("r", ALL_RULES, ids=lambda r: r.id)
def test_rule_doc_has_every_heading(r: Rule) -> None:
    headings = re.findall(r"^##\s+(.+?)\s*$", r.doc, re.M)
    missing = [h for h in DOC_HEADINGS if h not in headings]
    assert not missing, f"{r.id}: docstring lacks ## {', ## '.join(missing)}"
    for h in DOC_HEADINGS:  # a heading with nothing under it documents nothing
        body = r.doc.split(f"## {h}", 1)[1].split("\n## ", 1)[0].strip()
        assert body, f"{r.id}: section {h!r} is empty"


@pytest.mark.parametrize("r", ALL_RULES, ids=lambda r: r.id)
def test_rule_id_is_kebab_case_and_cause_is_real(r: Rule) -> None:
    assert KEBAB.match(r.id), f"{r.id!r} is not kebab-case"
    assert r.cause in CAUSES and r.cause != "unknown", f"{r.id}: cause {r.cause!r}"
    assert r.title and not r.title.endswith("."), f"{r.id}: title should be one line without a full stop"
    assert r.needs, f"{r.id}: declares no evidence it needs"


def test_rule_ids_are_unique() -> None:
    dupes = [rid for rid, n in Counter(r.id for r in ALL_RULES).items() if n > 1]
    assert not dupes, f"duplicate rule ids: {dupes}"


def test_every_cause_has_a_rule() -> None:
    covered = {r.cause for r in ALL_RULES}
    missing = sorted(c for c in CAUSES if c != "unknown" and c not in covered)
    assert not missing, f"causes no rule can name: {missing}"


@pytest.mark.parametrize("r", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_has_a_positive_case(r: Rule) -> None:
    assert r.id in _exercised_rules(), (
        f"{r.id}: no positive case file expects it (expect.rule) or ranks it first; add one under "
        f"tests/rules/cases/{r.cause}/")


def test_case_folders_are_cause_ids_with_a_near_miss() -> None:
    folders = sorted(p for p in CASES.iterdir() if p.is_dir())
    assert folders, "no case folders"
    for folder in folders:
        assert folder.name in CAUSES, f"{folder.name}: not a cause id"
        assert list(folder.glob("near-miss-*.yaml")), f"{folder.name}: no near-miss-*.yaml"


def test_case_folder_matches_positive_expectation() -> None:
    """A positive case lives in the folder of the cause it expects; only near misses expect another cause."""
    wrong = [str(c.path.relative_to(CASES)) for c in _cases()
             if _positive(c) and c.expect.get("cause") != c.path.parent.name]
    assert not wrong, f"positive cases filed under another cause: {wrong}"


def test_expected_rules_exist_and_match_their_cause() -> None:
    by_id = {r.id: r for r in ALL_RULES}
    for case in _cases():
        rid = case.expect.get("rule")
        if rid is None:
            continue
        assert rid in by_id, f"{case.path.name}: unknown rule {rid!r}"
        assert by_id[rid].cause == case.expect["cause"], f"{case.path.name}: {rid} names {by_id[rid].cause}"


def test_generated_docs_are_current() -> None:
    stale = [str(p) for p, text in docgen.generated(DOCS).items() if not p.exists() or p.read_text() != text]
    assert not stale, f"stale docs (run `.venv/bin/python -m podmortem.docgen docs`): {stale}"


def test_docgen_check_mode_agrees() -> None:
    assert docgen.main([str(DOCS), "--check"]) == 0
