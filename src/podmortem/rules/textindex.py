"""One lower-cased text per pod that says, before any search, which patterns cannot match at all.

Rules search every message (or every printed line) of a failing pod for the one wording they know,
and nearly all of those searches find nothing. A pattern's needles (podmortem.lazyre: words one of
which every match contains) looked for in one text that holds every line lower-cased answer "no
line can match" with a few substring tests per pod instead of a search per line. The test only
ever widens: a word spanning two joined lines, or a case-sensitive word found lower-cased, makes it
say "maybe", and then the rule searches as before (tests/core/test_textindex.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from podmortem.lazyre import pattern_needles
from podmortem.logline.fold import other_sentence_case

_WORDS: dict[object, tuple[str, ...] | None] = {}
_WORDS_SIZE = 4096  # patterns are module constants; bounded all the same


def index_text(texts: Iterable[str]) -> str:
    """The texts lower-cased, one per line. A text that starts with a non-ASCII letter is also there
    in its other sentence case (rules.evidence.search_text tries it), which lower-cases differently
    for a few letters."""
    parts = []
    for text in texts:
        parts.append(text.lower())
        if not text[:1].isascii() and (other := other_sentence_case(text)) is not None:
            parts.append(other.lower())
    return "\n".join(parts)


def pattern_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case words one of which every match of the pattern contains; None when unknown.

    Looked for in lower-cased text: for an ASCII word that only widens the test, so a non-ASCII
    word (whose lower case may depend on its neighbours) gives no words.
    """
    try:
        return _WORDS[pattern]
    except KeyError:
        pass
    found = pattern_needles(pattern)  # a lazy pattern is not compiled for its needles
    words = None if found is None or not all(w.isascii() for w in found.words) else \
        tuple(w.lower() for w in found.words)
    if len(_WORDS) >= _WORDS_SIZE:
        _WORDS.clear()
    _WORDS[pattern] = words
    return words


_ANY: dict[tuple[re.Pattern[str], ...], tuple[str, ...] | None] = {}


def _words_of_any(patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...] | None:
    """The words of all the patterns together; None when one of them has none (it may match anything)."""
    try:
        return _ANY[patterns]
    except KeyError:
        pass
    each = [pattern_words(p) for p in patterns]
    result = None if any(words is None for words in each) else \
        tuple(dict.fromkeys(w for words in each if words is not None for w in words))
    if len(_ANY) >= _WORDS_SIZE:
        _ANY.clear()
    _ANY[patterns] = result
    return result


def needle_words(patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...] | None:
    """The lower-case words one of which every match of any of the patterns contains; None when one
    of them has none. `may_match` is "one of these words is in the index"."""
    return _words_of_any(patterns)


def may_match(index: str, *patterns: re.Pattern[str]) -> bool:
    """False only when none of the patterns can match any text of the index (see `index_text`)."""
    words = _words_of_any(patterns)
    if words is None:
        return True
    for w in words:  # noqa: SIM110 - a loop, not any(generator): this runs for most rules of every pod
        if w in index:
            return True
    return False


__all__ = ["index_text", "may_match", "needle_words", "pattern_words"]
