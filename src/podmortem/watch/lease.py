"""Leader election with a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does it.

A candidate creates the Lease or, when it holds it, renews `renewTime` every `retry_period`.
A Lease held by someone else is taken over only when its record has not changed for
`lease_duration` as seen on the candidate's own clock (client-go's observedTime rule: no
comparison of two machines' clocks). "Changed" is judged by the Lease's resourceVersion, which
the API server bumps on every write, rather than by its timestamps: a server (or the simulator
running ahead of the wall clock) may serve the same renewTime differently from one read to the
next, and a standby that took that for a renewal would never take over. Every write carries the resourceVersion read, so two
candidates racing for an expired Lease get one 200 and one 409 Conflict. A leader that cannot
renew within `lease_duration` stops acting as leader before anyone else can take over; a leader
that stops cleanly releases the Lease (empty holder) so the next one need not wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from podmortem.errors import PodmortemError
from podmortem.live.client import ApiCallError, Call, KubeClient
from podmortem.watch.kevents import micro_time
from podmortem.watch.writes import send

log = logging.getLogger(__name__)

LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0


@dataclass
class LeaseConfig:
    namespace: str
    name: str = "podmortem-watch"
    identity: str = ""
    lease_duration: float = LEASE_DURATION
    retry_period: float = RETRY_PERIOD

    @property
    def renew_deadline(self) -> float:
        """How long a leader may go without renewing before it stops acting as leader: two thirds of
        the lease (client-go's default RenewDeadline against LeaseDuration, 10 s of 15 s)."""
        return self.lease_duration * 2 / 3


class LeaderElector:
    def __init__(self, client: KubeClient, config: LeaseConfig, *, clock: Callable[[], float],
                 wall: Callable[[], float]) -> None:
        self.client = client
        self.config = config
        self.clock = clock  # monotonic: for the observedTime rule
        self.wall = wall  # epoch seconds: for the times written into the Lease
        self.leader = False
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._observed_polls = 0  # reads that found the same record, the first included
        self._renewed_at = -1e18
        self.transitions = 0
        # The last takeover from another holder, in lease terms (logged; read by tests and the status page).
        self.takeover: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{quote(self.config.namespace, safe='')}/leases"

    def _spec(self, transitions: int, acquire: str | None) -> dict[str, Any]:
        now = micro_time(self.wall())
        return {"holderIdentity": self.config.identity, "leaseDurationSeconds": int(self.config.lease_duration),
                "acquireTime": acquire or now, "renewTime": now, "leaseTransitions": transitions}

    def step(self) -> bool:
        """One try to acquire or renew; whether this candidate leads now."""
        try:
            self.leader = self._step()
        except (OSError, ApiCallError, PodmortemError) as exc:
            log.warning("leader election: %s", exc)
            if self.leader and self.clock() - self._renewed_at > self.config.renew_deadline:
                self.leader = False  # could not renew in time: someone else may take over soon
        return self.leader

    def leading(self) -> bool:
        """Whether to act as leader now: won, and renewed recently enough that nobody can have taken over.

        The renewals run on their own thread; one stuck in a slow request must not leave this
        replica reporting past the point where a standby may take the Lease (client-go's renew deadline).
        """
        return self.leader and self.clock() - self._renewed_at <= self.config.renew_deadline

    def run(self, stopping: threading.Event) -> None:
        """Acquire or renew every `retry_period` until `stopping` is set (the watcher's Lease thread)."""
        while not stopping.is_set():
            self.step()
            stopping.wait(self.config.retry_period)

    def _step(self) -> bool:
        cfg = self.config
        name_path = f"{self.path}/{quote(cfg.name, safe='')}"
        got = send(self.client, "GET", name_path, None, Call("get", "leases", cfg.namespace, cfg.name))
        if got.status == 404:
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": cfg.name, "namespace": cfg.namespace}, "spec": self._spec(0, None)}
            ans = send(self.client, "POST", self.path, body, Call("create", "leases", cfg.namespace))
            if ans.ok:
                return self._won()
            if ans.status == 409:
                return False
            raise OSError(f"creating Lease {cfg.name}: HTTP {ans.status} ({ans.message})")
        if not got.ok:
            raise OSError(f"reading Lease {cfg.name}: HTTP {got.status} ({got.message})")
        lease = got.doc
        spec = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        version = (lease.get("metadata") or {}).get("resourceVersion") or spec.get("renewTime")
        record = (holder, version, spec.get("leaseTransitions"))
        now = self.clock()
        if record != self._observed:
            self._observed, self._observed_at, self._observed_polls = record, now, 0
        self._observed_polls += 1
        transitions = int(spec.get("leaseTransitions") or 0)
        takeover = None
        if holder and holder != cfg.identity:
            duration = float(spec.get("leaseDurationSeconds") or cfg.lease_duration)
            if now - self._observed_at < duration:
                return False
            transitions += 1
            takeover = {"previous_holder": holder, "unchanged_for": round(now - self._observed_at, 3),
                        "lease_duration": duration, "polls_unchanged": self._observed_polls,
                        "retry_period": cfg.retry_period}
        elif not holder:
            transitions += 1
        acquire = spec.get("acquireTime") if holder == cfg.identity else None
        lease["spec"] = self._spec(transitions, acquire)
        ans = send(self.client, "PUT", name_path, lease, Call("update", "leases", cfg.namespace, cfg.name))
        if ans.ok:
            if takeover is not None:
                self.takeover = takeover
                log.info("took the Lease over from %s, silent for %.1fs (lease duration %.0fs)", holder,
                         takeover["unchanged_for"], takeover["lease_duration"], extra={"takeover": takeover})
            return self._won()
        if ans.status == 409:
            return False
        raise OSError(f"updating Lease {cfg.name}: HTTP {ans.status} ({ans.message})")

    def _won(self) -> bool:
        if not self.leader:
            self.transitions += 1
            log.info("became the leader (Lease %s/%s)", self.config.namespace, self.config.name)
        self._renewed_at = self.clock()
        return True

    def release(self) -> None:
        """Give the Lease up (empty holder) so another replica takes over without waiting."""
        if not self.leader:
            return
        self.leader = False
        cfg = self.config
        name_path = f"{self.path}/{quote(cfg.name, safe='')}"
        try:
            got = send(self.client, "GET", name_path, None, Call("get", "leases", cfg.namespace, cfg.name))
            spec = got.doc.get("spec") or {}
            if got.ok and spec.get("holderIdentity") == cfg.identity:
                spec["holderIdentity"] = ""
                spec["leaseDurationSeconds"] = 1
                spec["renewTime"] = micro_time(self.wall())
                send(self.client, "PUT", name_path, got.doc, Call("update", "leases", cfg.namespace, cfg.name))
        except (OSError, ApiCallError, PodmortemError) as exc:
            log.warning("releasing the Lease failed: %s", exc)


def utc_now() -> float:
    return datetime.now(UTC).timestamp()
