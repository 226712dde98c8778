"""The fleet summary: one row per namespace, owner and cause, most pods first.

Shared by the terminal's summary-first output and the HTML report's group table, so both name the
same groups in the same order. A pod without an owner is its own group (`pod/NAME`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from podmortem.model import PodDiagnosis


@dataclass
class SummaryRow:
    namespace: str
    owner: str
    cause: str
    container: str | None
    summary: str
    pods: list[PodDiagnosis] = field(default_factory=list)
    restarts: int = 0
    since: str | None = None  # the earliest failing_since (RFC 3339) of the group's pods

    @property
    def representative(self) -> PodDiagnosis:
        """The pod shown in detail: the one that restarted most (ties: the first listed)."""
        return max(self.pods, key=lambda d: sum(b.restart_count for b in d.backoff))


def owner_of(d: PodDiagnosis, owners: Mapping[tuple[str, str], str] | None = None) -> str:
    if owners:
        found = owners.get((d.namespace or "", d.name or ""))
        if found:
            return found
    if d.owner:
        kind, _, name = d.owner.partition("/")
        return f"{kind.lower()}/{name}" if name else d.owner
    return f"pod/{d.name or 'unnamed'}"


def summarise(diagnoses: Sequence[PodDiagnosis], owners: Mapping[tuple[str, str], str] | None = None) -> list[SummaryRow]:
    """Rows for the pods with findings, keyed by (namespace, owner, cause, container)."""
    rows: dict[tuple[str, str, str, str | None], SummaryRow] = {}
    for d in diagnoses:
        if not d.findings:
            continue
        top = d.findings[0]
        key = (d.namespace or "", owner_of(d, owners), top.cause, top.container)
        row = rows.get(key)
        if row is None:
            row = rows[key] = SummaryRow(key[0], key[1], top.cause, top.container, top.summary)
        row.pods.append(d)
        row.restarts += max((b.restart_count for b in d.backoff), default=0)
        for b in d.backoff:
            if b.failing_since and (row.since is None or b.failing_since < row.since):
                row.since = b.failing_since
    return sorted(rows.values(), key=lambda r: (-len(r.pods), -r.restarts, r.namespace, r.owner, r.cause))
