"""The mutable pod, container, state, env and volume builders, and their frozen evidence.

The parser fills these in line by line, as a paste reveals a pod in any order and in pieces;
`build()` turns each into the frozen evidence model (PodEvidence, ContainerEvidence, ...),
deciding there what the paste showed (a spec block, a status, events).
It imports the evidence model, `events` (the event builder) and `vocabulary`; never the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from podmortem.model import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EnvFrom,
    EnvVar,
    Owner,
    PodEvidence,
    Port,
    Probe,
    Termination,
    Volume,
    VolumeMount,
    Waiting,
)
from podmortem.model.evidence import DESCRIBE
from podmortem.sources.describe.events import EventB
from podmortem.sources.describe.vocabulary import SPEC_KEYS, STATUS_KEYS

# Before ownerReferences, the owner was kept in the `kubernetes.io/created-by` annotation
# (a serialized reference); pastes from those clusters name the owner only there.
_CREATED_BY_ANNOTATION = re.compile(r'"reference":\{"kind":"(?P<kind>\w+)",(?:"namespace":"[^"]*",)?"name":"(?P<name>[^"]+)"')


@dataclass
class EnvB:
    name: str
    value: str | None = None
    ref_kind: str | None = None
    ref_name: str | None = None
    ref_key: str | None = None
    optional: bool = False

    def append(self, text: str, glue: str) -> None:
        if self.ref_kind is None:
            self.value = f"{self.value or ''}\n{text}"

    def build(self) -> EnvVar:
        return EnvVar(self.name, self.value, self.ref_kind, self.ref_name, self.ref_key, self.optional)


@dataclass
class StateB:
    kind: str | None = None
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    started: datetime | None = None
    finished: datetime | None = None
    seen: bool = False

    def append(self, text: str, glue: str) -> None:
        self.message = f"{self.message or ''}{glue}{text}"

    def build(self) -> ContainerState:
        # a raw message may end in the blank lines that stood before the next key
        message = self.message.rstrip() if self.message is not None else None
        kind = self.kind
        if kind is None and (self.exit_code is not None or self.finished is not None):
            kind = "terminated"  # a fragment that lost its `State:` line
        if kind == "running":
            return ContainerState("running", started_at=self.started)
        if kind == "waiting":
            return ContainerState("waiting", waiting=Waiting(self.reason, message))
        if kind == "terminated":
            return ContainerState("terminated", terminated=Termination(
                exit_code=self.exit_code, signal=self.signal, reason=self.reason, message=message,
                started_at=self.started, finished_at=self.finished))
        return ContainerState()


@dataclass
class ContainerB:
    name: str
    init: bool = False
    ephemeral: bool = False
    image: str | None = None
    ports: list[Port] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    env: list[EnvB] = field(default_factory=list)
    env_from: list[EnvFrom] = field(default_factory=list)
    mounts: list[VolumeMount] = field(default_factory=list)
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)
    container_id: str | None = None
    image_id: str | None = None
    state: StateB = field(default_factory=StateB)
    last_state: StateB = field(default_factory=StateB)
    ready: bool | None = None
    restart_count: int | None = None
    keys: set[str] = field(default_factory=set)  # keys seen, to notice a second headerless block

    @property
    def has_spec(self) -> bool:
        return bool(self.keys & SPEC_KEYS)

    @property
    def has_status(self) -> bool:
        return bool(self.keys & STATUS_KEYS) or self.state.seen or self.last_state.seen

    def build(self) -> ContainerEvidence:
        spec = None
        if self.has_spec:
            spec = ContainerSpec(
                name=self.name, image=self.image, command=tuple(self.command), args=tuple(self.args),
                env=tuple(e.build() for e in self.env), env_from=tuple(self.env_from), ports=tuple(self.ports),
                liveness=self.probes.get("liveness"), readiness=self.probes.get("readiness"),
                startup=self.probes.get("startup"), limits=dict(self.limits), requests=dict(self.requests),
                mounts=tuple(self.mounts))
        status = None
        if self.has_status:
            status = ContainerStatus(
                name=self.name, ready=self.ready, restart_count=self.restart_count, state=self.state.build(),
                last_state=self.last_state.build(), image=self.image, image_id=self.image_id,
                container_id=self.container_id)
        return ContainerEvidence(self.name, self.init, spec, status)

@dataclass
class PodB:
    name: str | None = None
    namespace: str | None = None
    node: str | None = None
    phase: str | None = None
    reason: str | None = None
    message: str | None = None
    owner: Owner | None = None
    started_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, str] = field(default_factory=dict)
    volumes: list[VolumeB] = field(default_factory=list)
    containers: list[ContainerB] = field(default_factory=list)
    events: list[EventB] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)
    qos: str | None = None
    top_status: bool = False
    has_events: bool = False
    hint_name: str | None = None
    hint_namespace: str | None = None

    @property
    def has_content(self) -> bool:
        return self.described or bool(self.events or self.has_events)

    @property
    def described(self) -> bool:
        """Whether this pod has describe fields of its own, not just events or loose lines
        (which, pasted before a describe, are about the pod described next)."""
        return bool(self.name or self.namespace or self.phase or self.containers or self.volumes
                    or self.conditions or self.labels or self.top_status)

    def other_pod(self, name: str | None) -> bool:
        """Whether a new `Name:` or describe command starts another pod after this one."""
        return self.described or bool(self.hint_name and self.hint_name != name)

    def append_message(self, text: str, glue: str) -> None:
        self.message = f"{self.message or ''}{glue}{text}"

    def build(self) -> PodEvidence:
        owner = self.owner
        if owner is None:
            m = _CREATED_BY_ANNOTATION.search(self.annotations.get("kubernetes.io/created-by", ""))
            if m:
                owner = Owner(m["kind"], m["name"])
        containers = [c for c in self.containers if not c.ephemeral]
        containers.sort(key=lambda c: not c.init)  # init containers first, as the model wants
        built = tuple(c.build() for c in containers)
        # `kubectl get events` rows name their object: one pod among them names the pod.
        objects = {e.object_name for e in self.events if e.object_kind == "Pod" and e.object_name}
        name = self.name or self.hint_name or (objects.pop() if len(objects) == 1 else None)
        # `kubectl get events` rows about another pod say nothing about this one
        events = [e for e in self.events if not (name and e.object_kind == "Pod" and e.object_name
                                                 and e.object_name != name)]
        return PodEvidence(
            name=name,
            namespace=self.namespace or self.hint_namespace,
            origin=DESCRIBE,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            owner=owner,
            node=self.node,
            phase=self.phase,
            reason=self.reason,
            message=self.message.strip() if self.message else None,
            volumes=tuple(v.build() for v in self.volumes),
            containers=built,
            events=tuple(e.build() for e in events),
            conditions=dict(self.conditions),
            qos_class=self.qos,
            started_at=self.started_at,
            loose_lines=tuple(self.loose),
            has_spec=any(c.has_spec and bool(c.keys & _ALWAYS_PRINTED) for c in containers),
            has_status=self.top_status or any(c.has_status for c in containers),
            has_events=self.has_events or bool(self.events),
        )


# kubectl prints these spec lines for every container; a block holding one is a real spec block
# (a fragment holding only `Limits:` gives a spec for that container, not a claim about the pod).
_ALWAYS_PRINTED = frozenset({"Image", "Port", "Ports", "Host Port", "Host Ports", "Environment",
                             "Environment Variables", "Mounts"})


@dataclass
class VolumeB:
    name: str
    kind: str | None = None
    ref_name: str | None = None
    optional: bool = False
    items: list[str] = field(default_factory=list)
    attrs: set[str] = field(default_factory=set)

    def build(self) -> Volume:
        return Volume(self.name, self.kind, self.ref_name, self.optional, tuple(self.items))
