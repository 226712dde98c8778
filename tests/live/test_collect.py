"""The collector: which calls it makes (the fewest), and how it survives refusals and failures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakeapi import FakeCluster, FakeServer, Fault, crashlooping, event, pod, running

from podmortem.live import collect as collect_mod
from podmortem.live.client import connect
from podmortem.live.collect import Collector, Scope, is_failing, log_plan
from podmortem.sources.objects import pod_evidence

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def _collect(kubeconfig: Path, scope: Scope, **kw: object) -> collect_mod.Collection:
    client = connect(str(kubeconfig))
    client.sleep = lambda s: None
    return Collector(client, concurrency=4, now=lambda: NOW, **kw).collect(scope)  # type: ignore[arg-type]


def test_calls_only_for_failing_pods(kubeconfig: Path, cluster: FakeCluster) -> None:
    col = _collect(kubeconfig, Scope("shop"))
    assert len(col.pods) == 6
    assert col.failing == {("shop", "web-7c9b-bbbb0"), ("shop", "web-7c9b-bbbb1"), ("shop", "worker-0"),
                           ("shop", "api-0")}
    logs = {p for p in cluster.requests if p.endswith("/log")}
    # one log request per owner and way of failing, for a container that ran: the two web pods fail
    # alike (bbbb1 is given bbbb0's log); api-0 never started, so it has no log to ask for
    assert logs == {"/api/v1/namespaces/shop/pods/web-7c9b-bbbb0/log", "/api/v1/namespaces/shop/pods/worker-0/log"}
    assert col.log_samples == {("shop", "web-7c9b-bbbb1"): ("shop", "web-7c9b-bbbb0")}
    assert all(cluster.requests[p] == 1 for p in logs)
    # four failing pods in one namespace: one namespace-wide event list instead of four
    assert cluster.requests["/api/v1/namespaces/shop/events"] == 1
    # nothing about healthy pods, nothing cluster-wide
    assert not any("cache-0" in p or "web-6d8f-aaaaa" in p for p in cluster.requests)
    # pods, events, logs, ReplicaSet list; no Secret without --secret-keys
    assert sum(cluster.requests.values()) == 1 + 1 + 2 + 1


def test_log_requests_are_bounded_and_previous(kubeconfig: Path, cluster: FakeCluster) -> None:
    _collect(kubeconfig, Scope("shop"))
    q = next(q for q in cluster.queries if "worker-0/log" in q)
    assert "previous=true" in q and "tailLines=" in q and "limitBytes=" in q


def test_few_failing_pods_get_field_selected_events(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.pods = [p for p in cluster.pods if p["metadata"]["name"] in ("worker-0", "cache-0")]
    col = _collect(kubeconfig, Scope("shop"))
    q = [q for q in cluster.queries if "/events" in q]
    assert len(q) == 1 and "involvedObject.name%3Dworker-0" in q[0]
    assert ("shop", "worker-0") in col.events


def test_events_of_an_earlier_pod_with_the_same_name_are_dropped(kubeconfig: Path, cluster: FakeCluster) -> None:
    worker = next(p for p in cluster.pods if p["metadata"]["name"] == "worker-0")
    cluster.events.append(event(worker, "OOMKilling", "old instance", uid="uid-of-an-earlier-worker-0"))
    col = _collect(kubeconfig, Scope("shop"))
    assert all(e["message"] != "old instance" for e in col.events[("shop", "worker-0")])


def test_secret_keys_only_never_values(kubeconfig: Path, cluster: FakeCluster) -> None:
    col = _collect(kubeconfig, Scope("shop"), secret_keys=True)
    ref = col.config_refs[("secret", "shop", "db")]
    assert ref.exists is True and ref.keys == ("pass", "username")
    assert "aHVudGVyMg==" not in repr(col) and "hunter2" not in repr(col)


def test_missing_configmap_is_reported_as_absent(kubeconfig: Path, cluster: FakeCluster) -> None:
    stuck = next(p for p in cluster.pods if p["metadata"]["name"] == "api-0")
    stuck["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "api-config"}}]
    col = _collect(kubeconfig, Scope("shop"))
    assert col.config_refs[("configmap", "shop", "api-config")].exists is False


def test_expired_continue_relists_from_scratch(kubeconfig: Path, cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect_mod, "PAGE_SIZE", 2)
    cluster.faults.append(Fault(r"/namespaces/shop/pods$", code=410, times=1, query="continue="))
    col = _collect(kubeconfig, Scope("shop"))
    names = [p["metadata"]["name"] for p in col.pods]
    assert len(names) == 6 and len(set(names)) == 6  # nothing lost, nothing twice
    assert any("continue token expired" in w for w in col.warnings)


def test_forbidden_secrets_and_logs_are_recorded_and_run_goes_on(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/secrets/", code=403, times=100))
    cluster.faults.append(Fault(r"/log$", code=403, times=100))
    col = _collect(kubeconfig, Scope("shop"), secret_keys=True)
    missing = {(m.verb, m.resource) for m in col.missing_rbac}
    assert missing == {("get", "secrets"), ("get", "pods/log")}
    assert col.config_refs[("secret", "shop", "db")].exists is None
    assert not col.logs
    assert len(col.pods) == 6 and len(col.failing) == 4
    assert all(m.line().startswith("missing RBAC: ") for m in col.missing_rbac)


def test_forbidden_pod_list_is_fatal_and_says_so(kubeconfig: Path, cluster: FakeCluster) -> None:
    from podmortem.errors import ApiForbidden

    cluster.faults.append(Fault(r"^/api/v1/pods$", code=403, times=10))
    with pytest.raises(ApiForbidden, match=r"missing RBAC: list pods cluster-wide"):
        _collect(kubeconfig, Scope(None))


def test_failed_log_call_becomes_a_note_not_a_drop(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"worker-0/log$", code=500, times=100))
    col = _collect(kubeconfig, Scope("shop"))
    assert ("shop", "worker-0") in col.failing
    assert any("HTTP 500 after 5 tries" in n for n in col.pod_notes[("shop", "worker-0")])


def test_sampling_reads_logs_of_a_few_pods_of_a_big_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = FakeCluster()
    for i in range(40):
        p = pod(f"api-5f6d-{i:05d}", "prod", owner=("ReplicaSet", "api-5f6d"),
                statuses=[crashlooping("app", exit_code=1)], ready=False)
        cluster.pods.append(p)
        cluster.add_log("prod", f"api-5f6d-{i:05d}", "app", "Error: Cannot find module 'express'\n")
    other = pod("api-5f6d-oom", "prod", owner=("ReplicaSet", "api-5f6d"),
                statuses=[crashlooping("app", exit_code=137, reason="OOMKilled")], ready=False)
    cluster.pods.append(other)
    with FakeServer(cluster) as srv:
        kc = srv.kubeconfig(tmp_path / "kc", namespace="prod")
        monkeypatch.setenv("HOME", str(tmp_path))
        col = _collect(kc, Scope("prod"))
    logs = [p for p in cluster.requests if p.endswith("/log")]
    assert len(logs) == collect_mod.LOGS_PER_GROUP + 1  # a sample of the 40 alike, plus the one failing differently
    assert len(col.log_samples) == 40 - collect_mod.LOGS_PER_GROUP
    assert ("prod", "api-5f6d-oom") not in col.log_samples


def test_sampling_off_for_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = FakeCluster()
    for i in range(12):
        cluster.pods.append(pod(f"api-{i}", "prod", owner=("ReplicaSet", "api-1"),
                                statuses=[crashlooping("app")], ready=False))
        cluster.add_log("prod", f"api-{i}", "app", "boom\n")
    with FakeServer(cluster) as srv:
        monkeypatch.setenv("HOME", str(tmp_path))
        col = _collect(srv.kubeconfig(tmp_path / "kc", namespace="prod"), Scope("prod"), sample=False)
    assert len(col.logs) == 12 and not col.log_samples


def test_recovered_pod_is_not_failing() -> None:
    p = pod("old", statuses=[dict(running("app", restarts=3), lastState={"terminated": {
        "exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-01-14T08:00:00Z"}})])
    assert not is_failing(pod_evidence(p), NOW)  # ran ready for a day since its last crash
    recent = pod("recent", statuses=[dict(running("app", restarts=3), lastState={"terminated": {
        "exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-01-15T10:25:00Z"}})])
    assert is_failing(pod_evidence(recent), NOW)


def test_log_plan_asks_once_per_container_for_the_crashed_instance() -> None:
    waiting = pod_evidence(pod("a", statuses=[crashlooping("app")], ready=False))
    assert [(c.name, prev) for c, prev in log_plan(waiting)] == [("app", True)]
    just_exited = pod_evidence(pod("b", statuses=[{"name": "app", "restartCount": 2, "state": {
        "terminated": {"exitCode": 1, "reason": "Error"}}, "lastState": {"terminated": {"exitCode": 1}}}], ready=False))
    assert [(c.name, prev) for c, prev in log_plan(just_exited)] == [("app", False)]
    never_ran = pod_evidence(pod("c", statuses=[{"name": "app", "restartCount": 0, "state": {
        "waiting": {"reason": "CreateContainerConfigError"}}}], ready=False))
    assert log_plan(never_ran) == []


def test_every_continue_expiring_falls_back_to_one_unpaged_list(
        kubeconfig: Path, cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect_mod, "PAGE_SIZE", 2)
    cluster.faults.append(Fault(r"/namespaces/shop/pods$", code=410, times=1000, query="continue="))
    col = _collect(kubeconfig, Scope("shop"))
    assert len(col.pods) == 6
    assert any("listed without pages" in w for w in col.warnings)
    assert cluster.queries.count("/api/v1/namespaces/shop/pods") == 1  # the final list, no limit


def test_service_account_token_volume_costs_no_call(kubeconfig: Path, cluster: FakeCluster) -> None:
    worker = next(p for p in cluster.pods if p["metadata"]["name"] == "worker-0")
    worker["spec"]["volumes"] = [{"name": "kube-api-access-x7k2p", "projected": {"sources": [
        {"serviceAccountToken": {"path": "token"}}, {"configMap": {"name": "kube-root-ca.crt"}}]}}]
    _collect(kubeconfig, Scope("shop"))
    assert not any("kube-root-ca.crt" in p for p in cluster.requests)


def test_the_log_command_it_records_quotes_hostile_names(tmp_path: Path) -> None:
    """A lying server can serve any container name; the recorded command stays one word per value."""
    import shlex

    cluster = FakeCluster()
    hostile = "app;touch /tmp/x"
    cluster.pods.append(pod("web-1", "shop", containers=[{"name": hostile, "image": "x:1"}],
                            statuses=[crashlooping(hostile)], ready=False))
    cluster.add_log("shop", "web-1", hostile, "panic: boom\n")
    with FakeServer(cluster) as srv:
        col = _collect(srv.kubeconfig(tmp_path / "kc"), Scope("shop"))
    cmd = col.logs[("shop", "web-1", hostile)].request
    assert shlex.split(cmd) == ["kubectl", "logs", "web-1", "-n", "shop", "-c", hostile, "--previous"]


def test_the_pod_an_event_is_about() -> None:
    from podmortem.live.eventpage import event_key as _involved_key

    about = {"kind": "Pod", "namespace": "shop", "name": "web-1"}
    assert _involved_key({"involvedObject": about}) == ("shop", "web-1")
    assert _involved_key({"regarding": about}) == ("shop", "web-1")  # events.k8s.io/v1
    assert _involved_key({"involvedObject": {"name": "web-1"}, "metadata": {"namespace": "shop"}}) == ("shop", "web-1")
    assert _involved_key({"involvedObject": {"kind": "Node", "name": "n1"}}) == ("", "")
    # not an object reference at all: about no pod, and no crash
    for hostile in ("pod/web-1", ["Pod"], 7, {"kind": ["Pod"]}):
        assert _involved_key({"involvedObject": hostile, "metadata": ["x"]}) == ("", "")
    assert _involved_key({"involvedObject": {"kind": "Pod", "namespace": 3, "name": 4}}) == ("3", "4")
    assert _involved_key({}) == ("", "")
