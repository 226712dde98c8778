"""A page of the cluster-wide event list, decoded only as far as saying which pod each event is about.

On the simulator's --scale 10000 the list is 61,000 events (48 MB), nine in ten about healthy pods
that are then dropped. Turning every event into dicts (orjson) took 0.11-0.3 s of a `diagnose -A`
run; msgspec reads each page as a list of undecoded items (`msgspec.Raw`) and each item only
for its `involvedObject`, `regarding` and `metadata.namespace`, skipping the rest (managedFields,
messages) without building it. Only the events kept for a failing pod become dicts, with orjson,
the same dicts the plain list gives. docs/client-choice.md has the figures.

Anything that does not fit the small types (an item that is not an object, a `metadata` that is
not one) is decoded whole with orjson and judged by the plain rule, so every event is attributed
exactly as `event_key` below attributes the dicts of a plain list (live/collect.py reads those with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from podmortem.live.client import Call
from podmortem.live.rawpage import plain_items, raw_items, whole

PodKey = tuple[str, str]


class _Meta(msgspec.Struct):
    namespace: Any = None


class _Head(msgspec.Struct):
    """What attributes an event to a pod; unknown fields are skipped, not decoded."""

    involvedObject: Any = None
    regarding: Any = None
    metadata: _Meta | None = None


_HEAD = msgspec.json.Decoder(_Head)


def pod_of(involved: Any, regarding: Any, meta_namespace: Any) -> PodKey:
    """The (namespace, name) of the pod an event is about, from its object reference (events.k8s.io's
    `regarding` when the core `involvedObject` is absent) and its own namespace; ("", "") when it is
    about something else or the reference is not an object at all."""
    inv = involved or regarding or {}
    if type(inv) is not dict:
        return ("", "")
    kind = inv.get("kind")
    if kind is not None and kind != "Pod":
        return ("", "")
    ns = inv.get("namespace") or meta_namespace
    name = inv.get("name")
    return (ns if type(ns) is str else str(ns or ""), name if type(name) is str else str(name or ""))


def event_key(e: Mapping[str, Any]) -> PodKey:
    """pod_of for an event already decoded to a dict."""
    meta = e.get("metadata")
    return pod_of(e.get("involvedObject"), e.get("regarding"), meta.get("namespace") if type(meta) is dict else None)


class EventPage:
    """One page: its items as (pod, undecoded item) pairs, `event(item)` decoding a kept one."""

    def __init__(self, body: bytes, call: Call) -> None:
        self.call = call
        self.about: list[tuple[PodKey, Any]] = []  # (key, msgspec.Raw or an already decoded dict)
        page = raw_items(body, call)
        if page is None:  # valid JSON of an unexpected shape: the plain way
            items, self.cont = plain_items(body, call)
            self.about = [(event_key(e), e) for e in items]
            return
        raws, self.cont = page
        for raw in raws:
            try:
                h = _HEAD.decode(raw)
            except msgspec.ValidationError:  # not an object, or odd metadata: decoded whole
                e = whole(raw, call)
                if isinstance(e, dict):
                    self.about.append((event_key(e), e))
                continue
            ns = h.metadata.namespace if h.metadata is not None else None
            self.about.append((pod_of(h.involvedObject, h.regarding, ns), raw))

    def event(self, item: Any) -> Any:
        """A kept item as the dict the plain list gives (an item decoded already is returned as is)."""
        return whole(item, self.call) if isinstance(item, msgspec.Raw) else item
