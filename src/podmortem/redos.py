"""A static check for regular expressions that go quadratic when `re.search` scans a long line.

`re.search` tries a match at every position. A pattern that begins with an unbounded run of a
character class (`\\S+: line`, `/[^\\s]+: Read-only`, `[A-Z_]{2,} env var`) restarts inside every
run it already scanned, and when the rest then fails each start costs the rest of the run: a 40 KB
line of `a:` took 19 s. A run is linear when it can only start where the previous character is
outside its class: `^`, a negative lookbehind (`(?<![\\w.])[\\w.]+`), or `\\b` before a run of word
characters. This module finds leading runs without such a guard; regexploit (tests) covers the
other shape, nested and adjacent repeats that blow up from a single start.

The check is structural, so the test suite needs no clock.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The regex parser of the standard library (re._parser since 3.11; sre_parse is its deprecated alias).
C: Any = importlib.import_module("re._constants")
P: Any = importlib.import_module("re._parser")

_UNBOUNDED = 64  # a repeat with a larger maximum counts as unbounded
_WORD = {C.CATEGORY_WORD}


def _chars(item: tuple[Any, Any]) -> tuple[set[Any], bool] | None:
    """(members, negated) of a one-character item, None for anything else."""
    op, av = item
    if op is C.LITERAL:
        return {(C.LITERAL, av)}, False
    if op is C.NOT_LITERAL:
        return {(C.LITERAL, av)}, True
    if op is C.ANY:
        return set(), True
    if op is C.IN:
        negate = bool(av) and av[0][0] is C.NEGATE
        members = {(o, a) if o is not C.RANGE else (o, tuple(a)) for o, a in av if o is not C.NEGATE}
        return members, negate
    if op is C.CATEGORY:
        return {(C.CATEGORY, av)}, False
    return None


def _contains(run: tuple[set[Any], bool], literal: int) -> bool:
    members, negated = run
    inside = False
    ch = chr(literal)
    for o, a in members:
        if (o is C.LITERAL and a == literal) or (o is C.RANGE and a[0] <= literal <= a[1]):
            inside = True
        elif o is C.CATEGORY:
            cat = {C.CATEGORY_DIGIT: ch.isdigit(), C.CATEGORY_NOT_DIGIT: not ch.isdigit(),
                   C.CATEGORY_SPACE: ch.isspace(), C.CATEGORY_NOT_SPACE: not ch.isspace(),
                   C.CATEGORY_WORD: ch.isalnum() or ch == "_", C.CATEGORY_NOT_WORD: not (ch.isalnum() or ch == "_")}
            inside = inside or cat.get(a, False)
    return inside != negated


def _overlaps(run: tuple[set[Any], bool], prev: tuple[Any, Any]) -> bool:
    """Whether a leading one-character item can be one of the run's own characters."""
    lead = _chars(prev)
    if lead is None:
        return False
    members, negated = lead
    if negated:
        return True
    for o, a in members:
        if o is C.LITERAL and _contains(run, a):
            return True
        if o is C.RANGE and (_contains(run, a[0]) or _contains(run, a[1])):
            return True
        if o is C.CATEGORY and (o, a) in run[0] and not run[1]:
            return True
    return False


def _required(rest: list[tuple[Any, Any]]) -> bool:
    """Whether anything after a run must match (so a failing tail makes the run backtrack)."""
    for op, av in rest:
        if op is C.AT and av in (C.AT_END, C.AT_END_STRING):
            return True
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] == 0:
            continue
        return True
    return False


def _word_only(run: tuple[set[Any], bool]) -> bool:
    members, negated = run
    if negated:
        return False
    for o, a in members:
        if o is C.CATEGORY and a in _WORD:
            continue
        if o is C.LITERAL and (chr(a).isalnum() or chr(a) == "_"):
            continue
        if o is C.RANGE and all(chr(x).isalnum() for x in (a[0], a[1])):
            continue
        return False
    return True


def _starts(items: list[tuple[Any, Any]]) -> list[str]:
    """Problems of the leading part of a sequence (flattened through groups and alternations)."""
    guarded = False
    boundary = False
    prev: tuple[Any, Any] | None = None
    for k, (op, av) in enumerate(items):
        if op is C.AT:
            if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
                return []
            if av is C.AT_BOUNDARY:
                boundary = True
            continue
        if op is C.ASSERT_NOT or op is C.ASSERT:
            if av[0] == -1 and op is C.ASSERT_NOT:
                guarded = True
            continue
        if op is C.SUBPATTERN:
            return _with_state([*list(av[-1]), *items[k + 1:]], guarded, boundary, prev)
        if op is C.BRANCH:
            out: list[str] = []
            for branch in av[1]:
                out.extend(_with_state([*list(branch), *items[k + 1:]], guarded, boundary, prev))
            return out
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            sub = list(sub)
            run = _chars(sub[0]) if len(sub) == 1 else None
            if hi > _UNBOUNDED and run is not None and op is not C.POSSESSIVE_REPEAT:
                # A run restarts inside itself when it leads, or when what leads is one of its own characters.
                restarts = prev is None or _overlaps(run, prev)
                if restarts and not guarded and not (boundary and _word_only(run)) and _required(items[k + 1:]):
                    return [f"unguarded leading run of {sub[0]!r} (repeat {lo}..{'inf' if hi > _UNBOUNDED else hi})"]
                if lo >= 1 or prev is not None:
                    return []
                continue
            if lo == 0:
                inner = _with_state([*sub, *items[k + 1:]], guarded, boundary, prev) if run is None else []
                if inner:
                    return inner
                continue  # optional: the match may also start with what follows
            if run is not None and prev is None:
                prev = sub[0]
                continue
            return []
        if _chars((op, av)) is not None:
            if prev is not None:
                return []
            prev = (op, av)
            continue
        return []
    return []


def _with_state(items: list[tuple[Any, Any]], guarded: bool, boundary: bool, prev: tuple[Any, Any] | None) -> list[str]:
    lead: list[tuple[Any, Any]] = []
    if guarded:
        lead.append((C.ASSERT_NOT, (-1, P.parse("x"))))
    if boundary:
        lead.append((C.AT, C.AT_BOUNDARY))
    if prev is not None:
        lead.append(prev)
    return _starts([*lead, *items])


def quadratic_starts(pattern: re.Pattern[str]) -> list[str]:
    """Why `pattern.search` can go quadratic on a long line (empty when its leading runs are guarded)."""
    parsed = P.parse(pattern.pattern, pattern.flags)
    return _starts(list(parsed))
