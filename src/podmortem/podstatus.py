"""The STATUS, READY and RESTARTS columns of `kubectl get pods`, computed as the API server's printer does.

Follows printPod in kubernetes/kubernetes:pkg/printers/internalversion/printers.go (see
shared/kubernetes-facts.md section 4.2/4.3). Pure functions over the evidence model, used by the
engine (the `status` of each diagnosed pod) and gate. The simulated API server computes its Table
cells with its own code (sim.podcolumns) from the raw Pod, and tests/sim/test_pod_columns.py holds
the two to the same answers on generated pods.
"""

from __future__ import annotations

from datetime import datetime

from podmortem.kube.typedjson import msgspec
from podmortem.model import ContainerEvidence, PodEvidence


def _terminated_reason(code: int | None, signal: int | None, reason: str | None) -> str:
    if reason:
        return reason
    if signal:
        return f"Signal:{signal}"
    return f"ExitCode:{code if code is not None else 0}"


class _Walk(msgspec.Struct, frozen=True):
    reason: str
    ready: int
    counted: tuple[ContainerEvidence, ...]  # whose restarts the RESTARTS column adds up


def _walk(pod: PodEvidence) -> _Walk:
    """printPod's one pass: init containers in order until the first unfinished one, then the apps
    last to first unless the pod is still initialising. READY and RESTARTS count what this pass
    visits, so they depend on where it stopped."""
    reason = pod.reason or pod.phase or "Unknown"
    inits = pod.init_containers
    ready = 0
    walked: list[ContainerEvidence] = []
    initializing = False
    for i, c in enumerate(inits):
        st = c.status
        if st is None:
            continue
        walked.append(c)
        t = st.state.terminated
        if t is not None and t.exit_code in (0, None):
            continue
        if c.is_sidecar and st.started:
            ready += 1 if st.ready else 0
            continue
        if t is not None:
            reason = "Init:" + _terminated_reason(t.exit_code, t.signal, t.reason)
        elif st.state.waiting and st.state.waiting.reason and st.state.waiting.reason != "PodInitializing":
            reason = "Init:" + st.state.waiting.reason
        else:
            reason = f"Init:{i}/{len(inits)}"
        initializing = True
        break
    counted: list[ContainerEvidence] = walked
    if not initializing or pod.conditions.get("Initialized") == "True":
        counted = [c for c in walked if c.is_sidecar]
        has_running = False
        for c in reversed(pod.app_containers):
            st = c.status
            if st is None:
                continue
            counted.append(c)
            if st.state.waiting and st.state.waiting.reason:
                reason = st.state.waiting.reason
            elif st.state.terminated:
                t = st.state.terminated
                reason = _terminated_reason(t.exit_code, t.signal, t.reason)
            elif st.state.kind == "running" and st.ready:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if pod.conditions.get("Ready") == "True" else "NotReady"
    return _Walk(reason, ready, tuple(counted))


def pod_status(pod: PodEvidence) -> str:
    """The STATUS column for a pod."""
    return _walk(pod).reason


def ready_column(pod: PodEvidence) -> str:
    total = sum(1 for c in pod.containers if not c.init or c.is_sidecar)
    return f"{_walk(pod).ready}/{total}"


def restarts(pod: PodEvidence) -> tuple[int, datetime | None]:
    """Restart count and the time of the newest restart, as the RESTARTS column counts them."""
    total = 0
    last: datetime | None = None
    for c in _walk(pod).counted:
        total += c.restart_count
        t = c.status.last_state.terminated if c.status else None
        if t and t.finished_at and (last is None or t.finished_at > last):
            last = t.finished_at
    return total, last


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration (kubernetes-facts.md 4.4)."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        rest = s % 60
        return f"{m}m{rest}s" if rest else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        rm = (s % 3600) // 60
        return f"{h}h{rm}m" if rm else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 192:
        rh = h % 24
        return f"{d}d{rh}h" if rh else f"{d}d"
    if d < 730:
        return f"{d}d"
    y = d // 365
    if y < 8:
        rd = d % 365
        return f"{y}y{rd}d" if rd else f"{y}y"
    return f"{y}y"


def restarts_column(pod: PodEvidence, now: datetime) -> str:
    n, last = restarts(pod)
    if n == 0 or last is None:
        return str(n)
    return f"{n} ({human_duration((now - last).total_seconds())} ago)"
