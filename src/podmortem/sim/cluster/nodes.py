"""Node helpers of the eviction manager: the memory-pressure annotation.

Pure functions. Imports no other module of the cluster package.
"""

from __future__ import annotations

from podmortem.sim.timefmt import parse_duration


def parse_pressure(text: str, t: float) -> tuple[int, int, float]:
    from podmortem.kube.quantity import parse_bytes

    fields = dict(p.split("=", 1) for p in text.replace(" ", "").split(",") if "=" in p)
    threshold = parse_bytes(fields.get("threshold", "100Mi")) or 100 * 2**20
    available = parse_bytes(fields.get("available", "50Mi")) or 50 * 2**20
    since = t + parse_duration(fields.get("after", "0"), "memory-pressure after")
    return threshold, available, since
