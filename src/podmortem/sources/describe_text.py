"""Pasted `kubectl describe pod` text -> PodEvidence.

People paste describe output from every kubectl since 1.0, and seldom whole: indentation
stripped by a chat client, lines cut with `...` or `<snip>`, only the Events table, one event
line, a container block starting at `State:`, shell prompts, or several pods from
`kubectl describe pods`. So the parser is driven by describe's vocabulary (the keys kubectl
writes, shared/kubernetes-facts.md section 4.6) and uses indentation only where it survived,
to tell a child line from its parent. Events are read in every layout kubectl has printed:
the `Type Reason Age From Message` table, the 2015 `FirstSeen LastSeen Count From
SubobjectPath ...` tables, and `kubectl get events` rows.

Nothing is dropped: a line no rule here can place is kept in `PodEvidence.loose_lines`, where
rules still search it. The parser never raises and is linear in the size of its input.
It imports only the evidence model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone

from podmortem.model import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EnvFrom,
    EnvVar,
    Event,
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

__all__ = ["looks_like_describe", "parse_describe", "parse_event_line", "parse_probe", "parse_time"]

# --------------------------------------------------------------------------------------------
# Times: describe prints RFC 1123 with a numeric zone (Go's RFC1123Z); very old kubectl and
# hand-edited pastes use zone names, and some tools print RFC 3339.

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Zone abbreviations Go's RFC1123 layout may print; ambiguous ones (IST, ...) are left out.
_ZONES = {"UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
          "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "BST": 1,
          "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "HKT": 8, "SGT": 8}
_RFC1123 = re.compile(
    r"(?:[A-Za-z]{3},?[ \t]+)?(?P<d>\d{1,2})[ \t]+(?P<mon>[A-Za-z]{3})[ \t]+(?P<y>\d{4})[ \t]+"
    r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.\d+)?(?:[ \t]*(?P<z>[-+]\d{2}:?\d{2}|[A-Za-z]{1,5})\b)?"
)
_RFC3339 = re.compile(
    r"(?P<y>\d{4})-(?P<mon>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.\d+)?"
    r"[ \t]*(?P<z>Z|[-+]\d{2}:?\d{2})?"
)


def _zone(z: str | None) -> timezone:
    if not z:
        return UTC
    if z[0] in "+-":
        digits = z[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4])
        if minutes >= 24 * 60:
            return UTC
        return timezone(timedelta(minutes=-minutes if z[0] == "-" else minutes))
    return timezone(timedelta(hours=_ZONES.get(z.upper(), 0)))


def parse_time(text: str | None) -> datetime | None:
    """A describe timestamp (RFC 1123, also RFC 3339) as an aware datetime; None if unreadable.

    The zero times kubectl prints for unset fields (`Thu, 01 Jan 1970 00:00:00 +0000`,
    `Mon, 01 Jan 0001 00:00:00 +0000`) are kept as they are: rules tell them apart by year.
    """
    if not text:
        return None
    s = text.strip()
    m = _RFC1123.match(s)
    if m:
        month = _MONTHS.get(m["mon"].lower())
        if month is None:
            return None
    else:
        m = _RFC3339.match(s)
        if not m:
            return None
        month = int(m["mon"])
    try:
        return datetime(int(m["y"]), month, int(m["d"]), int(m["H"]), int(m["M"]), int(m["S"]),
                        tzinfo=_zone(m["z"]))
    except (ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------------------------
# Events

# HumanDuration output (`5m`, `3m20s`, `2d4h`), plus what kubectl prints for zero/future times.
_AGE = r"(?:<unknown>|<invalid>|\d+(?:ms|[smhdy])(?:\d+(?:ms|[smhdy]))*)"
_REPEAT = r"\(x(?P<count>\d+)[ \t]+over[ \t]+(?P<over>[^)\s]+)\)"
_ABS_TIME = r"(?:[A-Z][a-z]{2},[ \t]+\d{1,2}[ \t]+[A-Z][a-z]{2}[ \t]+\d{4}[ \t]+\d{1,2}:\d{2}:\d{2}(?:[ \t]+(?:[-+]\d{4}|[A-Z]{1,5}))?)"
_TIME = rf"(?:{_ABS_TIME}|{_AGE})"
_TYPES = "Normal|Warning"

# `Warning  BackOff  2m10s (x87 over 25m)  kubelet  Back-off restarting ...` (kubectl >= 1.10)
_MODERN_ROW = re.compile(
    rf"^(?P<type>{_TYPES})[ \t]+(?P<reason>[A-Za-z][\w.-]*)[ \t]+"
    rf"(?P<age>{_AGE}(?:[ \t]*{_REPEAT})?)(?:[ \t]+(?P<rest>\S.*))?[ \t]*$"
)
# A row whose Age/From columns were lost: `Warning  Failed  Error: ...` (aligned columns only).
_BARE_ROW = re.compile(rf"^(?P<type>{_TYPES})(?:\t+|[ \t]{{2,}})(?P<reason>[A-Z][A-Za-z]+)(?:\t+|[ \t]{{2,}})(?P<rest>\S.*)$")
_BARE_ROW_LOOSE = re.compile(rf"^(?P<type>{_TYPES})[ \t]+(?P<reason>[A-Z][A-Za-z]+)[ \t]+(?P<rest>\S.*)$")
# kubectl 1.0-1.9: FirstSeen LastSeen Count From SubobjectPath [Type] Reason Message.
_OLD_ROW = re.compile(
    rf"^(?P<first>{_TIME})[ \t]+(?P<last>{_TIME})[ \t]+(?P<count>\d+)[ \t]+"
    r"(?P<src>\{[^{}]*\}|[^\s,{}]+(?:,[ \t]*[^\s,]+)?)"
    r"(?:[ \t]+(?P<path>(?:spec|status)\.\w+(?:\{[^{}]*\})?|implicitly required container \S+))?"
    rf"(?:[ \t]+(?P<type>{_TYPES}))?"
    r"[ \t]+(?P<reason>[A-Za-z][\w.-]*)(?:[ \t]+(?P<msg>\S.*))?[ \t]*$"
)
# `kubectl get events`: LAST SEEN TYPE REASON OBJECT MESSAGE.
_GET_ROW = re.compile(
    rf"^(?P<age>{_AGE}(?:[ \t]*{_REPEAT})?)[ \t]+(?P<type>{_TYPES})[ \t]+(?P<reason>[A-Za-z][\w.-]*)[ \t]+"
    r"(?P<obj>[a-z][\w.-]*/\S+)[ \t]+(?P<msg>\S.*)$"
)
_AGE_COLUMN = re.compile(rf"^{_AGE}(?:[ \t]*{_REPEAT})?$")
# From column: `kubelet`, `kubelet, node-1` (kubectl < 1.14); aligned layouts end it with 2+ spaces.
_FROM_ALIGNED = re.compile(r"^(?P<src>[^\s,:\"'{}()]+(?:,[ \t]*[^\t]*?)?)(?:\t+|[ \t]{2,})(?P<msg>\S.*)$")
_FROM_TOKEN = re.compile(r"^(?P<src>[a-z][\w.-]*(?:,[ \t]*\S+)?)(?:[ \t]+(?P<msg>\S.*))?$")
# kubectl >= 1.35 prefixes the message with the involved object's fieldPath.
_FIELD_PATH_PREFIX = re.compile(r"^(?P<path>spec\.(?:initContainers|containers|ephemeralContainers)\{[^{}]*\}):[ \t]*")

_HEADER_MODERN = re.compile(r"^Type[ \t]+Reason[ \t]+Age[ \t]+From[ \t]+Message$")
_HEADER_OLD = re.compile(
    r"^First[ \t]?Seen[ \t]+Last[ \t]?Seen[ \t]+Count[ \t]+From[ \t]+(?:Sub[ \t]?object[ \t]?Path[ \t]+)?"
    r"(?:Type[ \t]+)?Reason[ \t]+Message$", re.I)
_HEADER_GET = re.compile(r"^LAST[ \t]?SEEN[ \t]+.*\bMESSAGE$")
_SEPARATOR = re.compile(r"^[ \t]*[-=_][-=_ \t]*[-=_][ \t]*$")  # `----  ------` rules, `====`
_KINDS = {"pod": "Pod", "node": "Node", "replicaset": "ReplicaSet", "deployment": "Deployment",
          "statefulset": "StatefulSet", "daemonset": "DaemonSet", "job": "Job", "cronjob": "CronJob",
          "replicationcontroller": "ReplicationController", "persistentvolumeclaim": "PersistentVolumeClaim",
          "service": "Service", "endpoints": "Endpoints"}


@dataclass
class _EventB:
    type: str | None
    reason: str | None
    message: str
    raw: str
    count: int = 1
    age: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    source: str | None = None
    host: str | None = None
    field_path: str | None = None
    object_kind: str | None = None
    object_name: str | None = None

    def append(self, text: str, glue: str) -> None:
        if glue:  # a line of its own: trailing padding of the line before is not content
            self.message, self.raw = self.message.rstrip(), self.raw.rstrip()
        self.message = f"{self.message}{glue}{text}" if self.message.strip() else text.strip()
        self.raw = f"{self.raw}{glue}{text}"

    def build(self) -> Event:
        message = self.message.strip()
        path = self.field_path
        m = _FIELD_PATH_PREFIX.match(message)
        if m:
            path = path or m["path"]
            message = message[m.end():]
        return Event(type=self.type, reason=self.reason, message=message, count=self.count,
                     first_seen=self.first_seen, last_seen=self.last_seen, age=self.age, source=self.source,
                     host=self.host, field_path=path, object_kind=self.object_kind,
                     object_name=self.object_name, raw=self.raw.strip())


def _split_source(text: str) -> tuple[str | None, str | None]:
    """`{kubelet 10.0.0.1}` (2015), `kubelet, node-1` (< 1.14) or `kubelet` -> component, host."""
    t = text.strip()
    if t.startswith("{") and t.endswith("}"):
        comp, _, host = t[1:-1].strip().partition(" ")
    else:
        comp, _, host = t.partition(",")
    return comp.strip() or None, host.strip() or None


def _split_from_message(rest: str, aligned_only: bool = False) -> tuple[str | None, str]:
    """The From column and the message, from what follows the Age column (trailing padding kept)."""
    m = _FROM_ALIGNED.match(rest)
    if m:
        return m["src"], m["msg"]
    bare = rest.rstrip()
    if aligned_only or "  " in bare or "\t" in bare:
        # Columns are aligned, so a From column would have ended in 2+ spaces: there is none.
        if " " not in bare and re.fullmatch(r"[a-z][\w.-]*", bare):
            return bare, ""  # only the From column survived
        return None, rest
    m = _FROM_TOKEN.match(rest)  # spaces collapsed by the paste: From is one lowercase token
    if m:
        return m["src"], m["msg"] or ""
    return None, rest


def _modern_event(m: re.Match[str], raw: str, src: str | None, msg: str) -> _EventB:
    comp, host = _split_source(src) if src else (None, None)
    count = m["count"]
    return _EventB(type=m["type"], reason=m["reason"], message=msg, raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", m["age"]).strip(),
                   source=comp, host=host)


def _old_event(m: re.Match[str], raw: str) -> _EventB:
    comp, host = _split_source(m["src"])
    first, last = m["first"], m["last"]
    path = m["path"]
    return _EventB(type=m["type"], reason=m["reason"], message=m["msg"] or "", raw=raw.lstrip(),
                   count=int(m["count"]) or 1, age=None if "," in last else last,
                   first_seen=parse_time(first) if "," in first else None,
                   last_seen=parse_time(last) if "," in last else None,
                   source=comp, host=host,
                   field_path=path if path and not path.startswith("implicitly") else None)


def _get_event(m: re.Match[str], raw: str) -> _EventB:
    kind, _, name = m["obj"].partition("/")
    count = m["count"]
    return _EventB(type=m["type"], reason=m["reason"], message=m["msg"], raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", m["age"]),
                   object_kind=_KINDS.get(kind.lower(), kind[:1].upper() + kind[1:]), object_name=name)


def _event_row(line: str, raw: str, in_events: bool) -> _EventB | None:
    """One events-table row in any layout, or None. `line` is the row without its indentation."""
    first = line[:1]
    if first in ("N", "W"):
        m = _MODERN_ROW.match(line)
        if m:
            src, msg = _split_from_message(m["rest"] or "")
            return _modern_event(m, raw, src, msg)
        m = _BARE_ROW.match(line) or (_BARE_ROW_LOOSE.match(line) if in_events else None)
        if m:
            src, msg = _split_from_message(m["rest"], aligned_only=True)
            if src is not None and not re.fullmatch(r"[a-z][\w.-]*(?:,.*)?", src):
                src, msg = None, m["rest"]  # a capitalised first word is the message, not a From
            comp, host = _split_source(src) if src else (None, None)
            return _EventB(type=m["type"], reason=m["reason"], message=msg, raw=raw.lstrip(),
                           source=comp, host=host)
    if first.isdigit() or first in ("<", "M", "T", "W", "F", "S"):  # an age, or a weekday (2015)
        m = _OLD_ROW.match(line)
        if m:
            return _old_event(m, raw)
        m = _GET_ROW.match(line)
        if m:
            return _get_event(m, raw)
    return None


def parse_event_line(line: str) -> Event | None:
    """One pasted events-table row (modern, 2015 or `kubectl get events` layout) as an Event."""
    e = _event_row(line.lstrip(), line, in_events=False)
    return e.build() if e else None


def _columns(header: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", header.expandtabs(8))]


def _column_event(raw: str, cols: list[int]) -> _EventB | None:
    """A modern row cut at the header's column offsets; None unless every column lines up.

    Only this reading keeps an empty From column empty; the regex reading cannot know.
    """
    line = raw.expandtabs(8)
    t, r, a, f, msg_at = cols
    if len(line) <= msg_at or line[:t].strip():
        return None
    for c in (r, a, f, msg_at):
        if line[c - 1] != " ":
            return None
    for c in (t, r, a, msg_at):
        if line[c] == " ":
            return None
    typ, reason, age = line[t:r].strip(), line[r:a].strip(), line[a:f].strip()
    src = line[f:msg_at].strip()
    am = _AGE_COLUMN.match(age)
    if (not re.fullmatch(r"[A-Z][A-Za-z]*", typ) or not re.fullmatch(r"[A-Za-z][\w.-]*", reason) or not am
            or (src and not re.fullmatch(r"[^\s,:\"'{}()]+(?:,.*)?", src))):
        return None
    comp, host = _split_source(src) if src else (None, None)
    count = am["count"]
    return _EventB(type=typ, reason=reason, message=raw.expandtabs(8)[msg_at:], raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", age), source=comp, host=host)


# --------------------------------------------------------------------------------------------
# Container fields

_PROBE_HANDLER = re.compile(r"^(?P<handler>http-get|tcp-socket|exec|grpc|unknown)\b[ \t]*(?P<target>.*)$")
_PROBE_ATTR = re.compile(
    r"(?:^|[ \t])(?P<k>delay|timeout|period|#success|#failure|successThreshold|failureThreshold)=(?P<v>-?\d+)"
)
_PROBE_KEYS = {"delay": "initial_delay_seconds", "timeout": "timeout_seconds", "period": "period_seconds",
               "#success": "success_threshold", "successThreshold": "success_threshold",
               "#failure": "failure_threshold", "failureThreshold": "failure_threshold"}


def parse_probe(kind: str, text: str) -> Probe | None:
    """A probe in describe's one-line form, e.g. `http-get http://:8080/healthz delay=0s timeout=1s
    period=10s #success=1 #failure=3` (`successThreshold=`/`failureThreshold=` since kubectl 1.37)."""
    m = _PROBE_HANDLER.match(text.strip())
    if not m:
        return None
    handler = m["handler"]
    attrs = {"initial_delay_seconds": 0, "timeout_seconds": 1, "period_seconds": 10,
             "success_threshold": 1, "failure_threshold": 3}
    first_attr = len(m["target"])
    for a in _PROBE_ATTR.finditer(m["target"]):
        first_attr = min(first_attr, a.start())
        try:
            attrs[_PROBE_KEYS[a["k"]]] = int(a["v"])
        except ValueError:
            continue
    target = m["target"][:first_attr].strip()
    path = port = scheme = None
    command: tuple[str, ...] = ()
    if handler == "http-get":
        scheme, sep, after = target.partition("://")
        if not sep:
            scheme, after = "http", target
        host_port, slash, rest = after.partition("/")
        path = slash + rest if slash else "/"
        port = _port_of(host_port)
        scheme = scheme.upper() or "HTTP"
    elif handler in ("tcp-socket", "grpc"):
        port = _port_of(target.split()[0] if target else "")
    elif handler == "exec":
        inner = target[1:-1] if target.startswith("[") and target.endswith("]") else target
        command = tuple(inner.split())
    return Probe(kind=kind, handler=None if handler == "unknown" else handler, path=path, port=port,
                 scheme=scheme, command=command, **attrs)


