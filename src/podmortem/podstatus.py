"""The STATUS, READY and RESTARTS columns of `kubectl get pods`, computed as the API server's printer does.

Follows printPod in kubernetes/kubernetes:pkg/printers/internalversion/printers.go (see
shared/kubernetes-facts.md section 4.2/4.3). Pure functions over the evidence model, used by the
engine (the `status` of each diagnosed pod) and by the simulated API server's Table output.
"""

from __future__ import annotations

from datetime import datetime

from podmortem.model import ContainerEvidence, PodEvidence


def _terminated_reason(code: int | None, signal: int | None, reason: str | None) -> str:
    if reason:
        return reason
    if signal:
        return f"Signal:{signal}"
    return f"ExitCode:{code if code is not None else 0}"


def pod_status(pod: PodEvidence) -> str:
    """The STATUS column for a pod."""
    reason = pod.reason or pod.phase or "Unknown"
    inits = pod.init_containers
    initializing = False
    for i, c in enumerate(inits):
        st = c.status
        if st is None:
            continue
        t = st.state.terminated
        if t is not None and t.exit_code == 0:
            continue
        if c.is_sidecar and st.started:
            continue
        if t is not None:
            reason = "Init:" + _terminated_reason(t.exit_code, t.signal, t.reason)
            initializing = True
        elif st.state.waiting and st.state.waiting.reason and st.state.waiting.reason != "PodInitializing":
            reason = "Init:" + st.state.waiting.reason
            initializing = True
        else:
            reason = f"Init:{i}/{len(inits)}"
            initializing = True
        break
    if not initializing or pod.conditions.get("Initialized") == "True":
        has_running = False
        for c in reversed(pod.app_containers):
            st = c.status
            if st is None:
                continue
            if st.state.waiting and st.state.waiting.reason:
                reason = st.state.waiting.reason
            elif st.state.terminated:
                t = st.state.terminated
                reason = _terminated_reason(t.exit_code, t.signal, t.reason)
            elif st.state.kind == "running" and st.ready:
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if pod.conditions.get("Ready") == "True" else "NotReady"
    return reason


def ready_column(pod: PodEvidence) -> str:
    total = ready = 0
    for c in pod.containers:
        if c.init and not c.is_sidecar:
            continue
        total += 1
        st = c.status
        if st is not None and st.ready and (st.state.kind == "running" or (c.is_sidecar and st.started)):
            ready += 1
    return f"{ready}/{total}"


def restarts(pod: PodEvidence) -> tuple[int, datetime | None]:
    """Restart count and the time of the newest restart, as the RESTARTS column counts them."""
    initializing = pod_status(pod).startswith("Init:")
    counted: list[ContainerEvidence] = []
    for c in pod.containers:
        if c.init and not c.is_sidecar:
            if initializing:
                counted.append(c)
        elif not initializing or c.is_sidecar:
            counted.append(c)
    total = 0
    last: datetime | None = None
    for c in counted:
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
