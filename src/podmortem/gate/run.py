"""The gate's main loop: watch the targets until they are Ready, one of their pods fails, or time runs out.

Each target gets list+watch streams (stream.py): the workload itself, its ReplicaSets (for a
Deployment: which one is the new revision) and its pods, all feeding one queue. After each batch
of changes the gate judges every pod of the current revision (verdict.py) and the rollout
(targets.py). Success needs every target complete and every current pod Ready for `settle`
seconds in a row: a container that starts, turns Ready and crashes a moment later (a Deployment
without a readiness probe is "available" at once) must not pass. The deadline, the grace
periods and the settle time are measured on the gate's own monotonic clock.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from podmortem.errors import ApiForbidden, InputError, PodmortemError, SourceError
from podmortem.gate.stream import Changed, ListWatch, Message, Notice, Synced, Trouble
from podmortem.gate.targets import (
    Rollout,
    Target,
    current_replicaset,
    meta,
    rollout,
    selector_string,
    split_pods,
    split_selected,
)
from podmortem.gate.verdict import Memory, PodState, Policy, judge
from podmortem.live.client import ApiCallError, BadRequest, Call, Forbidden, KubeClient, NotFoundError

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float
    policy: Policy = field(default_factory=Policy)
    settle: float = 10.0
    poll_interval: float = 3.0
    # Seconds of `timeout` kept for diagnosing and reporting after the watch ends, so that the whole
    # run, report included, ends by --timeout (the client's deadline enforces it).
    report_reserve: float = 0.0

    @property
    def watch_for(self) -> float:
        return max(0.0, self.timeout - self.report_reserve)


@dataclass
class TargetState:
    """One target at the end (or at one moment) of the gate."""

    label: str  # deployment/web, or "pods -l app=web"
    kind: str  # Deployment | StatefulSet | DaemonSet | Pods
    name: str | None
    complete: bool
    message: str
    pods: list[PodState] = field(default_factory=list)  # of the current revision
    old_pods: list[str] = field(default_factory=list)  # names of older revisions' pods still running
    failed: str | None = None  # the rollout cannot complete (deleted, progress deadline exceeded)
    revision: str | None = None
    replicaset: str | None = None  # a Deployment's new ReplicaSet


@dataclass
class Outcome:
    result: str  # passed | failed | timeout
    headline: str
    namespace: str
    elapsed: float
    timeout: float
    targets: list[TargetState]
    failing: list[PodState]  # the pods that failed the gate (or, on a rollout failure, those not Ready)
    notices: list[str] = field(default_factory=list)

    @property
    def not_ready(self) -> list[PodState]:
        return [p for t in self.targets for p in t.pods if p.state not in ("ready", "completed")]


class _Watched:
    """The caches of one target, fed by its streams."""

    def __init__(self, target: Target | None, selector: str, workload: Obj | None) -> None:
        self.target = target
        self.selector = selector
        self.workload = workload
        self.deleted = False
        self.replicasets: dict[str, Obj] = {}
        self.pods: dict[str, Obj] = {}

    @property
    def label(self) -> str:
        return self.target.label if self.target else f"pods -l {self.selector}" if self.selector else "all pods"

    def apply(self, role: str, message: Synced | Changed) -> None:
        if role == "workload":
            if isinstance(message, Synced):
                self.workload = message.items[0] if message.items else self.workload
                self.deleted = not message.items
            elif message.kind == "DELETED":
                self.deleted = True
            else:
                self.workload, self.deleted = message.obj, False
            return
        cache = self.replicasets if role == "replicasets" else self.pods
        if isinstance(message, Synced):
            cache.clear()
            cache.update((str(meta(o).get("name")), o) for o in message.items)
        elif message.kind == "DELETED":
            cache.pop(str(meta(message.obj).get("name")), None)
        else:
            cache[str(meta(message.obj).get("name"))] = message.obj


class Gate:
    def __init__(self, client: KubeClient, namespace: str, targets: Sequence[Target], selector: str | None,
                 settings: Settings, *, clock: Callable[[], float] = time.monotonic,
                 say: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.targets = list(targets)
        self.selector = selector
        self.settings = settings
        self.clock = clock
        self.say = say or (lambda _text: None)
        self.memory = Memory()
        self.queue: queue.Queue[Message] = queue.Queue()
        self.streams: list[ListWatch] = []
        self.watched: list[_Watched] = []
        self.roles: dict[str, tuple[_Watched, str]] = {}
        self.notices: list[str] = []
        self._said: dict[str, str] = {}

    # -- setup ---

    def _stream(self, watched: _Watched, role: str, resource: str, path: str, params: list[tuple[str, Any]],
                name: str | None = None) -> None:
        key = f"{len(self.streams)}:{role}"
        self.roles[key] = (watched, role)
        self.streams.append(ListWatch(self.client, key, path, params, Call("list", resource, self.namespace, name),
                                      self.queue, poll_interval=self.settings.poll_interval))

    def _read_workload(self, target: Target) -> Obj:
        path = f"{target.collection_path(quote(self.namespace, safe=''))}/{quote(target.name, safe='')}"
        try:
            return self.client.get_json(path, [], Call("get", target.plural, self.namespace, target.name))
        except NotFoundError:
            raise InputError(f'{target.kind.lower()} "{target.name}" not found in namespace "{self.namespace}"',
                             "check the name and -n NAMESPACE") from None
        except Forbidden as exc:
            raise ApiForbidden(f"missing RBAC: get {target.plural} in namespace {self.namespace} ({exc.message})") \
                from None
        except ApiCallError as exc:
            raise SourceError(f"cannot read {target.label}: {exc.message}") from None

    def _setup(self) -> None:
        ns = quote(self.namespace, safe="")
        pods_path = f"/api/v1/namespaces/{ns}/pods"
        rs_path = f"/apis/apps/v1/namespaces/{ns}/replicasets"
        if not self.targets:
            selector = self.selector or ""
            w = _Watched(None, selector, None)
            self.watched.append(w)
            params = [("labelSelector", selector)] if selector else []
            self._stream(w, "pods", "pods", pods_path, list(params))
            self._stream(w, "replicasets", "replicasets", rs_path, list(params))
        for target in self.targets:
            obj = self._read_workload(target)
            selector = selector_string((obj.get("spec") or {}).get("selector"))
            w = _Watched(target, selector, obj)
            self.watched.append(w)
            by_name = [("fieldSelector", f"metadata.name={target.name}")]
            self._stream(w, "workload", target.plural, target.collection_path(ns), by_name, target.name)
            params = [("labelSelector", selector)] if selector else []
            if target.kind == "Deployment":
                self._stream(w, "replicasets", "replicasets", rs_path, list(params))
            self._stream(w, "pods", "pods", pods_path, list(params))
        for s in self.streams:
            s.start()

    # -- the loop ---

    def run(self) -> Outcome:
        start = self.clock()
        deadline = start + self.settings.watch_for
        synced: set[str] = set()
        lost: dict[str, Trouble] = {}  # streams that cannot read the cluster right now
        settled_since: float | None = None
        try:
            self._setup()
            while True:
                now = self.clock()
                wake = deadline
                if len(synced) == len(self.streams):
                    states, failing, failed_rollout, wake_at = self._evaluate(now)
                    wake = min(wake, wake_at)
                    if failing or failed_rollout:
                        return self._outcome("failed", start, states, failing, failed_rollout)
                    if all(t.complete for t in states):
                        settled_since = now if settled_since is None else settled_since
                        if now - settled_since >= self.settings.settle:
                            return self._outcome("passed", start, states, [], None)
                        wake = min(wake, settled_since + self.settings.settle)
                    else:
                        settled_since = None
                    if now >= deadline:
                        if lost:
                            raise _as_source_error(next(iter(lost.values())).error)
                        return self._outcome("timeout", start, states, [], None)
                elif now >= deadline:
                    if lost:
                        raise _as_source_error(next(iter(lost.values())).error)
                    raise SourceError(f"the cluster did not answer every list within {self.settings.timeout:g}s")
                for message in self._next_batch(max(0.0, wake - self.clock())):
                    if isinstance(message, Trouble):
                        if message.fatal or message.key not in synced:
                            # Before the first full picture (or without permission) there is nothing to wait for.
                            raise _as_source_error(message.error)
                        lost[message.key] = message
                        self._tell(message.key, f"lost the cluster, retrying: {_one_line(message.error)}")
                    elif isinstance(message, Notice):
                        self.notices.append(message.text)
                        self._tell(message.key, message.text)
                    else:
                        if isinstance(message, Synced):
                            synced.add(message.key)
                            lost.pop(message.key, None)
                        watched, role = self.roles[message.key]
                        watched.apply(role, message)
        finally:
            for s in self.streams:
                s.stop()
            # One shared second for all of them: a stream stuck in a list call ends with the client's
            # deadline anyway (its thread is a daemon), and must not hold the report up per stream.
            joined_by = time.monotonic() + 1.0
            for s in self.streams:
                s.join(max(0.0, joined_by - time.monotonic()))

    def _next_batch(self, wait: float) -> list[Message]:
        try:
            first = self.queue.get(timeout=wait) if wait > 0 else self.queue.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        while True:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                return batch

    # -- judging ---

    def _evaluate(self, now: float) -> tuple[list[TargetState], list[PodState], str | None, float]:
        states: list[TargetState] = []
        failing: list[PodState] = []
        failed_rollout: str | None = None
        wake = float("inf")
        live: set[str] = set()
        for w in self.watched:
            state = self._target_state(w, now)
            states.append(state)
            for p in state.pods:
                live.add(p.uid)
                if p.state == "failed":
                    failing.append(p)
                if p.decide_at is not None:
                    wake = min(wake, p.decide_at)
            if state.failed and failed_rollout is None:
                failed_rollout = state.failed
            self._progress(state)
        self.memory.forget(live)
        self.memory.first_look = False
        if failed_rollout and not failing:
            failing = [p for s in states for p in s.pods if p.state == "waiting"]
        return states, failing, failed_rollout, wake

    def _target_state(self, w: _Watched, now: float) -> TargetState:
        policy = self.settings.policy
        if w.target is None:
            current, old = split_selected(w.pods.values(), w.replicasets.values())
            pods = sorted((judge(p, self.memory, policy, now) for p in current), key=lambda s: s.name)
            ready = sum(1 for p in pods if p.state in ("ready", "completed"))
            if not pods:
                message = f"no pod matches -l {w.selector} in namespace {self.namespace} yet" if w.selector \
                    else f"no pod in namespace {self.namespace} yet"
            else:
                message = f"{ready} of {len(pods)} pods Ready"
                if old:
                    message += f"; {len(old)} pods of a superseded revision still running"
            done = bool(pods) and ready == len(pods) and not old
            return TargetState(w.label, "Pods", None, done, message, pods, sorted(str(meta(p).get("name")) for p in old))
        target, obj = w.target, w.workload
        assert obj is not None
        if w.deleted:
            why = f"{target.label} was deleted while the gate waited for it"
            return TargetState(w.label, target.kind, target.name, False, why, failed=why)
        current, old = split_pods(target, obj, list(w.replicasets.values()), w.pods.values())
        pods = sorted((judge(p, self.memory, policy, now) for p in current), key=lambda s: s.name)
        progress: Rollout = rollout(target, obj)
        all_ready = all(p.state in ("ready", "completed") for p in pods)
        state = TargetState(w.label, target.kind, target.name, progress.done and all_ready, progress.message, pods,
                            sorted(str(meta(p).get("name")) for p in old), progress.failed)
        if progress.done and not all_ready:
            state.message += f" (waiting for {sum(1 for p in pods if p.state == 'waiting')} pods to be Ready)"
        if target.kind == "Deployment":
            state.revision = (meta(obj).get("annotations") or {}).get("deployment.kubernetes.io/revision")
            rs = current_replicaset(obj, w.replicasets.values())
            state.replicaset = str(meta(rs).get("name")) if rs is not None else None
        return state

    # -- progress lines ---

    def _tell(self, key: str, text: str) -> None:
        if self._said.get(key) != text:
            self._said[key] = text
            self.say(text)

    def _progress(self, state: TargetState) -> None:
        self._tell(state.label, f"{state.label}: {state.message}")
        for p in state.pods:
            self._tell(f"{state.label}/{p.name}", f"  pod {p.name}: {p.status} {p.ready}"
                                                  + ("" if p.state in ("ready", "completed") else f" - {p.why}"))

    def _outcome(self, result: str, start: float, states: list[TargetState], failing: list[PodState],
                 failed_rollout: str | None) -> Outcome:
        elapsed = self.clock() - start
        if result == "passed":
            headline = "; ".join(s.message for s in states)
        elif failing and not failed_rollout:
            first = failing[0]
            owner = next((s.label for s in states if any(p.uid == first.uid for p in s.pods)), "")
            headline = f"pod {first.name}" + (f" ({owner})" if owner and owner.startswith(("deploy", "stateful", "daemon"))
                                              else "") + f": {first.why}"
            if len(failing) > 1:
                headline += f" (and {len(failing) - 1} more failing pod{'s' if len(failing) > 2 else ''})"
        elif failed_rollout:
            headline = failed_rollout
        else:
            waiting = [s for s in states if not s.complete]
            headline = "; ".join(s.message for s in waiting) or "not every pod is Ready"
        return Outcome(result, headline, self.namespace, elapsed, self.settings.timeout, states, failing,
                       list(self.notices))


def _one_line(exc: Exception) -> str:
    if isinstance(exc, SourceError):
        return exc.one_line()
    return str(getattr(exc, "message", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__


def _as_source_error(exc: Exception) -> PodmortemError:
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, BadRequest):  # the query itself: a label selector the API server cannot parse
        return InputError(f"the Kubernetes API rejected the query: {_one_line(exc)}")
    return SourceError(f"cannot read the cluster: {_one_line(exc)}")
