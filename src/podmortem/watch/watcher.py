"""The watcher: the pod stream feeds the view; the leader diagnoses new failures and reports incidents.

Three threads: the stream thread applies every pod update to the view under a lock (cheap: a
few dict operations) and queues pods that newly entered a failing state; the Lease thread renews
or contends for the Lease (lease.py); the main loop follows the Lease's verdict, diagnoses
queued pods (rate-limited, without holding the lock during API calls), ticks the incidents, and hands what must be reported to the Event writer and the
notifier. Only the leader diagnoses and reports; a standby keeps its view current, so on taking
over it rebuilds the open incidents from the Events the watcher wrote (none is announced twice)
and then queues every pod that is failing now.

A pod failing like one already diagnosed (same controller, revision and failing state) takes that
diagnosis without new API calls: the same inference as the live collector's log sampling.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from podmortem.errors import PodmortemError
from podmortem.live.client import ApiCallError, KubeClient
from podmortem.watch.diagnoser import DEFAULT_BURST, DEFAULT_RATE, Diagnoser, Outcome, TokenBucket
from podmortem.watch.incidents import (
    DEFAULT_REMIND_AFTER,
    DEFAULT_RESOLVE_AFTER,
    Action,
    Incident,
    IncidentBook,
)
from podmortem.watch.kevents import EventWriter, open_incidents
from podmortem.watch.lease import LeaderElector
from podmortem.watch.metrics import Metrics
from podmortem.watch.notify import Notifier
from podmortem.watch.stream import Hooks, PodScope, PodStream
from podmortem.watch.view import PodKey, PodRecord, PodView, Ref

log = logging.getLogger(__name__)

OUTCOME_TTL = 600.0  # a cached diagnosis stands for its controller's pods this long
OUTCOME_CACHE_MAX = 10_000
LOOP_PERIOD = 0.1
MAX_REPORTS = 500  # HTML reports kept for the status page (the newest incidents')


@dataclass
class Settings:
    scope: PodScope
    remind_after: float = DEFAULT_REMIND_AFTER
    resolve_after: float = DEFAULT_RESOLVE_AFTER
    diagnose_rate: float = DEFAULT_RATE
    diagnose_burst: int = DEFAULT_BURST
    identity: str = "podmortem-watch"
    max_pods: int = 200_000
    extra: dict[str, Any] = field(default_factory=dict)


class Watcher:
    def __init__(self, client: KubeClient, settings: Settings, *, clock: Callable[[], float] = time.time,
                 elector: LeaderElector | None = None, notifier: Notifier | None = None,
                 metrics: Metrics | None = None, diagnoser: Diagnoser | None = None,
                 events: EventWriter | None = None, stream_sleep: Callable[[float], bool] | None = None) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.elector = elector
        self.metrics = metrics or Metrics()
        self.notifier = notifier
        if notifier is not None:
            notifier.outcome = lambda name, result: self.metrics.notifications.labels(name, result).inc()
        self.diagnoser = diagnoser or Diagnoser(client)
        self.events = events or EventWriter(client, settings.identity, clock)
        self.lock = threading.RLock()
        self.view = PodView(settings.max_pods)
        self.book = IncidentBook(remind_after=settings.remind_after, resolve_after=settings.resolve_after)
        self.pending: dict[PodKey, None] = {}  # insertion-ordered set
        self.outcomes: dict[tuple[Any, ...], tuple[float, Outcome]] = {}
        self.unannounced: list[Action] = []  # reports that failed (API down): tried again each loop
        self.bucket = TokenBucket(settings.diagnose_rate, settings.diagnose_burst, clock)
        self.stopping = threading.Event()
        self.listed = threading.Event()
        self.active = False  # leading (or no election): diagnosing and reporting
        self.diagnoses = 0
        self.reports: list[tuple[str, str]] = []  # (kind, incident id) in order: what this replica reported
        self.stream = PodStream(client, settings.scope, self, hooks=Hooks(self._api_error, self._restart),
                                sleep=stream_sleep)
        self._threads: list[threading.Thread] = []
        self._last_loop = time.monotonic()

    # -- metrics hooks ----------------------------------------------------------------------------

    def _api_error(self, code: str) -> None:
        self.metrics.api_errors.labels(code).inc()

    def _restart(self, reason: str) -> None:
        self.metrics.watch_restarts.labels(reason).inc()

    # -- the stream's handler (stream thread) -------------------------------------------------------

    def synced(self, pods: Sequence[dict[str, Any]], resource_version: str) -> None:
        with self.lock:
            seen: set[PodKey] = set()
            for pod in pods:
                old, rec = self.view.put(pod)
                if rec is not None:
                    seen.add(rec.key)
                    self._transition(old, rec)
            for key in [k for k in self.view.pods if k not in seen]:
                self.view.remove(key)
                self._gone(key)
            self._gauges()
        self.listed.set()

    def changed(self, kind: str, pod: dict[str, Any]) -> None:
        with self.lock:
            if kind == "DELETED":
                meta = pod.get("metadata") or {}
                key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
                if self.view.remove(key) is not None:
                    self._gone(key)
            else:
                old, rec = self.view.put(pod)
                if rec is not None:
                    self._transition(old, rec)

    def _transition(self, old: PodRecord | None, rec: PodRecord) -> None:
        if rec.failing is None:
            if old is not None and old.failing is not None:
                self._gone(rec.key)
            return
        if old is not None and old.uid == rec.uid and old.failing is not None and self.book.of_pod(rec.key):
            return  # still failing, already counted in its incident
        if self.active:
            self.pending[rec.key] = None

    def _gone(self, key: PodKey) -> None:
        self.pending.pop(key, None)
        self.book.not_failing(key)

    def _gauges(self) -> None:
        self.metrics.pods_watched.set(len(self.view))
        self.metrics.pods_failing.set(sum(1 for _ in self.view.failing()))

    # -- leadership ---------------------------------------------------------------------------------

    def activate(self) -> None:
        """Start leading: rebuild open incidents from our Events, then queue every failing pod."""
        restored = 0
        try:
            for inc in open_incidents(self.events.written(self.settings.scope.namespace)):
                with self.lock:
                    self.book.restore(inc)
                self.metrics.open_incident(inc)
                restored += 1
        except Exception as exc:  # without the list, new Events' 409s still prevent repeats
            log.warning("could not read the Events written before (%s); relying on their names", exc)
        with self.lock:
            self.active = True
            for rec in self.view.failing():
                self.pending[rec.key] = None
        self.metrics.leader.set(1)
        log.info("reporting: %d open incidents rebuilt from Events", restored)

    def deactivate(self) -> None:
        with self.lock:
            self.active = False
            self.pending.clear()
            self.book = IncidentBook(remind_after=self.settings.remind_after,
                                     resolve_after=self.settings.resolve_after)
            self.unannounced.clear()
        self.metrics.clear_incidents()
        self.metrics.leader.set(0)

    # -- the main loop --------------------------------------------------------------------------------

    def start(self) -> None:
        t = threading.Thread(target=self.stream.run, name="watch-stream", daemon=True)
        t.start()
        self._threads.append(t)
        if self.elector is not None:
            # Renewals on their own thread, as client-go does: a slow diagnosis must not delay them
            # past the lease duration (a standby would take over while this replica still reports).
            e = threading.Thread(target=self.elector.run, args=(self.stopping,), name="watch-lease", daemon=True)
            e.start()
            self._threads.append(e)
        if self.notifier is not None:
            self.notifier.start()
        m = threading.Thread(target=self.loop, name="watch-main", daemon=True)
        m.start()
        self._threads.append(m)

    def stop(self, release: bool = True) -> None:
        self.stopping.set()
        self.stream.stop()
        if self.notifier is not None:
            self.notifier.stop()
        for t in self._threads:
            t.join(timeout=10)
        if release and self.elector is not None:
            self.elector.release()

    def healthy(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() - self._last_loop < 60

    def ready(self) -> bool:
        return self.listed.is_set()

    def loop(self) -> None:
        while not self.stopping.is_set():
            self._last_loop = time.monotonic()
            now = self.clock()
            try:
                self._elect()
                if self.active and self.listed.is_set():
                    self.step(now)
                else:
                    with self.lock:
                        self._gauges()
            except Exception:  # a bug or an unforeseen answer must not stop the watcher: log it, go on
                log.exception("the watcher's main loop failed; continuing")
            self.stopping.wait(LOOP_PERIOD)

    def _elect(self) -> None:
        leading = self.elector.leading() if self.elector is not None else True
        if leading and not self.active:
            self.activate()
        elif not leading and self.active:
            log.info("no longer the leader: reporting stops")
            self.deactivate()

    def step(self, now: float) -> None:
        """Diagnose what is queued (within the rate), tick the incidents, report."""
        actions: list[Action] = []
        while True:
            with self.lock:
                if not self.pending or not self.active:
                    break
                key = next(iter(self.pending))
                rec = self.view.get(key)
                if rec is None or rec.failing is None:
                    del self.pending[key]
                    continue
                cached = self._cached(rec, now)
                if cached is not None:
                    del self.pending[key]
                    action = self._record(rec, cached, now)
                    if action is not None:
                        actions.append(action)
                    continue
            if self.bucket.take() > 0:
                break
            with self.lock:
                self.pending.pop(key, None)
            outcome = self._diagnose(rec)
            if outcome is None:
                continue
            with self.lock:
                current = self.view.get(key)
                if current is None or current.failing is None or not self.active:
                    continue
                for rs, dep in outcome.replicaset_owners:
                    self.view.owners.record(rec.namespace, ("ReplicaSet", rs), ("Deployment", dep))
                if rec.controller is not None:
                    self.view.owners.record(rec.namespace, rec.controller, outcome.owner)
                self._remember(current, outcome, now)
                action = self._record(current, outcome, now)
                if action is not None:
                    actions.append(action)
        with self.lock:
            actions += self.book.tick(now, self._owner_healthy)
            retry, self.unannounced = self.unannounced, []
            self._gauges()
        self._report(retry + actions)

    def _signature(self, rec: PodRecord) -> tuple[Any, ...]:
        return (rec.namespace, rec.controller or ("Pod", rec.name), rec.revision, rec.failing)

    def _cached(self, rec: PodRecord, now: float) -> Outcome | None:
        if rec.controller is None:
            return None
        hit = self.outcomes.get(self._signature(rec))
        if hit is None or now - hit[0] > OUTCOME_TTL:
            return None
        return hit[1]

    def _remember(self, rec: PodRecord, outcome: Outcome, now: float) -> None:
        if len(self.outcomes) >= OUTCOME_CACHE_MAX:
            self.outcomes.clear()
        self.outcomes[self._signature(rec)] = (now, outcome)

    def _diagnose(self, rec: PodRecord) -> Outcome | None:
        t0 = time.perf_counter()
        try:
            outcome = self.diagnoser.diagnose(rec.namespace, rec.name)
        except Exception:
            log.exception("diagnosing pod %s/%s failed", rec.namespace, rec.name)
            return None
        finally:
            self.metrics.diagnosis_seconds.observe(time.perf_counter() - t0)
        self.diagnoses += 1
        return outcome

    def _record(self, rec: PodRecord, outcome: Outcome, now: float) -> Action | None:
        owner = outcome.owner
        details: dict[str, Any] = {"state": rec.failing or "", "summary": outcome.summary, "fix": outcome.fix,
                                   "diagnosis": outcome.diagnosis, "report_html": outcome.report_html}
        action = self.book.failing(rec.key, owner, outcome.cause, rec.revision, now, **details)
        if action is not None:
            self._trim_reports()
        return action

    def _trim_reports(self) -> None:
        incs = sorted(self.book.open.values(), key=lambda i: i.opened_at)
        for inc in incs[:-MAX_REPORTS]:
            inc.report_html = None

    def _owner_healthy(self, namespace: str, owner: Ref) -> bool:
        return all(r.ready and r.failing is None for r in self.view.pods_of(namespace, owner))

    def _report(self, actions: list[Action]) -> None:
        for action in actions:
            inc = action.incident
            try:
                self._report_one(action)
            except (OSError, ApiCallError, PodmortemError) as exc:
                log.warning("reporting %s of incident %s (%s %s) failed: %s; will retry", action.kind, inc.id,
                            inc.owner_label, inc.cause, exc)
                with self.lock:
                    self.unannounced.append(action)

    def _report_one(self, action: Action) -> None:
        inc = action.incident
        if not self.active:
            return
        if action.kind == "opened":
            fresh = self.events.opened(inc)
            inc.announced = True
            self.metrics.open_incident(inc)
            if fresh:
                self._announce("opened", inc)
            else:
                log.info("incident %s (%s %s) was announced before; not again", inc.id, inc.owner_label, inc.cause)
        elif action.kind == "reminder":
            self.events.reminder(inc)
            self._announce("reminder", inc)
        elif action.kind == "resolved":
            self.metrics.close_incident(inc)
            if self.events.resolved(inc):
                self._announce("resolved", inc)

    def _announce(self, kind: str, inc: Incident) -> None:
        self.reports.append((kind, inc.id))
        log.info("incident %s: %s", kind, inc.id, extra={"incident": inc.as_dict(), "event": kind})
        if self.notifier is not None:
            self.notifier.send(kind, inc)

    # -- the status port's view ----------------------------------------------------------------------

    def incidents(self) -> list[Incident]:
        with self.lock:
            return list(self.book.all_open())

    def report(self, incident_id: str) -> str | None:
        with self.lock:
            inc = self.book.open.get(incident_id)
            return inc.report_html if inc else None

    def is_leader(self) -> bool:
        return self.active

    def metrics_text(self) -> bytes:
        return self.metrics.render()
