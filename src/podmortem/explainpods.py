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

A big list given as a file goes another way when CPUs are idle (`_on_standby`): standby workers,
forked before the input is read (podmortem/standby.py), are fed the pods that need the engine as
they are read and examine them meanwhile (engine.examine: the rules never read the time); the parent
does the plainly healthy pods, decides the time, and the workers conclude and render against it.
On the slim benchmark list (bench_explain.py) that took the run from 0.356 to 0.326 s (2 CPUs).

The results are those of the plain loop (tested byte for byte with 1 and N workers, standby or not,
and with a worker that dies or answers nonsense at any step): shares are contiguous and joined in
order (the standby workers' batches are put back in pod order), the latest of the shares' latest is
the latest of all (in UTC, so equal instants written with other offsets give one time), and a share
whose worker fails is done here by the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from podmortem.kube.times import format_rfc3339
from podmortem.live.parallel import FAILED, MAX_WORKERS, PARALLEL_FROM, shares
from podmortem.render.jsonparts import split_entries
from podmortem.sources.healthy import PlainPod
from podmortem.sources.loader import PendingPod

if TYPE_CHECKING:
    # Not imported to run: with standby workers this process never builds a pod's evidence or its
    # diagnosis, and the model's classes take about 19 ms to create (the workers import them).
    from podmortem.model import PodDiagnosis, PodEvidence
    from podmortem.render.jsonparts import Run
    from podmortem.standby import Standing

    Item = PodEvidence | PlainPod | PendingPod

STALE_PASTE_SECONDS = 3600  # a crash loop's newest timestamp is minutes old (back-off <= 5 min) when captured

# The cost of a plainly healthy pod (summary -> diagnosis -> JSON entry) against a pod that needs the
# engine (evidence, rules, notes, rendering): 8 us against 500-750 us on the slim bench list. It cuts the
# shares.
PLAIN_WEIGHT = 1 / 60

R = TypeVar("R")


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
        # In UTC, as the note writes it: equal instants written with other offsets then give one
        # moment, whichever of them the workers' maximum met first.
        latest = latest.astimezone(UTC)
        return Moment(latest, f"times computed against the input's latest timestamp {format_rfc3339(latest)}, "
                              "not now (the input is older than an hour); --now sets the time")
    return Moment(now)


class Explained(NamedTuple):
    """What the chain gives: every pod's diagnosis, or (`-o json`) the report's pod entries."""

    moment: Moment
    diagnoses: list[PodDiagnosis] | None  # None when the entries were rendered instead
    entries: list[Run]  # -o json: each share's pod entries, as they sit in the report (or in pieces)
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

    def examine(self, p: PodEvidence | PlainPod) -> Any:
        """engine.examine of a pod that needs the engine (None for a summary): the time-free part."""
        if isinstance(p, PlainPod):
            return None
        from podmortem.engine import examine

        return examine(p)

    def diagnoses(self, done: Sequence[PodEvidence | PlainPod], at: Moment,
                  examined: Sequence[Any] | None = None) -> list[PodDiagnosis]:
        """Each pod's diagnosis at `at`, from what `examine` gave for it when `examined` is given."""
        out: list[PodDiagnosis] = []
        for k, p in enumerate(done):
            if isinstance(p, PlainPod):
                d = p.diagnosis()  # no engine: a report of healthy pods alone never loads the rules
            elif examined is not None:
                from podmortem.engine import conclude

                d = conclude(p, examined[k], now=at.when, backoff=self.settings)
            else:
                from podmortem.engine import diagnose

                d = diagnose(p, now=at.when, backoff=self.settings)
            if at.stale_note and d.backoff:
                from podmortem.model.evolve import evolve  # a diagnosis is here: the model is imported

                d = evolve(d, notes=(*d.notes, at.stale_note))
            if self.index and not isinstance(p, PlainPod):
                from podmortem.sources.related import config_notes

                if notes := config_notes(p, self.index):
                    from podmortem.model.evolve import evolve

                    d = evolve(d, notes=(*notes, *d.notes))
            out.append(d)
        return out

    def finish(self, done: list[PodEvidence | PlainPod], at: Moment | None,
               examined: Sequence[Any] | None = None) -> tuple[list[PodDiagnosis] | bytes, bool]:
        """The pods' diagnoses at `at` (or, `-o json`, their entries of the report), and whether one
        has a finding. A plainly healthy pod's entry comes from its summary: its diagnosis never
        depends on the time, has no back-off (so no note of an old input) and no finding."""
        at = at or Moment(self.now)
        if not self.as_json:
            found = self.diagnoses(done, at, examined)
            return found, any(d.findings for d in found)
        from podmortem.render.json import plain_pod_dict, pod_dict
        from podmortem.render.jsonparts import entries_of

        engine = [p for p in done if not isinstance(p, PlainPod)]
        diagnosed = iter(self.diagnoses(engine, at, examined) if engine else ())
        dicts: list[dict[str, Any]] = []
        problem = False
        for p in done:
            if isinstance(p, PlainPod):
                dicts.append(plain_pod_dict(p))
                continue
            d = next(diagnosed)
            problem = problem or bool(d.findings)
            dicts.append(pod_dict(d))
        return entries_of(dicts), problem


def explain_pods(pods: Sequence[Item], *, now: datetime, fixed: bool, settings: Any,
                 index: Mapping[tuple[str, str | None, str], tuple[str, ...]] | None = None,
                 as_json: bool = False, workers: int | None = None, standby: Standing | None = None) -> Explained:
    """Every pod through the chain, in order. `now`: --now when `fixed`, else the current time (the
    input's latest timestamp may replace it). `workers`: processes to share the pods among (None:
    as the machine allows, live/parallel.workers_now, when PARALLEL_FROM pods need the engine).
    `standby` (from `standby_for`, taken over here: used or dismissed): a worker readied while the
    input was read, which then diagnoses the pods that need the engine (`_on_standby`)."""
    from podmortem.live.parallel import staged_map

    chain = _Chain(now, fixed, settings, index, as_json)
    if standby is not None:
        done = _on_standby(standby, chain, pods)
        if done is not None:
            return done
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


def _on_standby(standing: Standing, chain: _Chain, pods: Sequence[Item]) -> Explained | None:
    """The standby workers diagnose the pods that need the engine, this process the plainly healthy
    ones; the results are put back in pod order. The workers have the pods they were fed; when those
    were not all of them (events or logs to attach, pods of other inputs), each is sent a share
    again. None, with the workers dismissed, when there are too few such pods or they cannot be sent
    (not items of a list read through the typed view), for the caller's own way. A worker that fails
    at any step leaves its pods to be done here, by the same functions."""
    from podmortem.render.jsonparts import run_pieces
    from podmortem.sources.loader import PackedPods

    standing.flush()
    engine_at = [i for i, p in enumerate(pods) if not isinstance(p, PlainPod)]
    engine_pods: list[Item] = [pods[i] for i in engine_at]
    pending = [p for p in engine_pods if isinstance(p, PendingPod)]
    now, fixed, backoff, as_json = standing.terms
    same = (chain.index is None and now == chain.now and fixed == chain.fixed and as_json == chain.as_json
            and _settings(backoff) == chain.settings)
    if not same or len(pending) != len(engine_pods) or len(pending) < PARALLEL_FROM:
        standing.dismiss()
        return None
    helpers = standing.helpers
    texts = standing.sent + [t for batch, _ in standing.held for t in batch]
    fed = len(pending) == len(texts) and all(
        p.grouped is None and not p.logs and p.kept.text is t for p, t in zip(pending, texts, strict=True))
    again: list[PackedPods | None] = []
    if not fed:
        cut = shares(len(pending), len(helpers))
        again = [PackedPods.of(pending[r.start:r.stop]) for r in cut]
        if any(a is None for a in again):
            standing.dismiss()
            return None
    # The plainly healthy pods are done here a step at a time, between the batches still to send
    # (their diagnosis does not depend on the time: Chain.finish).
    plain: list[PodEvidence | PlainPod] = [p for p in pods if isinstance(p, PlainPod)]
    steps = iter(range(0, len(plain), PLAIN_STEP))
    plain_entries: list[Any] = []  # -o json: each pod's entry (split_entries); else its diagnosis
    plain_problem = False

    def step() -> bool:
        nonlocal plain_problem
        start = next(steps, None)
        if start is None:
            return False
        out, problem = chain.finish(plain[start:start + PLAIN_STEP], None)
        plain_entries.extend(split_entries(out) if isinstance(out, bytes) else out)
        plain_problem = plain_problem or problem
        return True

    if fed:
        standing.send_all(step)
        chunks = standing.chunks
        for h in helpers:
            h.send(("end", None))
    else:
        chunks = [(w, len(r)) for w, r in enumerate(cut)]
        for h, a in zip(helpers, again, strict=True):
            h.send(("end", a))
    while step():
        pass
    # Each worker's pods, in the order it has them (chunks are in pod order).
    theirs: list[list[Item]] = [[] for _ in helpers]
    at_pod = 0
    for w, n in chunks:
        theirs[w] += engine_pods[at_pod:at_pod + n]
        at_pod += n
    at: Moment | None = None
    prepared: dict[int, list[PodEvidence | PlainPod]] = {}
    if not chain.fixed:
        reports: list[datetime | None] = [chain.report(plain)]
        for w, h in enumerate(helpers):
            got = h.receive()
            if got is not FAILED and not (got is None or isinstance(got, datetime)):
                h.stop()  # not what a worker sends: its pods are done here
                got = FAILED
            if got is FAILED:
                prepared[w] = [chain.prepare(p) for p in theirs[w]]
                got = chain.report(prepared[w])
            reports.append(got)
        at = chain.decide(reports)
        for h in helpers:
            h.send(at)
    # The report's layout while the workers finish: the healthy pods' entries in place, a slot for
    # each of the others.
    in_order: list[Any] = _in_order(plain_entries, [None] * len(engine_at), engine_at)
    # Each batch's result, taken in the pods' order while the workers render the next ones. A worker's
    # last one is checked here whole and its exit (the system freeing its memory) is not waited for
    # (Standing.dismiss reaps it, or the system once this process exits).
    last = {w: k for k, (w, _) in enumerate(chunks)}
    results: list[list[Any]] = [[] for _ in chunks]
    failed: list[int] = []
    problem = plain_problem
    for k, (w, n) in enumerate(chunks):
        if w in failed:
            continue
        got = _checked(helpers[w].receive(last=k == last[w], wait=False), n, chain.as_json)
        if got is None:
            helpers[w].stop()
            failed.append(w)
            continue
        results[k] = got[0]
        problem = problem or got[1]
    for w in failed:  # its pods are done here, by the same functions
        done = prepared[w] if w in prepared else [chain.prepare(p) for p in theirs[w]]
        out, found = chain.finish(done, at)
        mine = iter(split_entries(out) if isinstance(out, bytes) else out)
        for k, (worker, n) in enumerate(chunks):
            if worker == w:
                results[k] = [next(mine) for _ in range(n)]
        problem = problem or found
    for h in helpers:
        if not h.done:  # fed nothing: nothing to wait for
            h.stop()
    for i, entry in zip(engine_at, (e for part in results for e in part), strict=True):
        in_order[i] = entry
    if chain.as_json:
        return Explained(at or Moment(chain.now), None, [run_pieces(in_order)], problem)
    return Explained(at or Moment(chain.now), in_order, [], problem)


def _checked(got: Any, pods: int, as_json: bool) -> tuple[list[Any], bool] | None:
    """One batch's (its pods' entries, cut apart, or diagnoses; problem) from what standby_job sends
    for it (Chain.finish's result: a run of entries or diagnoses, and the problem flag), when that is
    a result for `pods` pods; None for anything else (a failed worker: FAILED), to be done here."""
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], bool)):
        return None
    result, problem = got
    if as_json:
        if not isinstance(result, bytes):
            return None
        try:
            entries: list[Any] = split_entries(result)
        except ValueError:
            return None
    else:
        from podmortem.model import PodDiagnosis  # imported already: unpickling the diagnoses did

        if not (isinstance(result, list) and all(isinstance(e, PodDiagnosis) for e in result)):
            return None
        entries = result
    return (entries, problem) if len(entries) == pods else None


