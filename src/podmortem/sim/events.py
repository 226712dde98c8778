"""Events as the kubelet's and controllers' recorders write them: deduplicated, with counts and times.

An identical event (same source, object incl. fieldPath, type, reason, message) updates the
existing Event's count and lastTimestamp instead of creating a new one (client-go's events
cache, kubernetes-facts.md 2.5). Records are plain mutable objects while the simulation runs;
`to_object` turns one into the core/v1 Event the API serves.

Before that, every event passes client-go's spam filter (EventSourceObjectSpamFilter in
client-go/tools/record/events_cache.go, v1.32): a token bucket per source (component, host) and
object (kind, namespace, name, uid, apiVersion) holding 25 tokens and refilled with one every 300
seconds. An event, new or a repeat, that finds the bucket empty is dropped: after a burst, a
crash-looping pod's events update about once per 5 minutes, so counts and "last seen" lag behind its
restart count, as on a real node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podmortem.sim.timefmt import micro_time, rfc3339


@dataclass(slots=True)
class EventRecord:
    name: str
    namespace: str
    involved: dict[str, Any]
    type: str
    reason: str
    message: str
    component: str
    host: str | None
    first: float
    last: float
    count: int = 1
    uid: str = ""
    series_style: bool = False  # events.k8s.io-style (scheduler): eventTime, no timestamps/count
    action: str | None = None

    def to_object(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": self.name, "namespace": self.namespace, "uid": self.uid,
                         "creationTimestamp": rfc3339(self.first)},
            "involvedObject": self.involved,
            "reason": self.reason,
            "message": self.message,
            "type": self.type,
        }
        if self.series_style:
            obj.update(source={}, firstTimestamp=None, lastTimestamp=None, eventTime=micro_time(self.first),
                       reportingComponent=self.component, reportingInstance=f"{self.component}-{self.host or ''}".rstrip("-"),
                       action=self.action or "Binding")
            if self.count > 1:
                # client-go tools/events: a repeat starts a series (shown by describe as "(xN over ...)").
                obj["series"] = {"count": self.count, "lastObservedTime": micro_time(self.last)}
        else:
            source: dict[str, Any] = {"component": self.component}
            if self.host:
                source["host"] = self.host
            obj.update(source=source, firstTimestamp=rfc3339(self.first), lastTimestamp=rfc3339(self.last),
                       count=self.count, eventTime=None, reportingComponent=self.component,
                       reportingInstance=self.host or "")
        return obj


@dataclass
class Recorder:
    """All events of the cluster, deduplicated; `dirty` collects records changed since the last flush."""

    records: dict[tuple[Any, ...], EventRecord] = field(default_factory=dict)
    dirty: dict[tuple[Any, ...], EventRecord] = field(default_factory=dict)
    _serial: int = 0
    spam_burst: int = 25
    spam_refill_seconds: float = 300.0
    _buckets: dict[tuple[Any, ...], tuple[float, float]] = field(default_factory=dict)  # (tokens, as of)

    def _allowed(self, t: float, involved: dict[str, Any], component: str, host: str | None) -> bool:
        key = (component, host, involved.get("kind"), involved.get("namespace"), involved.get("name"),
               involved.get("uid"), involved.get("apiVersion"))
        tokens, since = self._buckets.get(key, (float(self.spam_burst), t))
        if t > since:
            tokens = min(float(self.spam_burst), tokens + (t - since) / self.spam_refill_seconds)
            since = t
        if tokens < 1.0:
            self._buckets[key] = (tokens, since)
            return False
        self._buckets[key] = (tokens - 1.0, since)
        return True

    def emit(self, t: float, involved: dict[str, Any], type_: str, reason: str, message: str, component: str,
             host: str | None = None, *, series_style: bool = False, action: str | None = None) -> EventRecord:
        key = (involved.get("uid"), involved.get("fieldPath"), component, host, type_, reason, message)
        rec = self.records.get(key)
        if not series_style and not self._allowed(t, involved, component, host):
            # Dropped by the spam filter: nothing is written (a detached record for callers that look).
            return rec or EventRecord(name="", namespace=involved.get("namespace") or "default", involved=involved,
                                      type=type_, reason=reason, message=message, component=component, host=host,
                                      first=t, last=t)
        if rec is not None:
            rec.count += 1
            if t > rec.last:
                rec.last = t
        else:
            self._serial += 1
            # The recorder names events <object>.<hex of the time in nanoseconds>.
            nanos = int(t * 1e9) + self._serial
            ns = involved.get("namespace") or "default"
            rec = EventRecord(
                name=f"{involved.get('name')}.{nanos:x}", namespace=ns, involved=involved, type=type_, reason=reason,
                message=message, component=component, host=host, first=t, last=t,
                uid=_uid_from(nanos, involved.get("uid") or ""), series_style=series_style, action=action,
            )
            self.records[key] = rec
        self.dirty[key] = rec
        return rec


def _uid_from(nanos: int, salt: str) -> str:
    import hashlib

    h = hashlib.sha1(f"{salt}/{nanos}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
