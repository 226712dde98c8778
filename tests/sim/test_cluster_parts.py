"""Parts of `SimCluster` built alone on a `ClusterState`: admission, the timeline, the kubelet's world.

The cluster as a whole is tested through its API and the real kubectl; these pin each part's rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from podmortem.sim.cluster import ApiError, SimOptions
from podmortem.sim.cluster.admission import Admission
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.cluster.world import KubeletWorld
from podmortem.sim.resources import by_plural

T0 = 1_767_225_600.0


class RecordingControllers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, float]] = []

    def reconcile(self, storage: str, namespace: str, name: str, t: float) -> None:
        self.calls.append((storage, namespace, name, t))


def state() -> ClusterState:
    s = ClusterState(SimOptions(serve=False, now=T0))
    s.controllers = RecordingControllers()  # type: ignore[assignment]
    return s


def test_admission_rejects_a_pod_without_containers_like_the_api_server() -> None:
    admission = Admission(state())
    with pytest.raises(ApiError) as err:
        admission.validate(by_plural("pods"), {"metadata": {"name": "p"}, "spec": {"containers": []}})
    assert err.value.code == 422
    assert err.value.message == 'Pod "p" is invalid: spec.containers: Required value'


def test_admission_defaults_a_deployment() -> None:
    admission = Admission(state())
    obj: dict[str, Any] = {"metadata": {"name": "web", "uid": "u"},
                           "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}
    admission.default(by_plural("deployments"), obj, T0)
    spec = obj["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (1, 10, 600)
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": "25%", "maxSurge": "25%"}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_timeline_runs_each_queued_reconcile_once_in_order() -> None:
    s = state()
    timeline = Timeline(s)
    for item in (("deployments", "a", "web"), ("replicasets", "a", "web-1"), ("deployments", "a", "web")):
        timeline.enqueue(*item)
    timeline.run_reconciles(T0)
    assert s.controllers.calls == [("deployments", "a", "web", T0), ("replicasets", "a", "web-1", T0)]  # type: ignore[attr-defined]


def test_timeline_calls_timed_work_in_time_order() -> None:
    s = state()
    timeline = Timeline(s)
    seen: list[float] = []
    s.sim_time = T0
    timeline.at(T0 + 5, seen.append)
    timeline.at(T0 + 1, seen.append)
    timeline.advance_to(T0 + 3)
    assert seen == [T0 + 1] and s.sim_time == T0 + 3
    timeline.advance_to(T0 + 10)
    assert seen == [T0 + 1, T0 + 5]


def test_world_resolves_services_by_dns_name_and_readiness() -> None:
    s = state()
    world = KubeletWorld(s, Timeline(s))
    with s.lock:
        s.store.put("services", {"metadata": {"name": "db", "namespace": "shop"},
                                 "spec": {"clusterIP": "10.96.0.7", "ports": [{"port": 5432}]}})
    assert world.resolve("shop", "db", 5432, T0) == (None, "10.96.0.7")  # no selector: reachable
    assert world.resolve("shop", "db", 5433, T0) == ("refused", "10.96.0.7")
    assert world.resolve("shop", "cache", 6379, T0) == ("dns", None)
    assert world.resolve("other", "db.shop.svc.cluster.local", 5432, T0) == (None, "10.96.0.7")