def _port_of(host_port: str) -> str | None:
    """`:8080`, `10.0.0.1:8080`, `[::1]:8080`, `<pod>:9090` -> the port as written."""
    if host_port.startswith("[") and "]" in host_port:
        host_port = host_port[host_port.index("]") + 1:]
    if ":" not in host_port:
        return None
    port = host_port.rsplit(":", 1)[1].strip()
    return port or None


_PORT = re.compile(r"(?P<port>\d+)(?:/(?P<proto>[A-Za-z]+))?(?:[ \t]*\((?P<name>[^)]*)\))?")
_ENV_SECRET = re.compile(r"^<set to the key '(?P<key>[^']*)' in secret '(?P<name>[^']*)'>(?P<rest>.*)$")
_ENV_CONFIGMAP = re.compile(r"^<set to the key '(?P<key>[^']*)' of config map '(?P<name>[^']*)'>(?P<rest>.*)$")
_ENV_OPTIONAL = re.compile(r"Optional:[ \t]*(?P<v>true|false)", re.I)
_ENV_FIELD = re.compile(r"^(?P<value>.*?)[ \t]*\((?P<api>v\d\w*(?:/\w+)?):(?P<path>[^()]+)\)$")
_ENV_RESOURCE = re.compile(r"^(?P<value>.*?)[ \t]*\((?P<res>(?:limits|requests)\.[\w.-]+)\)$")
_ENV_NAME = re.compile(r"^(?P<name>[A-Za-z_][\w.-]*):(?:[ \t]+(?P<value>.*))?$")
_ENV_FROM = re.compile(
    r"^(?P<name>\S+)[ \t]+(?P<kind>ConfigMap|Secret)(?:[ \t]+with prefix '(?P<prefix>[^']*)')?"
    r"(?:[ \t]+Optional:[ \t]*(?P<opt>true|false))?[ \t]*$", re.I)
