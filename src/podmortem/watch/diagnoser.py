"""Diagnose one failing pod with the engine, fetching only the evidence that diagnosis needs.

The live collector does the fetching (`Collector.collect` for one named pod: the pod itself, its
events, the log of the crashed instance of each failing container, the key names of the
ConfigMaps it references, the ReplicaSets of its namespace for the revision that started the
loop) and `diagnose_collection` runs the engine, exactly as `podmortem diagnose NAME` does; the
outcome carries the diagnose JSON contract and the HTML report of that pod.

Diagnoses are rate-limited (a token bucket on the injected clock): a cluster where hundreds of pods
start failing at once does not turn the watcher into a flood of API calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from podmortem.live.client import ApiCallError, Call, KubeClient
from podmortem.live.collect import Collector, Scope, controller_of
from podmortem.watch.view import Ref

DEFAULT_RATE = 5.0  # diagnoses per second
DEFAULT_BURST = 20


@dataclass(frozen=True, slots=True)
class Outcome:
    namespace: str
    pod: str
    cause: str
    owner: Ref  # top-level owner
    summary: str
    fix: str
    diagnosis: dict[str, Any]  # the pod's entry in the diagnose JSON contract
    report_html: str
    replicaset_owners: tuple[tuple[str, str], ...] = ()  # (ReplicaSet, Deployment) pairs seen on the way


class TokenBucket:
    """At most `rate` per second on average, `burst` at once; `wait_time` says how long until the next."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken now, else the seconds until one will be there (nothing taken)."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class Diagnoser:
    def __init__(self, client: KubeClient, *, secret_keys: bool = False,
                 now: Callable[[], datetime] | None = None) -> None:
        self.client = client
        self.secret_keys = secret_keys
        self.now = now or (lambda: datetime.now(UTC))
        self._job_owner: dict[tuple[str, str], Ref | None] = {}

    def job_owner(self, namespace: str, job: str) -> Ref | None:
        """The CronJob that owns a Job (one GET per Job, remembered), or None."""
        key = (namespace, job)
        if key not in self._job_owner:
            try:
                doc = self.client.get_json(f"/apis/batch/v1/namespaces/{quote(namespace, safe='')}/jobs/"
                                           f"{quote(job, safe='')}", [], Call("get", "jobs", namespace, job))
            except ApiCallError:
                return None  # not remembered: a later pod of the Job may succeed
            ctl = controller_of(doc)
            self._job_owner[key] = ctl if ctl and ctl[0] == "CronJob" else None
        return self._job_owner[key]

    def diagnose(self, namespace: str, pod: str) -> Outcome | None:
        """The top finding for the pod, or None when the pod is gone or shows no problem any more."""
        import orjson

        from podmortem.live.report import diagnose_collection, render_html_report, render_json

        collector = Collector(self.client, concurrency=2, sample=False, secret_keys=self.secret_keys, now=self.now)
        try:
            col = collector.collect(Scope(namespace, (pod,)), all_failing=True)
        except Exception as exc:  # NotFound (deleted meanwhile), refused: no diagnosis now
            from podmortem.errors import PodmortemError

            if isinstance(exc, PodmortemError):
                return None
            raise
        assert col.listed_at is not None
        result = diagnose_collection(col, now=col.listed_at)
        d = next((x for x in result.diagnoses if x.name == pod), None)
        if d is None or not d.findings:
            return None
        top = d.findings[0]
        owner_text = result.owners.get((namespace, pod))
        owner: Ref = ("Pod", pod)
        if owner_text:
            kind, _, name = owner_text.partition("/")
            owner = (_kind_name(kind), name)
        if owner[0] == "Job":
            cron = self.job_owner(namespace, owner[1])
            if cron is not None:
                owner = cron
        doc = orjson.loads(render_json(result))
        entry: dict[str, Any] = next((p for p in doc.get("pods") or () if p.get("name") == pod), {})
        fix = top.remedy.summary
        rs_pairs = []
        for (ns, rs_name), rs in col.replicasets.items():
            parent = controller_of(rs)
            if ns == namespace and parent and parent[0] == "Deployment":
                rs_pairs.append((rs_name, parent[1]))
        html = render_html_report(result, title=f"podmortem: {owner[0].lower()}/{owner[1]}: {top.cause}")
        return Outcome(namespace, pod, top.cause, owner, top.summary, fix, entry, html, tuple(rs_pairs))


_KINDS = {k.lower(): k for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
                                 "ReplicationController")}


def _kind_name(lower: str) -> str:
    return _KINDS.get(lower, lower[:1].upper() + lower[1:])
