"""Meta tests of the lint catalogue: ids, causes, documentation, and the link with diagnosis rules."""

from __future__ import annotations

import re
from pathlib import Path

from podmortem.causes import CAUSES
from podmortem.lint.checks import ALL_CHECKS, CHECKS_BY_ID, DOC_HEADINGS
from podmortem.rules import ALL_RULES

# The ids the issue and the rule catalogue name: they must exist and never be renamed.
PROMISED = {
    "memory-limit-missing", "memory-quantity-suspicious", "heap-flag-over-limit", "liveness-without-startup",
    "startup-budget-short", "liveness-equals-readiness", "probe-port-undeclared", "duplicate-container-port",
    "image-tag-latest", "image-reference-invalid", "run-as-non-root-without-user", "run-as-non-root-user-zero",
    "privileged-port-non-root", "read-only-root-without-writable-volume", "config-ref-missing",
    "config-key-missing", "volume-ref-missing", "pvc-missing", "configmap-value-unparsable", "one-shot-command",
    "shell-missing", "env-required-missing",
}
DOCS = Path(__file__).parents[2] / "docs" / "lint.md"


def test_ids_unique_kebab_and_promised() -> None:
    ids = [c.id for c in ALL_CHECKS]
    assert len(ids) == len(set(ids)) == len(CHECKS_BY_ID)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert set(ids) >= PROMISED


def test_every_check_names_a_real_cause_and_is_documented() -> None:
    for c in ALL_CHECKS:
        assert c.cause in CAUSES and c.cause != "unknown", c.id
        for heading in DOC_HEADINGS:
            assert f"## {heading}" in c.doc, f"{c.id}: missing '## {heading}'"
        assert c.title and c.fix.endswith(".") and c.summary, c.id


def test_every_lint_check_named_by_a_rule_exists() -> None:
    """Diagnosis rules link to the check that would have caught their cause (one shared catalogue)."""
    for r in ALL_RULES:
        if r.lint_check is not None:
            assert r.lint_check in CHECKS_BY_ID, f"rule {r.id} names unknown lint check {r.lint_check!r}"


def test_docs_list_every_check() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for c in ALL_CHECKS:
        assert f"`{c.id}`" in text, f"docs/lint.md does not mention {c.id}"
