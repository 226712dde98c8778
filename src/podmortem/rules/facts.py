"""Facts about a pod that decide, before a rule runs, whether it can find anything at all.

A rule may declare a precondition (`@rule(..., when=...)`): a cheap test of these facts that is
false only when the rule is certain to find nothing. The engine skips the rule then: most failing
pods of a cluster list have neither logs nor a termination message, yet fifteen rules read only what
containers printed. tests/robustness/test_preconditions.py runs every rule on every fixture, shared case
and metamorphic variant and fails when a rule whose precondition is false finds something.
"""

from __future__ import annotations

from dataclasses import dataclass

from podmortem.model import PodEvidence
from podmortem.rules.memo import per_pod


@dataclass(frozen=True, slots=True)
class PodFacts:
    printed: bool  # a container printed something we hold: a log, a termination message, pasted lines


@per_pod
def has_printed(pod: PodEvidence) -> bool:
    """Whether the pod holds any text a container printed: a log, a termination message (the log tail
    FallbackToLogsOnError keeps) or loose pasted lines (which may be log lines)."""
    if pod.loose_lines:
        return True
    return any(c.logs or any(t.message for t in c.terminations) for c in pod.containers)


def facts_of(pod: PodEvidence) -> PodFacts:
    return PodFacts(printed=has_printed(pod))


def printed(facts: PodFacts) -> bool:
    """The precondition of rules that read only container output (find_output, the log analysis)."""
    return facts.printed


__all__ = ["PodFacts", "facts_of", "has_printed", "printed"]
