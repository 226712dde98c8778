"""What a simulated cluster is started with (`SimOptions`), its virtual `Clock`, and API constants.

Imports no other module of the cluster package.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from podmortem.backoff import BackoffSettings
from podmortem.sim.faults import FaultRule

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KUBE_VERSION = "v1.32.4"
WORKLOADS = ("deployments", "replicasets", "statefulsets", "jobs")


@dataclass
class SimOptions:
    scenario: str | None = None  # a manifest file or folder; None: the bundled default scenario
    scale: int = 0  # extra pods for load tests, about 10% failing
    start_offset: float = 1200.0  # the scenario's objects were applied this long before "now"
    speed: float = 1.0  # virtual seconds per wall second
    port: int = 0
    now: float | None = None  # virtual time at start (epoch seconds); default: the wall clock
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    sync_lag: float = 1.0
    retry_period: float = 10.0
    retry_jitter: float = 0.5
    seed: int = 0
    tick: float = 0.2  # wall seconds between background syncs (watch latency)
    history_limit: int = 50_000
    event_ttl: float = 3600.0
    faults: list[FaultRule] = field(default_factory=list)
    token: str = "podmortem-sim"  # the bearer token written into kubeconfigs
    check_token: bool = False  # refuse (401) requests without that token, as `sim serve --token` does
    user: str = "podmortem"
    serve: bool = True  # start the HTTP server on start()


class Clock:
    """Virtual time: starts at `start`, runs `speed` times the wall clock, and can jump ahead."""

    def __init__(self, start: float, speed: float) -> None:
        self.base = start
        self.speed = speed
        self.mono = time.monotonic()
        self.jumped = 0.0

    def now(self) -> float:
        return self.base + (time.monotonic() - self.mono) * self.speed + self.jumped

    def advance(self, seconds: float) -> None:
        self.jumped += seconds

    def wall(self) -> float:
        """The wall clock clients read (served_time.py keeps served timestamps behind it)."""
        return time.time()
