"""redact.triggered, the prefilter in front of the credential patterns, is the case-insensitive
alternation it replaced: same answer on every code point and on generated text."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.redact import _TRIGGER_WORDS, _URL_PASSWORD, redact, triggered

# The trigger as one regular expression: what redact used before, kept here as the reference.
REFERENCE = re.compile("(?i)" + _URL_PASSWORD.pattern + "|" + "|".join(re.escape(w) for w in _TRIGGER_WORDS))
ALPHABET = sorted(set("".join(_TRIGGER_WORDS) + "://@"))


def fold(ch: str) -> str:
    """What triggered() compares in place of one character."""
    from podmortem.redact import _FOLD_TO_ASCII

    return ch.lower() if ch.isascii() else ch.translate(_FOLD_TO_ASCII).lower()


def test_every_code_point_folds_as_re_ignores_case() -> None:
    # A character t matches a word's character c under re.IGNORECASE exactly when fold(t) == c, and
    # fold never turns one character into several that could hold part of a word.
    any_word_char = re.compile("(?i)[" + re.escape("".join(ALPHABET)) + "]")
    wrong = []
    for cp in range(sys.maxunicode + 1):
        t = chr(cp)
        f = fold(t)
        if any_word_char.fullmatch(t):
            if len(f) != 1 or not re.fullmatch("(?i)" + re.escape(f), t) or f not in ALPHABET:
                wrong.append(hex(cp))
        elif any(x in ALPHABET for x in f):
            wrong.append(hex(cp))
    assert wrong == []


WORDY = st.text(alphabet=st.sampled_from([*ALPHABET, *"PASSKEYTOKENAWS", "\u0130", "\u0131", "\u017f",
                                          "\u212a", " ", "=", "x", "1", "\u00e9"]), max_size=40)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(WORDY, st.sampled_from(_TRIGGER_WORDS), st.sampled_from(["://u:p@h", "://h/p@x"])),
                max_size=5).map("".join))
def test_same_answer_as_the_alternation(text: str) -> None:
    assert triggered(text) == (REFERENCE.search(text) is not None)


def test_examples() -> None:
    assert triggered("PASSWORD=hunter2x")
    assert triggered("pa\u017f\u017fword=hunter2x")  # long s: re matches it with s
    assert triggered("AİDA")
    assert triggered("redis://:pw@cache:6379")
    assert not triggered("Back-off restarting failed container app in pod web-7d9f8c6b5-x2k4j")
    assert not triggered("http://db:5432/path")
    assert redact("Back-off restarting failed container") == "Back-off restarting failed container"
    assert redact("password=hunter2x") == "password=[REDACTED]"
