"""The kubelet's back-off curve (kubernetes-facts.md 1.2) and a container's position in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from podmortem.backoff import BackoffSettings, container_backoff
from podmortem.model import ContainerEvidence, ContainerState, ContainerStatus, Termination, Waiting

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_default_schedule_doubles_to_five_minutes() -> None:
    assert BackoffSettings().schedule(8)[1:] == [10, 20, 40, 80, 160, 300, 300]


def test_reduced_gate_and_node_maximum() -> None:
    assert BackoffSettings.reduced().schedule(8)[1:] == [1, 2, 4, 8, 16, 32, 60]
    # maxContainerRestartPeriod below the initial delay lowers the initial delay too
    assert BackoffSettings().with_max(2).schedule(4)[1:] == [2, 2, 2]


def _crashing(restarts: int, ran: float, finished: datetime) -> ContainerEvidence:
    last = Termination(exit_code=1, reason="Error", started_at=finished - timedelta(seconds=ran), finished_at=finished)
    status = ContainerStatus(
        "app", ready=False, restart_count=restarts,
        state=ContainerState("waiting", waiting=Waiting("CrashLoopBackOff")),
        last_state=ContainerState("terminated", terminated=last),
    )
    return ContainerEvidence("app", status=status)


@pytest.mark.parametrize(("restarts", "delay"), [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (30, 300)])
def test_delay_follows_restart_count(restarts: int, delay: int) -> None:
    b = container_backoff(_crashing(restarts, 3, T0), T0 + timedelta(seconds=5))
    assert b is not None
    assert b.state == "back-off"
    assert b.delay_seconds == delay
    assert b.next_restart_at == (T0 + timedelta(seconds=delay)).isoformat().replace("+00:00", "Z")
    assert b.seconds_until_restart == delay - 5


def test_a_run_longer_than_ten_minutes_resets_the_curve() -> None:
    b = container_backoff(_crashing(9, 601, T0), T0)
    assert b is not None and b.delay_seconds == 10


def test_failing_since_sums_the_earlier_delays() -> None:
    b = container_backoff(_crashing(4, 2, T0), T0)
    assert b is not None
    # restarts 1..3 were held 10 + 20 + 40 s before the last exit
    assert b.failing_since == (T0 - timedelta(seconds=70)).isoformat().replace("+00:00", "Z")


def test_never_restarted_container_has_no_backoff() -> None:
    status = ContainerStatus("app", ready=True, restart_count=0, state=ContainerState("running", started_at=T0))
    assert container_backoff(ContainerEvidence("app", status=status), T0) is None


@pytest.mark.parametrize("settings", [BackoffSettings(), BackoffSettings.reduced(), BackoffSettings(10, 5),
                                      BackoffSettings(1, 1), BackoffSettings(3, 1000)])
def test_total_before_is_the_sum_of_the_delays(settings: BackoffSettings) -> None:
    for rc in range(0, 70):
        assert settings.total_before(rc) == sum(settings.delay_for(n) for n in range(1, rc))
