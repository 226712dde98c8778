"""The evidence model: everything known about one pod, normalised and typed.

Every source (pasted `kubectl describe` text, Kubernetes objects, a snapshot folder, the live
API) produces these frozen records, and every rule reads only them. Real input is partial,
so every field may be missing (None or empty). This module does no I/O and imports nothing
else from podmortem but msgspec (through kube.typedjson).

The model's types (here, model/finding.py and model/remedy.py) are frozen msgspec structs rather
than frozen dataclasses: the same fields, defaults, equality, hash and repr, immutable as before
(setting a field raises AttributeError, of which dataclasses' FrozenInstanceError is a kind), and
copied with changes by model.evolve. A frozen dataclass sets each field in `__init__` through
`object.__setattr__` (2.6 us for PodEvidence's 24 fields, against 0.14 us for a struct), and
creating its class compiles six generated methods (0.6 ms a class, 18 ms for the model's 29, in
every process that imports the engine). A failing pod makes about 23 such objects on its way
through evidence, rules and rendering. On bench_explain's slim list, alternating with the commit
before: 0.367 -> 0.341 s and 0.379 -> 0.351 s (json.load 0.195-0.198 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from podmortem.kube.typedjson import msgspec

# Where a piece of evidence came from; these are the `source` values of the JSON contract.
DESCRIBE = "describe"
EVENTS = "events"
STATUS = "status"
SPEC = "spec"
LOGS = "logs"


class Termination(msgspec.Struct, frozen=True):
    """A container instance that ended (state.terminated or lastState.terminated)."""

    exit_code: int | None = None
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def run_seconds(self) -> float | None:
        """How long the instance ran; None when either time is unknown or the start is the zero time."""
        if self.started_at is None or self.finished_at is None or self.started_at.year < 1980:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Waiting(msgspec.Struct, frozen=True):
    reason: str | None = None
    message: str | None = None


class ContainerState(msgspec.Struct, frozen=True):
    """One of running / waiting / terminated, as in the API; `kind` is None when unknown."""

    kind: str | None = None  # "running" | "waiting" | "terminated"
    started_at: datetime | None = None  # for running
    waiting: Waiting | None = None
    terminated: Termination | None = None


class Probe(msgspec.Struct, frozen=True):
    """A liveness, readiness or startup probe as declared in the spec."""

    kind: str  # "liveness" | "readiness" | "startup"
    handler: str | None = None  # "http-get" | "tcp-socket" | "exec" | "grpc"
    path: str | None = None
    port: str | None = None  # number or name, as written
    scheme: str | None = None
    command: tuple[str, ...] = ()
    initial_delay_seconds: int = 0
    timeout_seconds: int = 1
    period_seconds: int = 10
    success_threshold: int = 1
    failure_threshold: int = 3

    @property
    def budget_seconds(self) -> int:
        """Seconds from container start until this probe can first have failed enough times to act."""
        return self.initial_delay_seconds + self.failure_threshold * self.period_seconds

    def describe(self) -> str:
        """The probe in kubectl describe's one-line form."""
        if self.handler == "http-get":
            target = f"http-get {(self.scheme or 'http').lower()}://:{self.port or ''}{self.path or '/'}"
        elif self.handler == "tcp-socket":
            target = f"tcp-socket :{self.port or ''}"
        elif self.handler == "exec":
            target = f"exec [{' '.join(self.command)}]"
        elif self.handler == "grpc":
            target = f"grpc <pod>:{self.port or ''}"
        else:
            target = "probe"
        return (
            f"{target} delay={self.initial_delay_seconds}s timeout={self.timeout_seconds}s "
            f"period={self.period_seconds}s #success={self.success_threshold} #failure={self.failure_threshold}"
        )


class EnvVar(msgspec.Struct, frozen=True):
    """An env entry. Values from a spec are kept (they are not secret); values from Secrets never are."""

    name: str
    value: str | None = None
    ref_kind: str | None = None  # "configmap" | "secret" | "field" | "resource"
    ref_name: str | None = None
    ref_key: str | None = None
    optional: bool = False


class EnvFrom(msgspec.Struct, frozen=True):
    ref_kind: str  # "configmap" | "secret"
    ref_name: str
    optional: bool = False
    prefix: str | None = None


class VolumeMount(msgspec.Struct, frozen=True):
    name: str
    mount_path: str
    sub_path: str | None = None
    read_only: bool = False


