"""Issue 13's acceptance, against the simulated cluster over real HTTP (see conftest.py about time)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from simwatch import Receiver_, deployment, make_watcher, wait_for

from podmortem.kube.times import rfc3339_seconds
from podmortem.sim.cluster import SimCluster
from podmortem.sim.faults import FaultRule

pytestmark = pytest.mark.slow


def our_events(cluster: SimCluster, reason: str = "CrashLoopDiagnosed") -> list[dict[str, Any]]:
    return [e for e in cluster.objects("events") if e.get("reason") == reason
            and e.get("reportingController") == "podmortem.dev/watch"]


def first_backoff(cluster: SimCluster, prefix: str) -> float | None:
    """When the first pod of the Deployment entered CrashLoopBackOff: the kubelet's first BackOff event."""
    times: list[float] = []
    for e in cluster.objects("events"):
        inv = e.get("involvedObject") or {}
        if e.get("reason") == "BackOff" and str(inv.get("name", "")).startswith(prefix):
            stamp = e.get("firstTimestamp") or e.get("eventTime")
            t = rfc3339_seconds(stamp)
            if t is not None:
                times.append(t)
    return min(times) if times else None


def fix_deployment(cluster: SimCluster, name: str) -> None:
    import orjson

    from podmortem.sim.resources import by_plural

    body = {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "DB_HOST",
                                                                                    "value": "db"}]}]}}}}
    cluster.patch(by_plural("deployments"), "shop", name, orjson.dumps(body), "application/strategic-merge-patch+json")


# A tenth of the wall clock: the 2 virtual seconds are 20 wall seconds, room for a loaded machine.
@pytest.mark.parametrize("sim", [0.1], indirect=True)
def test_twelve_replicas_one_incident_one_event_one_webhook_then_one_resolve(
        sim: tuple[SimCluster, str], caplog: pytest.LogCaptureFixture) -> None:
    cluster, kubeconfig = sim
    receiver = Receiver_(cluster.now)
    watcher = make_watcher(cluster, kubeconfig, receiver)
    caplog.set_level(logging.DEBUG, logger="podmortem")
    watcher.start()
    try:
        wait_for("the first list", watcher.listed.is_set)
        from podmortem.sim.resources import by_plural

        cluster.create(by_plural("deployments"), "shop", deployment("checkout", "shop", 12))
        # Untimed: virtual time jumps through the image pull and the first crash, 0.2 s at a time, up to
        # the first BackOff (which then lies at most 0.2 s before "now": the timed window only loses).
        started = wait_for("the first BackOff", lambda: first_backoff(cluster, "checkout-"), advance=cluster,
                           step=0.2)
        # Timed: from here the virtual clock only runs, a tenth of the wall clock.
        wait_for("the webhook", lambda: receiver.calls)
        arrived, body = receiver.calls[0]
        assert arrived - started <= 2.0, f"webhook {arrived - started:.2f} virtual seconds after the first BackOff"
        # The others join as they start crashing (image pulls are sequential): nothing is timed from here on.
        wait_for("all 12 pods in the incident", lambda: watcher.incidents() and len(watcher.incidents()[0].seen) == 12,
                 advance=cluster)
        [inc] = watcher.incidents()
        assert (inc.owner, inc.cause, inc.state) == (("Deployment", "checkout"), "app.missing-env", "CrashLoopBackOff")
        assert body["incident"]["owner"] == "deployment/checkout"
        assert body["diagnosis"]["findings"][0]["cause"] == "app.missing-env"
        [event] = our_events(cluster)
        assert event["regarding"]["kind"] == "Deployment" and event["regarding"]["name"] == "checkout"
        assert event["note"].startswith("app.missing-env: ") and "Fix: " in event["note"]
        assert receiver.events() == ["opened"]
        assert watcher.diagnoses <= 3  # the other pods joined on the first diagnosis, not on their own

        fix_deployment(cluster, "checkout")
        wait_for("the resolve call", lambda: "resolved" in receiver.events(), advance=cluster)
        assert receiver.events() == ["opened", "resolved"]
        assert len(our_events(cluster)) == 1 and len(our_events(cluster, "CrashLoopResolved")) == 1
        assert watcher.incidents() == []
    finally:
        watcher.stop()
        receiver.close()
    assert "s3cr3t-token" not in caplog.text
    assert b"s3cr3t-token" not in watcher.metrics.render()


