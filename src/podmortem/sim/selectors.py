"""Label and field selectors as the API server parses and applies them.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma = AND.
Field selectors: `=`, `==`, `!=` on the fields each resource supports (kubernetes-facts.md 5.1);
any other field is a 400 "field label not supported".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from podmortem.kube.labels import format_label_selector


class SelectorError(ValueError):
    """A selector the API server would reject with 400 Bad Request."""


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return has and value == self.values[0]
        if self.op == "!=":
            return not has or value != self.values[0]
        if self.op == "in":
            return has and value in self.values
        if self.op == "notin":
            return not has or value not in self.values
        if self.op == "exists":
            return has
        return not has


_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    if not text:
        return ()
    out: list[Requirement] = []
    for part in _split_top(text):
        m = _EQ.match(part)
        if m:
            out.append(Requirement(m.group(1), "!=" if m.group(2) == "!=" else "=", (m.group(3),)))
            continue
        m = _SET.match(part)
        if m and not (m.group(1) and m.group(3)):
            if m.group(3):
                values = tuple(v.strip() for v in m.group(4).split(",") if v.strip())
                out.append(Requirement(m.group(2), m.group(3), values))
            else:
                out.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
            continue
        raise SelectorError(f"unable to parse requirement: found '{part.strip()}', expected: in, notin, =, ==, !=, gt, lt")
    return tuple(out)


def labels_match(reqs: tuple[Requirement, ...], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def selector_from_label_selector(sel: Mapping[str, Any] | None) -> tuple[Requirement, ...]:
    """A metav1.LabelSelector (matchLabels + matchExpressions) as requirements."""
    if not sel:
        return ()
    out = [Requirement(str(k), "=", (str(v),)) for k, v in (sel.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for e in sel.get("matchExpressions") or []:
        op = ops.get(str(e.get("operator")))
        if op:
            out.append(Requirement(str(e.get("key")), op, tuple(str(v) for v in e.get("values") or ())))
    return tuple(out)


def selector_string(sel: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector, as the SELECTOR column prints it."""
    try:
        return format_label_selector(sel) or "<none>"
    except ValueError:
        return "<error>"


# --- field selectors ----------------------------------------------------------------------------

def _get(obj: Mapping[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pod_field(obj: Mapping[str, Any], f: str) -> str:
    if f == "status.podIPs":
        return ",".join(_text(p.get("ip")) for p in (_get(obj, "status.podIPs") or []))
    if f == "spec.hostNetwork":
        return _text(bool(_get(obj, f)))
    return _text(_get(obj, f))


def _event_field(obj: Mapping[str, Any], f: str) -> str:
    if f == "source":
        return _text(_get(obj, "source.component"))
    return _text(_get(obj, f))


_FIELDS: dict[str, tuple[set[str], Callable[[Mapping[str, Any], str], str]]] = {
    "pods": ({"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
              "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
             _pod_field),
    "events": ({"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"}, _event_field),
    "secrets": ({"type"}, lambda o, f: _text(_get(o, f))),
    "nodes": ({"spec.unschedulable"}, lambda o, f: _text(bool(_get(o, f)))),
    "namespaces": ({"status.phase"}, lambda o, f: _text(_get(o, f))),
    "replicasets": ({"status.replicas"}, lambda o, f: _text(_get(o, f))),
    "jobs": ({"status.successful"}, lambda o, f: _text(_get(o, f))),
}


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str


def parse_field_selector(text: str | None, resource: str) -> tuple[FieldRequirement, ...]:
    if not text:
        return ()
    allowed, _ = _FIELDS.get(resource, (set(), _pod_field))
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = re.match(r"^\s*([^=!]+?)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        name = m.group(1)
        if name not in allowed and name not in ("metadata.name", "metadata.namespace"):
            raise SelectorError(f'"{name}" is not a known field selector: only "metadata.name", "metadata.namespace"'
                                if not allowed else f"field label not supported: {name}")
        out.append(FieldRequirement(name, m.group(2) != "!=", m.group(3)))
    return tuple(out)


def fields_match(reqs: tuple[FieldRequirement, ...], obj: Mapping[str, Any], resource: str) -> bool:
    if not reqs:
        return True
    _, getter = _FIELDS.get(resource, (set(), _pod_field))
    for r in reqs:
        value = _text(_get(obj, r.field)) if r.field.startswith("metadata.") else getter(obj, r.field)
        if (value == r.value) != r.equal:
            return False
    return True


# Fields whose value is not the text at their path (the rest are read by _walk below).
_SPECIAL: dict[tuple[str, str], Callable[[Mapping[str, Any], str], str]] = {
    ("pods", "status.podIPs"): _pod_field, ("pods", "spec.hostNetwork"): _pod_field,
    ("events", "source"): _event_field, ("nodes", "spec.unschedulable"): _FIELDS["nodes"][1],
}


def _walk(obj: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if type(obj) is not dict and not isinstance(obj, Mapping):  # stored objects are dicts: skip the ABC check
            return None
        obj = obj.get(part)
    return obj


def _value_of(field: str, resource: str) -> Callable[[Mapping[str, Any]], str]:
    special = None if field.startswith("metadata.") else _SPECIAL.get((resource, field))
    if special is not None:
        return lambda o: special(o, field)
    parts = tuple(field.split("."))
    if len(parts) == 2:  # most selectable fields (involvedObject.kind, spec.nodeName): no loop
        outer, inner = parts

        def two(o: Mapping[str, Any]) -> str:
            v = o.get(outer)
            if type(v) is dict:
                return _text(v.get(inner))
            return _text(_walk(v, (inner,)))

        return two
    return lambda o: _text(_walk(o, parts))


def selector_predicate(labels: tuple[Requirement, ...], fields: tuple[FieldRequirement, ...],
                       resource: str) -> Callable[[Mapping[str, Any]], bool]:
    """labels_match and fields_match of one list or watch, with each field's path split once: a
    field-selected list of 60,000 events asked the same questions of every event."""
    tests = tuple((_value_of(r.field, resource), r.value, r.equal) for r in fields)

    def matches(obj: Mapping[str, Any]) -> bool:
        if labels and not labels_match(labels, (obj.get("metadata") or {}).get("labels")):
            return False
        for value_of, value, equal in tests:  # noqa: SIM110 - a loop, not all(generator): once per listed object
            if (value_of(obj) == value) != equal:
                return False
        return True

    return matches
