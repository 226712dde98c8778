"""Parser for pasted `kubectl describe pod` text (placeholder until the full parser lands)."""

from __future__ import annotations

from podmortem.model import PodEvidence
from podmortem.model.evidence import DESCRIBE


def looks_like_describe(text: str) -> bool:
    return any(k in text for k in ("Name:", "Events:", "State:", "Reason:", "Back-off", "kubelet"))


def parse_describe(text: str) -> list[PodEvidence]:
    lines = tuple(ln for ln in text.splitlines() if ln.strip())
    return [PodEvidence(origin=DESCRIBE, loose_lines=lines)] if lines else []
