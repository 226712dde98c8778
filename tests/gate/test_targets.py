"""Targets: kubectl's spellings, label selectors, and rollout completion as `kubectl rollout status` judges it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podmortem.gate.targets import (
    Target,
    TargetError,
    current_replicaset,
    daemonset_rollout,
    deployment_rollout,
    parse_target,
    selector_string,
    split_pods,
    split_selected,
    statefulset_rollout,
)


@pytest.mark.parametrize(("text", "kind"), [
    ("deployment/web", "Deployment"), ("deployments/web", "Deployment"), ("deploy/web", "Deployment"),
    ("deployment.apps/web", "Deployment"), ("Deployment/web", "Deployment"), ("sts/db", "StatefulSet"),
    ("statefulset.apps/db", "StatefulSet"), ("ds/agent", "DaemonSet"), ("daemonsets/agent", "DaemonSet"),
])
def test_kubectl_spellings(text: str, kind: str) -> None:
    t = parse_target(text)
    assert t.kind == kind and t.label == f"{kind.lower()}/{text.split('/')[1]}"


@pytest.mark.parametrize(("text", "says"), [
    ("web", "is not KIND/NAME"), ("deployment/", "is not KIND/NAME"), ("pod/web", "not 'pod'"),
    ("job/migrate", "not 'job'"), ("deployment/Web_1", "not a valid object name"),
])
def test_bad_targets(text: str, says: str) -> None:
    with pytest.raises(TargetError, match=says.replace("(", r"\(")):
        parse_target(text)


def test_selector_string() -> None:
    assert selector_string(None) == "" and selector_string({}) == ""
    sel = {"matchLabels": {"app": "web", "tier": "fe"},
           "matchExpressions": [{"key": "track", "operator": "In", "values": ["stable", "canary"]},
                                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                                {"key": "team", "operator": "Exists"}, {"key": "legacy", "operator": "DoesNotExist"}]}
    assert selector_string(sel) == "app=web,tier=fe,track in (canary,stable),env notin (dev),team,!legacy"
    with pytest.raises(TargetError):
        selector_string({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
                       st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), max_size=5))
def test_selector_string_round_trips_through_the_api_servers_parser(labels: dict[str, str]) -> None:
    from podmortem.sim.selectors import parse_label_selector

    reqs = parse_label_selector(selector_string({"matchLabels": labels}))
    assert all(r.matches(labels) for r in reqs) and len(reqs) == len(labels)


def dep(generation: int = 2, observed: int = 2, want: int = 3, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "uid": "d1", "generation": generation,
                         "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {"replicas": want}, "status": {"observedGeneration": observed, **status}}


def test_deployment_rollout_steps() -> None:
    assert deployment_rollout(dep(3, 2)).message == "Waiting for deployment spec update to be observed..."
    head = 'Waiting for deployment "web" rollout to finish: '
    assert deployment_rollout(dep(updatedReplicas=1, replicas=4)).message == \
        head + "1 out of 3 new replicas have been updated..."
    assert deployment_rollout(dep(updatedReplicas=3, replicas=4)).message == \
        head + "1 old replicas are pending termination..."
    assert deployment_rollout(dep(updatedReplicas=3, replicas=3, availableReplicas=2)).message == \
        head + "2 of 3 updated replicas are available..."
    done = deployment_rollout(dep(updatedReplicas=3, replicas=3, availableReplicas=3))
    assert done.done and done.message == 'deployment "web" successfully rolled out'
    assert deployment_rollout(dep()).message == head + "0 out of 3 new replicas have been updated..."
    assert deployment_rollout(dep(want=0)).done  # scaled to zero: nothing to wait for


def test_deployment_needs_every_desired_replica_updated_and_available() -> None:
    surge = deployment_rollout(dep(want=4, replicas=5, updatedReplicas=4, availableReplicas=4))
    assert not surge.done and surge.message.endswith("1 old replicas are pending termination...")
    short = deployment_rollout(dep(want=4, replicas=2, updatedReplicas=2, availableReplicas=2))
    assert not short.done and short.message.endswith("2 out of 4 new replicas have been updated...")


def test_deployment_progress_deadline_fails() -> None:
    cond = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": 'ReplicaSet "web-5d9f" has timed out progressing.'}
    r = deployment_rollout(dep(updatedReplicas=3, replicas=3, conditions=[cond]))
    assert not r.done and r.failed == ('deployment "web" exceeded its progress deadline: '
                                       'ReplicaSet "web-5d9f" has timed out progressing.')
    # an exceeded deadline from before the spec change is not this rollout's
    assert deployment_rollout(dep(3, 2, conditions=[cond])).failed is None


def test_statefulset_rollout_steps() -> None:
    def sts(**status: Any) -> dict[str, Any]:
        return {"metadata": {"name": "db", "generation": 2}, "spec": {"replicas": 2, "updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}, "status": {"observedGeneration": 2, **status}}

    assert statefulset_rollout(sts(readyReplicas=1)).message == "Waiting for 1 pods to be ready..."
    assert statefulset_rollout(sts(readyReplicas=2, updatedReplicas=1)).message == \
        "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..."
    assert statefulset_rollout(sts(readyReplicas=2, updatedReplicas=2)).done
    no_partition = sts(readyReplicas=2, updatedReplicas=2, currentRevision="db-1", updateRevision="db-2")
    no_partition["spec"]["updateStrategy"] = {"type": "RollingUpdate"}
    assert statefulset_rollout(no_partition).message == \
        "waiting for statefulset rolling update to complete 2 pods at revision db-2..."
    assert statefulset_rollout({"metadata": {"name": "db", "generation": 1}, "spec": {}, "status": {}}).message == \
        "Waiting for statefulset spec update to be observed..."


def test_daemonset_rollout_steps() -> None:
    def ds(**status: Any) -> dict[str, Any]:
        return {"metadata": {"name": "agent", "generation": 4}, "spec": {},
                "status": {"observedGeneration": 4, "desiredNumberScheduled": 3, **status}}

    assert daemonset_rollout(ds(updatedNumberScheduled=1)).message == \
        'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...'
    assert daemonset_rollout(ds(updatedNumberScheduled=3, numberAvailable=2)).message == \
        'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...'
    assert daemonset_rollout(ds(updatedNumberScheduled=3, numberAvailable=3)).done


def rs(name: str, uid: str, revision: str, owner: str = "d1") -> dict[str, Any]:
    return {"metadata": {"name": name, "uid": uid, "annotations": {"deployment.kubernetes.io/revision": revision},
                         "ownerReferences": [{"kind": "Deployment", "uid": owner, "controller": True}]}}


def pod(name: str, owner: str, terminating: bool = False, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels,
                            "ownerReferences": [{"kind": "ReplicaSet", "uid": owner, "controller": True}]}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta}


def test_deployment_pods_of_the_new_revision() -> None:
    sets = [rs("web-old", "r1", "1"), rs("web-new", "r2", "2"), rs("api-x", "r3", "5", owner="d9")]
    d = dep()
    assert current_replicaset(d, sets) is sets[1]
    pods = [pod("a", "r1"), pod("b", "r2"), pod("c", "r2", terminating=True), pod("d", "r3")]
    current, old = split_pods(Target("Deployment", "web"), d, sets, pods)
    assert [p["metadata"]["name"] for p in current] == ["b"]
    assert [p["metadata"]["name"] for p in old] == ["a"]
    # Before the controller observed the new spec its revision still names the old ReplicaSet: judge nothing.
    assert current_replicaset(dep(3, 2), sets) is None
    assert split_pods(Target("Deployment", "web"), dep(3, 2), sets, pods)[0] == []


def test_statefulset_pods_of_the_update_revision() -> None:
    sts = {"metadata": {"uid": "s1", "generation": 2},
           "status": {"observedGeneration": 2, "updateRevision": "db-2"}}

    def member(name: str, rev: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": {"controller-revision-hash": rev},
                             "ownerReferences": [{"kind": "StatefulSet", "uid": "s1", "controller": True}]}}

    current, old = split_pods(Target("StatefulSet", "db"), sts, [], [member("db-0", "db-1"), member("db-1", "db-2")])
    assert [p["metadata"]["name"] for p in current] == ["db-1"] and [p["metadata"]["name"] for p in old] == ["db-0"]


def test_selected_pods_of_a_superseded_replicaset_are_old() -> None:
    sets = [rs("web-old", "r1", "1"), rs("web-new", "r2", "2")]
    bare = {"metadata": {"name": "tool"}}
    current, old = split_selected([pod("a", "r1"), pod("b", "r2"), bare], sets)
    assert [p["metadata"]["name"] for p in current] == ["b", "tool"]
    assert [p["metadata"]["name"] for p in old] == ["a"]


def test_daemonset_pods_of_the_current_generation() -> None:
    ds = {"metadata": {"uid": "ds1", "generation": 4}, "status": {"observedGeneration": 4}}

    def member(name: str, generation: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": {"pod-template-generation": generation},
                             "ownerReferences": [{"kind": "DaemonSet", "uid": "ds1", "controller": True}]}}

    current, old = split_pods(Target("DaemonSet", "agent"), ds, [], [member("agent-a", "3"), member("agent-b", "4")])
    assert [p["metadata"]["name"] for p in current] == ["agent-b"]
    assert [p["metadata"]["name"] for p in old] == ["agent-a"]
    unobserved = {"metadata": {"uid": "ds1", "generation": 5}, "status": {"observedGeneration": 4}}
    assert split_pods(Target("DaemonSet", "agent"), unobserved, [], [member("agent-b", "4")])[0] == []
