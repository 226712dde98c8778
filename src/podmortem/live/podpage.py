"""A page of the pod list, decoded only as far as telling plainly healthy pods from the others.

On the simulator's --scale 10000, nine pods in ten are running, ready and never restarted
(sources.healthy). Turning every pod into dicts (orjson) and testing each dict took about 0.35 s
of CPU in a `diagnose -A` run; msgspec reads each page as a list of undecoded items (`msgspec.Raw`)
and each item into the small typed views of sources/podview.py (only the fields
`sources.healthy.is_plainly_healthy` reads; explain reads a JSON pod list through the same views),
skipping the rest (specs, env, managedFields, annotations) without building it. A pod that the
view shows plainly healthy becomes its `PlainPod` and nothing else; every other pod becomes the
dict the plain list gives, with orjson.

The views are strict: a field of another type than the API's (a name that is a number, a status
that is not an object) fails the view, and the item is decoded whole and judged by the plain rule,
so a pod is called plainly healthy here exactly when `plain_pod` says so of its dict.
"""

from __future__ import annotations

from typing import Any

from podmortem.kube.typedjson import msgspec
from podmortem.live.client import Call
from podmortem.live.rawpage import plain_items, raw_items, whole
from podmortem.sources.healthy import PlainPod, plain_pod
from podmortem.sources.podview import POD_VIEW, plain_view

PodKey = tuple[str, str]


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
                plain = plain_view(POD_VIEW.decode(raw), with_times=False)
            except msgspec.ValidationError:  # not an object, or a field of an odd type: the plain rule
                pod = whole(raw, call)
                if type(pod) is dict:
                    out.append(plain_pod(pod, with_times=False) or pod)
                continue
            out.append(plain if plain is not None else whole(raw, call))