_MOUNT = re.compile(r"^(?P<path>\S.*?) from (?P<name>\S+)(?:[ \t]+\((?P<flags>[^)]*)\))?[ \t]*$")
_RESOURCE_LINE = re.compile(r"^(?P<name>[a-z][\w./-]*):[ \t]*(?P<value>\S+)$")


@dataclass
class _EnvB:
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


def _env(name: str, value: str | None) -> _EnvB:
    v = (value or "").strip()
    for pattern, kind in ((_ENV_SECRET, "secret"), (_ENV_CONFIGMAP, "configmap")):
        m = pattern.match(v)
        if m:
            opt = _ENV_OPTIONAL.search(m["rest"])
            return _EnvB(name, None, kind, m["name"], m["key"], bool(opt and opt["v"].lower() == "true"))
    m = _ENV_FIELD.match(v)
    if m:
        return _EnvB(name, None, "field", None, m["path"].strip())
    m = _ENV_RESOURCE.match(v)
    if m:
        return _EnvB(name, None, "resource", None, m["res"])
    return _EnvB(name, v)


@dataclass
class _StateB:
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
        kind = self.kind
        if kind is None and (self.exit_code is not None or self.finished is not None):
            kind = "terminated"  # a fragment that lost its `State:` line
        if kind == "running":
            return ContainerState("running", started_at=self.started)
        if kind == "waiting":
            return ContainerState("waiting", waiting=Waiting(self.reason, self.message))
        if kind == "terminated":
            return ContainerState("terminated", terminated=Termination(
                exit_code=self.exit_code, signal=self.signal, reason=self.reason, message=self.message,
                started_at=self.started, finished_at=self.finished))
        return ContainerState()


@dataclass
class _ContainerB:
    name: str
    init: bool = False
    ephemeral: bool = False
    image: str | None = None
    ports: list[Port] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    env: list[_EnvB] = field(default_factory=list)
    env_from: list[EnvFrom] = field(default_factory=list)
    mounts: list[VolumeMount] = field(default_factory=list)
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)
    container_id: str | None = None
    image_id: str | None = None
    state: _StateB = field(default_factory=_StateB)
    last_state: _StateB = field(default_factory=_StateB)
    ready: bool | None = None
    restart_count: int | None = None
    keys: set[str] = field(default_factory=set)  # keys seen, to notice a second headerless block

    @property
    def has_spec(self) -> bool:
        return bool(self.keys & _SPEC_KEYS)

    @property
    def has_status(self) -> bool:
        return bool(self.keys & _STATUS_KEYS) or self.state.seen or self.last_state.seen

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


