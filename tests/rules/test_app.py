"""Rule-level checks of rules/app.py that case files cannot state (a healthy pod yields no finding at all).

Case files under tests/rules/cases/app.*/ pin the diagnoses; these tests pin the Kubernetes
semantics the app rules rely on directly: which terminations count as a restart-policy problem,
which exit codes are signals, and how the per-container analysis is shared between rules.
"""

from __future__ import annotations

from typing import Any

from podmortem.model import PodEvidence
from podmortem.rules import app, app_analysis
from podmortem.sources.logs import attach_logs, log_text, logs_only_pod
from podmortem.sources.objects import pods_from_objects


def _pod(spec: dict[str, Any], status: dict[str, Any], owner: str | None = None) -> PodEvidence:
    meta: dict[str, Any] = {"name": "p", "namespace": "ns"}
    if owner:
        kind, name = owner.split("/")
        meta["ownerReferences"] = [{"kind": kind, "name": name, "controller": True}]
    return pods_from_objects([{"kind": "Pod", "metadata": meta, "spec": spec, "status": status}])[0]


def _completed(restarts: int, waiting: str | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"name": "c", "restartCount": restarts,
                          "lastState": {"terminated": {"reason": "Completed", "exitCode": 0}}}
    if waiting:
        st["state"] = {"waiting": {"reason": waiting}}
    else:
        st["state"] = {"terminated": {"reason": "Completed", "exitCode": 0}}
    return st


def test_exit_zero_needs_restart_policy_always() -> None:
    spec = {"containers": [{"name": "c", "image": "busybox"}]}
    for policy in ("OnFailure", "Never"):
        pod = _pod({**spec, "restartPolicy": policy}, {"containerStatuses": [_completed(0)]})
        assert list(app.main_process_exited_zero(pod)) == []
    pod = _pod({**spec, "restartPolicy": "Always"}, {"containerStatuses": [_completed(2, "CrashLoopBackOff")]})
    assert [h.container for h in app.main_process_exited_zero(pod)] == ["c"]


def test_exit_zero_of_a_job_pod_is_success() -> None:
    pod = _pod({"containers": [{"name": "c"}]}, {"containerStatuses": [_completed(1)]}, owner="Job/report")
    assert list(app.main_process_exited_zero(pod)) == []


def test_exit_zero_with_unknown_policy_needs_restarts() -> None:
    spec = {"containers": [{"name": "c"}]}
    assert list(app.main_process_exited_zero(_pod(spec, {"containerStatuses": [_completed(0)]}))) == []
    assert list(app.main_process_exited_zero(_pod(spec, {"containerStatuses": [_completed(3)]})))


def test_completed_init_container_is_not_exit_zero() -> None:
    pod = _pod(
        {"restartPolicy": "Always", "initContainers": [{"name": "c"}], "containers": [{"name": "app"}]},
        {"initContainerStatuses": [_completed(0)], "containerStatuses": [{"name": "app", "restartCount": 0}]},
    )
    assert list(app.main_process_exited_zero(pod)) == []


def test_signal_exits_are_crashes_but_kills_and_plain_errors_are_not() -> None:
    def last(code: int, reason: str = "Error") -> PodEvidence:
        return _pod({"containers": [{"name": "c"}]}, {"containerStatuses": [
            {"name": "c", "restartCount": 2, "lastState": {"terminated": {"reason": reason, "exitCode": code}}}]})

    assert [h.detail for h in app.crash_signal_exit(last(139))] == ["sigsegv"]
    assert [h.detail for h in app.crash_signal_exit(last(134))] == ["sigabrt"]
    assert [h.detail for h in app.crash_signal_exit(last(132))] == ["sigill"]
    for code, reason in ((1, "Error"), (2, "Error"), (137, "Error"), (143, "Error"), (137, "OOMKilled")):
        assert list(app.crash_signal_exit(last(code, reason))) == [], code


def test_termination_message_is_read_when_no_log_was_captured() -> None:
    pod = _pod({"containers": [{"name": "c"}]}, {"containerStatuses": [{
        "name": "c", "restartCount": 1,
        "lastState": {"terminated": {"reason": "Error", "exitCode": 1,
                                     "message": "panic: required key QUEUE_URL missing value\n"}}}]})
    hits = list(app.env_var_missing(pod))
    assert [(h.container, h.detail) for h in hits] == [("c", "envconfig-required-key")]
    assert hits[0].evidence[0].source == "status"


def test_log_only_container_has_no_name() -> None:
    pod = logs_only_pod([log_text("ModuleNotFoundError: No module named 'httpx'")])
    (hit,) = app.module_not_found(pod)
    assert hit.container is None
    assert "httpx" in hit.summary


def test_analysis_is_shared_between_rules_and_not_between_containers() -> None:
    base = _pod({"containers": [{"name": "a"}, {"name": "b"}]},
                {"containerStatuses": [{"name": "a", "restartCount": 1}, {"name": "b", "restartCount": 1}]})
    pod = attach_logs(base, [log_text("listen tcp :8080: bind: address already in use")], "a")
    pod = attach_logs(pod, [log_text("Error: unknown flag: --verbose")], "b")
    a, b = pod.containers
    assert app_analysis.analyse(a) is app_analysis.analyse(a)
    assert [c.cause for c in app_analysis.analyse(a).candidates] == ["app.port-in-use"]
    assert [c.cause for c in app_analysis.analyse(b).candidates] == ["app.config-invalid"]
    assert [h.container for h in app.listen_port_in_use(pod)] == ["a"]
    assert [h.container for h in app.config_rejected(pod)] == ["b"]


def test_retry_warnings_then_a_different_crash_do_not_win() -> None:
    lines = ["level=warning msg=\"db not ready, retrying\" "
             "error=\"dial tcp 10.0.0.4:5432: connect: connection refused\""]
    lines += [f"level=info msg=\"served\" n={i}" for i in range(20)]
    lines += ["panic: assignment to entry in nil map", "", "goroutine 1 [running]:", "main.main()", "\t/src/main.go:9"]
    pod = logs_only_pod([log_text("\n".join(lines))], "svc")
    (dep,) = app.dependency_unreachable(pod)
    (crash,) = app.unhandled_crash(pod)
    assert dep.strength < crash.strength and dep.confidence < 0.6 <= crash.confidence
