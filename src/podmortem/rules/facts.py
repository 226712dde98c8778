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

from podmortem.model import PodEvidence
from podmortem.rules.evidence import said
from podmortem.rules.memo import per_pod
from podmortem.rules.textindex import needle_words


class PodFacts:
    """What preconditions read about one pod; the text is assembled only when a precondition asks."""

    __slots__ = ("_said", "pod", "printed")

    def __init__(self, pod: PodEvidence) -> None:
        self.pod = pod
        self.printed = has_printed(pod)  # a container printed something we hold
        self._said: str | None = None

    @property
    def said(self) -> str:
        """Every message recorded about the pod (rules.evidence.messages), lower-cased, one per line
        (rules.textindex.index_text)."""
        text = self._said
        if text is None:
            text = self._said = said(self.pod)
        return text


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


def says(*patterns: re.Pattern[str]) -> Callable[[PodFacts], bool]:
    """The precondition of a rule whose every hit comes from one of `patterns` matching one of the pod's
    messages (as written or in its other sentence case): one of their needles (lazyre) is in them."""
    words: list[tuple[str, ...] | None] = []  # the patterns' needle words, found on the first call

    def when(facts: PodFacts) -> bool:
        # may_match(facts.said, *patterns), with the words looked up once per rule instead of once per
        # rule and pod (forty rules ask this of every failing pod). The patterns compile lazily.
        if not words:
            words.append(needle_words(patterns))
        found = words[0]
        if found is None:
            return True
        text = facts.said
        for w in found:  # noqa: SIM110 - a loop, not any(generator): this runs for most rules of every pod
            if w in text:
                return True
        return False
    return when


__all__ = ["PodFacts", "facts_of", "has_printed", "printed", "says"]
