"""The per-pod verdict: what fails the gate at once, what after a grace period, what is merely not Ready yet."""

from __future__ import annotations

from typing import Any

import pytest

from podmortem.gate.verdict import Memory, Policy, judge

POLICY = Policy(restart_budget=2, start_grace=30.0)


def waiting(reason: str, message: str = "", restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": "app", "ready": False, "restartCount": restarts, "started": False,
            "state": {"waiting": {"reason": reason, "message": message}}, **extra}


def running(ready: bool, restarts: int = 0, last_exit: int | None = None, name: str = "app") -> dict[str, Any]:
    st: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts, "started": True,
                          "state": {"running": {"startedAt": "2026-01-01T00:00:05Z"}}}
    if last_exit is not None:
        st["lastState"] = {"terminated": {"exitCode": last_exit, "reason": "Error",
                                          "startedAt": "2026-01-01T00:00:01Z", "finishedAt": "2026-01-01T00:00:04Z"}}
    return st


def pod(statuses: list[dict[str, Any]], *, ready: bool = False, phase: str = "Running",
        inits: list[dict[str, Any]] | None = None, owned: bool = True, uid: str = "u1",
        conditions: list[dict[str, Any]] | None = None, readiness: bool = True, **status: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.example.com/web:1"}
    if readiness:
        container["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    spec: dict[str, Any] = {"containers": [container]}
    if inits is not None:
        spec["initContainers"] = [{"name": s["name"], "image": "registry.example.com/migrate:1"} for s in inits]
    meta: dict[str, Any] = {"name": "web-abc", "namespace": "shop", "uid": uid}
    if owned:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-5d9f", "uid": "rs1", "controller": True}]
    conds = conditions if conditions is not None else [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": meta, "spec": spec,
            "status": {"phase": phase, "conditions": conds, "containerStatuses": statuses,
                       **({"initContainerStatuses": inits} if inits is not None else {}), **status}}


def test_ready_pod() -> None:
    v = judge(pod([running(True)], ready=True), Memory(), POLICY, 0.0)
    assert (v.state, v.status, v.ready, v.why) == ("ready", "Running", "1/1", "Ready")


def test_crash_loop_fails_at_once() -> None:
    p = pod([waiting("CrashLoopBackOff", "back-off 10s restarting failed container=app", restarts=1,
                     lastState={"terminated": {"exitCode": 1, "reason": "Error"}})])
    v = judge(p, Memory(), POLICY, 0.0)
    assert (v.state, v.failure, v.container, v.status) == ("failed", "crash-loop", "app", "CrashLoopBackOff")
    assert v.why == "container app is crash-looping (CrashLoopBackOff, restarted once): last exit: Error, exit code 1"


def test_restarts_above_the_budget_fail_even_while_running() -> None:
    """A container that restarts fast enough never shows CrashLoopBackOff between two looks: the budget catches it."""
    memory = Memory()
    assert judge(pod([waiting("ContainerCreating")], phase="Pending"), memory, POLICY, 0).state == "waiting"
    assert judge(pod([running(True, restarts=2, last_exit=137)], ready=True), memory, POLICY, 1).state == "ready"
    v = judge(pod([running(True, restarts=3, last_exit=137)], ready=True), memory, POLICY, 2.0)
    assert (v.state, v.failure) == ("failed", "restart-budget")
    assert "restarted 3 times, above the restart budget of 2" in v.why


def test_restarts_from_before_the_gate_do_not_count() -> None:
    """A pod Ready at first sight brought its restarts from an earlier rollout; new ones count from there."""
    memory = Memory()
    assert judge(pod([running(True, restarts=7)], ready=True), memory, POLICY, 0.0).state == "ready"
    assert judge(pod([running(True, restarts=9)], ready=True), memory, POLICY, 5.0).state == "ready"
    v = judge(pod([running(True, restarts=10)], ready=True), memory, POLICY, 9.0)
    assert v.failure == "restart-budget" and "restarted 3 times" in v.why


def test_restarts_of_a_pod_first_seen_not_ready_count_in_full() -> None:
    v = judge(pod([running(False, restarts=3, last_exit=1)]), Memory(), POLICY, 0.0)
    assert v.failure == "restart-budget"


def test_restarts_of_a_pod_that_appears_later_count_in_full() -> None:
    """A pod first seen after the gate started is part of this rollout, Ready or not by then."""
    memory = Memory()
    judge(pod([running(True)], ready=True, uid="old"), memory, POLICY, 0.0)
    memory.first_look = False
    v = judge(pod([running(True, restarts=3, last_exit=1)], ready=True, uid="new"), memory, POLICY, 5.0)
    assert v.failure == "restart-budget"


@pytest.mark.parametrize("reason", ["CreateContainerConfigError", "CreateContainerError", "RunContainerError"])
def test_start_errors_fail_after_the_grace_period(reason: str) -> None:
    memory = Memory()
    p = pod([waiting(reason, 'configmap "web-settings" not found')], phase="Pending")
    first = judge(p, memory, POLICY, 100.0)
    assert (first.state, first.decide_at) == ("waiting", 130.0)
    assert f"container app cannot start: {reason}" in first.why
    assert judge(p, memory, POLICY, 129.0).state == "waiting"
    last = judge(p, memory, POLICY, 130.0)
    assert (last.state, last.failure) == ("failed", "cannot-start")
    assert last.why == f'container app cannot start: {reason}: configmap "web-settings" not found'


def test_pull_errors_keep_one_timer_across_errimagepull_and_backoff() -> None:
    memory = Memory()
    assert judge(pod([waiting("ErrImagePull", "not found")], phase="Pending"), memory, POLICY, 0.0).state == "waiting"
    assert judge(pod([waiting("ImagePullBackOff")], phase="Pending"), memory, POLICY, 20.0).state == "waiting"
    v = judge(pod([waiting("ErrImagePull", "not found")], phase="Pending"), memory, POLICY, 31.0)
    assert (v.state, v.failure) == ("failed", "image-pull")


def test_a_start_error_that_clears_starts_a_new_spell() -> None:
    memory = Memory()
    judge(pod([waiting("CreateContainerConfigError")], phase="Pending"), memory, POLICY, 0.0)
    assert judge(pod([running(False)]), memory, POLICY, 20.0).state == "waiting"
    again = judge(pod([waiting("CreateContainerConfigError")], phase="Pending"), memory, POLICY, 40.0)
    assert again.state == "waiting" and again.decide_at == 70.0


@pytest.mark.parametrize("reason", ["InvalidImageName", "ErrImageNeverPull"])
def test_what_no_retry_can_fix_fails_at_once(reason: str) -> None:
    v = judge(pod([waiting(reason, "couldn't parse image name")], phase="Pending"), Memory(), POLICY, 0.0)
    assert (v.state, v.failure) == ("failed", "image-pull")


def test_init_container_crash_loop() -> None:
    init = waiting("CrashLoopBackOff", "back-off 20s", restarts=2)
    init["name"] = "migrate"
    p = pod([waiting("PodInitializing")], phase="Pending", inits=[init])
    v = judge(p, Memory(), POLICY, 0.0)
    assert (v.state, v.container, v.init, v.status) == ("failed", "migrate", True, "Init:CrashLoopBackOff")
    assert v.why.startswith("init container migrate is crash-looping")


def test_not_ready_reasons() -> None:
    assert judge(pod([running(False)]), Memory(), POLICY, 0).why == \
        "container app is running but not Ready: its readiness probe has not succeeded yet"
    assert judge(pod([running(False)], readiness=False), Memory(), POLICY, 0).why == \
        "container app is running but not Ready"
    assert judge(pod([waiting("ContainerCreating")], phase="Pending"), Memory(), POLICY, 0).why == \
        "container app is waiting: ContainerCreating"
    unscheduled = pod([], phase="Pending", conditions=[{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable",
                                                       "message": "0/3 nodes are available: 3 Insufficient memory."}])
    v = judge(unscheduled, Memory(), POLICY, 0)
    assert (v.state, v.why) == ("waiting", "not scheduled: 0/3 nodes are available: 3 Insufficient memory.")


def test_failed_pods() -> None:
    evicted = pod([], phase="Failed", reason="Evicted", message="The node was low on resource: memory.")
    v = judge(evicted, Memory(), POLICY, 0)
    assert v.state == "waiting" and v.why.startswith("the pod failed (Evicted)")  # its ReplicaSet replaces it
    bare = judge(pod([], phase="Failed", owned=False, reason="Evicted"), Memory(), POLICY, 0)
    assert (bare.state, bare.failure) == ("failed", "pod-failed")
    done = judge(pod([], phase="Succeeded", owned=False), Memory(), POLICY, 0)
    assert done.state == "completed"


def test_forget_drops_timers_of_pods_gone() -> None:
    memory = Memory()
    judge(pod([waiting("ErrImagePull")], phase="Pending", uid="gone"), memory, POLICY, 0.0)
    memory.forget({"other"})
    assert memory.first_seen == {}
