"""A page of the pod list, decoded only as far as telling plainly healthy pods from the others.

On the simulator's --scale 10000, nine pods in ten are running, ready and never restarted
(sources.healthy). Turning every pod into dicts (orjson) and testing each dict took about 0.35 s
of CPU in a `diagnose -A` run; msgspec reads each page as a list of undecoded items (`msgspec.Raw`)
and each item into small typed views of only the fields `sources.healthy.is_plainly_healthy`
reads (names, owner references, phase, reason, condition statuses, container names and each
container status's ready, restartCount, lastState and state), skipping the rest (specs, env,
managedFields, annotations) without building it. A pod that the view shows plainly healthy becomes
its `PlainPod` and nothing else; every other pod becomes the dict the plain list gives, with orjson.

The views are strict: a field of another type than the API's (a name that is a number, a status
that is not an object) fails the view, and the item is decoded whole and judged by the plain rule,
so a pod is called plainly healthy here exactly when `plain_pod` says so of its dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from podmortem.live.client import Call
from podmortem.live.rawpage import plain_items, raw_items, whole
from podmortem.sources.healthy import PlainPod, plain_pod

PodKey = tuple[str, str]


class _Ref(msgspec.Struct):
    kind: str | None = None
    name: str | None = None
    controller: Any = None


class _Meta(msgspec.Struct):
    name: str | None = None
    namespace: str | None = None
    ownerReferences: list[_Ref] | None = None


class _Named(msgspec.Struct):
    name: str | None = None


class _Spec(msgspec.Struct):
    containers: list[_Named] | None = None
    initContainers: Any = None


class _ContainerStatus(msgspec.Struct):
    name: str | None = None
    ready: bool | None = None
    restartCount: int | None = None
    lastState: dict[str, Any] | None = None
    state: dict[str, Any] | None = None


class _Condition(msgspec.Struct):
    status: str | None = None


class _Status(msgspec.Struct):
    phase: str | None = None
    reason: Any = None
    conditions: list[_Condition] | None = None
    containerStatuses: list[_ContainerStatus] | None = None
    initContainerStatuses: Any = None


class _Pod(msgspec.Struct):
    metadata: _Meta | None = None
    spec: _Spec | None = None
    status: _Status | None = None


_POD = msgspec.json.Decoder(_Pod)


def plain_view(p: _Pod) -> PlainPod | None:
    """`sources.healthy.plain_pod(..., with_times=False)` on the typed view; None when not plainly healthy."""
    meta, spec, status = p.metadata, p.spec, p.status
    if meta is None or spec is None or status is None or meta.name is None:
        return None
    if status.phase != "Running" or status.reason or spec.initContainers or status.initContainerStatuses:
        return None
    containers, statuses = spec.containers, status.containerStatuses
    if containers is None or statuses is None or not containers or len(containers) != len(statuses):
        return None
    names = set()
    for st in statuses:
        if st.ready is not True or st.restartCount != 0 or st.lastState:
            return None
        state = st.state
        if state is None or len(state) != 1 or type(state.get("running")) is not dict:
            return None
        names.add(st.name)
    if len(names) != len(statuses) or not all(c.name in names for c in containers):
        return None
    if status.conditions is not None and any(c.status != "True" for c in status.conditions):
        return None
    owner = None
    for ref in meta.ownerReferences or ():
        if ref.kind and ref.name:
            owner = f"{ref.kind}/{ref.name}"
            if ref.controller:
                break
    return PlainPod(meta.name, meta.namespace, owner)


def owner_stub(p: PlainPod) -> dict[str, Any]:
    """What the report reads of a plainly healthy pod's object: its names and controlling owner
    (collect.controller_of gives the same owner from this as from the whole object)."""
    meta: dict[str, Any] = {"name": p.name, "namespace": p.namespace}
    if p.owner is not None:
        kind, name = p.owner.split("/", 1)
        meta["ownerReferences"] = [{"kind": kind, "name": name, "controller": True}]
    return {"metadata": meta}


class PodPage:
    """One page: each item as its PlainPod (plainly healthy) or its whole dict (any other object), so
    that a dict here is never plainly healthy and needs no second look."""

    def __init__(self, body: bytes, call: Call) -> None:
        self.call = call
        self.items: list[PlainPod | dict[str, Any]] = []
        page = raw_items(body, call)
        if page is None:  # valid JSON of an unexpected shape: the plain way
            items, self.cont = plain_items(body, call)
            self.items = [plain_pod(i, with_times=False) or i for i in items]
            return
        raws, self.cont = page
        out = self.items
        for raw in raws:
            try:
                plain = plain_view(_POD.decode(raw))
            except msgspec.ValidationError:  # not an object, or a field of an odd type: the plain rule
                pod = whole(raw, call)
                if type(pod) is dict:
                    out.append(plain_pod(pod, with_times=False) or pod)
                continue
            out.append(plain if plain is not None else whole(raw, call))


def decoder(call: Call) -> Callable[[bytes], tuple[PodPage, str]]:
    """The `decode` of client.raw_pages for a pod list."""
    def decode(body: bytes) -> tuple[PodPage, str]:
        page = PodPage(body, call)
        return page, page.cont
    return decode
