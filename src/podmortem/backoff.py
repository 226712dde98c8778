"""The kubelet's crash-loop back-off: where a container is in it, and when it restarts next.

From shared/kubernetes-facts.md section 1: the delay starts at 10 s and doubles up to 300 s; a
container that ran longer than 600 s resets it. restartCount N while waiting means the delay is
initial * 2**(N-1), capped. With the ReduceDefaultCrashLoopBackOffDecay gate the curve is
1 s -> 60 s, and `crashLoopBackOff.maxContainerRestartPeriod` caps it per node (1.35+ default on).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from podmortem.kube.typedjson import msgspec

if TYPE_CHECKING:  # explain's parent reads the settings and never builds a Backoff (the model: ~19 ms)
    from podmortem.model import Backoff, ContainerEvidence


STABLE_RESET_SECONDS = 600


class BackoffSettings(msgspec.Struct, frozen=True):
    initial_seconds: int = 10
    max_seconds: int = 300

    @classmethod
    def of(cls, reduced: bool, max_seconds: int | None) -> BackoffSettings:
        """The settings `--reduced-backoff` and `--backoff-max` ask for."""
        settings = cls.reduced() if reduced else cls()
        return settings.with_max(max_seconds) if max_seconds else settings

    @classmethod
    def reduced(cls) -> BackoffSettings:
        """The ReduceDefaultCrashLoopBackOffDecay feature gate's curve."""
        return cls(1, 60)

    def with_max(self, max_seconds: int) -> BackoffSettings:
        """A node's maxContainerRestartPeriod: lowers the initial delay too if it is below it."""
        return BackoffSettings(min(self.initial_seconds, max_seconds), max_seconds)

    def delay_for(self, restart_count: int) -> int:
        """Back-off delay the kubelet waits before restart number restart_count + 1."""
        if restart_count <= 0:
            return 0
        delay: int = self.initial_seconds * (2 ** min(restart_count - 1, 30))
        return min(delay, self.max_seconds)

    def total_before(self, restart_count: int) -> int:
        """Sum of the delays before restarts 2..restart_count (delay_for(1) .. delay_for(restart_count - 1))."""
        total = 0
        for n in range(1, restart_count):
            delay = self.delay_for(n)
            if delay >= self.max_seconds:  # the curve never falls: every later delay is the cap
                return total + delay * (restart_count - n)
            total += delay
        return total

    def schedule(self, crashes: int) -> list[int]:
        """Delays before each restart for a container that crashes `crashes` times in a row."""
        return [self.delay_for(n) for n in range(crashes)]


# The kubelet's defaults (10 s doubling to 5 min): what a container's back-off is computed with unless
# the command line says otherwise.
DEFAULT_SETTINGS = BackoffSettings()


def _iso(t: datetime | None) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t else None


def container_backoff(
    c: ContainerEvidence, now: datetime | None, settings: BackoffSettings = DEFAULT_SETTINGS
) -> Backoff | None:
    """The back-off position of one container, or None when it has never restarted or crashed."""
    st = c.status
    if st is None:
        return None
    rc = st.restart_count or 0
    last = st.state.terminated or st.last_state.terminated
    waiting = st.state.waiting.reason if st.state.waiting else None
    if rc == 0 and last is None:
        return None
    finished = last.finished_at if last else None
    if finished is not None and finished.year < 1980:
        finished = None
    if st.state.kind == "running":
        state = "running"
    elif waiting == "CrashLoopBackOff":
        state = "back-off"
    elif st.state.kind == "terminated":
        state = "terminated"
    elif waiting:
        state = "waiting"
    else:
        state = "unknown"
    ran = last.run_seconds if last else None
    # A run longer than the reset window restarts the curve: the next delay is the first one.
    effective_rc = 1 if (ran is not None and ran > STABLE_RESET_SECONDS) else rc
    delay = settings.delay_for(effective_rc) if state in ("back-off", "terminated", "waiting") else None
    next_at = finished + timedelta(seconds=delay) if (finished and delay is not None) else None
    until = (next_at - now).total_seconds() if (next_at and now) else None
    # Failing since: walk the schedule back from the last exit (each cycle is at least its delay).
    failing_since = None
    if finished is not None and rc > 0:
        back = settings.total_before(rc)
        failing_since = finished - timedelta(seconds=back)
    failing_for = (now - failing_since).total_seconds() if (failing_since and now) else None
    if state == "back-off" and delay is not None:
        note = f"in back-off: restart {rc + 1} is held for {delay}s after the last exit"
        if until is not None:
            note += f" (due in {max(until, 0):.0f}s)" if until > 0 else " (due now; the kubelet restarts it on its next sync)"
    elif state == "running":
        note = (f"running again after {rc} restarts; the back-off resets once it runs "
                f"{STABLE_RESET_SECONDS // 60} minutes")
    else:
        note = f"{rc} restarts; current delay {delay}s" if delay is not None else f"{rc} restarts"
    from podmortem.model import Backoff

    return Backoff(
        container=c.name,
        init=c.init,
        restart_count=rc,
        state=state,
        delay_seconds=delay,
        last_exit_at=_iso(finished),
        next_restart_at=_iso(next_at),
        seconds_until_restart=round(until, 1) if until is not None else None,
        failing_since=_iso(failing_since),
        failing_for_seconds=round(failing_for, 1) if failing_for is not None else None,
        initial_delay_seconds=settings.initial_seconds,
        max_delay_seconds=settings.max_seconds,
        note=note,
    )
