"""The kubelet model's crash-loop back-off against kubernetes-facts.md section 1, read from pod statuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from podmortem.backoff import BackoffSettings
from podmortem.kube.times import rfc3339_seconds
from podmortem.sim import SimCluster


def crasher(runs: str = "2") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: crasher
  namespace: default
  annotations:
    sim.podmortem.dev/profile.app: |
      exitAfterSeconds: {runs}
      exitCode: 1
spec:
  containers: [{{name: app, image: registry.example.com/crasher:1}}]
"""


def timeline(cluster: SimCluster) -> tuple[list[float], list[float], list[str]]:
    """Start and finish times of every instance, and the waiting messages, as a watcher of the pod saw them."""
    starts: list[float] = []
    finishes: list[float] = []
    messages: list[str] = []
    with cluster.lock:
        history = [c for c in cluster.store.history if c.storage == "pods" and c.obj["metadata"]["name"] == "crasher"]
    for change in history:
        for st in change.obj.get("status", {}).get("containerStatuses", []):
            state = st["state"]
            if "running" in state:
                t = rfc3339_seconds(state["running"]["startedAt"])
                if t is not None and t not in starts:
                    starts.append(t)
            term = state.get("terminated") or st["lastState"].get("terminated")
            if term:
                f = rfc3339_seconds(term["finishedAt"])
                if f is not None and f not in finishes:
                    finishes.append(f)
            msg = state.get("waiting", {}).get("message")
            if msg and (not messages or messages[-1] != msg):
                messages.append(msg)
    return starts, finishes, messages


def gaps(cluster: SimCluster) -> list[int]:
    """Seconds from each exit to the next start (the back-off the kubelet applied)."""
    starts, finishes, _ = timeline(cluster)
    return [int(s - f) for f, s in zip(finishes, starts[1:], strict=False)]


def test_restart_delays_follow_10_20_40_80_160_300_300(make_cluster: Callable[..., SimCluster]) -> None:
    cluster = make_cluster(crasher())
    cluster.advance(3600)
    g = gaps(cluster)
    # The first crash restarts at once (on the next sync), then the delay doubles from 10 s to the 5 min cap.
    assert g[:9] == [1, 10, 20, 40, 80, 160, 300, 300, 300], g


def test_waiting_message_names_the_current_delay(make_cluster: Callable[..., SimCluster]) -> None:
    cluster = make_cluster(crasher())
    cluster.advance(1500)
    _, _, messages = timeline(cluster)
    delays = [m.split()[1] for m in messages if m.startswith("back-off ")]
    assert delays[:6] == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s"], messages
    pod = cluster.store.get("pods", "default", "crasher")
    assert pod is not None
    uid = pod["metadata"]["uid"]
    assert messages[0] == f"back-off 10s restarting failed container=app pod=crasher_default({uid})"


def test_back_off_resets_after_a_ten_minute_run(make_cluster: Callable[..., SimCluster]) -> None:
    cluster = make_cluster(crasher("[2, 2, 2, 2, 700, 2, 2, 2]"))
    cluster.advance(2400)
    g = gaps(cluster)
    # Four short runs (1, 10, 20, 40), one run of 700 s (> 600 s: the entry is stale, restart at once), then
    # the curve starts over at 10 s.
    assert g[:7] == [1, 10, 20, 40, 1, 10, 20], g


def test_a_run_just_under_ten_minutes_does_not_reset(make_cluster: Callable[..., SimCluster]) -> None:
    cluster = make_cluster(crasher("[2, 2, 2, 2, 590, 2]"))
    cluster.advance(2400)
    assert gaps(cluster)[:6] == [1, 10, 20, 40, 80, 160]


@pytest.mark.parametrize(("settings", "want"), [
    (BackoffSettings.reduced(), [1, 1, 2, 4, 8, 16, 32, 60, 60]),
    (BackoffSettings().with_max(2), [1, 2, 2, 2, 2, 2]),
    (BackoffSettings.reduced().with_max(30), [1, 1, 2, 4, 8, 16, 30, 30]),
])
def test_tunable_back_off(make_cluster: Callable[..., SimCluster], settings: BackoffSettings, want: list[int]) -> None:
    cluster = make_cluster(crasher(), backoff=settings)
    cluster.advance(1200)
    assert gaps(cluster)[:len(want)] == want


def test_back_off_events_are_one_deduplicated_event(make_cluster: Callable[..., SimCluster], helpers: Any) -> None:
    cluster = make_cluster(crasher())
    cluster.advance(1200)
    backoffs = [e for e in helpers.events(cluster, "default", "crasher") if e["reason"] == "BackOff"]
    assert len(backoffs) == 1
    e = backoffs[0]
    assert e["type"] == "Warning" and e["source"] == {"component": "kubelet", "host": e["source"]["host"]}
    assert e["involvedObject"]["fieldPath"] == "spec.containers{app}"
    # One BackOff per failed sync (every 10 s) while a restart is held back, but client-go's spam filter
    # lets 25 events of the pod through, then one per 5 minutes: counts trail and "last seen" lags.
    first, last = rfc3339_seconds(e["firstTimestamp"]), rfc3339_seconds(e["lastTimestamp"])
    assert first is not None and last is not None
    events = helpers.events(cluster, "default", "crasher")
    assert sum(x["count"] for x in events if x["source"].get("component") == "kubelet") <= 25 + 1200 / 300
    assert cluster.now() - last >= 60  # the latest back-offs were dropped
    started = [x for x in events if x["reason"] == "Started"]
    restarts = cluster.store.get("pods", "default", "crasher")["status"]["containerStatuses"][0]["restartCount"]
    assert started[0]["message"] == "Started container app" and 3 <= started[0]["count"] < restarts + 1
