"""A pod read only as far as telling a plainly healthy pod from the others (msgspec typed views).

Nine pods in ten of a real `kubectl get pods -A -o json` are running, ready and never restarted
(sources.healthy). Turning each of them into dicts only to find that out costs more than the rest
of reading: msgspec reads each pod into small typed views of the fields the plainly-healthy test
reads (names, owner references, kind, phase, reason, condition statuses, container names and each
container status's ready, restartCount, lastState and state with its start time), skipping the
rest (specs, env, managedFields, annotations) without building it. The live pod list
(live/podpage.py) and explain's JSON lists (sources/listview.py) both judge pods here, so a
cluster and a file of it are triaged by the same code.

The views are strict: a field of another type than the API's (a name that is a number, a status
that is not an object, a state with a second key) fails the view with `msgspec.ValidationError`,
and the caller decodes the item whole and judges it by the plain rule (`sources.healthy.plain_pod`),
so `plain_view` gives a PlainPod exactly when `plain_pod` does for the item's dict, with the same
fields (tests/sources/test_healthy.py, tests/live/test_podpage.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from podmortem.kube.owners import controlling_owner
from podmortem.kube.times import parse_rfc3339
from podmortem.kube.typedjson import msgspec
from podmortem.sources.healthy import PlainPod

# Each view is the shape a plainly healthy pod must have: a required field is one the plain rule
# requires, a Literal a value it requires (decoding fails at the first field that differs, in C).
# What a type cannot say (a falsy reason and init containers, matching names) plain_view checks.

class _Ref(msgspec.Struct):
    kind: str | None = None
    name: str | None = None
    controller: Any = None


class _Meta(msgspec.Struct):
    name: str
    namespace: str | None = None
    ownerReferences: list[_Ref] | None = None


class _Named(msgspec.Struct):
    name: str


class _Spec(msgspec.Struct):
    containers: list[_Named]
    initContainers: Any = None


class _Running(msgspec.Struct):
    startedAt: Any = None


class _State(msgspec.Struct, forbid_unknown_fields=True):
    """A container state whose only key is `running`, an object (a second key fails the view)."""

    running: _Running


class _Empty(msgspec.Struct, forbid_unknown_fields=True):
    """An empty object (a healthy container's lastState): any key fails the view."""


class _ContainerStatus(msgspec.Struct):
    name: str
    ready: Literal[True]
    restartCount: Literal[0]
    state: _State
    lastState: _Empty | None = None


class _Condition(msgspec.Struct):
    status: Literal["True"]


class _Status(msgspec.Struct):
    phase: Literal["Running"]
    containerStatuses: list[_ContainerStatus]
    reason: Any = None
    conditions: list[_Condition] | None = None
    initContainerStatuses: Any = None


class PodView(msgspec.Struct):
    """A plainly healthy pod's fields as the test reads them; anything else (any other object, a
    pod of another state) fails with `msgspec.ValidationError`."""

    metadata: _Meta
    spec: _Spec
    status: _Status
    kind: Any = None


POD_VIEW = msgspec.json.Decoder(PodView)


def plain_view(p: PodView, *, has_events: bool = False, with_times: bool = True) -> PlainPod | None:
    """`sources.healthy.plain_pod` on a pod that decoded as a PodView: the same PlainPod, or None
    when it is not plainly healthy after all."""
    meta, spec, status = p.metadata, p.spec, p.status
    if status.reason or spec.initContainers or status.initContainerStatuses:
        return None
    containers, statuses = spec.containers, status.containerStatuses
    n = len(statuses)
    if n == 1:  # the common case, without building a set
        if len(containers) != 1 or containers[0].name != statuses[0].name:
            return None
    else:
        if not containers or len(containers) != n:
            return None
        names = {st.name for st in statuses}
        if len(names) != n:
            return None
        for c in containers:
            if c.name not in names:
                return None
    owner = None
    if meta.ownerReferences:
        chosen = controlling_owner((r.kind, r.name, r.controller) for r in meta.ownerReferences)
        owner = f"{chosen[0]}/{chosen[1]}" if chosen is not None else None
    times: tuple[datetime, ...] = ()
    if with_times:
        found = []
        for st in statuses:
            t = parse_rfc3339(st.state.running.startedAt)
            if t is not None:
                found.append(t)
        times = tuple(found)
    return PlainPod(meta.name, meta.namespace, owner, times, has_events)


class ListMeta(msgspec.Struct):
    """A list's metadata as far as paging needs it: its continue token."""

    cont: Any = msgspec.field(default=None, name="continue")


class _Page(msgspec.Struct):
    items: list[msgspec.Raw] | None = None
    metadata: ListMeta | None = None


_PAGE = msgspec.json.Decoder(_Page)


def page_items(body: bytes | str) -> tuple[list[msgspec.Raw], str] | None:
    """A list page's undecoded items and continue token; None when the body is JSON of another shape.
    Invalid JSON raises `msgspec.DecodeError` (or RecursionError), for the caller to word."""
    try:
        page = _PAGE.decode(body)
    except msgspec.ValidationError:
        return None
    cont = str((page.metadata.cont if page.metadata is not None else None) or "")
    return page.items or [], cont
