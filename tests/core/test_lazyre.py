"""A lazy pattern answers as the compiled one does, and the ReDoS index still sees every one."""

from __future__ import annotations

import re

from podmortem.lazyre import LazyPattern, lazy, needles, pattern_needles
from podmortem.patterns_index import all_patterns
from podmortem.rules import patterns as pt


def test_a_lazy_pattern_answers_as_re_compile_does() -> None:
    source, flags = r"(?P<key>[a-z]+)=(\d+)", re.I
    eager, late = re.compile(source, flags), lazy(source, flags)
    text = "A=1 bb=22 c=x D=4"
    assert [m.span() for m in late.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert late.search(text, 2).group("key") == eager.search(text, 2).group("key")  # type: ignore[union-attr]
    assert late.findall(text) == eager.findall(text)
    assert late.sub("#", text) == eager.sub("#", text)
    assert late.subn(lambda m: m.group(1), text, 1) == eager.subn(lambda m: m.group(1), text, 1)
    assert late.split(text) == eager.split(text)
    assert late.match(text) is not None and late.fullmatch("ab=1") is not None
    assert (late.pattern, late.flags, late.groups, dict(late.groupindex)) == \
        (eager.pattern, eager.flags, eager.groups, dict(eager.groupindex))


def test_the_pattern_index_compiles_and_lists_every_lazy_log_pattern() -> None:
    indexed = {(p.pattern, p.flags) for p in all_patterns().values()}
    lazies = [r for table in pt.ORDERED_TABLES for p in table for r in (p.regex, p.unless) if r is not None]
    assert lazies and all(isinstance(r, LazyPattern) for r in lazies)
    missing = [r.pattern for r in lazies if (r.pattern, r.flags) not in indexed]
    assert missing == []


def test_a_search_compiles_the_pattern_only_for_a_text_with_a_needle() -> None:
    late = lazy(r"back-off (?P<delay>\d+)s restarting failed container", re.I)
    assert isinstance(late, LazyPattern)
    assert late.search("container started") is None
    assert late._compiled is None  # no needle in the text: answered without compiling
    hit = late.search("Back-off 40s restarting failed container=web")
    assert hit is not None and hit.group("delay") == "40" and late._compiled is not None
    assert late.search("Back-off 10s restarting failed container") is not None  # straight to the compiled one
    assert late.search("nothing here") is None


def test_needles_of_a_lazy_pattern_are_those_of_the_compiled_one_and_compile_nothing() -> None:
    # Flags given, set inline, or none: the parse needles read is the one re.compile starts with.
    for source, flags in [(r"permission denied|\bEACCES\b", 0), (r"(?i)no space left on device", 0),
                          (r"exec format error", re.IGNORECASE), (r"(?a)address already in use", 0)]:
        late = lazy(source, flags)
        found = pattern_needles(late)
        assert isinstance(late, LazyPattern) and late._compiled is None
        eager = re.compile(source, flags)
        assert found == needles(eager.pattern, eager.flags) == pattern_needles(eager)
        assert found is not None
