"""The needle prefilter of podmortem.lazyre never hides a match: every text a pattern finds a match
in holds one of the pattern's needles (lower-cased under IGNORECASE).

Checked on every pattern podmortem runs on untrusted text (patterns_index), against every line of
the test fixtures and every wording instance the rules document, and against texts hypothesis
generates from the patterns themselves.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podmortem.lazyre import MIN_NEEDLE, Needles, lazy, needles, prefiltered_search
from podmortem.patterns_index import all_patterns
from podmortem.rules import ALL_RULES

TESTS = Path(__file__).resolve().parent.parent


@cache
def _with_needles() -> list[tuple[str, re.Pattern[str], Needles]]:
    out = []
    for name, p in sorted(all_patterns().items()):
        found = needles(p.pattern, p.flags)
        if found is not None:
            out.append((name, p, found))
    return out


@cache
def _corpus() -> tuple[str, ...]:
    texts: set[str] = set()
    for path in TESTS.rglob("*"):
        if path.suffix not in (".txt", ".log", ".json", ".yaml", ".yml") or not path.is_file():
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        texts.update(line for line in content.splitlines() if line.strip())
        texts.add(content)
    for r in ALL_RULES:
        texts.update(w.instance() for w in r.wordings)
    return tuple(sorted(texts))


def test_most_patterns_have_needles() -> None:
    # Not a timing: a change to the analysis that quietly found none would make the prefilter useless.
    assert len(_with_needles()) >= len(all_patterns()) // 2


def test_every_fixture_line_a_pattern_matches_holds_a_needle() -> None:
    misses = []
    for name, p, words in _with_needles():
        for text in _corpus():
            if p.search(text) is not None and not words.in_text(text):
                misses.append((name, words, text[:200]))
    assert misses == []


def test_the_fixtures_exercise_the_patterns() -> None:
    matched = {name for name, p, _ in _with_needles() if any(p.search(t) for t in _corpus())}
    assert len(matched) >= 100  # the check above is not vacuous


_FROM_REGEX: list[tuple[str, re.Pattern[str], Needles]] = []


def _generatable() -> list[tuple[str, re.Pattern[str], Needles]]:
    if not _FROM_REGEX:
        for item in _with_needles():
            try:
                st.from_regex(item[1]).validate()
            except Exception:  # a construct hypothesis cannot generate from (lookbehinds, ...)
                continue
            _FROM_REGEX.append(item)
    return _FROM_REGEX


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_texts_generated_from_a_pattern_hold_a_needle(data: st.DataObject) -> None:
    name, p, words = data.draw(st.sampled_from(_generatable()))
    text = data.draw(st.from_regex(p))
    if p.search(text) is not None:
        assert words.in_text(text), (name, words, text)


@pytest.mark.parametrize(("pattern", "flags", "expected"), [
    (r"back-off \d+s restarting failed", 0, Needles(("s restarting failed",), False)),  # the longest run
    (r"(?:OOMKilled|out of memory)", 0, Needles(("OOMKilled", "out of memory"), False)),
    (r"exit(?:ed)? code (\d+)|signal: killed", 0, Needles((" code ", "signal: killed"), False)),
    (r"Killing|x?", 0, None),  # an alternative that needs nothing: no guarantee
    (r"ab", 0, None),  # too short to be worth a test
    (r"(?i)Permission Denied", 0, Needles(("on den",), True)),  # lower case, and no needle spans i or s
    (r"Permission Denied", re.IGNORECASE, Needles(("on den",), True)),
    (r"no (?i:Such) file", 0, Needles((" file",), False)),
    (r"(?i:Out Of Memory)|Killed", 0, Needles(("killed", "out of memory"), True)),  # all looked for lowered
    (r"(?i)(?-i:OOMKilled)|out of memory", 0, Needles(("oomkilled", "out of memory"), True)),
    (r"(?i:ConfigMap \w+)|Secret\u00e9", 0, None),  # a non-ASCII word cannot be lowered safely
    (r"(?s:a.b)connect", 0, Needles(("connect",), False)),
    (r"(?:Error: )+connect", 0, Needles(("Error: ",), False)),
    (r"(?:Error: )*connect", 0, Needles(("connect",), False)),
])
def test_needles_of_small_patterns(pattern: str, flags: int, expected: Needles | None) -> None:
    assert needles(pattern, flags) == expected


def test_letters_that_ignorecase_folds_from_outside_ascii() -> None:
    """re.IGNORECASE matches some ASCII letters with characters whose lower case is not that letter;
    needles never contain those letters (the list in lazyre is this computation's result)."""
    everything = "".join(chr(u) for u in range(0x80, 0x110000))
    unsafe = set()
    for c in map(chr, range(32, 127)):
        for u in re.compile(re.escape(c), re.IGNORECASE).findall(everything):
            if c.lower() not in u.lower():
                unsafe.add(c)
    assert unsafe == set("iIsS")
    assert needles("(?i)OOMKilled by SIGKILL", 0) == Needles(("lled by ",), True)
    assert lazy("(?i)OOMKilled by SIGKILL").search("oomkilled by \u017figkill") is not None  # a long s


def test_prefiltered_search_answers_as_search() -> None:
    for pattern in (r"container (\w+) OOMKilled", r"(?i)Out Of Memory|oom-kill", r"x", r"(?i:out of memory)|OOMKilled"):
        p = re.compile(pattern)
        search = prefiltered_search(p)
        for text in ("container app OOMKilled", "OUT OF MEMORY", "nothing here", "", "oom-killer x"):
            got, want = search(text), p.search(text)
            assert (got and got.span()) == (want and want.span())
        assert MIN_NEEDLE >= 2


def test_the_gated_whole_text_methods_give_what_the_compiled_pattern_gives() -> None:
    """LazyPattern.sub / subn / finditer / findall skip a text without a needle (as search does):
    on fixture texts, for every pattern with needles, they answer as re does, with and without one."""
    from podmortem.lazyre import LazyPattern

    texts = [t for t in _corpus() if len(t) < 2000][::7]  # a sample: each text costs every pattern four runs
    patterns = [p for _, p, _ in _with_needles()]
    assert len(patterns) >= 150 and len(texts) >= 100
    skipped = matched = 0
    for compiled in patterns:
        fresh = LazyPattern(compiled.pattern, compiled.flags)
        words = fresh.needles
        assert words is not None
        for text in texts:
            skipped += not words.in_text(text)
            assert fresh.sub("<x>", text) == compiled.sub("<x>", text)
            assert fresh.subn("<x>", text) == compiled.subn("<x>", text)
            assert fresh.findall(text) == compiled.findall(text)
            assert [m.span() for m in fresh.finditer(text)] == [m.span() for m in compiled.finditer(text)]
            matched += compiled.search(text) is not None
    assert skipped > 5_000 and matched > 20  # both ways are exercised
