"""The crash-loop back-off and exits: when a container restarts, or why it waits (CrashLoopBackOff).

The back-off is keyed per container (10 s doubling to the maximum, reset after a run longer than
`reset_seconds`); restarts happen at exactly `finishedAt + delay`; failed syncs retry with jitter.
A part of `PodSim`; uses the `Emitter`, `StartOrder` and `Starting` it is given.
"""

from __future__ import annotations

from podmortem.sim.kubelet.emit import Emitter
from podmortem.sim.kubelet.model import ContainerSim
from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.starting import Starting
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.timefmt import go_duration


class Restarts:
    """The pod worker's sync: start attempts, the back-off, exits."""

    def __init__(self, pod: PodState, events: Emitter, order: StartOrder, starting: Starting) -> None:
        self.pod = pod
        self.events = events
        self.order = order
        self.starting = starting

    def sync(self, t: float) -> None:
        for c in self.pod.containers:
            if c.next_attempt is not None and c.next_attempt <= t:
                c.next_attempt = None
                if c in self.order.startable(t):
                    self._attempt(c, t)
        # Newly startable containers (a previous init finished) get their first attempt.
        for c in self.order.startable(t):
            if c.next_attempt is None and c.latest is None and c.waiting is None and c.pulled_until is None:
                self._attempt(c, t)
            elif c.next_attempt is None and c.latest is None and c.pulled_until is None:
                c.next_attempt = t + self.pod.retry_delay()

    def _backing_off(self, c: ContainerSim, t: float) -> tuple[float, float] | None:
        """(exit time, delay) when an attempt at t falls inside the container's crash-loop back-off."""
        last = c.latest
        if last is None or last.end is None:
            return None
        entry = c.backoff
        finished = last.end
        fresh = entry is not None and finished - entry[1] <= self.pod.settings.reset_seconds
        if entry is not None and fresh and t - finished < entry[0]:
            return finished, entry[0]
        return None

    def _crash_loop_waiting(self, c: ContainerSim, delay: float) -> tuple[str, str]:
        return ("CrashLoopBackOff", f"back-off {go_duration(delay)} restarting failed container={c.name} "
                                    f"pod={self.pod.ref_text()}")

    def _wait_out(self, c: ContainerSim, t: float, finished: float, delay: float) -> None:
        c.waiting = self._crash_loop_waiting(c, delay)
        self.events.emit(c, t, "Warning", "BackOff",
                         f"Back-off restarting failed container {c.name} in pod {self.pod.ref_text()}")
        c.next_attempt = min(finished + delay, t + self.pod.retry_delay())

    def quiet_retry_blocked(self, c: ContainerSim, t: float) -> bool:
        """Whether a sync at t would do more for c than repeat its CrashLoopBackOff."""
        backing = self._backing_off(c, t)
        return backing is None or c.waiting != self._crash_loop_waiting(c, backing[1])

    def quiet_retry(self, c: ContainerSim, t: float) -> bool:
        """A sync at t that only repeats CrashLoopBackOff for c (status unchanged): done here, True.

        The kubelet retries every ~10 s while a back-off of up to 5 minutes runs; these retries
        emit BackOff and change nothing else, so the pod skips its full step for them.
        """
        backing = self._backing_off(c, t)
        if backing is None or c.waiting != self._crash_loop_waiting(c, backing[1]):
            return False
        c.next_attempt = None
        self._wait_out(c, t, *backing)
        return True

    def _attempt(self, c: ContainerSim, t: float) -> None:
        last = c.latest
        if last is not None and last.end is not None:
            finished = last.end
            entry = c.backoff
            backing = self._backing_off(c, t)
            if backing is not None:
                self._wait_out(c, t, *backing)
                return
            fresh = entry is not None and finished - entry[1] <= self.pod.settings.reset_seconds
            b = self.pod.settings.backoff
            if entry is None or not fresh:
                c.backoff = (float(b.initial_seconds), t)
            else:
                c.backoff = (float(min(entry[0] * 2, b.max_seconds)), t)
        self.starting.start(c, t)

    def exited(self, c: ContainerSim, t: float) -> None:
        inst = c.latest
        assert inst is not None
        if c.init and not c.sidecar and inst.exit_code == 0 and inst.reason == "Completed":
            c.done = True
            c.waiting = None
            for nxt in self.order.startable(t):
                if nxt.next_attempt is None:
                    nxt.next_attempt = t + self.pod.settings.sync_lag
            return
        if c.init and not c.sidecar and self.pod.policy == "Never":
            c.done = True
            self._fail_pod(t)
            return
        if not self.order.restart_allowed(c, inst.exit_code):
            c.done = True
            if c.waiting and c.waiting[0] == "RunContainerError":
                c.waiting = None
            self._after_app_exit(t)
            return
        if inst.reason != "StartError":
            c.waiting = None  # terminated is shown until the next sync
        c.next_attempt = t + self.pod.settings.sync_lag

    def _after_app_exit(self, t: float) -> None:
        apps = self.pod.apps()
        if apps and all(a.done for a in apps):
            # Sidecars stop once every app container has finished.
            for s in self.pod.inits():
                if s.sidecar and s.latest is not None and s.latest.running(t):
                    self.events.emit(s, t, "Normal", "Killing", f"Stopping container {s.name}")
                    s.latest.end = t + 0.2
                    s.latest.reason, s.latest.exit_code = "Error", 143
                    s.done = True

    def _fail_pod(self, t: float) -> None:
        self.pod.phase_final = "Failed"
        for c in self.pod.containers:
            c.next_attempt = None
            if c.latest is None:
                c.done = True
