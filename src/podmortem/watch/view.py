"""The watcher's bounded in-memory view: one small record per pod, indexed by controller.

Only what the watcher decides on is kept (failing state, readiness, controller, revision), never
the pod object: 10,000 pods cost a few MB. The bound (`max_pods`) protects the process from a
cluster far bigger than its memory request: past it, healthy pods are not recorded (failing pods
always are) and `dropped` counts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from podmortem.watch.state import Obj, controller_ref, failing_state, is_ready, revision_of, top_owner_guess

PodKey = tuple[str, str]
Ref = tuple[str, str]  # (kind, name)
DEFAULT_MAX_PODS = 200_000


@dataclass(slots=True)
class PodRecord:
    namespace: str
    name: str
    uid: str
    controller: Ref | None
    revision: str | None
    failing: str | None
    ready: bool

    @property
    def key(self) -> PodKey:
        return (self.namespace, self.name)


def record_of(pod: Obj) -> PodRecord:
    meta = pod.get("metadata") or {}
    return PodRecord(str(meta.get("namespace") or ""), str(meta.get("name") or ""), str(meta.get("uid") or ""),
                     controller_ref(pod), revision_of(pod), failing_state(pod), is_ready(pod))


class OwnerMap:
    """controller -> top-level owner per namespace (a ReplicaSet's Deployment, a Job's CronJob)."""

    def __init__(self) -> None:
        self._top: dict[tuple[str, Ref], Ref] = {}
        self._below: dict[tuple[str, Ref], set[Ref]] = defaultdict(set)

    def record(self, namespace: str, controller: Ref, top: Ref) -> None:
        if self._top.get((namespace, controller)) != top:
            self._top[(namespace, controller)] = top
            self._below[(namespace, top)].add(controller)

    def top(self, namespace: str, controller: Ref | None) -> Ref | None:
        if controller is None:
            return None
        return self._top.get((namespace, controller))

    def controllers_of(self, namespace: str, top: Ref) -> set[Ref]:
        return {top, *self._below.get((namespace, top), ())}


class PodView:
    def __init__(self, max_pods: int = DEFAULT_MAX_PODS) -> None:
        self.max_pods = max_pods
        self.pods: dict[PodKey, PodRecord] = {}
        self.by_controller: dict[tuple[str, Ref], set[PodKey]] = defaultdict(set)
        self.owners = OwnerMap()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self.pods)

    def get(self, key: PodKey) -> PodRecord | None:
        return self.pods.get(key)

    def put(self, pod: Obj) -> tuple[PodRecord | None, PodRecord | None]:
        """Record the pod's latest state; (previous record, new record). The new one is None when dropped."""
        rec = record_of(pod)
        old = self.pods.get(rec.key)
        if old is None and rec.failing is None and len(self.pods) >= self.max_pods:
            self.dropped += 1
            return None, None
        if old is not None and old.controller != rec.controller:
            self._unindex(old)
        self.pods[rec.key] = rec
        ctl = rec.controller or ("Pod", rec.name)
        self.by_controller[(rec.namespace, ctl)].add(rec.key)
        if rec.controller is not None and self.owners.top(rec.namespace, rec.controller) is None:
            guess = top_owner_guess(pod)
            if guess is not None:
                self.owners.record(rec.namespace, rec.controller, guess)
        return old, rec

    def remove(self, key: PodKey) -> PodRecord | None:
        old = self.pods.pop(key, None)
        if old is not None:
            self._unindex(old)
        return old

    def _unindex(self, rec: PodRecord) -> None:
        ctl = rec.controller or ("Pod", rec.name)
        keys = self.by_controller.get((rec.namespace, ctl))
        if keys is not None:
            keys.discard(rec.key)
            if not keys:
                del self.by_controller[(rec.namespace, ctl)]

    def top_owner(self, rec: PodRecord) -> Ref:
        """The pod's top-level owner as far as known; the controller itself (or the pod) otherwise."""
        if rec.controller is None:
            return ("Pod", rec.name)
        return self.owners.top(rec.namespace, rec.controller) or rec.controller

    def pods_of(self, namespace: str, top: Ref) -> Iterator[PodRecord]:
        for ctl in self.owners.controllers_of(namespace, top):
            for key in self.by_controller.get((namespace, ctl), ()):
                rec = self.pods.get(key)
                if rec is not None:
                    yield rec

    def failing(self) -> Iterable[PodRecord]:
        return (r for r in self.pods.values() if r.failing is not None)
