"""The controllers' view of the cluster (`controllers.Api`): objects, owned objects, pod state, events.

A part of `SimCluster`; uses the `Timeline` and `Verbs` it is given. The controllers get this object.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from podmortem.sim.cluster.errors import ApiError
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.cluster.verbs import Verbs
from podmortem.sim.resources import by_plural


class ControllerApi:
    """What the workload controllers ask of the cluster."""

    def __init__(self, state: ClusterState, timeline: Timeline, verbs: Verbs) -> None:
        self.state = state
        self.timeline = timeline
        self.verbs = verbs

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self.timeline.at(t, fn)

    def objects(self, storage: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.state.store.items(storage, namespace)

    def owned(self, storage: str, uid: str) -> list[dict[str, Any]]:
        return self.state.store.owned(storage, uid)

    def get_object(self, storage: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.state.store.get(storage, namespace, name)

    def pod_ready(self, namespace: str, name: str, t: float) -> bool:
        sim = self.state.pods.get((namespace, name))
        return sim is not None and sim.ready(t)

    def pod_phase(self, namespace: str, name: str, t: float) -> str:
        sim = self.state.pods.get((namespace, name))
        return sim.phase(t) if sim is not None else "Unknown"

    def pod_restarts(self, namespace: str, name: str, t: float) -> int:
        """The restart counts of the pod's init and app containers, as its status shows them."""
        sim = self.state.pods.get((namespace, name))
        return sum(c.restart_count for c in sim.containers if not c.ephemeral) if sim is not None else 0

    def create_object(self, storage: str, obj: dict[str, Any], t: float) -> dict[str, Any]:
        return self.verbs.create_at(by_plural(storage), obj["metadata"]["namespace"], obj, t)

    def write_object(self, storage: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.state.store.put(storage, obj)

    def delete_object(self, storage: str, namespace: str, name: str, t: float) -> None:
        with contextlib.suppress(ApiError):
            self.verbs.delete_at(by_plural(storage), namespace, name, t)

    def event(self, obj: Mapping[str, Any], t: float, type_: str, reason: str, message: str, component: str) -> None:
        m = obj["metadata"]
        ref = {"kind": obj["kind"], "namespace": m.get("namespace"), "name": m["name"], "uid": m["uid"],
               "apiVersion": obj["apiVersion"], "resourceVersion": m.get("resourceVersion", "")}
        self.state.recorder.emit(t, ref, type_, reason, message, component, None)