# Plainly healthy pods done between two looks at the workers' queues (about 2 ms of work).
PLAIN_STEP = 1000


def _in_order(others: list[R], placed: list[R], at: list[int]) -> list[R]:
    """`placed[k]` at position `at[k]` (ascending), `others` in the remaining positions, in order."""
    if len(placed) != len(at):
        raise AssertionError("a worker gave back another number of pods than it was given")
    out: list[R] = []
    rest = iter(others)
    last = 0
    for k, i in enumerate(at):
        out.extend(next(rest) for _ in range(i - last))
        out.append(placed[k])
        last = i + 1
    out.extend(rest)
    return out


def _import_rendering() -> None:
    """The modules rendering a report imports when it first runs (remedies' commands and their
    checks, the escapes, the JSON encoder): imported before a worker forks the others, not once in each."""
    import orjson  # noqa: F401

    import podmortem.render.commands
    import podmortem.render.escape  # noqa: F401


def _settings(backoff: tuple[bool, int | None]) -> Any:
    from podmortem.backoff import BackoffSettings  # not commandline's: a worker forked early has no click

    return BackoffSettings.of(*backoff)


def standby_job(now: datetime, fixed: bool, backoff: tuple[bool, int | None], as_json: bool,
                receive: Callable[[], Any], send: Callable[[Any], None], spawn: Callable[[], None]) -> None:
    """In a standby worker (podmortem.standby): the evidence and the findings of the pods fed, as
    they come (the rules never read the time: engine.examine); once told that they were all (or
    sent its share again), meets the parent for the time they are diagnosed at, and sends back
    (result, problem)."""
    chain = _Chain(now, fixed, _settings(backoff), None, as_json)
    done: list[PodEvidence | PlainPod] = []
    examined: list[Any] = []
    batches: list[int] = []  # the number of pods of each message, in order
    while True:
        kind, packed = receive()
        if kind == "end":
            if packed is not None:
                done, examined, batches = [], [], []
                pods = packed.unpack()
                for p in pods:
                    done.append(chain.prepare(p))
                    examined.append(chain.examine(done[-1]))
                batches.append(len(pods))
            break
        pods = packed.unpack()
        for p in pods:
            done.append(chain.prepare(p))
            examined.append(chain.examine(done[-1]))
        batches.append(len(pods))
        # The other workers are forked once this one has examined its first pods: they inherit the
        # patterns those compiled (most pods need the same ones) instead of each compiling them, and
        # what rendering imports, imported here first for the same reason.
        _import_rendering()
        spawn()
    spawn()
    at: Moment | None = None
    if not chain.fixed:
        send(chain.report(done))
        at = receive()
    # One result a batch, sent as it is made: the parent takes each in the pods' order and cuts it
    # apart while the workers render the next, instead of all of it once the last is rendered (the
    # end of the command, where one CPU would wait).
    start = 0
    for n in batches:
        send(chain.finish(done[start:start + n], at, examined[start:start + n]))
        start += n
