"""Leader election against the simulator's Lease API (real HTTP), on an injected clock: no waiting."""

from __future__ import annotations

from podmortem.live.client import connect
from podmortem.sim.cluster import SimCluster
from podmortem.watch.lease import LeaderElector, LeaseConfig

LEASE = 5.0


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def elector(kubeconfig: str, identity: str, clock: FakeClock) -> LeaderElector:
    return LeaderElector(connect(kubeconfig), LeaseConfig("shop", "podmortem-watch", identity, LEASE, 1.0),
                         clock=clock, wall=clock)


def test_a_silent_leader_is_replaced_after_the_lease_duration_not_before(sim: tuple[SimCluster, str]) -> None:
    cluster, kubeconfig = sim
    ca, cb = FakeClock(), FakeClock()
    a, b = elector(kubeconfig, "a", ca), elector(kubeconfig, "b", cb)
    assert a.step() and a.leading()
    assert not b.step()
    for _ in range(10):  # a renews every second: b never takes over
        ca.t += 1
        cb.t += 1
        assert a.step() and not b.step()
    # a goes silent (killed). b counts on its own clock from the last change it saw.
    for _ in range(4):
        cb.t += 1
        assert not b.step() and b.takeover is None
    cb.t += 0.999
    assert not b.step()
    cb.t += 0.001
    assert b.step() and b.leading()
    assert b.takeover == {"previous_holder": "a", "unchanged_for": LEASE, "lease_duration": LEASE,
                          "polls_unchanged": 7, "retry_period": 1.0}
    [lease] = [x for x in cluster.objects("leases", "shop") if x["metadata"]["name"] == "podmortem-watch"]
    assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
    # a comes back: it finds b holding a fresh Lease and stands by.
    ca.t += 1
    assert not a.step() and not a.leading()


def test_a_lease_served_with_moving_timestamps_is_still_unchanged(sim: tuple[SimCluster, str]) -> None:
    """The simulator running ahead of the wall clock serves the same renewTime earlier and earlier
    (served_time.py); a standby must judge "changed" by resourceVersion, or it never takes over."""
    cluster, kubeconfig = sim
    ca, cb = FakeClock(), FakeClock()
    a, b = elector(kubeconfig, "a", ca), elector(kubeconfig, "b", cb)
    assert a.step()
    assert not b.step()
    for _ in range(5):
        cluster.advance(30)  # served timestamps move back by the growing lead
        cb.t += 1
        b.step()
    assert b.leading() and b.takeover is not None and b.takeover["previous_holder"] == "a"


def test_a_leader_that_cannot_renew_stops_leading_before_anyone_can_take_over(sim: tuple[SimCluster, str]) -> None:
    _, kubeconfig = sim
    clock = FakeClock()
    a = elector(kubeconfig, "a", clock)
    assert a.step() and a.leading()
    clock.t += 3.3  # within the renew deadline (two thirds of the lease duration): still leading
    assert a.leading()
    clock.t += 0.1  # its Lease thread is stuck in a request: stop reporting, a standby may take over soon
    assert a.leader and not a.leading()
