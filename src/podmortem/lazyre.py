"""Regular expressions compiled on first use instead of at import, and searched only when a text
holds a word every match needs.

podmortem's rules carry several hundred patterns; compiling them all costs about as much as
parsing a 20 MB PodList, while one run only ever uses a few. `lazy(pattern, flags)` stands in for
`re.compile(pattern, flags)`: the same methods, compiled the first time one is called.
patterns_index compiles every lazy pattern it finds, so the ReDoS checks still see all of them.

Most searches of a report find nothing: a rule asks every message of a failing pod whether it is
the one message that rule knows. `needles(pattern, flags)` reads the parsed pattern (the
standard library's own parser) for literal words one of which every match contains (RE2's
prefilter idea, reduced to what is exact); `search` on a lazy pattern then answers None at the
cost of a substring test when none of them is in the text. The words are derived, never written
by hand, so they cannot drift from the pattern; tests/core/test_needles.py checks the claim on
every pattern and every message of the fixtures.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, cast

# The standard library's regular-expression parser and its opcodes (re._parser since 3.11; podmortem.redos
# reads it the same way). Private: a Python without it gets no needles, not an error.
try:
    _P: Any = importlib.import_module("re._parser")
    _C: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover
    _P = _C = None

# The shortest needle worth testing: a shorter one is in nearly every text.
MIN_NEEDLE = 3
# Under IGNORECASE a text is lower-cased before the test. re also matches `i` with U+0131 (dotless
# i) and `s` with U+017F (long s), whose lower case is not `i`/`s`; a needle never spans those
# letters, nor any non-ASCII one (tests/core/test_needles.py recomputes this set over all of Unicode).
_FOLD_UNSAFE = frozenset("iIsS")


class Needles(NamedTuple):
    """Literal words one of which every text a pattern matches in contains. `fold`: the words are
    lower case and are looked for in the lower-cased text (some part of the pattern ignores case)."""

    words: tuple[str, ...]
    fold: bool

    def in_text(self, text: str) -> bool:
        hay = text.lower() if self.fold else text
        return any(w in hay for w in self.words)


# A candidate set while the parse is read: (word, read under IGNORECASE) pairs.
_Set = frozenset[tuple[str, bool]]


def needles(pattern: str, flags: int = 0) -> Needles | None:
    """The pattern's needles (see `Needles`); None when no such set is known or worth testing."""
    if _P is None:
        return None
    try:
        parsed = _P.parse(pattern, flags)
    except Exception:  # re.compile will say what is wrong with it
        return None
    found = _sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE))
    if not found or min(len(w) for w, _ in found) < MIN_NEEDLE:
        return None
    if not any(folded for _, folded in found):
        return Needles(tuple(sorted(w for w, _ in found)), False)
    # Some words ignore case: all are looked for in the lower-cased text. A case-sensitive word is
    # still there after lowering both, if it is ASCII (str.lower of other letters depends on context).
    if not all(w.isascii() for w, _ in found):
        return None
    return Needles(tuple(sorted({w.lower() for w, _ in found})), True)


def _better(a: _Set | None, b: _Set | None) -> _Set | None:
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(len(w) for w, _ in a), -len(a))
    kb = (min(len(w) for w, _ in b), -len(b))
    return a if ka >= kb else b


def _sequence(items: list[tuple[Any, Any]], fold: bool) -> _Set | None:
    """The best needle set for a sequence of parsed items: one literal run, or one sub-item's set."""
    best: _Set | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if run:
            best = _better(best, frozenset({("".join(run), fold)}))
            run.clear()

    for op, av in items:
        ch = _literal(op, av)
        if ch is not None:
            if fold and (not ch.isascii() or ch in _FOLD_UNSAFE):
                flush()
            else:
                run.append(ch.lower() if fold else ch)
            continue
        flush()
        best = _better(best, _item(op, av, fold))
    flush()
    return best


def _literal(op: Any, av: Any) -> str | None:
    if op is _C.LITERAL:
        return chr(av)
    if op is _C.IN and len(av) == 1 and av[0][0] is _C.LITERAL:  # `[.]`
        return chr(av[0][1])
    return None


def _item(op: Any, av: Any, fold: bool) -> _Set | None:
    """The needle set one parsed item guarantees, or None."""
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & ~re.IGNORECASE:  # `(?s:...)` and the like: not read here
            return None
        if add_flags & re.IGNORECASE:  # `(?i:...)`
            fold = True
        elif del_flags & re.IGNORECASE:  # `(?-i:...)`
            fold = False
        return _sequence(list(sub), fold)
    if op is _C.ATOMIC_GROUP:
        return _sequence(list(av), fold)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _sequence(list(sub), fold) if low >= 1 else None
    if op is _C.BRANCH:
        union: set[tuple[str, bool]] = set()
        for alternative in av[1]:
            found = _sequence(list(alternative), fold)
            if found is None:
                return None  # one alternative needs no word: the branch guarantees none
            union |= found
        return frozenset(union)
    return None  # anchors, classes, lookarounds, back references: no word guaranteed


