"""Why the gate's failing pods fail: the live collector's evidence, the engine's diagnosis.

The same path as `podmortem diagnose POD...`: the collector reads the named pods, their events,
the crashed containers' logs and the ConfigMaps/Secrets they reference (key names only), and
`diagnose_collection` runs the engine over them. On a timeout (or a rollout past its progress
deadline) the same is done for the pods still not Ready, keeping only real causes: a pod that is
merely slow has none, and `unknown` would only be noise there. Also the last event of each pod and
workload, for the "why" of a timeout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from podmortem.errors import SourceError
from podmortem.live.client import ApiCallError, Call, Forbidden, KubeClient
from podmortem.live.report import LiveResult
from podmortem.model import PodDiagnosis

MAX_DIAGNOSED = 20  # pods diagnosed at most; a large rollout failing alike shows one group anyway


@dataclass
class Diagnosis:
    result: LiveResult | None = None
    last_events: dict[str, str] = field(default_factory=dict)  # "Kind/name" -> the last event, as a line
    notes: list[str] = field(default_factory=list)  # what could not be read

    @property
    def diagnoses(self) -> list[PodDiagnosis]:
        return list(self.result.diagnoses) if self.result is not None else []


def diagnose_pods(client: KubeClient, namespace: str, names: Sequence[str], *, stuck: bool = False) -> Diagnosis:
    """Collect the evidence of the named pods and diagnose them (at most MAX_DIAGNOSED).

    stuck: the pods did not fail, they never turned Ready. Their evidence is gathered even when
    their status alone looks fine (a pending mount shows only in events), and only diagnoses that
    name a real cause are kept.
    """
    from podmortem.live.collect import Collector, Scope
    from podmortem.live.report import diagnose_collection

    out = Diagnosis()
    wanted = list(dict.fromkeys(names))[:MAX_DIAGNOSED]
    if not wanted:
        return out
    if len(names) > len(wanted):
        out.notes.append(f"diagnosed the first {len(wanted)} of {len(names)} pods")
    collector = Collector(client, sample=True)
    try:
        col = collector.collect(Scope(namespace, tuple(wanted)), all_failing=stuck)
    except SourceError as exc:  # the pods are gone (replaced), or the cluster stopped answering
        out.notes.append(f"no diagnosis: {exc.one_line()}")
        return out
    assert col.listed_at is not None
    result = diagnose_collection(col, now=col.listed_at)
    result.server, result.context = client.host, client.context
    result.requests = dict(sorted(client.requests.items()))
    if stuck:
        result.diagnoses = [d for d in result.diagnoses if d.findings and d.findings[0].cause != "unknown"]
        result.groups = [g for g in result.groups if g.cause != "unknown"]
    out.result = result
    return out


def last_events(client: KubeClient, namespace: str, objects: Iterable[tuple[str, str]]) -> tuple[dict[str, str], str | None]:
    """The newest event of each (kind, name), Warnings first, from one list of the namespace's events."""
    from podmortem.live.collect import Collector

    wanted = set(objects)
    if not wanted:
        return {}, None
    call = Call("list", "events", namespace)
    try:
        raw = Collector(client).list_all(f"/api/v1/namespaces/{quote(namespace, safe='')}/events", [], call)
    except Forbidden:
        return {}, f"missing RBAC: list events in namespace {namespace} (no last event per pod)"
    except (ApiCallError, SourceError) as exc:
        return {}, f"events not read: {getattr(exc, 'message', exc)}"
    best: dict[tuple[str, str], tuple[tuple[bool, str], dict[str, Any]]] = {}
    for e in raw:
        inv = e.get("involvedObject") or e.get("regarding") or {}
        key = (str(inv.get("kind") or ""), str(inv.get("name") or ""))
        if key not in wanted:
            continue
        rank = (e.get("type") == "Warning", _when(e))
        if key not in best or rank > best[key][0]:
            best[key] = (rank, e)
    return {f"{k}/{n}": _event_line(e) for (k, n), (_, e) in best.items()}, None


def _when(e: dict[str, Any]) -> str:
    series = e.get("series") or {}
    # RFC 3339 in UTC sorts as text; eventTime has microseconds, the others seconds: both start the same way.
    return str(series.get("lastObservedTime") or e.get("lastTimestamp") or e.get("eventTime")
               or e.get("firstTimestamp") or "")


def _event_line(e: dict[str, Any]) -> str:
    count = (e.get("series") or {}).get("count") or e.get("count") or 1
    message = " ".join(str(e.get("message") or e.get("note") or "").split())
    if len(message) > 300:
        message = message[:297] + "..."
    times = f" (x{count})" if int(count) > 1 else ""
    return f"{e.get('type') or 'Normal'} {e.get('reason') or ''}{times}: {message}".strip()
