"""`explain`'s work per pod, from the pod as read to its entry in the report, in forked workers.

Each pod goes through one chain: its evidence (a failing pod of a big list is still a place in the
input text: sources.loader.PendingPod), its diagnosis, the stale-paste and config notes, and for
`-o json` its entry of the report, rendered and made inert (render.escape) where it was diagnosed.
With many pods to diagnose the list is cut into contiguous shares run by forked processes
(live/parallel.staged_map); the parent only reads and triages the input, hands the shares out and
joins what comes back. One thing depends on every pod: with no --now, the time the pods are
diagnosed at is the input's latest timestamp when the input is older than an hour. So the chain
has two stages with a meeting between them: each share builds its evidence and reports its latest
timestamp, the parent decides the time, every share diagnoses and renders against it.

The results are those of the plain loop (tested byte for byte with 1 and N workers, and with a
worker that dies): shares are contiguous and joined in order, the latest of the shares' latest is
the latest of all (the first of equal ones, as `max` picks), and a share whose worker fails is
done here by the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from podmortem.kube.times import format_rfc3339
from podmortem.live.parallel import MAX_WORKERS, PARALLEL_FROM
from podmortem.model import PodDiagnosis, PodEvidence
from podmortem.sources.healthy import PlainPod
from podmortem.sources.loader import PendingPod

STALE_PASTE_SECONDS = 3600  # a crash loop's newest timestamp is minutes old (back-off <= 5 min) when captured

# The cost of a plainly healthy pod (summary -> diagnosis -> JSON entry) against a pod that needs the
# engine (evidence, rules, notes, rendering): 8 us against 500-750 us on the slim bench list. It cuts the
# shares.
PLAIN_WEIGHT = 1 / 60

Item = PodEvidence | PlainPod | PendingPod


def latest_time(pods: Iterable[PodEvidence | PlainPod]) -> datetime | None:
    """The newest absolute time in the evidence: events, container starts and exits."""
    times: list[datetime] = []
    for p in pods:
        if isinstance(p, PlainPod):
            times += p.times
            continue
        times += [t for e in p.events for t in (e.last_seen, e.first_seen) if t is not None]
        for c in p.containers:
            st = c.status
            if st is None:
                continue
            for state in (st.state, st.last_state):
                if state.started_at is not None:
                    times.append(state.started_at)
                if state.terminated is not None:
                    times += [t for t in (state.terminated.started_at, state.terminated.finished_at) if t is not None]
    times = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times if t.year >= 1980]
    return max(times) if times else None


# NamedTuples and a plain class rather than dataclasses: this module is on `explain`'s start-up path,
# and each dataclass costs about a millisecond to create there.
class Moment(NamedTuple):
    """The time every pod is diagnosed at, and the note that says so when it is the input's own."""

    when: datetime
    stale_note: str | None = None


def moment(now: datetime, latest: datetime | None) -> Moment:
    """`now`, unless the input's latest timestamp is more than an hour older (an old paste: "failing
    for 3y291d" would measure the paste's age, not the crash loop's)."""
    if latest is not None and (now - latest).total_seconds() > STALE_PASTE_SECONDS:
        return Moment(latest, f"times computed against the input's latest timestamp {format_rfc3339(latest)}, "
                              "not now (the input is older than an hour); --now sets the time")
    return Moment(now)


class Explained(NamedTuple):
    """What the chain gives: every pod's diagnosis, or (`-o json`) the report's pod entries."""

    moment: Moment
    diagnoses: list[PodDiagnosis] | None  # None when the entries were rendered instead
    entries: list[bytes]  # -o json: each share's pod entries, as they sit in the report
    problem: bool  # a pod with a finding (exit code 1)


class _Chain:
    """The stages, with what is the same for every pod (inherited by the forked workers)."""

    __slots__ = ("as_json", "fixed", "index", "now", "settings")

    def __init__(self, now: datetime, fixed: bool, settings: Any,
                 index: Mapping[tuple[str, str | None, str], tuple[str, ...]] | None, as_json: bool) -> None:
        self.now = now
        self.fixed = fixed  # --now given: the time does not depend on the input
        self.settings = settings
        self.index = index
        self.as_json = as_json

    def prepare(self, item: Item) -> PodEvidence | PlainPod:
        return item.evidence() if isinstance(item, PendingPod) else item

    def report(self, done: list[PodEvidence | PlainPod]) -> datetime | None:
        return latest_time(done)

    def decide(self, reports: list[datetime | None]) -> Moment:
        found = [t for t in reports if t is not None]
        return moment(self.now, max(found) if found else None)

    def diagnoses(self, done: Sequence[PodEvidence | PlainPod], at: Moment) -> list[PodDiagnosis]:
        out: list[PodDiagnosis] = []
        for p in done:
            if isinstance(p, PlainPod):
                d = p.diagnosis()  # no engine: a report of healthy pods alone never loads the rules
            else:
                from podmortem.engine import diagnose

                d = diagnose(p, now=at.when, backoff=self.settings)
            if at.stale_note and d.backoff:
                d = replace(d, notes=(*d.notes, at.stale_note))
            if self.index and isinstance(p, PodEvidence):
                from podmortem.sources.related import config_notes

                if notes := config_notes(p, self.index):
                    d = replace(d, notes=(*notes, *d.notes))
            out.append(d)
        return out

    def finish(self, done: list[PodEvidence | PlainPod], at: Moment | None) -> tuple[list[PodDiagnosis] | bytes, bool]:
        at = at or Moment(self.now)
        found = self.diagnoses(done, at)
        problem = any(d.findings for d in found)
        if not self.as_json:
            return found, problem
        from podmortem.render.jsonparts import pod_entries

        return pod_entries(found), problem


def explain_pods(pods: Sequence[Item], *, now: datetime, fixed: bool, settings: Any,
                 index: Mapping[tuple[str, str | None, str], tuple[str, ...]] | None = None,
                 as_json: bool = False, workers: int | None = None) -> Explained:
    """Every pod through the chain, in order. `now`: --now when `fixed`, else the current time (the
    input's latest timestamp may replace it). `workers`: processes to share the pods among (None:
    as the machine allows, live/parallel.workers_now, when PARALLEL_FROM pods need the engine)."""
    from podmortem.live.parallel import staged_map

    chain = _Chain(now, fixed, settings, index, as_json)
    if workers is None:
        workers = 1
        if sum(1 for p in pods if not isinstance(p, PlainPod)) >= PARALLEL_FROM:
            from podmortem.live.parallel import workers_now

            workers = workers_now(MAX_WORKERS)
    decided: list[Moment] = []

    def decide(reports: list[datetime | None]) -> Moment:
        decided.append(chain.decide(reports))
        return decided[-1]

    weights = [PLAIN_WEIGHT if isinstance(p, PlainPod) else 1.0 for p in pods] if workers > 1 else None
    if workers > 1:
        # Imported once here, not once in every process after the fork: the workers inherit them
        # (about 20 ms less in each worker).
        import podmortem.engine
        if as_json:
            import podmortem.render.json
            import podmortem.render.jsonparts  # noqa: F401
    parts = staged_map(chain.prepare, pods, workers, finish=chain.finish,
                       report=None if fixed else chain.report, decide=None if fixed else decide, weights=weights)
    at = decided[0] if decided else Moment(now)
    problem = any(p for _, p in parts)
    if as_json:
        return Explained(at, None, [e for e, _ in parts if isinstance(e, bytes)], problem)
    return Explained(at, [d for e, _ in parts if isinstance(e, list) for d in e], [], problem)
