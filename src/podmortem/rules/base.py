"""The rule type and the @rule decorator.

A rule is a pure function from `PodEvidence` to `Hit`s, plus metadata that documents it. The
decorator only attaches metadata and returns a `Rule` value: nothing is registered as a side
effect (the registry is the explicit tuple in rules/__init__.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from podmortem.causes import CAUSES, CauseId
from podmortem.kube.typedjson import msgspec
from podmortem.model import Hit, PodEvidence
from podmortem.rules.facts import PodFacts
from podmortem.rules.wording import Wording

# The fixed docstring headings every rule documents itself with (checked by a meta-test).
DOC_HEADINGS = (
    "What it detects",
    "Why the pod crash-loops",
    "Evidence used",
    "How to fix",
    "Near misses",
)

NEEDS = frozenset({"status", "events", "logs", "spec", "describe"})
STAGES = ("preview", "stable", "deprecated")

Check = Callable[[PodEvidence], Iterable[Hit]]


class Rule(msgspec.Struct, frozen=True):
    id: str
    cause: CauseId
    title: str
    needs: frozenset[str]
    check: Check
    doc: str
    stage: str = "stable"
    lint_check: str | None = None  # id of the manifest lint check that prevents this cause
    wordings: tuple[Wording, ...] = ()  # the message formats it reads, with their upstream sources
    # A precondition: False only when the rule cannot find anything in the pod (rules/facts.py).
    when: Callable[[PodFacts], bool] | None = None

    @property
    def category(self) -> str:
        return CAUSES[self.cause].category

    def __call__(self, pod: PodEvidence) -> Iterable[Hit]:
        return self.check(pod)


def rule(
    id: str,
    *,
    cause: str,
    title: str,
    needs: Iterable[str],
    stage: str = "stable",
    lint_check: str | None = None,
    wordings: Iterable[Wording] = (),
    when: Callable[[PodFacts], bool] | None = None,
) -> Callable[[Check], Rule]:
    """Declare a rule. The function's docstring is its user documentation (Markdown)."""
    try:
        cause_id = CauseId(cause)
    except ValueError:
        raise ValueError(f"rule {id}: unknown cause id {cause!r}") from None
    needed = frozenset(needs)
    if not needed <= NEEDS:
        raise ValueError(f"rule {id}: unknown evidence kinds {sorted(needed - NEEDS)}")
    if stage not in STAGES:
        raise ValueError(f"rule {id}: unknown stage {stage!r}")

    def wrap(fn: Check) -> Rule:
        return Rule(
            id=id,
            cause=cause_id,
            title=title,
            needs=needed,
            check=fn,
            doc=inspect.cleandoc(fn.__doc__ or ""),
            stage=stage,
            lint_check=lint_check,
            wordings=tuple(wordings),
            when=when,
        )

    return wrap
