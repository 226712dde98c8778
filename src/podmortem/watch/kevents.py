"""The Kubernetes Event of an incident: events.k8s.io/v1, reason CrashLoopDiagnosed, on the owner.

One Event per incident, named after the incident id so that it is also the record of "announced":
creating it answers 409 AlreadyExists when another replica or an earlier run of the watcher wrote
it, and the watcher then stays quiet. A reminder does not make a new Event: it advances the
Event's `series` (count, lastObservedTime), the API's own deduplication (KEP-383, the
events.k8s.io/v1 Event type). Resolution writes one `CrashLoopResolved` Event.

`note` holds the cause id, the summary and the fix; the API limits it to 1 kB, so it is cut there.
The labels and annotations let a restarted watcher rebuild its open incidents from a list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from podmortem.live.client import Call, KubeClient, pages
from podmortem.watch.incidents import Incident
from podmortem.watch.writes import send

log = logging.getLogger(__name__)

REASON = "CrashLoopDiagnosed"
RESOLVED_REASON = "CrashLoopResolved"
CONTROLLER = "podmortem.dev/watch"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "podmortem-watch"
INCIDENT_LABEL = "podmortem.dev/incident"
NOTE_MAX = 1024  # events.k8s.io/v1 validation: note must be under 1 kB (pkg/apis/core/validation/events.go)
API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
                "Job": "batch/v1", "CronJob": "batch/v1", "Pod": "v1", "ReplicationController": "v1"}
ANN = "podmortem.dev/"


def micro_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_name(inc: Incident, suffix: str = "") -> str:
    # A DNS subdomain of at most 253 characters, like the kubelet's "<object>.<hex>" event names.
    return f"{inc.owner[1][:200]}.podmortem-{inc.id}{suffix}"


def note_of(inc: Incident) -> str:
    text = f"{inc.cause}: {inc.summary} Fix: {inc.fix}" if inc.fix else f"{inc.cause}: {inc.summary}"
    data = text.encode()
    if len(data) >= NOTE_MAX:
        text = data[: NOTE_MAX - 4].decode("utf-8", "ignore") + "..."
    return text


def _body(inc: Incident, reason: str, note: str, now: float, instance: str, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": event_name(inc, "" if reason == REASON else "-resolved"), "namespace": inc.namespace,
                     "labels": {MANAGED_BY: MANAGER, INCIDENT_LABEL: inc.id},
                     "annotations": {ANN + "cause": inc.cause, ANN + "owner-kind": inc.owner[0],
                                     ANN + "owner-name": inc.owner[1], ANN + "revision": inc.revision or "",
                                     ANN + "state": inc.state, ANN + "opened-at": f"{inc.opened_at:.3f}",
                                     ANN + "pods": str(len(inc.seen))}},
        "eventTime": micro_time(now), "reportingController": CONTROLLER, "reportingInstance": instance[:128],
        "action": "Diagnosed" if reason == REASON else "Resolved", "reason": reason, "type": kind,
        "regarding": {"apiVersion": API_VERSIONS.get(inc.owner[0], "v1"), "kind": inc.owner[0],
                      "name": inc.owner[1], "namespace": inc.namespace},
        "note": note,
    }


class EventWriter:
    def __init__(self, client: KubeClient, instance: str, clock: Callable[[], float]) -> None:
        self.client = client
        self.instance = instance
        self.clock = clock

    def _path(self, namespace: str, name: str | None = None) -> str:
        path = f"/apis/events.k8s.io/v1/namespaces/{quote(namespace, safe='')}/events"
        return f"{path}/{quote(name, safe='')}" if name else path

    def opened(self, inc: Incident) -> bool:
        """Write the incident's Event; False when it already existed (announced before: stay quiet)."""
        return self._create(inc, _body(inc, REASON, note_of(inc), self.clock(), self.instance, "Warning"), "Event")

    def reminder(self, inc: Incident) -> None:
        patch = {"series": {"count": inc.reminders + 1, "lastObservedTime": micro_time(self.clock())},
                 "metadata": {"annotations": {ANN + "pods": str(len(inc.seen))}}}
        ans = send(self.client, "PATCH", self._path(inc.namespace, event_name(inc)), patch,
                   Call("patch", "events", inc.namespace), content_type="application/merge-patch+json")
        if not ans.ok:
            raise OSError(f"updating the Event series of incident {inc.id} failed: HTTP {ans.status} ({ans.message})")

    def resolved(self, inc: Incident) -> bool:
        note = f"{inc.cause}: resolved; the pods of {inc.owner_label} are Ready again (or it is gone)"
        return self._create(inc, _body(inc, RESOLVED_REASON, note, self.clock(), self.instance, "Normal"),
                            "resolve Event")

    def _create(self, inc: Incident, body: dict[str, Any], what: str) -> bool:
        """POST one Event named after the incident; False on 409 (written before, by us or a peer)."""
        ans = send(self.client, "POST", self._path(inc.namespace), body, Call("create", "events", inc.namespace))
        if ans.status == 409:
            return False
        if not ans.ok:
            raise OSError(f"creating the {what} of incident {inc.id} failed: HTTP {ans.status} ({ans.message})")
        return True

    def written(self, namespace: str | None) -> Iterator[dict[str, Any]]:
        """Every Event the watcher wrote (in `namespace`, or everywhere), for rebuilding state."""
        path = (f"/apis/events.k8s.io/v1/namespaces/{quote(namespace, safe='')}/events" if namespace
                else "/apis/events.k8s.io/v1/events")
        for doc in pages(self.client, path, [("labelSelector", f"{MANAGED_BY}={MANAGER}")],
                         Call("list", "events", namespace), 500):
            yield from (i for i in doc.get("items") or () if isinstance(i, dict))


def open_incidents(events: Iterator[dict[str, Any]]) -> list[Incident]:
    """The incidents whose CrashLoopDiagnosed Event exists and whose CrashLoopResolved Event does not."""
    opened: dict[str, Incident] = {}
    resolved: set[str] = set()
    for ev in events:
        meta = ev.get("metadata") or {}
        iid = str((meta.get("labels") or {}).get(INCIDENT_LABEL) or "")
        ann = meta.get("annotations") or {}
        if not iid:
            continue
        if ev.get("reason") == RESOLVED_REASON:
            resolved.add(iid)
            continue
        if ev.get("reason") != REASON:
            continue
        try:
            opened_at = float(ann.get(ANN + "opened-at") or 0)
        except ValueError:
            opened_at = 0.0
        note = str(ev.get("note") or "")
        cause = str(ann.get(ANN + "cause") or "")
        summary, _, fix = note.removeprefix(cause + ": ").partition(" Fix: ")
        series = ev.get("series") or {}
        inc = Incident(iid, str(meta.get("namespace") or ""),
                       (str(ann.get(ANN + "owner-kind") or ""), str(ann.get(ANN + "owner-name") or "")), cause,
                       str(ann.get(ANN + "revision") or "") or None, opened_at, state=str(ann.get(ANN + "state") or ""),
                       summary=summary, fix=fix)
        count = series.get("count") if isinstance(series, dict) else None
        if isinstance(count, int) and count > 1:
            inc.reminders = count - 1
        opened[iid] = inc
    return [inc for iid, inc in opened.items() if iid not in resolved]
