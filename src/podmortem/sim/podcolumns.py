"""The simulator's own READY / STATUS / RESTARTS / AGE cells of `kubectl get pods`, from the raw Pod.

The API server computes these cells (the Table kubectl asks for), so the simulator must too. It
does so here, independently of podmortem.podstatus: podmortem diagnoses pods and prints their
STATUS with podstatus, and the simulator is what checks it (tests/sim/test_pod_columns.py compares
the two over generated pods, and both against rows recorded from real clusters). Sharing the
code would make a bug in it invisible to every test that compares them.

Behaviour followed (kubernetes/kubernetes, pkg/printers/internalversion/printers.go, printPod, as
of v1.33; apimachinery/pkg/util/duration/duration.go, HumanDuration):
- STATUS starts as status.reason, else status.phase; a PodScheduled condition with reason
  SchedulingGated makes it "SchedulingGated".
- Init container statuses are walked in order: one terminated with exit code 0 is passed; a
  restartable (sidecar: restartPolicy Always) one that has started is passed, and counted READY
  when ready; the first other one decides "Init:<terminated reason>" (or "Init:Signal:N" /
  "Init:ExitCode:N" without a reason), "Init:<waiting reason>" (unless PodInitializing), else
  "Init:<index>/<number of init containers in the spec>", and the walk stops there.
- Unless that made the pod initializing (or its Initialized condition is True), the app container
  statuses are walked last to first: a waiting reason, else a terminated reason (or Signal:N /
  ExitCode:N), becomes STATUS; a running ready one counts READY. "Completed" with one of them
  running reads "Running" when the Ready condition is True, else "NotReady".
- A pod being deleted reads "Unknown" when its status.reason is NodeLost, else "Terminating"
  unless its phase is Succeeded or Failed.
- READY's total is the spec's containers plus its restartable init containers.
- RESTARTS sums the restart counts of the init containers walked (including the one that stopped
  the walk); once past initialisation it is the sidecars' restarts plus the app containers'. The
  newest lastState.terminated.finishedAt among those counted adds "(<age> ago)".
- AGE is HumanDuration since creationTimestamp; "<unknown>" without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.kube.times import rfc3339_seconds

Obj = Mapping[str, Any]


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration: the precision drops as the duration grows."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    secs = int(seconds)
    minutes, hours = secs // 60, secs // 3600
    days, years = hours // 24, hours // 24 // 365
    if secs < 60 * 2:
        return f"{secs}s"
    if minutes < 10:
        return f"{minutes}m" + (f"{secs % 60}s" if secs % 60 else "")
    if minutes < 60 * 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" + (f"{minutes % 60}m" if minutes % 60 else "")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d" + (f"{hours % 24}h" if hours % 24 else "")
    if days < 365 * 2:
        return f"{days}d"
    if years < 8:
        return f"{years}y" + (f"{days % 365}d" if days % 365 else "")
    return f"{years}y"


def age(timestamp: Any, now: float) -> str:
    """translateTimestampSince: HumanDuration since the time, "<unknown>" for none."""
    t = rfc3339_seconds(str(timestamp)) if timestamp else None
    return "<unknown>" if t is None else human_duration(now - t)


def _terminated_word(t: Obj) -> str:
    if t.get("reason"):
        return str(t["reason"])
    if t.get("signal"):
        return f"Signal:{t['signal']}"
    return f"ExitCode:{t.get('exitCode') or 0}"


class _Restarts:
    """A restart count with the newest finish time of a previous run among the containers counted."""

    def __init__(self) -> None:
        self.count = 0
        self.last: float | None = None

    def add(self, status: Obj) -> None:
        self.count += int(status.get("restartCount") or 0)
        finished = ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        t = rfc3339_seconds(str(finished)) if finished else None
        if t is not None and (self.last is None or t > self.last):
            self.last = t


def pod_columns(pod: Obj, now: float) -> tuple[str, str, str, str]:
    """(READY, STATUS, RESTARTS, AGE) as the API server's pod printer fills them."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or "") or phase
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, Mapping)]
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"
    init_specs = [c for c in spec.get("initContainers") or [] if isinstance(c, Mapping)]
    sidecars = {str(c.get("name")) for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = 0
    walked, sidecar_restarts = _Restarts(), _Restarts()
    initializing = False
    for i, st in enumerate(status.get("initContainerStatuses") or []):
        walked.add(st)
        is_sidecar = str(st.get("name")) in sidecars
        if is_sidecar:
            sidecar_restarts.add(st)
        state = st.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and (terminated.get("exitCode") or 0) == 0:
            continue
        if is_sidecar and st.get("started"):
            ready += 1 if st.get("ready") else 0
            continue
        if terminated is not None:
            reason = "Init:" + _terminated_word(terminated)
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    counted = walked
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        counted = sidecar_restarts
        has_running = False
        for st in reversed(status.get("containerStatuses") or []):
            counted.add(st)
            state = st.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _terminated_word(terminated)
            elif st.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            reason = "Running" if pod_ready else "NotReady"
    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts = str(counted.count)
    if counted.count and counted.last is not None:
        restarts += f" ({human_duration(now - counted.last)} ago)"
    return f"{ready}/{total}", reason, restarts, age(meta.get("creationTimestamp"), now)