def test_dropped_streams_and_an_injected_410_neither_repeat_nor_miss(sim: tuple[SimCluster, str]) -> None:
    cluster, kubeconfig = sim
    receiver = Receiver_(cluster.now)
    cluster.faults.add(FaultRule("drop-watch", verb="watch", resource="pods", after=0.5))
    watcher = make_watcher(cluster, kubeconfig, receiver)
    watcher.start()
    try:
        from podmortem.sim.resources import by_plural

        wait_for("the first list", watcher.listed.is_set)
        cluster.create(by_plural("deployments"), "shop", deployment("api", "shop", 3))
        wait_for("the incident", lambda: receiver.events() == ["opened"], advance=cluster)
        lists = watcher.stream.lists
        # Hold the next watch request (after the next drop) while the cluster changes and its history is
        # compacted: the resourceVersion it resumes from is then too old and the server answers 410.
        hold = cluster.faults.add(FaultRule("slow", verb="watch", resource="pods", delay=2.0, count=1))
        wait_for("the watcher's next watch request", lambda: hold.fired)
        cluster.create(by_plural("deployments"), "shop", deployment("worker", "shop", 2))
        with cluster.lock:
            cluster.store.compact()
        wait_for("the second incident", lambda: len(receiver.events()) == 2, advance=cluster)
        wait_for("a relist after the 410", lambda: watcher.stream.lists > lists)
        fix_deployment(cluster, "api")
        wait_for("api resolved", lambda: "resolved" in receiver.events(), advance=cluster)
        owners = sorted((c[1]["event"], c[1]["incident"]["owner"]) for c in receiver.calls)
        assert owners == [("opened", "deployment/api"), ("opened", "deployment/worker"), ("resolved", "deployment/api")]
        restarts = watcher.metrics.render().decode()
        assert 'podmortem_watch_restarts_total{reason="dropped"}' in restarts
        assert 'podmortem_watch_restarts_total{reason="expired"}' in restarts
    finally:
        watcher.stop()
        receiver.close()


def test_a_restarted_watcher_does_not_reannounce(sim: tuple[SimCluster, str]) -> None:
    cluster, kubeconfig = sim
    receiver = Receiver_(cluster.now)
    first = make_watcher(cluster, kubeconfig, receiver)
    first.start()
    try:
        from podmortem.sim.resources import by_plural

        wait_for("the first list", first.listed.is_set)
        cluster.create(by_plural("deployments"), "shop", deployment("cart", "shop", 2))
        wait_for("the incident", lambda: receiver.events() == ["opened"], advance=cluster)
    finally:
        first.stop()
    second = make_watcher(cluster, kubeconfig, receiver)
    second.start()
    try:
        wait_for("the rebuilt incident", lambda: second.incidents() and second.incidents()[0].pods, advance=cluster)
        assert second.reports == [] and receiver.events() == ["opened"]
    finally:
        second.stop()
        receiver.close()


def test_webhook_500_then_200_is_delivered_once_and_the_url_never_logged(
        sim: tuple[SimCluster, str], caplog: pytest.LogCaptureFixture) -> None:
    cluster, kubeconfig = sim
    receiver = Receiver_(cluster.now, fail_first=1)
    slept: list[float] = []

    def no_wait(seconds: float) -> bool:  # the retry's back-off, recorded instead of slept
        slept.append(seconds)
        return False

    caplog.set_level(logging.DEBUG, logger="podmortem")
    watcher = make_watcher(cluster, kubeconfig, receiver, notify_sleep=no_wait)
    watcher.start()
    try:
        from podmortem.sim.resources import by_plural

        wait_for("the first list", watcher.listed.is_set)
        cluster.create(by_plural("deployments"), "shop", deployment("mail", "shop", 1))
        wait_for("the delivery", lambda: receiver.calls, advance=cluster)
        assert receiver.attempts == 2 and receiver.events() == ["opened"]
        assert slept and slept[0] > 0
        metrics = watcher.metrics.render().decode()
        assert 'podmortem_notifications_total{outcome="retried",receiver="json#1"} 1.0' in metrics
    finally:
        watcher.stop()
        receiver.close()
    assert "s3cr3t-token" not in caplog.text and "s3cr3t-token" not in metrics
    assert "json#1" in caplog.text
