"""One Event store, two APIs: convert an Event to the shape of the API group it is served through.

kube-apiserver stores one Event type and serves it as core/v1 and as events.k8s.io/v1, renaming
fields on the way (kubernetes pkg/apis/events/v1/conversion.go, v1.32): involvedObject <->
regarding, message <-> note, reportingComponent <-> reportingController, source.component <->
deprecatedSource, count/firstTimestamp/lastTimestamp <-> deprecatedCount/
deprecatedFirstTimestamp/deprecatedLastTimestamp. The simulator keeps each Event as it was
written and converts when the other API reads it, so `kubectl get events` shows the Events
`podmortem watch` writes through events.k8s.io, and the reverse.
"""

from __future__ import annotations

from typing import Any

# core/v1 field -> events.k8s.io/v1 field
_RENAMED = (("involvedObject", "regarding"), ("message", "note"), ("reportingComponent", "reportingController"),
            ("count", "deprecatedCount"), ("firstTimestamp", "deprecatedFirstTimestamp"),
            ("lastTimestamp", "deprecatedLastTimestamp"))


def event_for(api_version: str, obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as the API `api_version` (v1 or events.k8s.io/v1) serves it; the same object when it already is."""
    have = obj.get("apiVersion")
    if have == api_version or have not in ("v1", "events.k8s.io/v1"):
        return obj
    out = dict(obj)
    out["apiVersion"] = api_version
    if api_version == "events.k8s.io/v1":
        for core, ev in _RENAMED:
            if core in out:
                out[ev] = out.pop(core)
        source = out.pop("source", None)
        if isinstance(source, dict) and (source.get("component") or source.get("host")):
            out["deprecatedSource"] = source
        return out
    for core, ev in _RENAMED:
        if ev in out:
            out[core] = out.pop(ev)
    source = out.pop("deprecatedSource", None)
    if "source" not in out:
        out["source"] = source if isinstance(source, dict) else (
            {"component": out["reportingComponent"]} if out.get("reportingComponent") else {})
    return out