class Volume(msgspec.Struct, frozen=True):
    name: str
    kind: str | None = None  # "configMap" | "secret" | "persistentVolumeClaim" | "emptyDir" | "hostPath" | ...
    ref_name: str | None = None  # ConfigMap / Secret / claim name, host path
    optional: bool = False
    items: tuple[str, ...] = ()  # keys projected into the volume, when listed


class SecurityContext(msgspec.Struct, frozen=True):
    """Pod- or container-level securityContext; None means not set at that level."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    capabilities_add: tuple[str, ...] = ()
    capabilities_drop: tuple[str, ...] = ()
    fs_group: int | None = None  # pod level only


class Port(msgspec.Struct, frozen=True):
    container_port: int
    name: str | None = None
    protocol: str = "TCP"


class ContainerSpec(msgspec.Struct, frozen=True):
    name: str
    image: str | None = None
    image_pull_policy: str | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFrom, ...] = ()
    ports: tuple[Port, ...] = ()
    liveness: Probe | None = None
    readiness: Probe | None = None
    startup: Probe | None = None
    limits: dict[str, str] = msgspec.field(default_factory=dict)
    requests: dict[str, str] = msgspec.field(default_factory=dict)
    security: SecurityContext | None = None
    mounts: tuple[VolumeMount, ...] = ()
    restart_policy: str | None = None  # "Always" on an init container makes it a native sidecar

    def env_value(self, name: str) -> str | None:
        for var in self.env:
            if var.name == name:
                return var.value
        return None


class ContainerStatus(msgspec.Struct, frozen=True):
    name: str
    ready: bool | None = None
    started: bool | None = None
    restart_count: int | None = None
    state: ContainerState = ContainerState()
    last_state: ContainerState = ContainerState()
    image: str | None = None
    image_id: str | None = None
    container_id: str | None = None


class LogLine(msgspec.Struct, frozen=True):
    """One line of a log's message text, tied to the original line(s) it was read from.

    `text` is what rules match (envelopes and prefixes off, quotes folded, bounded: podmortem.logline);
    `raw` is what citations quote.
    """

    text: str
    raw: str
    number: int  # 1-based number of the (first) original line
    level: str | None = None  # from a structured envelope (klog, JSON, logfmt): info warn error fatal ...
    continued: bool = False  # a further line of the record above (a traceback inside a JSON field)


class LogText(msgspec.Struct, frozen=True):
    """A container's log as captured: message lines in order, plus whether it was cut.

    `lines` are the message texts of `records` (kept as plain strings for cheap scanning); a LogText
    built without records (tests, plugins) has lines that are their own originals.
    """

    lines: tuple[str, ...]
    previous: bool = True  # from the instance that crashed (`--previous`)
    truncated: bool = False
    origin: str | None = None  # file name or API call, for the report
    records: tuple[LogLine, ...] = ()

    def record(self, index: int) -> LogLine:
        """The record of lines[index] (0-based)."""
        if self.records:
            return self.records[index]
        text = self.lines[index]
        return LogLine(text, text, index + 1)

    def iter_records(self) -> Iterator[LogLine]:
        if self.records:
            yield from self.records
        else:
            for i, text in enumerate(self.lines):
                yield LogLine(text, text, i + 1)


class ContainerEvidence(msgspec.Struct, frozen=True):
    """What is known about one container: spec, status and logs, any of which may be missing."""

    name: str
    init: bool = False
    spec: ContainerSpec | None = None
    status: ContainerStatus | None = None
    logs: tuple[LogText, ...] = ()

    @property
    def is_sidecar(self) -> bool:
        return self.init and self.spec is not None and self.spec.restart_policy == "Always"

    @property
    def restart_count(self) -> int:
        return (self.status.restart_count or 0) if self.status else 0

    @property
    def waiting_reason(self) -> str | None:
        s = self.status
        return s.state.waiting.reason if s and s.state.waiting else None

    @property
    def terminations(self) -> tuple[Termination, ...]:
        """Terminated states, newest first: the current state if terminated, then lastState."""
        if self.status is None:
            return ()
        found = []
        for st in (self.status.state, self.status.last_state):
            if st.terminated is not None:
                found.append(st.terminated)
        return tuple(found)

    @property
    def last_termination(self) -> Termination | None:
        """`terminations[0]`, without building the tuple (the rules ask it seven times a pod)."""
        s = self.status
        if s is None:
            return None
        return s.state.terminated if s.state.terminated is not None else s.last_state.terminated

    def log_lines(self) -> Iterator[tuple[int, str]]:
        """(original line number, message text) over all logs, the crashed instance's first."""
        for rec in self.log_records():
            yield rec.number, rec.text

    def log_records(self) -> Iterator[LogLine]:
        """Every log record, the crashed instance's log first."""
        for log in sorted(self.logs, key=lambda lg: not lg.previous):
            yield from log.iter_records()


