"""Events rows in every layout kubectl has printed, read into Events.

The `Type Reason Age From Message` table (kubectl >= 1.10, with or without its Age/From
columns, aligned or with its spaces collapsed, and cut at the header's column offsets when it
has one), the 2015 `FirstSeen LastSeen Count From [SubobjectPath] [Type] Reason Message`
tables, and `kubectl get events` rows (`LAST SEEN TYPE REASON OBJECT MESSAGE`). The From
column is split into component and host, the `(xN over AGE)` repeat into a count.
It imports only the evidence model and `times`; never the line-driven parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from podmortem.model import Event
from podmortem.sources.describe.times import parse_time

# HumanDuration output (`5m`, `3m20s`, `2d4h`), plus what kubectl prints for zero/future times.
_AGE = r"(?:<unknown>|<invalid>|\d+(?:ms|[smhdy])(?:\d+(?:ms|[smhdy]))*)"
_REPEAT = r"\(x(?P<count>\d+)[ \t]+over[ \t]+(?P<over>[^)\s]+)\)"
_ABS_TIME = r"(?:[A-Z][a-z]{2},[ \t]+\d{1,2}[ \t]+[A-Z][a-z]{2}[ \t]+\d{4}[ \t]+\d{1,2}:\d{2}:\d{2}(?:[ \t]+(?:[-+]\d{4}|[A-Z]{1,5}))?)"
_TIME = rf"(?:{_ABS_TIME}|{_AGE})"
_TYPES = "Normal|Warning"

# `Warning  BackOff  2m10s (x87 over 25m)  kubelet  Back-off restarting ...` (kubectl >= 1.10)
MODERN_ROW = re.compile(
    rf"^(?P<type>{_TYPES})[ \t]+(?P<reason>[A-Za-z][\w.-]*)[ \t]+"
    rf"(?P<age>{_AGE}(?:[ \t]*{_REPEAT})?)(?:[ \t]+(?P<rest>\S.*))?[ \t]*$"
)
# A row whose Age/From columns were lost: `Warning  Failed  Error: ...` (aligned columns only).
BARE_ROW = re.compile(rf"^(?P<type>{_TYPES})(?:\t+|[ \t]{{2,}})(?P<reason>[A-Z][A-Za-z]+)(?:\t+|[ \t]{{2,}})(?P<rest>\S.*)$")
_BARE_ROW_LOOSE = re.compile(rf"^(?P<type>{_TYPES})[ \t]+(?P<reason>[A-Z][A-Za-z]+)[ \t]+(?P<rest>\S.*)$")
# kubectl 1.0-1.9: FirstSeen LastSeen Count From SubobjectPath [Type] Reason Message.
OLD_ROW = re.compile(
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
# Words of the node name part are separated by single spaces, so no run of blanks can be read two ways
# (a lazy `[^\t]*?` before `[ \t]{2,}` went cubic on a long line of spaces).
_FROM_ALIGNED = re.compile(r"^(?P<src>[^\s,:\"'{}()]+(?:,[ \t]?[^\t ]+(?: [^\t ]+)*)?)(?:\t+|[ \t]{2,})(?P<msg>\S.*)$")
_FROM_TOKEN = re.compile(r"^(?P<src>[a-z][\w.-]*(?:,[ \t]*\S+)?)(?:[ \t]+(?P<msg>\S.*))?$")
# kubectl >= 1.35 prefixes the message with the involved object's fieldPath.
_FIELD_PATH_PREFIX = re.compile(r"^(?P<path>spec\.(?:initContainers|containers|ephemeralContainers)\{[^{}]*\}):[ \t]*")

HEADER_MODERN = re.compile(r"^Type[ \t]+Reason[ \t]+Age[ \t]+From[ \t]+Message$")
HEADER_OLD = re.compile(
    r"^First[ \t]?Seen[ \t]+Last[ \t]?Seen[ \t]+Count[ \t]+From[ \t]+(?:Sub[ \t]?object[ \t]?Path[ \t]+)?"
    r"(?:Type[ \t]+)?Reason[ \t]+Message$", re.I)
HEADER_GET = re.compile(r"^LAST[ \t]?SEEN[ \t]+.*\bMESSAGE$")
_KINDS = {"pod": "Pod", "node": "Node", "replicaset": "ReplicaSet", "deployment": "Deployment",
          "statefulset": "StatefulSet", "daemonset": "DaemonSet", "job": "Job", "cronjob": "CronJob",
          "replicationcontroller": "ReplicationController", "persistentvolumeclaim": "PersistentVolumeClaim",
          "service": "Service", "endpoints": "Endpoints"}


@dataclass
class EventB:
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


def _modern_event(m: re.Match[str], raw: str, src: str | None, msg: str) -> EventB:
    comp, host = _split_source(src) if src else (None, None)
    count = m["count"]
    return EventB(type=m["type"], reason=m["reason"], message=msg, raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", m["age"]).strip(),
                   source=comp, host=host)


def _old_event(m: re.Match[str], raw: str) -> EventB:
    comp, host = _split_source(m["src"])
    first, last = m["first"], m["last"]
    path = m["path"]
    return EventB(type=m["type"], reason=m["reason"], message=m["msg"] or "", raw=raw.lstrip(),
                   count=int(m["count"]) or 1, age=None if "," in last else last,
                   first_seen=parse_time(first) if "," in first else None,
                   last_seen=parse_time(last) if "," in last else None,
                   source=comp, host=host,
                   field_path=path if path and not path.startswith("implicitly") else None)


def _get_event(m: re.Match[str], raw: str) -> EventB:
    kind, _, name = m["obj"].partition("/")
    count = m["count"]
    return EventB(type=m["type"], reason=m["reason"], message=m["msg"], raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", m["age"]),
                   object_kind=_KINDS.get(kind.lower(), kind[:1].upper() + kind[1:]), object_name=name)


def event_row(line: str, raw: str, in_events: bool) -> EventB | None:
    """One events-table row in any layout, or None. `line` is the row without its indentation."""
    first = line[:1]
    if first in ("N", "W"):
        m = MODERN_ROW.match(line)
        if m:
            src, msg = _split_from_message(m["rest"] or "")
            return _modern_event(m, raw, src, msg)
        m = BARE_ROW.match(line) or (_BARE_ROW_LOOSE.match(line) if in_events else None)
        if m:
            src, msg = _split_from_message(m["rest"], aligned_only=True)
            if src is not None and not re.fullmatch(r"[a-z][\w.-]*(?:,.*)?", src):
                src, msg = None, m["rest"]  # a capitalised first word is the message, not a From
            comp, host = _split_source(src) if src else (None, None)
            return EventB(type=m["type"], reason=m["reason"], message=msg, raw=raw.lstrip(),
                           source=comp, host=host)
    if first.isdigit() or first in ("<", "M", "T", "W", "F", "S"):  # an age, or a weekday (2015)
        m = OLD_ROW.match(line)
        if m:
            return _old_event(m, raw)
        m = _GET_ROW.match(line)
        if m:
            return _get_event(m, raw)
    return None


def parse_event_line(line: str) -> Event | None:
    """One pasted events-table row (modern, 2015 or `kubectl get events` layout) as an Event."""
    e = event_row(line.lstrip(), line, in_events=False)
    return e.build() if e else None


def column_starts(header: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", header.expandtabs(8))]


def column_event(raw: str, cols: list[int]) -> EventB | None:
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
    return EventB(type=typ, reason=reason, message=raw.expandtabs(8)[msg_at:], raw=raw.lstrip(),
                   count=int(count) if count else 1, age=re.sub(r"[ \t]+", " ", age), source=comp, host=host)
