"""Results the rules share about one pod, computed once per pod instead of once per rule.

The engine runs every rule over one pod before it moves to the next, and several rules read the
same derived facts (the pod's messages, the volume problems in them). `per_pod` keeps the result
for the most recent pod, recognised by identity: evidence objects are immutable, and the cache
holds a reference to its pod, so an identity match is always the same evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from podmortem.model import PodEvidence

T = TypeVar("T")


def per_pod(fn: Callable[[PodEvidence], T]) -> Callable[[PodEvidence], T]:
    """`fn(pod)`, computed once for the most recent pod (a pure function of immutable evidence)."""
    last: list[tuple[PodEvidence, T]] = []

    def cached(pod: PodEvidence) -> T:
        entry = last[0] if last else None  # one read: another thread may replace it meanwhile
        if entry is not None and entry[0] is pod:
            return entry[1]
        value = fn(pod)
        if last:
            last[0] = (pod, value)
        else:
            last.append((pod, value))
        return value

    cached.__doc__ = fn.__doc__
    cached.__name__ = getattr(fn, "__name__", "cached")
    return cached