class Event(msgspec.Struct, frozen=True):
    type: str | None = None  # Normal | Warning
    reason: str | None = None
    message: str = ""
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    age: str | None = None  # as printed by describe, when times are not known
    source: str | None = None  # component (kubelet, default-scheduler, ...)
    host: str | None = None
    field_path: str | None = None  # spec.containers{app}
    object_kind: str | None = None
    object_name: str | None = None
    raw: str | None = None  # the line as pasted, for citations

    @property
    def container(self) -> str | None:
        """The container an event is about, from its fieldPath or its message."""
        fp = self.field_path or ""
        if "{" in fp and fp.endswith("}"):
            return fp[fp.index("{") + 1 : -1]
        return None

    @property
    def about_init_container(self) -> bool:
        return (self.field_path or "").startswith("spec.initContainers")


class Owner(msgspec.Struct, frozen=True):
    kind: str
    name: str


class PodEvidence(msgspec.Struct, frozen=True):
    """Everything known about one pod. `origin` says which kind of source produced it."""

    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    origin: str = STATUS  # DESCRIBE when parsed from pasted text, LOGS for a log-only diagnosis
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    annotations: dict[str, str] = msgspec.field(default_factory=dict)
    owner: Owner | None = None
    node: str | None = None
    phase: str | None = None
    reason: str | None = None  # pod-level status.reason (Evicted, ...)
    message: str | None = None
    restart_policy: str | None = None
    security: SecurityContext | None = None
    volumes: tuple[Volume, ...] = ()
    containers: tuple[ContainerEvidence, ...] = ()  # init containers first, in spec order
    events: tuple[Event, ...] = ()
    conditions: dict[str, str] = msgspec.field(default_factory=dict)  # type -> status
    qos_class: str | None = None  # status.qosClass: Guaranteed | Burstable | BestEffort
    created_at: datetime | None = None
    started_at: datetime | None = None
    loose_lines: tuple[str, ...] = ()  # pasted text that no parser understood, still searchable
    has_spec: bool = False
    has_status: bool = False
    has_events: bool = False  # True when events were supplied, even if there were none

    @property
    def key(self) -> str:
        return f"{self.namespace or 'default'}/{self.name or '<unknown>'}"

    @property
    def has_logs(self) -> bool:
        return any(c.logs for c in self.containers)

    def container(self, name: str | None) -> ContainerEvidence | None:
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def volume(self, name: str) -> Volume | None:
        for v in self.volumes:
            if v.name == name:
                return v
        return None

    @property
    def app_containers(self) -> tuple[ContainerEvidence, ...]:
        return tuple(c for c in self.containers if not c.init)

    @property
    def init_containers(self) -> tuple[ContainerEvidence, ...]:
        return tuple(c for c in self.containers if c.init)

    def events_for(self, container: str | None) -> tuple[Event, ...]:
        """Events about this container, plus pod-level events that name no container."""
        return tuple(e for e in self.events if e.container in (None, container))

    def effective_security(self, container: ContainerEvidence) -> SecurityContext:
        """Container securityContext over the pod's, field by field, as the kubelet merges them."""
        pod = self.security or SecurityContext()
        own = (container.spec.security if container.spec else None) or SecurityContext()
        return SecurityContext(
            run_as_user=own.run_as_user if own.run_as_user is not None else pod.run_as_user,
            run_as_group=own.run_as_group if own.run_as_group is not None else pod.run_as_group,
            run_as_non_root=own.run_as_non_root if own.run_as_non_root is not None else pod.run_as_non_root,
            read_only_root_filesystem=own.read_only_root_filesystem,
            privileged=own.privileged,
            allow_privilege_escalation=own.allow_privilege_escalation,
            capabilities_add=own.capabilities_add,
            capabilities_drop=own.capabilities_drop,
            fs_group=pod.fs_group,
        )