# --------------------------------------------------------------------------------------------
# Vocabulary (kubectl describe.go, all versions since 1.0; OpenShift's `oc describe` adds a few)

_TOP_KEYS = frozenset({
    "Name", "Namespace", "Priority", "Priority Class Name", "PriorityClassName", "Runtime Class Name",
    "Service Account", "Node", "Start Time", "Labels", "Annotations", "Status", "Termination Grace Period",
    "Reason", "Message", "IP", "IPs", "Controlled By", "Controllers", "Created By", "Replication Controllers",
    "NominatedNodeName", "Nominated Node Name", "Resources", "Init Containers", "Containers",
    "Ephemeral Containers", "Readiness Gates", "Conditions", "Volumes", "QoS Class", "Node-Selectors",
    "Tolerations", "Topology Spread Constraints", "Events", "Image(s)", "Security Policy", "SchedulingGroup",
    "Host IP", "Pod IP", "Pod IPs",
})
# Keys that only ever appear at the top level: seeing one closes any container or volume block.
_TOP_ONLY = _TOP_KEYS - {"Name", "Reason", "Message", "IP", "Resources"}
_CONTAINER_KEYS = frozenset({
    "Container ID", "Image", "Image ID", "Port", "Ports", "Host Port", "Host Ports", "Command", "Args",
    "State", "Last State", "Last Termination State", "Ready", "Restart Count", "Limits", "Requests",
    "Liveness", "Readiness", "Startup", "Environment", "Environment Variables", "Environment Variables from",
    "Mounts", "Devices", "QoS Tier", "SeccompProfile", "LocalhostProfile", "Started",
})
# The keys that open a container block, used to recognise a `name:` line as its header.
_CONTAINER_START = frozenset({
    "Container ID", "Image", "Image ID", "Port", "Ports", "Host Port", "Host Ports", "Command", "Args",
    "State", "Last State", "Last Termination State",
})
# kubectl prints these for every container, so seeing one means the spec block was pasted.
_SPEC_KEYS = frozenset({"Image", "Port", "Ports", "Host Port", "Host Ports", "Environment",
                        "Environment Variables", "Mounts", "Command", "Args", "Limits", "Requests",
                        "Liveness", "Readiness", "Startup", "Environment Variables from"})
_STATUS_KEYS = frozenset({"Container ID", "Image ID", "State", "Last State", "Last Termination State",
                          "Ready", "Restart Count"})
_STATE_KEYS = frozenset({"Reason", "Message", "Exit Code", "Signal", "Started", "Finished"})
_TERMINATED_ONLY = frozenset({"Exit Code", "Signal", "Finished"})
_VOLUME_ATTRS = frozenset({
    "Type", "Name", "SecretName", "ClaimName", "ReadOnly", "Optional", "Medium", "SizeLimit", "Path",
    "HostPathType", "ConfigMapName", "ConfigMapOptional", "DownwardAPI", "TokenExpirationSeconds", "Items",
    "Server", "Driver", "FSType", "VolumeAttributes", "Repository", "Revision", "Reference", "PullPolicy",
    "VolumeID", "PDName", "Partition", "StorageClass", "Volume", "Capacity", "Access Modes", "VolumeMode",
})
_VOLUME_KINDS = {
    "configmap": "configMap", "secret": "secret", "persistentvolumeclaim": "persistentVolumeClaim",
    "emptydir": "emptyDir", "hostpath": "hostPath", "projected": "projected", "downwardapi": "downwardAPI",
    "nfs": "nfs", "csi": "csi", "ephemeralvolume": "ephemeral", "gitrepo": "gitRepo", "iscsi": "iscsi",
    "glusterfs": "glusterfs", "rbd": "rbd", "cephfs": "cephfs", "cinder": "cinder", "fc": "fc",
    "flexvolume": "flexVolume", "flocker": "flocker", "azuredisk": "azureDisk", "azurefile": "azureFile",
    "gcepersistentdisk": "gcePersistentDisk", "awselasticblockstore": "awsElasticBlockStore",
    "image": "image", "quobyte": "quobyte", "portworxvolume": "portworxVolume", "scaleio": "scaleIO",
    "storageos": "storageos", "photonpersistentdisk": "photonPersistentDisk", "vspherevolume": "vsphereVolume",
}
_TERMINATED_REASONS = frozenset({"OOMKilled", "Error", "Completed", "StartError", "ContainerCannotRun",
                                 "ContainerStatusUnknown", "DeadlineExceeded"})

