"""Folding that makes one message match however a paste or terminal rendered it.

Quotes: editors, chat tools and word processors turn straight quotes into typographic ones
(U+2018/2019 single, U+201C/201D double, low-9 forms, primes); patterns are written with straight
quotes, so every quote-like character folds to its straight form. Case is folded on demand
(`folded`), since a pattern's captured names keep their case.

Bounded text: patterns never see more than MAX_CHARS of one line. The head and the tail are kept
(a decisive phrase is at the start of a record or, for a long record, its end) with a marker
between them, so a hostile 512 KB line costs what a 4 KB one does.
"""

from __future__ import annotations

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})
_FOLDABLE = frozenset("\u2018\u2019\u201a\u201b\u2032\u00b4\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2013\u2014\u00a0\u2009\u202f")

MAX_CHARS = 4096
_HEAD = 3072
_MARK = " … "


def fold_quotes(text: str) -> str:
    """Typographic quotes, dashes and no-break spaces as their ASCII forms."""
    if text.isascii() or _FOLDABLE.isdisjoint(text):
        return text
    return text.translate(_QUOTES)


def folded(text: str) -> str:
    """The text with quotes folded and case folded: what case-insensitive matchers compare."""
    return fold_quotes(text).casefold()


def other_sentence_case(text: str) -> str | None:
    """The text with the case of its first letter swapped, None when it does not start with a letter.

    Kubelet versions and libraries differ in sentence case ("Couldn't find key" / "couldn't find key",
    "Error:" / "error:"); matchers try this form of a line when the line as written does not match.
    """
    if text[:1].isalpha() and text[:1].swapcase() != text[:1]:
        return text[0].swapcase() + text[1:]
    return None


def bounded(text: str, limit: int = MAX_CHARS) -> str:
    """At most `limit` characters of a line: its head and its tail around a marker."""
    if len(text) <= limit:
        return text
    head = _HEAD * limit // MAX_CHARS
    return text[:head] + _MARK + text[len(text) - (limit - head - len(_MARK)):]
