"""A lazy pattern answers as the compiled one does, and the ReDoS index still sees every one."""

from __future__ import annotations

import re

from podmortem.lazyre import LazyPattern, lazy
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
