"""A pod's owner as podmortem names it: the owner reference marked `controller`, else the last named one.

The API allows at most one controller among a pod's ownerReferences (apimachinery's
ValidateOwnerReferences); a pod written by hand or pasted may still carry references without one,
and then the last named reference stands for the owner. Every reader of a pod (the evidence
source, the plainly-healthy summaries, the typed pod view, the live collector) picks it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any


def controlling_owner(refs: Iterable[tuple[Any, Any, Any]]) -> tuple[str, str] | None:
    """(kind, name) of the controller among (kind, name, controller) references, else of the last
    reference that has both a kind and a name; None when none has."""
    chosen = None
    for kind, name, controller in refs:
        if kind and name:
            chosen = (str(kind), str(name))
            if controller:
                break
    return chosen


def owner_refs(value: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(kind, name, controller) of each reference of a raw `metadata.ownerReferences`, skipping what
    is not an object (a pod's object can hold anything)."""
    if not isinstance(value, list):
        return
    for ref in value:
        if isinstance(ref, Mapping):
            yield ref.get("kind"), ref.get("name"), ref.get("controller")


__all__ = ["controlling_owner", "owner_refs"]
