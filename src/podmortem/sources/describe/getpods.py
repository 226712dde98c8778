"""Rows of `kubectl get pods` pasted with describe text or logs.

kubectl's pod printer (kubernetes/kubernetes pkg/printers/internalversion/printers.go, printPod,
v1.8-v1.34) prints NAME READY STATUS RESTARTS AGE, after NAMESPACE with `-A`, before IP NODE ...
with `-o wide`. An init container that has not finished shows in STATUS as `Init:` followed by its
terminated reason (`Init:Error`, `Init:OOMKilled`), `Init:Signal:N` / `Init:ExitCode:N`, its
waiting reason (`Init:CrashLoopBackOff`, `Init:ErrImagePull`), or `Init:I/N` while the I-th of N
runs. RESTARTS is a count, since v1.22 followed by `(2m ago)`. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(r"^(?P<ns>NAMESPACE[ \t]+)?NAME[ \t]+READY[ \t]+STATUS[ \t]+RESTARTS[ \t]+AGE\b")
_NAME = re.compile(r"^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$")
_READY = re.compile(r"^\d{1,3}/\d{1,3}$")


@dataclass(frozen=True, slots=True)
class PodRow:
    name: str
    namespace: str | None
    ready: str
    status: str

    @property
    def init_failing(self) -> bool:
        """STATUS says an init container has not completed (kubectl's `Init:` prefix)."""
        return self.status.startswith("Init:")


def pod_rows(lines: tuple[str, ...] | list[str]) -> list[PodRow]:
    """Every pod row under a `kubectl get pods` header in the lines (prompts and other text skipped)."""
    rows: list[PodRow] = []
    with_ns: bool | None = None
    for raw in lines:
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            with_ns = header.group("ns") is not None
            continue
        if with_ns is None:
            continue
        tokens = line.split()
        at = 1 if with_ns else 0
        if len(tokens) < at + 4 or not _NAME.match(tokens[at]) or not _READY.match(tokens[at + 1]):
            with_ns = None  # the table ended
            continue
        rows.append(PodRow(tokens[at], tokens[0] if with_ns else None, tokens[at + 1], tokens[at + 2]))
    return rows


__all__ = ["PodRow", "pod_rows"]
