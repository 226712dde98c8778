"""Incidents, not alerts: one incident per (namespace, owner, cause, revision), opened once.

The first failing pod opens an incident; later pods of the same owner failing with the same cause
at the same revision join it silently. While it stays open a reminder is due every
`remind_after` seconds. It resolves when none of its pods is failing and every pod of the owner
has been Ready (or finished) for `resolve_after` seconds, which also covers an owner that was
deleted or scaled to zero (no pods left). Pure: the clock is passed in, reporting is the caller's.

The incident id is a hash of its key, so every replica and every restart of the watcher names
the same incident the same way; the Kubernetes Event written for it carries the id in its name,
which is how a restarted watcher or a new leader knows it was already announced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Ref = tuple[str, str]
PodKey = tuple[str, str]

DEFAULT_REMIND_AFTER = 3600.0
DEFAULT_RESOLVE_AFTER = 120.0


def incident_id(namespace: str, owner: Ref, cause: str, revision: str | None) -> str:
    text = "\x00".join((namespace, owner[0], owner[1], cause, revision or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class Incident:
    id: str
    namespace: str
    owner: Ref
    cause: str
    revision: str | None
    opened_at: float
    state: str = ""  # the failing state that opened it: CrashLoopBackOff, OOMKilled...
    summary: str = ""
    fix: str = ""
    pods: set[str] = field(default_factory=set)  # failing now
    seen: set[str] = field(default_factory=set)  # every pod that ever joined
    reminded_at: float | None = None
    reminders: int = 0
    healthy_since: float | None = None
    resolved_at: float | None = None
    announced: bool = False  # an Event for it exists (written by us, another replica or an earlier run)
    diagnosis: dict[str, Any] | None = None  # the diagnose JSON contract of the representative pod
    report_html: str | None = None

    @property
    def owner_label(self) -> str:
        return f"{self.owner[0].lower()}/{self.owner[1]}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "namespace": self.namespace, "owner": self.owner_label, "owner_kind": self.owner[0],
                "owner_name": self.owner[1], "cause": self.cause, "revision": self.revision, "state": self.state,
                "summary": self.summary, "fix": self.fix, "pods_failing": sorted(self.pods),
                "pods_affected": len(self.seen), "opened_at": self.opened_at, "reminders": self.reminders,
                "resolved_at": self.resolved_at}


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # opened | reminder | resolved
    incident: Incident


class IncidentBook:
    def __init__(self, *, remind_after: float = DEFAULT_REMIND_AFTER,
                 resolve_after: float = DEFAULT_RESOLVE_AFTER) -> None:
        self.remind_after = remind_after
        self.resolve_after = resolve_after
        self.open: dict[str, Incident] = {}
        self._pod_incident: dict[PodKey, str] = {}

    def get(self, namespace: str, owner: Ref, cause: str, revision: str | None) -> Incident | None:
        return self.open.get(incident_id(namespace, owner, cause, revision))

    def of_pod(self, key: PodKey) -> Incident | None:
        iid = self._pod_incident.get(key)
        return self.open.get(iid) if iid else None

    def failing(self, key: PodKey, owner: Ref, cause: str, revision: str | None, now: float,
                **details: Any) -> Action | None:
        """A pod fails with `cause`: an `opened` action for a new incident, None when it joins one."""
        namespace, pod = key
        iid = incident_id(namespace, owner, cause, revision)
        inc = self.open.get(iid)
        action = None
        if inc is None:
            inc = self.open[iid] = Incident(iid, namespace, owner, cause, revision, now)
            for name, value in details.items():
                setattr(inc, name, value)
            action = Action("opened", inc)
        previous = self._pod_incident.get(key)
        if previous is not None and previous != iid and previous in self.open:
            self.open[previous].pods.discard(pod)
        self._pod_incident[key] = iid
        inc.pods.add(pod)
        inc.seen.add(pod)
        inc.healthy_since = None
        return action

    def restore(self, inc: Incident) -> None:
        """An incident announced before (found in the Events the watcher wrote): open, not re-announced."""
        inc.announced = True
        self.open.setdefault(inc.id, inc)

    def not_failing(self, key: PodKey) -> None:
        """The pod recovered or was deleted."""
        iid = self._pod_incident.pop(key, None)
        if iid is not None and iid in self.open:
            self.open[iid].pods.discard(key[1])

    def tick(self, now: float, owner_healthy: Callable[[str, Ref], bool]) -> list[Action]:
        """Reminders due and incidents resolved at `now`."""
        actions: list[Action] = []
        for inc in list(self.open.values()):
            if not inc.pods and owner_healthy(inc.namespace, inc.owner):
                if inc.healthy_since is None:
                    inc.healthy_since = now
                if now - inc.healthy_since >= self.resolve_after:
                    inc.resolved_at = now
                    del self.open[inc.id]
                    for key in [k for k, v in self._pod_incident.items() if v == inc.id]:
                        del self._pod_incident[key]
                    actions.append(Action("resolved", inc))
                continue
            inc.healthy_since = None
            last = inc.reminded_at if inc.reminded_at is not None else inc.opened_at
            if self.remind_after > 0 and inc.pods and now - last >= self.remind_after:
                inc.reminded_at = now
                inc.reminders += 1
                actions.append(Action("reminder", inc))
        return actions

    def all_open(self) -> Iterable[Incident]:
        return sorted(self.open.values(), key=lambda i: (i.opened_at, i.id))
