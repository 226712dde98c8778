"""The simulator's READY/STATUS/RESTARTS/AGE cells: against kubectl's recorded rows, then against podmortem's.

The recorded rows are the expectations the Kubernetes project keeps for its own pod printer
(kubernetes/kubernetes, pkg/printers/internalversion/printers_test.go, TestPrintPod, v1.33): each
is a pod status and the row `kubectl get pods` shows for it. The statuses are restated here as
JSON objects (the printer test builds Go structs); the cells are the recorded ones.

The second half is why the simulator keeps its own implementation: on generated pods, the
simulator's cells and podmortem.podstatus (what the diagnosis prints) must agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.podstatus import human_duration as podmortem_human_duration
from podmortem.podstatus import pod_status, ready_column, restarts_column
from podmortem.sim.podcolumns import human_duration, pod_columns
from podmortem.sim.timefmt import rfc3339
from podmortem.sources.objects import pod_evidence

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def _ago(seconds: float) -> dict[str, Any]:
    return {"terminated": {"exitCode": 1, "finishedAt": rfc3339(NOW - seconds)}}


def _pod(containers: int, statuses: list[dict[str, Any]], init: int = 0,
         init_statuses: list[dict[str, Any]] | None = None, **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}"} for i in range(containers)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}"} for i in range(init)]
    st_: dict[str, Any] = {"phase": "podPhase", **status, "containerStatuses": [
        {"name": f"c{i}", **s} for i, s in enumerate(statuses)]}
    if init_statuses is not None:
        st_["initContainerStatuses"] = [{"name": f"i{i}", **s} for i, s in enumerate(init_statuses)]
    return {"metadata": {"name": "p"}, "spec": spec, "status": st_}


RUNNING = {"running": {}}

# (printers_test.go case, pod, (READY, STATUS, RESTARTS)); AGE is "<unknown>" in all of them.
RECORDED = [
    ("test1", _pod(2, [{"ready": True, "restartCount": 3, "state": RUNNING}, {"restartCount": 3}]),
     ("1/2", "podPhase", "6")),
    ("test2", _pod(2, [{"ready": True, "restartCount": 3, "state": RUNNING},
                       {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3}]),
     ("1/2", "ContainerWaitingReason", "6")),
    ("test3", _pod(2, [{"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                       {"state": {"terminated": {"reason": "ContainerTerminatedReason"}}, "restartCount": 3}]),
     ("0/2", "ContainerWaitingReason", "6")),
    ("test4", _pod(2, [{"ready": True, "restartCount": 3, "state": RUNNING}, {"ready": True, "restartCount": 3}]),
     ("1/2", "podPhase", "6")),
    ("test5", _pod(2, [{"ready": True, "restartCount": 3, "state": RUNNING}, {"ready": True, "restartCount": 3}],
                   reason="podReason"),
     ("1/2", "podReason", "6")),
    ("test6", _pod(2, [{"ready": True, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                       {"ready": True, "restartCount": 3, "state": RUNNING}], phase="Running"),
     ("1/2", "NotReady", "6")),
    ("test6-ready", _pod(2, [{"ready": True, "restartCount": 3,
                              "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                             {"ready": True, "restartCount": 3, "state": RUNNING}],
                         phase="Running", conditions=[{"type": "Ready", "status": "True"}]),
     ("1/2", "Running", "6")),
    ("test7", _pod(1, [{"state": {"waiting": {}}}], init=1,
                   init_statuses=[{"restartCount": 3, "state": RUNNING, "lastState": _ago(10)}]),
     ("0/1", "Init:0/1", "3 (10s ago)")),
    ("test8", _pod(1, [{"state": {"waiting": {}}}], init=2,
                   init_statuses=[{"restartCount": 3, "state": RUNNING, "lastState": _ago(10)},
                                  {"state": {"waiting": {}}}]),
     ("0/1", "Init:0/2", "3 (10s ago)")),
    ("test9", _pod(1, [{"state": {"waiting": {}}}], init=2,
                   init_statuses=[{"state": {"terminated": {}}},
                                  {"restartCount": 3, "state": RUNNING, "lastState": _ago(10)}]),
     ("0/1", "Init:1/2", "3 (10s ago)")),
    ("test10", _pod(1, [{"state": {"waiting": {}}}], init=2,
                    init_statuses=[{"restartCount": 2, "state": {"terminated": {}}, "lastState": _ago(120)},
                                   {"restartCount": 3, "state": RUNNING, "lastState": _ago(10)}]),
     ("0/1", "Init:1/2", "5 (10s ago)")),
    ("test11", _pod(1, [{"restartCount": 4, "state": RUNNING, "lastState": _ago(20)}], init=1, phase="Running",
                    init_statuses=[{"restartCount": 2, "state": {"terminated": {}}, "lastState": _ago(120)}]),
     ("0/1", "Running", "4 (20s ago)")),
    ("test12", _pod(1, [{"ready": True, "restartCount": 3, "state": RUNNING, "lastState": _ago(5 * 86400)}],
                    phase="Running"),
     ("1/1", "Running", "3 (5d ago)")),
]


@pytest.mark.parametrize(("case", "pod", "cells"), RECORDED, ids=[c[0] for c in RECORDED])
def test_the_simulator_prints_kubectls_recorded_rows(case: str, pod: dict[str, Any], cells: tuple[str, ...]) -> None:
    assert pod_columns(pod, NOW) == (*cells, "<unknown>")


@pytest.mark.parametrize(("seconds", "text"), [
    # apimachinery duration_test.go TestHumanDuration's recorded outputs.
    (1, "1s"), (70, "70s"), (190, "3m10s"), (70 * 60, "70m"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
    (8 * 86400 + 3600, "8d"), (367 * 86400, "367d"), (365 * 2 * 86400 + 86400, "2y1d"), (365 * 8 * 86400, "8y"),
])
def test_age_is_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text
    assert podmortem_human_duration(seconds) == text


def test_deletion_and_gates_override_the_status() -> None:
    running = _pod(1, [{"ready": True, "state": RUNNING}], phase="Running")
    deleting = {**running, "metadata": {"name": "p", "deletionTimestamp": rfc3339(NOW)}}
    assert pod_columns(deleting, NOW)[1] == "Terminating"
    lost = {**deleting, "status": {**running["status"], "reason": "NodeLost"}}
    assert pod_columns(lost, NOW)[1] == "Unknown"
    done = {**deleting, "status": {**running["status"], "phase": "Succeeded", "containerStatuses": []}}
    assert pod_columns(done, NOW)[1] == "Succeeded"
    gated = _pod(1, [], phase="Pending", conditions=[{"type": "PodScheduled", "reason": "SchedulingGated"}])
    assert pod_columns(gated, NOW)[1] == "SchedulingGated"


# --- podmortem's STATUS against the simulator's, on generated pods ----------------------------------

_REASONS = st.sampled_from(["CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError", "Error",
                            "OOMKilled", "Completed", "ContainerCreating", "PodInitializing", ""])


@st.composite
def _state(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["waiting", "running", "terminated", "none"]))
    if kind == "waiting":
        return {"waiting": {"reason": draw(_REASONS)}}
    if kind == "running":
        return {"running": {"startedAt": rfc3339(NOW - 30)}}
    if kind == "terminated":
        return {"terminated": {"exitCode": draw(st.sampled_from([0, 1, 137])), "reason": draw(_REASONS),
                               "signal": draw(st.sampled_from([0, 0, 9]))}}
    return {}


@st.composite
def _status(draw: st.DrawFn, name: str, sidecar: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "ready": draw(st.booleans()), "restartCount": draw(st.integers(0, 5)),
                           "state": draw(_state())}
    if sidecar:
        out["started"] = draw(st.booleans())
    if draw(st.booleans()):
        out["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                           "finishedAt": rfc3339(NOW - draw(st.integers(1, 10 ** 6)))}}
    return out


@st.composite
def _pods(draw: st.DrawFn) -> dict[str, Any]:
    n_app = draw(st.integers(1, 3))
    init_kinds = draw(st.lists(st.booleans(), max_size=3))  # True: a sidecar (restartPolicy Always)
    spec = {"containers": [{"name": f"app{i}"} for i in range(n_app)],
            "initContainers": [{"name": f"init{i}", **({"restartPolicy": "Always"} if s else {})}
                               for i, s in enumerate(init_kinds)]}
    # The kubelet reports the init containers it has reached, in order; apps all at once or not yet.
    reached = draw(st.integers(0, len(init_kinds)))
    init_statuses = [draw(_status(f"init{i}", init_kinds[i])) for i in range(reached)]
    app_statuses = [draw(_status(f"app{i}", False)) for i in range(n_app)] if draw(st.booleans()) else []
    conditions = [{"type": t, "status": draw(st.sampled_from(["True", "False"]))} for t in ("Initialized", "Ready")]
    status = {"phase": draw(st.sampled_from(["Pending", "Running", "Failed"])), "conditions": conditions,
              "initContainerStatuses": init_statuses, "containerStatuses": app_statuses}
    return {"metadata": {"name": "p", "creationTimestamp": rfc3339(NOW - 3600)}, "spec": spec, "status": status}


@settings(max_examples=300, deadline=None)
@given(_pods())
def test_podmortems_status_columns_agree_with_the_simulators(pod: dict[str, Any]) -> None:
    ready, status, restarts, _age = pod_columns(pod, NOW)
    ev = pod_evidence(pod)
    assert pod_status(ev) == status
    assert ready_column(ev) == ready
    assert restarts_column(ev, datetime.fromtimestamp(NOW, UTC)) == restarts
