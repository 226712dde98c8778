"""The kubelet model's data: node, settings, one container and one run (instance) of it.

Plain dataclasses and constants, no behaviour beyond what an instance answers about itself
(running, ready, started, its log lines). Imports no other module of the kubelet package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podmortem.backoff import BackoffSettings
from podmortem.sim.profile import Profile

MiB = 2**20
NODE_MEMORY_MIB = 16 * 1024
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@dataclass(frozen=True, slots=True)
class KubeletSettings:
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    sync_lag: float = 1.0  # PLEG notices an exit and the pod worker syncs again
    retry_period: float = 10.0  # a failed sync is retried after this (plus jitter)
    retry_jitter: float = 0.5
    reset_seconds: float = 600.0  # the back-off entry goes stale after this


@dataclass
class NodeSim:
    name: str
    index: int
    ip: str
    images: dict[str, float] = field(default_factory=dict)  # image -> when its pull ends (present from then on)
    puller_free_at: float = 0.0  # serializeImagePulls: the node's one image puller is busy until then
    pressure: tuple[int, int, float] | None = None  # (threshold bytes, available bytes, since)
    csi_drivers: frozenset[str] = frozenset()  # CSI drivers registered on the node
    next_ip: int = 2

    def allocate_ip(self) -> str:
        ip = f"10.244.{self.index}.{self.next_ip}"
        self.next_ip = self.next_ip + 1 if self.next_ip < 254 else 2
        return ip


@dataclass
class Instance:
    """One run of a container (one containerID)."""

    number: int
    container_id: str
    start: float | None  # None: it never started (StartError)
    end: float | None  # None: still running, no exit planned
    reason: str = "Error"
    exit_code: int = 0
    message: str | None = None
    logs: list[tuple[float, str]] = field(default_factory=list)
    repeat: tuple[tuple[str, ...], float] | None = None
    started_at: float | None = None  # the startup probe passed (or no startup probe)
    ready_changes: list[tuple[float, bool]] = field(default_factory=list)
    stopping_from: float | None = None  # killed: probes and readiness stop here
    vars: dict[str, str] = field(default_factory=dict)
    handled: bool = False  # the kubelet has seen this instance exit

    def running(self, t: float) -> bool:
        return self.start is not None and self.start <= t and (self.end is None or t < self.end)

    def ready(self, t: float) -> bool:
        if not self.running(t) or (self.stopping_from is not None and t >= self.stopping_from):
            return False
        value = False
        for when, v in self.ready_changes:
            if when > t:
                break
            value = v
        return value

    def started(self, t: float) -> bool:
        return self.running(t) and self.started_at is not None and self.started_at <= t

    def log_lines(self, until: float) -> list[tuple[float, str]]:
        lines = [(ts, text) for ts, text in self.logs if ts <= until]
        if self.repeat and self.start is not None:
            texts, every = self.repeat
            stop = min(until, self.end if self.end is not None else until)
            k = 1
            t = self.start + every
            extra: list[tuple[float, str]] = []
            while t <= stop and len(extra) < 5000:
                extra.append((t, texts[(k - 1) % len(texts)]))
                k += 1
                t = self.start + every * k
            if extra:
                lines = sorted(lines + extra, key=lambda x: x[0])
        return lines


@dataclass
class ContainerSim:
    spec: dict[str, Any]
    init: bool
    sidecar: bool
    profile: Profile
    index: int
    instances: list[Instance] = field(default_factory=list)
    total: int = 0
    waiting: tuple[str, str] | None = None
    next_attempt: float | None = None
    backoff: tuple[float, float] | None = None  # (delay, last update)
    done: bool = False  # exited and will not run again
    pulled_until: float | None = None  # an image pull in progress ends then
    ephemeral: bool = False  # added by `kubectl debug --target`: runs once, never restarted, not in readiness

    @property
    def name(self) -> str:
        return str(self.spec.get("name"))

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    @property
    def latest(self) -> Instance | None:
        return self.instances[-1] if self.instances else None

    @property
    def previous(self) -> Instance | None:
        return self.instances[-2] if len(self.instances) > 1 else None

    @property
    def restart_count(self) -> int:
        return max(self.total - 1, 0)

    def exited(self, t: float) -> bool:
        last = self.latest
        return last is not None and last.end is not None and last.end <= t
