"""The per-pod text indexes (rules/textindex.py) never hide a match.

`may_say(pod, p)` / `may_print(pod, p)` being False lets a rule skip searching the pod's messages /
printed lines for p. Checked two ways: on single texts (every fixture line and its other sentence
case, against every pattern podmortem runs), and on whole pods (every rule case and metamorphic
variant): where the index says no, a search of every message and a `find_output` without the index
find nothing.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

import pytest

from podmortem.logline.fold import other_sentence_case
from podmortem.patterns_index import all_patterns
from podmortem.rules import output
from podmortem.rules.evidence import may_say, messages, said, search_text
from podmortem.rules.textindex import index_text, may_match, pattern_words

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "robustness"))
from test_metamorphic import case_pods  # noqa: E402


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(sorted(all_patterns().items()))


@cache
def _texts() -> tuple[str, ...]:
    texts: set[str] = set()
    for path in (TESTS / "rules" / "cases").rglob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip().strip("-").strip()
            if line:
                texts.add(line)
                if (other := other_sentence_case(line)) is not None:
                    texts.add(other)
    # Letters whose case pairs lower-case differently (Turkish dotted I, Kelvin sign, long s).
    texts.update({"İmage pull failed", "\u212aelvin: exec format error", "ſtat /app: no such file or directory",
                  "Ärger: permission denied", "Σ: Couldn't find key x in ConfigMap y"})
    return tuple(sorted(texts))


def _search(p: re.Pattern[str], text: str) -> bool:
    """What rules.evidence.search_text finds (without its memo, which this many texts would churn)."""
    other = other_sentence_case(text)
    return p.search(text) is not None or (other is not None and p.search(other) is not None)


@pytest.mark.slow
def test_a_text_the_index_rules_out_has_no_match() -> None:
    misses = []
    indexed = [(text, index_text([text])) for text in _texts()]
    for name, p in _patterns():
        if pattern_words(p) is None:
            continue
        for text, index in indexed:
            if not may_match(index, p) and _search(p, text):
                misses.append((name, text[:120]))
    assert misses == []


def test_the_index_rules_out_most_texts() -> None:
    # not vacuous: most patterns have words, and most (pattern, text) pairs are ruled out
    with_words = [p for _, p in _patterns() if pattern_words(p) is not None]
    assert len(with_words) >= len(_patterns()) // 2
    index = index_text(_texts()[:200])
    assert sum(not may_match(index, p) for p in with_words) > len(with_words) // 4


def test_a_pattern_without_words_is_never_ruled_out() -> None:
    assert may_match("", re.compile(r"\d+")) is True
    assert may_match("", re.compile("exec format error")) is False


@pytest.mark.slow
def test_on_whole_pods_the_indexes_hide_no_message_and_no_printed_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # the patterns rules search messages and printed lines with (rules.patterns is the log analysis')
    patterns = [p for name, p in _patterns() if name.startswith("podmortem.rules.")
                and not name.startswith("podmortem.rules.patterns") and pattern_words(p) is not None]
    wrong: list[str] = []
    ruled_out = 0
    for name, pod in case_pods():
        for p in patterns:
            if not may_say(pod, p):
                ruled_out += 1
                if any(search_text(p, m.text) for m in messages(pod)):
                    wrong.append(f"may_say on {name}: {p.pattern[:60]}")
            if not output.may_print(pod, p):
                ruled_out += 1
                with monkeypatch.context() as m:
                    m.setattr(output, "may_print", lambda *_: True)
                    if output.find_output(pod, p):
                        wrong.append(f"may_print on {name}: {p.pattern[:60]}")
    assert not wrong, "\n".join(wrong)
    assert ruled_out > 10_000


def test_said_holds_every_message_lower_cased() -> None:
    for _name, pod in list(case_pods())[:50]:
        text = said(pod)
        assert all(m.text.lower() in text for m in messages(pod))
