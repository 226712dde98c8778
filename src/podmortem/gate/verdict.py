"""One pod's verdict while a rollout comes up: Ready, still coming up (and why), or failed.

A pod fails the gate the moment one of its containers (init containers and sidecars included)
is in CrashLoopBackOff or has restarted more often than the restart budget allows. A container
that cannot start (CreateContainerConfigError, CreateContainerError, RunContainerError, image
pull errors) fails it only after a grace period: the kubelet retries these, and a ConfigMap
applied in the same `kubectl apply` after the Deployment, or a registry hiccup, resolves itself
on the next try. InvalidImageName and ErrImageNeverPull never resolve without a new pod spec, so
they fail at once. Restarts of a pod that was already Ready when the gate started are not
counted: they belong to an earlier rollout.

Time here is the gate's own clock (seconds, monotonic): the cluster's timestamps may be skewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podmortem.model import ContainerEvidence, PodEvidence
from podmortem.podstatus import pod_status, ready_column, restarts

CRASH_LOOP = "CrashLoopBackOff"
# Waiting reasons the kubelet retries, grouped so that ErrImagePull <-> ImagePullBackOff is one spell.
RETRIED = {
    "CreateContainerConfigError": "start",
    "CreateContainerError": "start",
    "RunContainerError": "start",
    "StartError": "start",
    "ErrImagePull": "pull",
    "ImagePullBackOff": "pull",
    "RegistryUnavailable": "pull",
    "SignatureValidationFailed": "pull",
}
NEVER_RESOLVES = frozenset({"InvalidImageName", "ErrImageNeverPull"})


@dataclass(frozen=True, slots=True)
class PodState:
    """A pod as the gate sees it: the kubectl columns, its state and, when not Ready, why."""

    namespace: str
    name: str
    uid: str
    status: str  # kubectl's STATUS column
    ready: str  # kubectl's READY column
    restarts: int
    state: str  # ready | waiting | failed | completed
    why: str
    container: str | None = None  # the container the verdict is about
    init: bool = False
    failure: str | None = None  # crash-loop | restart-budget | cannot-start | image-pull | pod-failed
    decide_at: float | None = None  # when a waiting container's grace period ends

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class Policy:
    restart_budget: int = 2
    start_grace: float = 30.0


@dataclass
class Memory:
    """What the gate remembers between verdicts: when a start failure was first seen, and old restarts."""

    first_seen: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (pod uid, container, group)
    baseline: dict[tuple[str, str], int] = field(default_factory=dict)  # (pod uid, container) -> restarts
    known: set[str] = field(default_factory=set)  # pod uids seen before
    first_look: bool = True  # the gate's first look at the cluster: the pods it finds Ready predate it

    def first_sight(self, ev: PodEvidence, uid: str) -> None:
        """Restarts of a pod that was already Ready when the gate started happened before the gate."""
        if uid in self.known:
            return
        self.known.add(uid)
        if self.first_look and ev.conditions.get("Ready") == "True":
            for c in ev.containers:
                if c.restart_count:
                    self.baseline[(uid, c.name)] = c.restart_count

    def forget(self, live_uids: set[str]) -> None:
        self.first_seen = {k: v for k, v in self.first_seen.items() if k[0] in live_uids}


def _waiting_message(c: ContainerEvidence) -> str:
    st = c.status
    w = st.state.waiting if st is not None else None
    text = (w.message or "").strip() if w is not None else ""
    return text.splitlines()[0][:300] if text else ""


def _with_message(head: str, message: str) -> str:
    return f"{head}: {message}" if message else head


def judge(pod: Mapping[str, Any], memory: Memory, policy: Policy, now: float) -> PodState:
    """The verdict on one pod at time `now`."""
    from podmortem.sources.objects import pod_evidence

    ev = pod_evidence(dict(pod))
    uid = ev.uid or f"{ev.namespace}/{ev.name}"
    memory.first_sight(ev, uid)
    status = pod_status(ev)
    total_restarts, _ = restarts(ev)

    def state(kind: str, why: str, c: ContainerEvidence | None = None, failure: str | None = None,
              decide_at: float | None = None) -> PodState:
        return PodState(ev.namespace or "", ev.name or "", uid, status, ready_column(ev), total_restarts, kind, why,
                        c.name if c else None, bool(c and c.init), failure, decide_at)

    if ev.phase == "Succeeded":
        return state("completed", "all containers exited successfully")
    if ev.phase == "Failed":
        why = _with_message(f"the pod failed ({ev.reason or 'Failed'})", (ev.message or "").strip())
        # A controller replaces a failed pod; a bare pod stays failed.
        return state("waiting" if ev.owner else "failed", why, failure=None if ev.owner else "pod-failed")

    decide_at: float | None = None
    pending: list[tuple[str, ContainerEvidence]] = []
    seen_groups: set[tuple[str, str, str]] = set()
    for c in ev.containers:  # init containers first, in spec order
        st = c.status
        if st is None:
            continue
        who = f"{'init container' if c.init and not c.is_sidecar else 'container'} {c.name}"
        reason = c.waiting_reason
        counted = c.restart_count - memory.baseline.get((uid, c.name), 0)
        if reason == CRASH_LOOP:
            return state("failed", _with_message(f"{who} is crash-looping ({CRASH_LOOP}, restarted "
                                                 f"{_times(c.restart_count)})", _last_exit(c)), c, "crash-loop")
        if counted > policy.restart_budget:
            return state("failed", f"{who} restarted {_times(counted)}, above the restart budget of "
                                   f"{policy.restart_budget}" + (f" ({_last_exit(c)})" if _last_exit(c) else ""),
                         c, "restart-budget")
        if reason in NEVER_RESOLVES:
            return state("failed", _with_message(f"{who} cannot start: {reason}", _waiting_message(c)), c, "image-pull")
        group = RETRIED.get(reason or "")
        if group is not None:
            key = (uid, c.name, group)
            seen_groups.add(key)
            since = memory.first_seen.setdefault(key, now)
            what = "cannot pull its image" if group == "pull" else "cannot start"
            why = _with_message(f"{who} {what}: {reason}", _waiting_message(c))
            if now - since >= policy.start_grace:
                return state("failed", why, c, "image-pull" if group == "pull" else "cannot-start")
            end = since + policy.start_grace
            decide_at = end if decide_at is None else min(decide_at, end)
            pending.append((why + f" (failing the gate if it persists {policy.start_grace:g}s)", c))
    # A spell that ended (the container started after all) starts afresh if it comes back.
    for key in [k for k in memory.first_seen if k[0] == uid and k not in seen_groups]:
        del memory.first_seen[key]
    if pending:
        why, c = pending[0]
        return state("waiting", why, c, decide_at=decide_at)
    if ev.conditions.get("Ready") == "True":
        return state("ready", "Ready")
    return state("waiting", _not_ready_why(ev, pod))


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _last_exit(c: ContainerEvidence) -> str:
    t = c.last_termination
    if t is None:
        return ""
    parts = [f"last exit: {t.reason or 'Error'}"]
    if t.exit_code is not None:
        parts.append(f"exit code {t.exit_code}")
    return ", ".join(parts)


def _condition_message(pod: Mapping[str, Any], kind: str) -> str:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return str(c.get("message") or "").strip()
    return ""


def _not_ready_why(ev: PodEvidence, pod: Mapping[str, Any]) -> str:
    """Why a pod without a failure is not Ready yet, in the words `kubectl describe` would use."""
    if ev.conditions.get("PodScheduled") == "False":
        return _with_message("not scheduled", _condition_message(pod, "PodScheduled"))
    for c in ev.containers:  # init containers first, in spec order
        st = c.status
        who = f"{'init container' if c.init and not c.is_sidecar else 'container'} {c.name}"
        if st is None:
            continue
        if c.init and not c.is_sidecar:
            t = st.state.terminated
            if t is not None and t.exit_code == 0:
                continue
            if st.state.kind == "running":
                return f"{who} is running (app containers start after it completes)"
        reason = c.waiting_reason
        if reason:
            return _with_message(f"{who} is waiting: {reason}", _waiting_message(c))
        if st.state.kind == "terminated":
            return f"{who} exited ({_last_exit(c) or 'terminated'})"
        if st.state.kind == "running" and not st.ready:
            spec = c.spec
            if st.started is False and spec is not None and spec.startup is not None:
                return f"{who} is running; its startup probe has not succeeded yet"
            if spec is not None and spec.readiness is not None:
                return f"{who} is running but not Ready: its readiness probe has not succeeded yet"
            return f"{who} is running but not Ready"
    if not any(c.status for c in ev.containers):
        return f"{ev.phase or 'Pending'}: no container has been created yet"
    return _with_message("not Ready", _condition_message(pod, "Ready"))
