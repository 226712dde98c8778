"""Every lint check against its fixtures: tests/lint/cases/<check-id>/{bad,good}-*.yaml.

A fixture states its expectations inline: `# expect: <check-id> [severity] [cause]` on each line
where that check must report, and nowhere else (`# expect@N: ...` in a comment elsewhere names
line N, for lines that cannot hold a comment, such as JSON inside a block scalar). `bad-*` files must have at least one marker,
`good-*` files none; only findings of the folder's own check are compared, so a fixture may
(and realistic ones do) trip other checks too. A first-line comment `# options: --strict-refs`
turns that option on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podmortem.lint.checks import CHECKS_BY_ID
from podmortem.lint.loader import Source
from podmortem.lint.model import SEVERITIES
from podmortem.lint.runner import LintOptions, lint_sources

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.glob("*/*.yaml"))
_MARKER = re.compile(r"#\s*expect(?:@(\d+))?:\s*([a-z0-9-]+)((?:\s+[a-z.-]+)*)")


def _expectations(text: str, check_id: str) -> dict[int, tuple[str | None, str | None]]:
    found: dict[int, tuple[str | None, str | None]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = _MARKER.search(line)
        if not m or m.group(2) != check_id:
            continue
        severity = cause = None
        for word in m.group(3).split():
            if word in SEVERITIES:
                severity = word
            elif "." in word:
                cause = word
            else:
                raise AssertionError(f"line {number}: unknown marker word {word!r}")
        found[int(m.group(1)) if m.group(1) else number] = (severity, cause)
    return found


def test_every_check_has_a_bad_and_a_good_fixture() -> None:
    for check_id in CHECKS_BY_ID:
        folder = CASES / check_id
        assert list(folder.glob("bad-*.yaml")), f"{check_id}: no bad-*.yaml fixture"
        assert list(folder.glob("good-*.yaml")), f"{check_id}: no good-*.yaml fixture"
    assert {p.name for p in CASES.iterdir() if p.is_dir()} <= set(CHECKS_BY_ID), "fixture folder for an unknown check"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case(path: Path) -> None:
    check_id = path.parent.name
    text = path.read_text(encoding="utf-8")
    expected = _expectations(text, check_id)
    if path.name.startswith("bad-"):
        assert expected, "a bad-* fixture must mark at least one expected finding"
    else:
        assert not expected, "a good-* fixture must not expect findings"
    options = LintOptions(strict_refs="--strict-refs" in text.split("\n", 1)[0])
    report = lint_sources([Source(str(path), text)], options)
    got = [f for f in report.findings if f.check == check_id]
    assert {f.line for f in got} == set(expected), "\n".join(f"{f.line}: {f.message}" for f in got)
    for f in got:
        severity, cause = expected[f.line]
        if severity:
            assert f.severity == severity, f"line {f.line}: {f.severity} != {severity}: {f.message}"
        if cause:
            assert f.cause == cause, f"line {f.line}: {f.cause} != {cause}"
