"""The lint check type and the @check decorator (the lint twin of rules/base.py).

A check is a pure function plus metadata: a stable kebab-case id, the cause id it prevents, a
default severity, a one-line title, a generic fix, and a docstring with the headings What it
detects / Why the pod fails / How to fix / Near misses. The decorator attaches metadata and
returns a `Check`; the registry is the explicit tuple in checks/__init__.py.

Scopes: `workload` checks get one `Workload` (a pod template and its containers) and yield
`Emit`s; `object` checks get one `Manifest` of another kind (a ConfigMap); `bundle` checks run
once after every file is read, over the references collected across all of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from podmortem.causes import CauseId
from podmortem.lint.model import SEVERITIES

SCOPES = ("workload", "object", "bundle")
DOC_HEADINGS = ("What it detects", "Why the pod fails", "How to fix", "Near misses")


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    cause: CauseId
    severity: str  # default severity; a finding may be raised or lowered with a reason
    title: str
    fix: str
    doc: str
    scope: str
    run: Callable[..., Iterable[Any]]

    @property
    def summary(self) -> str:
        """The first paragraph of the "What it detects" section, for SARIF's fullDescription."""
        text = self.doc.split("## What it detects", 1)[-1].split("##", 1)[0]
        return " ".join(text.split())


def check(id: str, *, cause: str, severity: str, title: str, fix: str, scope: str = "workload") -> Callable[
        [Callable[..., Iterable[Any]]], Check]:
    try:
        cause_id = CauseId(cause)
    except ValueError:
        raise ValueError(f"check {id}: unknown cause id {cause!r}") from None
    if severity not in SEVERITIES:
        raise ValueError(f"check {id}: unknown severity {severity!r}")
    if scope not in SCOPES:
        raise ValueError(f"check {id}: unknown scope {scope!r}")

    def wrap(fn: Callable[..., Iterable[Any]]) -> Check:
        return Check(id=id, cause=cause_id, severity=severity, title=title, fix=fix,
                     doc=inspect.cleandoc(fn.__doc__ or ""), scope=scope, run=fn)

    return wrap