_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 ()/._-]{0,60}?):(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_DNS_NAME = re.compile(r"^(?P<name>[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?):[ \t]*$")
_LABEL = re.compile(r"^[A-Za-z0-9][\w./-]*=\S*$")
_ANNOTATION = re.compile(r"^(?P<key>[A-Za-z0-9][\w./-]*)(?::[ \t]+|:$|=)(?P<value>.*)$")
_TOLERATION = re.compile(r"(?:\bop=|:(?:NoSchedule|NoExecute|PreferNoSchedule)\b|\bwhen max skew\b)")
_CONDITION = re.compile(r"^(?P<type>[A-Za-z][\w./-]*)[ \t]+(?P<status>True|False|Unknown|<none>)$")
_OWNER = re.compile(r"^(?P<kind>[A-Za-z][\w.-]*)/(?P<name>\S+)")
_CREATED_BY_ANNOTATION = re.compile(r'"reference":\{"kind":"(?P<kind>\w+)",(?:"namespace":"[^"]*",)?"name":"(?P<name>[^"]+)"')

# Lines that mark a cut in the paste; they carry nothing and break any continuation.
_SNIP = re.compile(
    r"^(?:\.{2,}|…+|\[\s*(?:\.{2,}|…|snip(?:ped)?|truncated|trimmed|cut|omitted)[^\]]*\]|"
    r"<\s*(?:snip(?:ped)?|truncated|\.{2,}|…|omitted)[^>]*>|\(\s*(?:snip(?:ped)?|\.{2,}|…|truncated)\s*\)|"
    r"[-=#*\s]*snip[-=#*\s]*|\.{2,}\s*(?:snip(?:ped)?|truncated|more|omitted)\b.*)$", re.I)
_FENCE = re.compile(r"^(?:```|~~~)")
_PROMPT = re.compile(
    r"^(?:(?:\[[^\]]{0,80}\]|[\w.@~:/-]{0,80}|PS [^>]{0,120})[ \t]*[$#%>]|➜\s+\S*)?[ \t]*(?:sudo[ \t]+)?"
    r"(?P<cmd>kubectl|oc|k|microk8s[. ]kubectl|k3s[ \t]+kubectl|minikube[ \t]+kubectl[ \t]+--)[ \t]+(?P<args>.*)$")
_VERBS = frozenset({"describe", "logs", "get", "apply", "delete", "edit", "exec", "rollout", "top", "events",
                    "create", "run", "debug", "version", "config", "explain", "patch", "scale", "set", "label",
                    "annotate", "port-forward", "cluster-info", "auth", "adm", "project", "status", "new-app",
                    "login", "whoami", "cp", "attach", "wait", "replace", "-n", "--namespace", "--context",
                    "-A", "--all-namespaces"})
_FLAGS_WITH_VALUE = frozenset({"-l", "--selector", "-f", "--filename", "-k", "--kustomize", "--context",
                               "--kubeconfig", "--cluster", "--user", "--chunk-size", "--request-timeout", "-s",
                               "--server", "--token", "--as", "--as-group"})
_NOT_FOUND_BUT_EVENTS = re.compile(r"^Pod '(?P<name>[^']+)': error '.*', but found events\.?$")


def _none(value: str | None) -> str | None:
    v = (value or "").strip()
    return None if v in ("", "<none>", "<unset>", "<nil>") else v


def _int(value: str | None) -> int | None:
    m = re.match(r"^[ \t]*(-?\d+)", value or "")
    return int(m.group(1)) if m else None


def _bool(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    return True if v == "true" else False if v == "false" else None


def _indent(raw: str) -> int:
    n = 0
    for ch in raw:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 8 - n % 8
        else:
            break
    return n


def _hard_wrapped(prev_raw: str, raw: str, width: int, at_width: int) -> bool:
    """Whether `raw` is the rest of `prev_raw`, cut by a terminal at its width.

    A terminal caps every line at its width, so a cut line is as long as the longest line of
    the paste; with one such line only, a cut is trusted only when it splits a word.
    """
    if width < 72 or len(prev_raw) != width:
        return False
    return at_width >= 2 or (prev_raw[-1:].isalnum() and raw[:1].isalnum())


# --------------------------------------------------------------------------------------------
# The pod being assembled


@dataclass
class _PodB:
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
    volumes: list[_VolumeB] = field(default_factory=list)
    containers: list[_ContainerB] = field(default_factory=list)
    events: list[_EventB] = field(default_factory=list)
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
class _VolumeB:
    name: str
    kind: str | None = None
    ref_name: str | None = None
    optional: bool = False
    items: list[str] = field(default_factory=list)
    attrs: set[str] = field(default_factory=set)

    def build(self) -> Volume:
        return Volume(self.name, self.kind, self.ref_name, self.optional, tuple(self.items))


# --------------------------------------------------------------------------------------------
# The parser: one pass over the lines, a small state machine keyed on describe's vocabulary.

_Append = Callable[[str, str], None]


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pods: list[_PodB] = [_PodB()]
        self.section = "top"  # top, labels, annotations, containers, conditions, volumes, events, ...
        self.section_indent = 0
        self.value_col = 0  # where values of a multi-line top-level field start (labels, annotations)
        self.init = False
        self.ephemeral = False
        self.container: _ContainerB | None = None
        self.container_indent = -1
        self.sub: str | None = None  # command, args, state, limits, requests, env, envfrom, mounts, qos
        self.sub_indent = 0
        self.state: _StateB | None = None
        self.volume: _VolumeB | None = None
        self.volume_indent = 0
        self.annotation: str | None = None
        self.columns: list[int] | None = None
        self.cont: _Append | None = None  # where a continuation line goes
        self.prev_raw = ""
        self.pending_reason = -1  # line index of a top-level Reason: that may belong to a state
        lengths = [len(ln) for ln in lines]
        self.width = max(lengths, default=0)  # the terminal width, if the paste was hard-wrapped
        self.at_width = lengths.count(self.width)

    @property
    def pod(self) -> _PodB:
        return self.pods[-1]

    # -- helpers -------------------------------------------------------------------------------
    def _loose(self, text: str) -> None:
        self.pod.loose.append(text)

    def _next_key(self, idx: int) -> str | None:
        """The describe key on the next meaningful line (for telling a `name:` header)."""
        for raw in self.lines[idx + 1: idx + 4]:
            s = raw.strip()
            if not s or _SNIP.match(s):
                continue
            m = _KEY.match(s)
            return m["key"] if m else None
        return None

    def _new_pod(self) -> None:
        self.pods.append(_PodB())
        self._reset("top", 0)

    def _reset(self, section: str, indent: int) -> None:
        self.section, self.section_indent = section, indent
        self.container, self.container_indent = None, -1
        self.sub, self.state, self.volume, self.annotation = None, None, None, None
        self.cont = None

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> list[_PodB]:
        for idx, raw in enumerate(self.lines):
            self._line(idx, raw)
            self.prev_raw = raw
        return self.pods

    def _line(self, idx: int, raw: str) -> None:
        s = raw.strip()
        if not s:
            self.cont = None  # nothing continues across a blank line
            return
        if _FENCE.match(s) or _SNIP.match(s):
            self.cont = None
            return
        if _SEPARATOR.match(s):
            return
        if self._prompt(s):
            return
        ind = _indent(raw)
        if self._events_line(s, raw, ind):
            return
        if self.cont is not None and self._continuation(s, raw, ind):
            return
        key_m = _KEY.match(s)
        key = key_m["key"] if key_m else None
        value = key_m["value"] if key_m else None
        if self._in_block(idx, s, raw, ind, key, value):
            return
        if key is not None and self._key(idx, key, value, raw, ind):
            return
        m = _DNS_NAME.match(s)
        if m and self._name_line(idx, m["name"], ind):
            return
        self.cont = None
        self._loose(s)

    # -- prompts and hints ---------------------------------------------------------------------
    def _prompt(self, s: str) -> bool:
        m = _PROMPT.match(s)
        if m:
            tokens = m["args"].split()
            if not tokens or (tokens[0] not in _VERBS and not tokens[0].startswith("-")):
                return False
            self.cont = None
            if "describe" in tokens:
                self._describe_command(tokens)
            return True
        m = _NOT_FOUND_BUT_EVENTS.match(s)
        if m:
            if self.pod.other_pod(m["name"]):
                self._new_pod()
            self.pod.hint_name = m["name"]
            self._loose(s)
            return True
        return False

    def _describe_command(self, tokens: list[str]) -> None:
        """`kubectl describe pod NAME -n NS` opens a new pod and names it if its output does not."""
        names: list[str] = []
        namespace = None
        verb_at = tokens.index("describe")
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t in ("|", ">", ">>", "&&", ";", "2>&1"):
                break
            if t in ("-n", "--namespace") and i + 1 < len(tokens):
                namespace = tokens[i + 1]
                i += 1
            elif t.startswith("--namespace="):
                namespace = t.split("=", 1)[1]
            elif t.startswith("-n") and len(t) > 2 and not t.startswith("--"):
                namespace = t[2:]
            elif t in _FLAGS_WITH_VALUE:
                i += 1
                if t in ("-l", "--selector", "-f", "--filename"):
                    names.append("*")  # a selector or file: any number of pods
            elif t.startswith(("-l", "--selector=", "-f", "--filename=")):
                names.append("*")
            elif (i > verb_at and not t.startswith("-") and t not in ("pod", "pods", "po")
                  and "=" not in t):
                names.append(t.split("/", 1)[1] if "/" in t else t)
            i += 1
        name = names[0] if len(names) == 1 and names[0] != "*" else None
        if self.pod.other_pod(name) or (name is None and self.pod.hint_name):
            self._new_pod()
        else:
            self._reset("top", 0)
        if name:
            self.pod.hint_name = name
        if namespace:
            self.pod.hint_namespace = namespace

    # -- events --------------------------------------------------------------------------------
    def _events_line(self, s: str, raw: str, ind: int) -> bool:
        if _HEADER_MODERN.match(s):
            self._enter_events(ind)
            self.columns = _columns(raw)
            return True
        if _HEADER_OLD.match(s) or _HEADER_GET.match(s):
            self._enter_events(ind)
            return True
        in_events = self.section == "events"
        e = None
        if in_events and self.columns is not None and len(self.columns) == 5:
            e = _column_event(raw, self.columns)
        if e is None:
            e = _event_row(raw.lstrip(), raw, in_events)
        if e is None:
            return False
        if not in_events:
            self._enter_events(ind)
        self.pod.events.append(e)
        self.pod.has_events = True
        self.cont = e.append
        return True

    def _enter_events(self, ind: int) -> None:
        self._reset("events", ind)
        self.columns = None
        self.pod.has_events = True

    def _continuation(self, s: str, raw: str, ind: int) -> bool:
        """A line that carries on the previous value (a wrapped event or a multi-line message)."""
        assert self.cont is not None
        key_m = _KEY.match(s)
        if key_m:
            key = key_m["key"]
            if (key in _TOP_KEYS or key in _CONTAINER_KEYS
                    or (self.sub == "state" and key in _STATE_KEYS)
                    or (self.sub == "env" and _ENV_NAME.match(s))
                    or (self.section == "annotations" and ind <= self.value_col)):
                return False
        if self.section == "annotations" and ind <= self.value_col and _ANNOTATION.match(s):
            return False
        if _DNS_NAME.match(s) and self.section in ("containers", "volumes"):
            return False
        if _hard_wrapped(self.prev_raw, raw, self.width, self.at_width):
            self.cont(raw.rstrip(), "")
        else:
            self.cont(s, "\n")
        return True

    # -- lines inside a block ------------------------------------------------------------------
    def _in_block(self, idx: int, s: str, raw: str, ind: int, key: str | None, value: str | None) -> bool:
        if self.container is not None and self.sub is not None and self._container_sub(idx, s, ind, key, value):
            return True
        sec = self.section
        if sec == "volumes":
            return self._volumes_line(idx, s, ind, key, value)
        if sec == "labels":
            return self._labels_line(s, ind, key)
        if sec == "annotations":
            return self._annotations_line(s, raw, ind, key)
        if sec in ("conditions", "gates"):
            m = _CONDITION.match(s)
            if m and sec == "conditions":
                self.pod.conditions[m["type"]] = m["status"]
            return bool(m) or bool(re.fullmatch(r"Type[ \t]+Status", s))
        if sec in ("tolerations", "selectors", "topology"):
            if key in _TOP_KEYS or key in _CONTAINER_KEYS:
                return False
            return bool(ind > self.section_indent or _TOLERATION.search(s) or _LABEL.match(s))
        if sec == "ips":
            return key == "IP" or (ind > self.section_indent and key is None)
        if sec == "resources":
            if key in ("Limits", "Requests") or (_RESOURCE_LINE.match(s) and ind > self.section_indent):
                return True
            return bool(_RESOURCE_LINE.match(s)) and ind == self.section_indent and key not in _TOP_KEYS
        return False

    def _container_sub(self, idx: int, s: str, ind: int, key: str | None, value: str | None) -> bool:
        c = self.container
        assert c is not None
        sub = self.sub
        deeper = ind > self.sub_indent
        if sub == "state":
            st = self.state
            assert st is not None
            if key in _STATE_KEYS and ind >= self.sub_indent:
                self._state_key(st, key, value)
                return True
            return False
        if sub in ("limits", "requests"):
            m = _RESOURCE_LINE.match(s)
            if m and (deeper or key not in _CONTAINER_KEYS):
                (c.limits if sub == "limits" else c.requests)[m["name"]] = m["value"]
                return True
            return False
        if sub in ("command", "args"):
            if not deeper and (key in _CONTAINER_KEYS or key in _TOP_KEYS):
                return False
            if not deeper and _DNS_NAME.match(s) and self._next_key(idx) in _CONTAINER_START:
                return False
            (c.command if sub == "command" else c.args).append(s)
            return True
        if sub == "env":
            if not deeper:
                if key in _CONTAINER_KEYS or key in _TOP_KEYS:
                    return False
                if _DNS_NAME.match(s) and self._next_key(idx) in _CONTAINER_START:
                    return False
            m = _ENV_NAME.match(s)
            if m:
                e = _env(m["name"], m["value"])
                c.env.append(e)
                self.cont = e.append if e.ref_kind is None else None
                return True
            if (deeper or not key) and c.env and c.env[-1].ref_kind is None:
                c.env[-1].append(s, "\n")  # the next line of a multi-line value
                return True
            return False
        if sub == "envfrom":
            m = _ENV_FROM.match(s)
            if m:
                kind = "configmap" if m["kind"].lower() == "configmap" else "secret"
                c.env_from.append(EnvFrom(kind, m["name"], (m["opt"] or "").lower() == "true", m["prefix"]))
                return True
            return False
        if sub in ("mounts", "devices"):
            m = _MOUNT.match(s)
            if m and (deeper or key is None):
                if sub == "mounts":
                    flags = [f.strip() for f in (m["flags"] or "").split(",")]
                    sub_path = None
                    for f in flags:
                        if f.startswith("path="):
                            sub_path = f[5:].strip('"')
                    c.mounts.append(VolumeMount(m["name"], m["path"], sub_path, "ro" in flags))
                return True
            return False
        if sub == "qos":
            return bool(_RESOURCE_LINE.match(s)) and key not in _CONTAINER_KEYS
        return False

    def _state_key(self, st: _StateB, key: str | None, value: str | None) -> None:
        v = _none(value)
        st.seen = True
        self.cont = None
        if key == "Reason":
            st.reason = v
        elif key == "Message":
            st.message = v or ""
            self.cont = st.append
        elif key == "Exit Code":
            st.exit_code = _int(v)
        elif key == "Signal":
            st.signal = _int(v)
        elif key == "Started":
            st.started = parse_time(v)
        elif key == "Finished":
            st.finished = parse_time(v)

    def _volumes_line(self, idx: int, s: str, ind: int, key: str | None, value: str | None) -> bool:
        vol = self.volume
        m = _DNS_NAME.match(s)
        # `  name:` under `Volumes:`; with the indentation lost, only a following `Type:` says so
        typed = m is not None and self._next_key(idx) == "Type"
        if m and (typed or (ind > self.section_indent and (vol is None or ind <= self.volume_indent))):
            self.volume = _VolumeB(m["name"])
            self.volume_indent = ind
            self.pod.volumes.append(self.volume)
            return True
        if vol is None:
            return s in ("No volumes.",)
        deeper = ind > self.volume_indent
        if key is not None and (deeper or key in _VOLUME_ATTRS) and key not in _TOP_ONLY and (
                deeper or key not in vol.attrs):
            vol.attrs.add(key)
            v = _none(value)
            if key == "Type" and v:
                word = v.split()[0].rstrip(",")  # `ConfigMap (a volume populated by a ConfigMap)`
                vol.kind = _VOLUME_KINDS.get(word.lower(), word[:1].lower() + word[1:])
            elif key in ("Name", "SecretName", "ClaimName", "Path") and v and vol.ref_name is None:
                if not (key == "Path" and vol.kind not in ("hostPath", None)):
                    vol.ref_name = v
            elif key in ("Optional", "ConfigMapOptional") and v:
                vol.optional = v.lower() == "true" or vol.optional
            return True
        if key is None and (deeper or "->" in s):
            if "->" in s:
                vol.items.append(s.split("->")[-1].strip())
            return True
        return False

    def _labels_line(self, s: str, ind: int, key: str | None) -> bool:
        if key in _TOP_KEYS:
            return False
        if _LABEL.match(s):
            self._add_labels(s)
            return True
        return False

    def _add_labels(self, text: str) -> None:
        # kubectl 1.0-1.2 printed labels comma-separated on one line; values cannot hold commas.
        for part in text.split(","):
            k, eq, v = part.strip().partition("=")
            if eq and k:
                self.pod.labels[k] = v

    def _annotations_line(self, s: str, raw: str, ind: int, key: str | None) -> bool:
        top = key in _TOP_ONLY or (key in _TOP_KEYS and ind <= self.section_indent)
        if top and ind <= self.section_indent:
            return False
        m = _ANNOTATION.match(s)
        if m and ind <= self.value_col:
            self._add_annotation(m["key"], m["value"])
            return True
        if self.annotation is not None and (ind > self.section_indent or key not in _TOP_KEYS):
            # kubectl indents a multi-line value 2 past the value column; keep the rest (JSON nesting)
            text = raw.expandtabs(8)[min(ind, self.value_col + 2):].rstrip()
            prev = self.pod.annotations.get(self.annotation, "")
            self.pod.annotations[self.annotation] = f"{prev}\n{text}" if prev else text
            return True
        return False

    def _add_annotation(self, key: str, value: str) -> None:
        self.annotation = key
        self.pod.annotations[key] = value.strip()

    # -- keys ----------------------------------------------------------------------------------
    def _key(self, idx: int, key: str, value: str | None, raw: str, ind: int) -> bool:
        if key in ("Reason", "Message") and self.container is not None:
            return False  # a state line out of place: keep it searchable rather than misfile it
        if key in _TOP_KEYS:
            return self._top_key(idx, key, value, raw, ind)
        if key in ("SeccompProfile", "LocalhostProfile") and self.container is None:
            return True  # the pod-level field (kubectl >= 1.19): nothing to keep
        if key in _CONTAINER_KEYS:
            self._container_key(key, value, ind)
            return True
        if key in _TERMINATED_ONLY:
            # `Exit Code:` with no `State:` above it: a pasted piece of a terminated state. It is
            # the current state unless the paste showed that one, and takes the `Reason:` just above.
            c = self._ensure_container(ind)
            st = c.last_state if (c.state.seen and c.state.kind != "terminated") else c.state
            if not st.seen and self.pending_reason == idx - 1 and self.pod.reason in _TERMINATED_REASONS:
                st.reason, self.pod.reason = self.pod.reason, None
            self.state, self.sub, self.sub_indent = st, "state", ind
            self._state_key(st, key, value)
            return True
        return False

    def _top_key(self, idx: int, key: str, value: str | None, raw: str, ind: int) -> bool:
        pod = self.pod
        v = _none(value)
        if key == "Name" and pod.other_pod(v):
            self._new_pod()
            pod = self.pod
        self._reset("top", ind)
        if key == "Name":
            pod.name = v
        elif key == "Namespace":
            pod.namespace = v
        elif key == "Node":
            pod.node = _none(v.split("/", 1)[0]) if v else None
        elif key == "Start Time":
            pod.started_at = parse_time(v)
        elif key == "Status":
            pod.top_status = True
            if v:
                pod.phase = None if v.startswith("Terminating") else v.split()[0]
        elif key == "Reason":
            pod.reason = v
            self.pending_reason = idx
        elif key == "Message":
            pod.message = v
            self.cont = pod.append_message
        elif key in ("Controlled By", "Controllers", "Created By"):
            m = _OWNER.match(v or "")
            if m:
                pod.owner = Owner(m["kind"], m["name"].rstrip(","))
        elif key == "Replication Controllers" and v:
            pod.owner = Owner("ReplicationController", v.split()[0])
        elif key == "QoS Class":
            pod.qos = v
        elif key == "Labels":
            self.section, self.value_col = "labels", self._value_col(raw, value)
            if v:
                self._add_labels(v)
        elif key == "Annotations":
            self.section, self.value_col = "annotations", self._value_col(raw, value)
            if v:
                m = _ANNOTATION.match(v)
                if m:
                    self._add_annotation(m["key"], m["value"])
        elif key in ("Init Containers", "Containers", "Ephemeral Containers"):
            self.section = "containers"
            self.init = key == "Init Containers"
            self.ephemeral = key == "Ephemeral Containers"
        elif key == "Conditions":
            self.section = "conditions"
            pod.top_status = True
        elif key == "Readiness Gates":
            self.section = "gates"
        elif key == "Volumes":
            self.section = "volumes"
        elif key == "Events":
            self.section, self.columns = "events", None
            pod.has_events = True
        elif key in ("Tolerations", "Node-Selectors", "Topology Spread Constraints"):
            self.section = {"Tolerations": "tolerations", "Node-Selectors": "selectors"}.get(key, "topology")
        elif key in ("IPs", "Pod IPs"):
            self.section = "ips"
        elif key == "Resources":
            self.section = "resources"
        return True

    @staticmethod
    def _value_col(raw: str, value: str | None) -> int:
        line = raw.expandtabs(8)
        if value:
            at = line.find(value.strip()[:20])
            if at > 0:
                return at
        return _indent(raw) + 1

    def _ensure_container(self, ind: int) -> _ContainerB:
        if self.container is None:
            init = self.init if self.section == "containers" else False
            eph = self.ephemeral if self.section == "containers" else False
            self.container = _ContainerB("", init=init, ephemeral=eph)
            self.container_indent = max(ind - 2, 0)
            self.pod.containers.append(self.container)
            if self.section != "containers":
                self.section, self.section_indent = "containers", max(ind - 4, 0)
                self.init = self.ephemeral = False
        return self.container

    def _container_key(self, key: str, value: str | None, ind: int) -> None:
        c = self._ensure_container(ind)
        if key in c.keys and key not in ("SeccompProfile", "LocalhostProfile", "Started") and not c.name:
            # The same field again in a block without a name line: a second headerless container.
            self.container = None
            c = self._ensure_container(ind)
        if key == "Last Termination State":
            key = "Last State"
        c.keys.add(key)
        self.sub, self.sub_indent, self.state, self.cont = None, ind, None, None
        v = _none(value)
        if key == "Image":
            c.image = v
        elif key == "Container ID":
            c.container_id = v
        elif key == "Image ID":
            c.image_id = v
        elif key in ("Port", "Ports"):
            for m in _PORT.finditer(v or ""):
                c.ports.append(Port(int(m["port"]), m["name"] or None, (m["proto"] or "TCP").upper()))
        elif key in ("Command", "Args"):
            self.sub = key.lower()
            if v:
                (c.command if key == "Command" else c.args).append(v)
        elif key in ("State", "Last State"):
            st = c.state if key == "State" else c.last_state
            st.seen = True
            kind = (v or "").split()[0].lower() if v else None
            st.kind = kind if kind in ("running", "waiting", "terminated") else None
            self.sub, self.state = "state", st
        elif key == "Started":
            # `Started:` outside a state block: describe never prints it so; a running state's start.
            st = c.state
            st.seen, st.started = True, parse_time(v)
        elif key == "Ready":
            c.ready = _bool(v)
        elif key == "Restart Count":
            c.restart_count = _int(v)
        elif key in ("Limits", "Requests"):
            self.sub = key.lower()
        elif key in ("Liveness", "Readiness", "Startup"):
            probe = parse_probe(key.lower(), v or "")
            if probe is not None:
                c.probes[key.lower()] = probe
        elif key in ("Environment", "Environment Variables"):
            if v is None:
                self.sub = "env"
        elif key == "Environment Variables from":
            if v is None:
                self.sub = "envfrom"
        elif key in ("Mounts", "Devices"):
            if v is None:
                self.sub = key.lower()
        elif key == "QoS Tier":
            self.sub = "qos"

    def _name_line(self, idx: int, name: str, ind: int) -> bool:
        """A `name:` line: a container header when the block around or after it says so."""
        nxt = self._next_key(idx)
        if self.section == "containers":
            header = self.container is None or ind <= self.container_indent or nxt in _CONTAINER_START \
                or nxt in _CONTAINER_KEYS or ind < self.sub_indent
        else:
            header = nxt in _CONTAINER_START
            if header:
                self._reset("containers", max(ind - 2, 0))
                self.init = self.ephemeral = False
        if not header:
            return False
        self.container = _ContainerB(name, init=self.init, ephemeral=self.ephemeral)
        self.container_indent = ind
        self.sub, self.state, self.cont = None, None, None
        self.pod.containers.append(self.container)
        return True


# --------------------------------------------------------------------------------------------
# Public API


def _prepare(text: str) -> list[str]:
    text = (text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
            .replace("\ufeff", "").replace("\u200b", ""))
    lines = text.split("\n")
    body = [ln for ln in lines if ln.strip()]
    # A paste quoted as a Markdown/e-mail block: drop the `> ` in front of every line.
    if body and sum(1 for ln in body if ln.lstrip().startswith(">")) >= 0.8 * len(body):
        lines = [re.sub(r"^[ \t]*> ?", "", ln) for ln in lines]
    return lines


def _parse(text: str) -> list[PodEvidence]:
    if not text or not text.strip():
        return []
    pods = _Parser(_prepare(text)).run()
    return [_with_event_containers(p.build()) for p in pods if p.has_content or p.loose or p.hint_name]


# Kubelet event messages that name the container they are about (facts 2.5).
_EVENT_CONTAINER = re.compile(
    r"(?:Back-off restarting failed container |(?:Created|Started|Stopping|Killing) container |Container )"
    r"([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(?: in pod |(?: failed (?:liveness|startup) probe| definition changed)|$)")
# Names charts give init containers (init-chown-data, wait-for-db-init, init): only a hint, used
# when the paste has no Init Containers block to say so.
_INIT_NAME = re.compile(r"^init(?:$|[-_])|[-_]init$")


def _with_event_containers(pod: PodEvidence) -> PodEvidence:
    """A pod pasted without container blocks still gets the containers its events name.

    Findings can then name the container, and logs passed with --logs go to it.
    """
    if pod.containers:
        return pod
    found: dict[str, bool] = {}
    for e in pod.events:
        name = e.container
        init = e.about_init_container
        if name is None:
            m = _EVENT_CONTAINER.search(e.message)
            if m is None:
                continue
            if m.group(1) in ("created", "started"):  # 1.35+ \"Container created\" names none
                continue
            name, init = m.group(1), bool(_INIT_NAME.search(m.group(1)))
        found.setdefault(name, init)
    if not found:
        return pod
    return replace(pod, containers=tuple(ContainerEvidence(n, init) for n, init in found.items()))


def parse_describe(text: str) -> list[PodEvidence]:
    """Every pod in pasted `kubectl describe pod(s)` text; [] when the text is empty.

    Partial and damaged pastes give partial evidence, never an error. Should the parser meet
    something it was not written for and fail, the text is still returned, as loose lines.
    """
    try:
        return _parse(text)
    except Exception:  # the last line of defence: a paste must never crash a diagnosis
        lines = tuple(s for s in (ln.strip() for ln in (text or "").splitlines())
                      if s and not _SEPARATOR.match(s))
        return [PodEvidence(origin=DESCRIBE, loose_lines=lines)] if lines else []


_STRONG_KEY = re.compile(
    r"^[ \t]*(?:Containers|Init Containers|State|Last State|Last Termination State|Events|Restart Count|"
    r"Controlled By|Exit Code|QoS Class|Container ID|Image ID)[ \t]*:")
_WEAK_KEY = re.compile(r"^[ \t]*(?:Name|Namespace|Node|Status|Labels|Annotations|Start Time|Image|Ready|"
                       r"Conditions|Volumes|Reason|Mounts)[ \t]*:")
# Messages only the kubelet and its neighbours write (facts 2.5, 2.6), as pasted on their own.
_KUBELET_MESSAGE = re.compile(
    r"Back-off restarting failed container|Back-off pulling image|Failed to pull image \"|"
    r"MountVolume\.\w+ failed for volume|(?:Liveness|Readiness|Startup) probe (?:failed|errored)|"
    r"Successfully assigned \S+ to |Container image \"[^\"]+\" already present on machine|"
    r"Error: (?:ErrImagePull|ImagePullBackOff|failed to (?:start|create) container|container has runAsNonRoot|"
    r"configmaps? \"|secrets? \"|couldn't find key|failed to create containerd task|container create failed)|"
    r"Failed to create pod sandbox|FailedCreatePodSandBox|\{kubelet [^}]*\}|"
    r"failed to \"StartContainer\" for \"|container's runAsUser breaks non-root policy")


def looks_like_describe(text: str) -> bool:
    """Whether text reads as `kubectl describe` output (or its Events rows, or kubelet messages)
    rather than an application log."""
    weak = 0
    for raw in text.splitlines():
        s = raw.strip()
        if not s or s[0] in "{[":  # JSON log lines can quote anything
            continue
        if _STRONG_KEY.match(s) or _HEADER_MODERN.match(s) or _HEADER_OLD.match(s):
            return True
        if _WEAK_KEY.match(s):
            weak += 1
            if weak >= 2:
                return True
            continue
        if s[:1] in ("N", "W") and (_MODERN_ROW.match(s) or _BARE_ROW.match(s)):
            return True
        if _OLD_ROW.match(s) or _KUBELET_MESSAGE.search(s):
            return True
    return False
