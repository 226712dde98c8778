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
import orjson

from podmortem.live.client import Call, CallFailed
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


class _ListMeta(msgspec.Struct):
    cont: Any = msgspec.field(default=None, name="continue")


class _Page(msgspec.Struct):
    items: list[msgspec.Raw] | None = None
    metadata: _ListMeta | None = None


_POD = msgspec.json.Decoder(_Pod)
_PAGE = msgspec.json.Decoder(_Page)


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
        try:
            page = _PAGE.decode(body)
        except msgspec.ValidationError:  # valid JSON of an unexpected shape: the plain way
            self._plain(body)
            return
        except msgspec.DecodeError as exc:
            raise CallFailed(call, 200, f"the API answered {call.describe()} with invalid JSON ({exc})") from None
        self.cont = str((page.metadata.cont if page.metadata is not None else None) or "")
        out = self.items
        for raw in page.items or ():
            try:
                plain = plain_view(_POD.decode(raw))
            except msgspec.ValidationError:  # not an object, or a field of an odd type: the plain rule
                pod = self._whole(raw)
                if type(pod) is dict:
                    out.append(plain_pod(pod, with_times=False) or pod)
                continue
            out.append(plain if plain is not None else self._whole(raw))

    def _whole(self, raw: msgspec.Raw) -> Any:
        try:
            return orjson.loads(memoryview(raw))
        except ValueError as exc:  # msgspec accepted what orjson does not (an integer past 64 bits)
            raise CallFailed(self.call, 200, f"the API answered {self.call.describe()} with invalid JSON ({exc})"
                             ) from None

    def _plain(self, body: bytes) -> None:
        try:
            doc = orjson.loads(body)
        except ValueError as exc:
            raise CallFailed(self.call, 200, f"the API answered {self.call.describe()} with invalid JSON ({exc})"
                             ) from None
        if not isinstance(doc, dict):
            raise CallFailed(self.call, 200,
                             f"the API answered {self.call.describe()} with JSON that is not an object")
        meta = doc.get("metadata")
        self.cont = str(meta.get("continue") or "") if isinstance(meta, dict) else ""
        items = doc.get("items")
        self.items = [plain_pod(i, with_times=False) or i for i in items if type(i) is dict] \
            if isinstance(items, list) else []


def decoder(call: Call) -> Callable[[bytes], tuple[PodPage, str]]:
    """The `decode` of client.raw_pages for a pod list."""
    def decode(body: bytes) -> tuple[PodPage, str]:
        page = PodPage(body, call)
        return page, page.cont
    return decode
