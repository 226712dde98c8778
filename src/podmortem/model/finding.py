"""Findings: what the rules conclude about a pod, with the evidence that proves it and the fix.

Pure data; no I/O. The JSON contract (docs/json.md) is a direct rendering of these types.
"""

from __future__ import annotations

from podmortem.causes import CauseId
from podmortem.kube.typedjson import msgspec
from podmortem.model.remedy import Remedy


class Citation(msgspec.Struct, frozen=True):
    """One line of evidence, quoted from where it was found."""

    source: str  # describe | events | status | spec | logs
    text: str
    path: str | None = None  # e.g. status.containerStatuses[app].lastState.terminated.reason, or logs:12


class Hit(msgspec.Struct, frozen=True):
    """What a rule returns: a finding before the engine attaches the rule's identity."""

    container: str | None
    summary: str
    evidence: tuple[Citation, ...]
    remedy: Remedy
    confidence: float
    init: bool = False
    detail: str | None = None
    # Strength of the evidence kind, used by the engine to rank: 3 an explicit status reason or
    # kubelet message, 2 an event or a runtime's own error line, 1 an exit code or weak hint alone.
    strength: int = 2


class Finding(msgspec.Struct, frozen=True):
    rule: str
    cause: CauseId
    category: str
    detail: str | None
    container: str | None
    init: bool
    confidence: float
    summary: str
    evidence: tuple[Citation, ...]
    remedy: Remedy
    strength: int = 2
    related: tuple[str, ...] = ()  # how this finding connects to others (chained causes)
    lint_check: str | None = None  # the manifest check that would have caught it


class Backoff(msgspec.Struct, frozen=True):
    """Where a container is in the kubelet's restart back-off."""

    container: str
    init: bool
    restart_count: int
    state: str  # "back-off" | "running" | "waiting" | "terminated" | "unknown"
    delay_seconds: int | None
    last_exit_at: str | None
    next_restart_at: str | None
    seconds_until_restart: float | None
    failing_since: str | None
    failing_for_seconds: float | None
    initial_delay_seconds: int
    max_delay_seconds: int
    note: str


class PodDiagnosis(msgspec.Struct, frozen=True):
    namespace: str | None
    name: str | None
    status: str
    findings: tuple[Finding, ...]
    backoff: tuple[Backoff, ...] = ()
    owner: str | None = None  # Kind/name
    missing: tuple[str, ...] = ()  # evidence kinds that were not supplied
    notes: tuple[str, ...] = msgspec.field(default_factory=tuple)

    @property
    def problem(self) -> bool:
        return bool(self.findings)
