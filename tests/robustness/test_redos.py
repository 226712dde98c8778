"""Linear-time matching, checked without a clock (issue 11).

Two static analyses over every compiled pattern that reads untrusted text (podmortem.patterns_index
finds them in the rules, the redactor, the log normaliser and the parsers):

- podmortem.redos: no pattern starts with an unguarded run that `re.search` restarts inside itself
  (the shape that made a 40 KB line take 19 s);
- regexploit (Doyensec, PyPI): no nested or adjacent repeats that blow up from a single start
  (starriness above 2, its threshold for reporting).

The benchmark benchmarks/bench_adversarial.py measures the resulting times on 512 KB lines.
"""

from __future__ import annotations

import re

import pytest
from regexploit.ast.sre import SreOpParser
from regexploit.redos import find

from podmortem.logline import MAX_CHARS
from podmortem.patterns_index import all_patterns
from podmortem.redos import quadratic_starts

PATTERNS = all_patterns()
# Patterns only ever used with .match()/.fullmatch(), where a leading run cannot restart.
MATCH_ONLY = {"podmortem.sources.loader._JSON_OBJECT"} | {
    f"podmortem.kube.images.{name}" for name in ("_DIGEST", "_DOMAIN", "_PATH_COMPONENT", "_TAG")} | {
    "podmortem.kube.durations._PART"}


def test_the_index_finds_the_patterns() -> None:
    assert len(PATTERNS) > 300
    assert any(n.startswith("podmortem.redact.") for n in PATTERNS)
    assert any(n.startswith("podmortem.rules.patterns.") for n in PATTERNS)
    assert any(n.startswith("podmortem.sources.describe.") for n in PATTERNS)


@pytest.mark.parametrize("source", [r"\S+: line \d+: x", r"/[^\s]+: Read-only file system", r"\d+/\d+ nodes",
                                    r"[\"']?(?P<v>[A-Z][A-Z0-9_]{2,}) env", r"(?:(?P<r>[\w.-]+) is forbidden: )?User",
                                    r"\b[a-z][a-z0-9+.-]*://"])
def test_the_check_catches_restarting_runs(source: str) -> None:
    assert quadratic_starts(re.compile(source))


@pytest.mark.parametrize("source", [r"(?<!\S)\S+: line \d+", r"^\S+: x", r"\bfoo\w+x", r"error: (?P<m>.+)",
                                    r"(?<![A-Z0-9_])(?P<v>[A-Z][A-Z0-9_]{2,}) env", r"[a-z_]+"])
def test_the_check_passes_guarded_runs(source: str) -> None:
    assert not quadratic_starts(re.compile(source))


def test_no_pattern_restarts_inside_its_own_run() -> None:
    bad = {name: why for name, p in PATTERNS.items() if name not in MATCH_ONLY and (why := quadratic_starts(p))}
    assert not bad, "\n".join(f"{n}: {w[0]}: {PATTERNS[n].pattern[:160]}" for n, w in bad.items())


@pytest.mark.slow
def test_regexploit_finds_no_redos() -> None:
    found = []
    for name, p in PATTERNS.items():
        for redos in find(SreOpParser().parse_sre(p.pattern, p.flags)):
            if redos.starriness > 2:
                found.append(f"{name} (starriness {redos.starriness}): {p.pattern[:160]}")
    assert not found, "\n".join(found)


def test_regexploit_catches_a_known_redos() -> None:
    parsed = SreOpParser().parse_sre(r"^(?:a+)+b")
    assert any(r.starriness > 2 for r in find(parsed))


def test_log_lines_reach_the_rules_bounded() -> None:
    from podmortem.sources.logs import log_text

    log = log_text("a:" * 300_000 + " panic: boom\n" + '{"level":"fatal","msg":"' + "x" * 100_000 + '"}')
    assert all(len(line) <= MAX_CHARS for line in log.lines)
    assert log.lines[0].endswith("panic: boom")  # the tail of a long line is kept
