"""kubectl's STATUS / READY / RESTARTS columns (kubernetes-facts.md 4.2-4.4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from podmortem.podstatus import human_duration, pod_status, ready_column, restarts_column
from podmortem.sources.objects import pod_evidence

NOW = datetime(2026, 1, 1, 12, 10, tzinfo=UTC)


def _pod(init: list[dict] | None = None, app: list[dict] | None = None, **status: object) -> dict:
    spec = {"containers": [{"name": s["name"]} for s in app or []]}
    if init:
        spec["initContainers"] = [{"name": s["name"], **({"restartPolicy": "Always"} if s.get("sidecar") else {})}
                                  for s in init]
    st = {"phase": "Running", "containerStatuses": app or [], **status}
    if init:
        st["initContainerStatuses"] = [{k: v for k, v in s.items() if k != "sidecar"} for s in init]
    return {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec, "status": st}


def test_crash_loop_status_and_restarts_with_age() -> None:
    pod = pod_evidence(_pod(app=[{
        "name": "app", "restartCount": 7, "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-01-01T12:08:00Z"}},
    }]))
    assert pod_status(pod) == "CrashLoopBackOff"
    assert ready_column(pod) == "0/1"
    assert restarts_column(pod, NOW) == "7 (2m ago)"


def test_init_container_crash_loop() -> None:
    pod = pod_evidence(_pod(
        init=[{"name": "migrate", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
        app=[{"name": "app", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
        phase="Pending",
    ))
    assert pod_status(pod) == "Init:CrashLoopBackOff"


def test_init_waiting_to_start_shows_index() -> None:
    pod = pod_evidence(_pod(
        init=[{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
              {"name": "b", "state": {"running": {}}}],
        app=[{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}], phase="Pending",
    ))
    assert pod_status(pod) == "Init:1/2"


def test_first_container_with_a_reason_wins() -> None:
    pod = pod_evidence(_pod(app=[
        {"name": "a", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}},
        {"name": "b", "state": {"waiting": {"reason": "CreateContainerConfigError"}}},
    ]))
    assert pod_status(pod) == "OOMKilled"


def test_evicted_pod_reason_wins_over_phase() -> None:
    assert pod_status(pod_evidence(_pod(app=[], phase="Failed", reason="Evicted"))) == "Evicted"
    # a container's own terminated state is printed over the pod reason, as printPod does
    pod = pod_evidence(_pod(app=[{"name": "a", "state": {"terminated": {"exitCode": 137}}}],
                            phase="Failed", reason="Evicted"))
    assert pod_status(pod) == "ExitCode:137"


def test_running_sidecar_counts_toward_ready() -> None:
    pod = pod_evidence(_pod(
        init=[{"name": "proxy", "sidecar": True, "started": True, "ready": True, "state": {"running": {}}}],
        app=[{"name": "app", "ready": True, "state": {"running": {}}}],
    ))
    assert ready_column(pod) == "2/2"
    assert pod_status(pod) == "Running"


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (-0.5, "0s"), (90, "90s"), (300, "5m"), (200, "3m20s"), (179 * 60, "179m"),
    (3 * 3600 + 120, "3h2m"), (20 * 3600, "20h"), (3 * 86400 + 3600, "3d1h"), (400 * 86400, "400d"),
    (3 * 365 * 86400 + 86400 * 10, "3y10d"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text
