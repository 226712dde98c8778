"""Facts about a pod that decide, before a rule runs, whether it can find anything at all.

A rule may declare a precondition (`@rule(..., when=...)`): a cheap test of these facts that is
false only when the rule is certain to find nothing. The engine skips the rule then: most failing
pods of a cluster list have neither logs nor a termination message, yet fifteen rules read only what
containers printed, and a few more look for one kind of kubelet message among the pod's messages.
tests/robustness/test_preconditions.py runs every rule on every fixture, shared case and metamorphic
variant and fails when a rule whose precondition is false finds something.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from podmortem.lazyre import pattern_needles
from podmortem.logline.fold import other_sentence_case
from podmortem.model import PodEvidence
from podmortem.rules.evidence import messages
from podmortem.rules.memo import per_pod


class PodFacts:
    """What preconditions read about one pod; the text is assembled only when a precondition asks."""

    __slots__ = ("_pod", "_said", "printed")

    def __init__(self, pod: PodEvidence) -> None:
        self._pod = pod
        self._said: str | None = None
        self.printed = has_printed(pod)  # a container printed something we hold

    @property
    def said(self) -> str:
        """Every message recorded about the pod (rules.evidence.messages), lower-cased, one per line.

        A text that starts with a non-ASCII letter is also there in its other sentence case, which
        lower-cases differently for a few letters: search_text tries that form too.
        """
        s = self._said
        if s is None:
            parts = []
            for m in messages(self._pod):
                parts.append(m.text.lower())
                if not m.text[:1].isascii() and (other := other_sentence_case(m.text)) is not None:
                    parts.append(other.lower())
            s = self._said = "\n".join(parts)
        return s


@per_pod
def has_printed(pod: PodEvidence) -> bool:
    """Whether the pod holds any text a container printed: a log, a termination message (the log tail
    FallbackToLogsOnError keeps) or loose pasted lines (which may be log lines)."""
    if pod.loose_lines:
        return True
    return any(c.logs or any(t.message for t in c.terminations) for c in pod.containers)


def facts_of(pod: PodEvidence) -> PodFacts:
    return PodFacts(pod)


def printed(facts: PodFacts) -> bool:
    """The precondition of rules that read only container output (find_output, the log analysis)."""
    return facts.printed


def _words(patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...] | None:
    """Lower-case words one of which every match of any of the patterns contains; None when unknown.

    A word is lower-cased and looked for in lower-cased text: for an ASCII word that only widens the
    test, so a non-ASCII word (whose lower case may depend on its neighbours) gives no precondition.
    """
    words: list[str] = []
    for p in patterns:
        found = pattern_needles(p)  # a lazy pattern is not compiled for its needles
        if found is None or not all(w.isascii() for w in found.words):
            return None
        words += [w.lower() for w in found.words]
    return tuple(words)


def says(*patterns: re.Pattern[str]) -> Callable[[PodFacts], bool]:
    """The precondition of a rule whose every hit comes from one of `patterns` matching one of the pod's
    messages (as written or in its other sentence case): one of their needles (lazyre) is in them."""
    known: list[tuple[str, ...] | None] = []

    def when(facts: PodFacts) -> bool:
        if not known:
            known.append(_words(patterns))  # on first use: the patterns compile lazily
        words = known[0]
        if words is None:
            return True
        said = facts.said
        return any(w in said for w in words)
    return when


__all__ = ["PodFacts", "facts_of", "has_printed", "printed", "says"]