class LazyPattern:
    """A `re.Pattern[str]` that compiles itself when first used; its `search` skips texts that lack
    every needle (see `needles`)."""

    __slots__ = ("_compiled", "_flags", "_needles", "_search", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None
        self._needles: Needles | bool | None = False  # False: not derived yet
        self._search: Callable[..., re.Match[str] | None] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self.pattern, self._flags)
        return c

    @property
    def needles(self) -> Needles | None:
        """`needles(pattern, flags)`, derived once and without compiling: the parse that `needles` reads
        is the one re.compile starts with (the flags the pattern sets inline and UNICODE included), so
        they are those of the compiled pattern."""
        found = self._needles
        if found is False:
            found = self._needles = known_needles(self.pattern, self._flags)
        return found if isinstance(found, Needles) else None

    @property
    def flags_given(self) -> int:
        """The flags `lazy` was given (`flags` are the compiled pattern's)."""
        return self._flags

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        s = self._search
        if s is None:
            # The pattern compiles when a text first holds one of its needles, not at the first search:
            # most patterns of a run are only ever asked about texts without them.
            found = self.needles
            s = self._search = self.compiled.search if found is None else _gated(found, self._compiled_search)
        return s(string, *args)

    def _compiled_search(self, string: str, *args: int) -> re.Match[str] | None:
        search = self.compiled.search
        found = self.needles
        assert found is not None  # only gated searches get here
        self._search = _gated(found, search)  # compiled now: later texts go to it straight
        return search(string, *args)

    @property
    def flags(self) -> int:
        return self.compiled.flags  # as compiled: re adds UNICODE to str patterns

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.match(string, *args)

    def fullmatch(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, *args)

    def _absent(self, string: str) -> bool:
        """True when the text holds none of the needles, so that nothing in it can match: a match
        anywhere is one `search` finds, and every text `search` finds a match in holds a needle."""
        found = self.needles
        return found is not None and not found.in_text(string)

    # The methods that look through the whole text skip (and do not compile for) a text without a
    # needle, as `search` does: the redactor's substitutions run on every message with a word such
    # as "key" or "aws" in it (an ECR image's host has one), and most of its patterns match none.
    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        if self._absent(string):
            return iter(())
        return self.compiled.finditer(string, *args)

    def findall(self, string: str, *args: int) -> list[Any]:
        if self._absent(string):
            return []
        return self.compiled.findall(string, *args)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        if self._absent(string):
            return string
        return self.compiled.sub(repl, string, count)

    def subn(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        if self._absent(string):
            return string, 0
        return self.compiled.subn(repl, string, count)

    @property
    def groups(self) -> int:
        return self.compiled.groups

    @property
    def groupindex(self) -> Any:
        return self.compiled.groupindex

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags!r})"


_TABLE: dict[tuple[str, int], tuple[tuple[str, ...], bool] | None] | None = None
_UNKNOWN = ((), False)


def known_needles(pattern: str, flags: int = 0) -> Needles | None:
    """`needles(pattern, flags)`, from podmortem/needletable.py when the pattern is there (derived
    when podmortem was built), else derived now."""
    global _TABLE
    if _TABLE is None:
        from podmortem.needletable import TABLE

        _TABLE = TABLE
    known = _TABLE.get((pattern, flags), _UNKNOWN)
    if known is _UNKNOWN:
        return needles(pattern, flags)
    return None if known is None else Needles(*known)


def pattern_needles(pattern: re.Pattern[str]) -> Needles | None:
    """`needles` of a compiled or a lazy pattern; a lazy one is not compiled for them."""
    if isinstance(pattern, LazyPattern):
        return pattern.needles
    return needles(pattern.pattern, pattern.flags)


def prefiltered_search(pattern: re.Pattern[str]) -> Callable[..., re.Match[str] | None]:
    """`pattern.search`, preceded by the needle test when the pattern has needles."""
    found = needles(pattern.pattern, pattern.flags)
    if found is None:
        return pattern.search
    return _gated(found, pattern.search)


def _gated(found: Needles, search: Callable[..., re.Match[str] | None]) -> Callable[..., re.Match[str] | None]:
    """`search`, called only for a text that holds one of the needles."""
    words = found.words
    if found.fold:
        def folded(string: str, *args: int) -> re.Match[str] | None:
            low = string.lower()
            for w in words:
                if w in low:
                    return search(string, *args)
            return None
        return folded
    if len(words) == 1:
        word = words[0]

        def one(string: str, *args: int) -> re.Match[str] | None:
            return search(string, *args) if word in string else None
        return one

    def any_of(string: str, *args: int) -> re.Match[str] | None:
        for w in words:
            if w in string:
                return search(string, *args)
        return None
    return any_of


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, compiled on first use (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, int(flags)))
