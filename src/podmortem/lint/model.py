"""The value types of `podmortem lint`: a check's metadata, what a check emits, and a finding.

A check names the cause id (shared/causes.md) it prevents, so a lint finding and the diagnosis
the same defect gets once the pod runs speak about the same thing. Imports nothing from the
rest of podmortem except the cause list, so renderers and tests can use these types freely.
"""

from __future__ import annotations

from dataclasses import dataclass

# Ordered from least to most severe; `--fail-on` compares ranks.
SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Emit:
    """What a check function yields: the runner adds the check id, file and object."""

    line: int
    message: str
    container: str | None = None
    fix: str | None = None  # a fix specific to this finding; default: the check's fix
    severity: str | None = None  # overrides the check's default severity for this finding
    cause: str | None = None  # overrides the check's cause (e.g. a startup probe, not a liveness probe)


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One problem found in one object of one file: the JSON contract of `lint -o json`."""

    check: str
    cause: str
    severity: str
    file: str
    line: int
    object: str  # Kind/name
    container: str | None
    message: str
    fix: str
    namespace: str | None = None
    suppressed: str | None = None  # the reason given in podmortem.dev/ignore ("" none); None: not suppressed

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.check, self.container or "")


@dataclass(frozen=True, slots=True)
class LintReport:
    """Everything one run found, plus what it read (for the summary line)."""

    findings: tuple[LintFinding, ...]
    files: int
    objects: int  # Kubernetes objects read (all kinds)
    workloads: int  # objects that hold a pod template and were checked
    suppressed: tuple[LintFinding, ...] = ()  # silenced by podmortem.dev/ignore, each with its reason
    baselined: int = 0  # findings hidden because --baseline already had them
    notes: tuple[str, ...] = ()  # what could not be checked (lint --cluster without RBAC, ...)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def worst(self) -> str | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)
