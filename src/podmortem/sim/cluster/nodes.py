"""Node helpers of the scheduler and the eviction manager: taint tolerations, the memory-pressure annotation.

Pure functions. Imports no other module of the cluster package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.sim.timefmt import parse_duration


def tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for tol in tolerations:
        if tol.get("operator") == "Exists" and not tol.get("key"):
            return True
        if (tol.get("key") == taint.get("key") and tol.get("effect") in (None, "", taint.get("effect"))
                and (tol.get("operator") == "Exists" or tol.get("value") == taint.get("value"))):
            return True
    return False


def parse_pressure(text: str, t: float) -> tuple[int, int, float]:
    from podmortem.quantity import parse_bytes

    fields = dict(p.split("=", 1) for p in text.replace(" ", "").split(",") if "=" in p)
    threshold = parse_bytes(fields.get("threshold", "100Mi")) or 100 * 2**20
    available = parse_bytes(fields.get("available", "50Mi")) or 50 * 2**20
    since = t + parse_duration(fields.get("after", "0"), "memory-pressure after")
    return threshold, available, since
