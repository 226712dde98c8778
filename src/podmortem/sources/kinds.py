"""Documents sorted by kind: pods, events and every other object, lists opened (PodList, List,
EventList...). Apart from sources/objects.py, which builds the pods' evidence, so that reading a
big list (whose pods are streamed, not documents) never imports the evidence model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Obj = Mapping[str, Any]


def split_objects(docs: Iterable[Any]) -> tuple[list[Obj], list[Obj], list[Obj]]:
    """Pods, events and other objects out of documents (Pod, PodList, List, EventList, Event)."""
    pods: list[Obj] = []
    events: list[Obj] = []
    others: list[Obj] = []
    stack = [d for d in docs if isinstance(d, Mapping)]
    stack.reverse()
    while stack:
        d = stack.pop()
        kind = d.get("kind")
        if (isinstance(kind, str) and kind.endswith("List")) or (kind is None and isinstance(d.get("items"), list)):
            listed = d.get("items")
            items = [i for i in (listed if isinstance(listed, list) else ()) if isinstance(i, Mapping)]
            if kind and kind not in ("List",) and kind.endswith("List"):
                item_kind = kind[: -len("List")]
                items = [dict(i, kind=i.get("kind") or item_kind) for i in items]
            stack.extend(reversed(items))
        elif kind == "Pod":
            pods.append(d)
        elif kind == "Event":
            events.append(d)
        else:
            others.append(d)
    return pods, events, others


__all__ = ["split_objects"]
