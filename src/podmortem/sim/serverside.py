"""Server-side apply (`kubectl apply --server-side`), simplified: field ownership per manager, no conflicts.

A PATCH with `application/apply-patch+yaml` and `?fieldManager=NAME` sends the manager's whole
intent. The simulator merges it into the live object like a strategic merge patch, removes the
fields the same manager applied last time and no longer sends, and records what the manager owns
in `metadata.managedFields` (operation Apply, FieldsV1: `f:<field>` for object fields,
`k:{"<merge key>":<value>}` for list items with a merge key, as the API server writes them).

Simplified (docs/sim.md): fields owned by another manager are never a conflict (every apply acts as
`--force-conflicts`), a removed field is dropped even when another manager also set it, and the
other operations (create, update, client-side apply) do not record managedFields.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from podmortem.sim.patch import MERGE_KEYS, strategic_merge

_NOT_OWNED = frozenset({"apiVersion", "kind"})
_NOT_OWNED_META = frozenset({"name", "namespace", "managedFields", "resourceVersion", "uid", "creationTimestamp",
                             "generation"})


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        first = items[0] if items and isinstance(items[0], dict) else {}
        return "containerPort" if "containerPort" in first else ("port" if "port" in first else None)
    key = MERGE_KEYS.get(field)
    if key is None or field == "conditions":
        return None
    if all(isinstance(i, dict) and key in i for i in items):
        return key
    return None


def _item_key(key: str, item: dict[str, Any]) -> str:
    return "k:" + orjson.dumps({key: item[key]}).decode()


def owned_fields(obj: Any, top: bool = True) -> dict[str, Any]:
    """The FieldsV1 set of an applied configuration."""
    if not isinstance(obj, dict):
        return {}
    out: dict[str, Any] = {}
    for field, value in obj.items():
        if top and field in _NOT_OWNED:
            continue
        if top and field == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _NOT_OWNED_META}
            if meta:
                out["f:metadata"] = owned_fields(meta, False)
            continue
        if isinstance(value, list):
            key = _merge_key(field, value) if value else None
            if key is not None:
                out[f"f:{field}"] = {_item_key(key, item): {".": {}, **owned_fields(item, False)} for item in value}
                continue
            out[f"f:{field}"] = {}
        elif isinstance(value, dict) and value:
            out[f"f:{field}"] = owned_fields(value, False)
        else:
            out[f"f:{field}"] = {}
    return out


def _drop_released(obj: dict[str, Any], before: dict[str, Any], now: dict[str, Any]) -> None:
    """Remove from obj what `before` owned and `now` no longer does."""
    for entry, children in before.items():
        if not entry.startswith("f:"):
            continue
        field = entry[2:]
        if field not in obj:
            continue
        value = obj[field]
        inner = now.get(entry)
        if inner is None and not (isinstance(value, dict) and set(children) - {"."}):
            del obj[field]  # a leaf (or a whole list) the manager no longer sets
            continue
        if isinstance(value, dict) and children:
            # Only the owned fields inside go; the map itself stays (metadata, labels, spec...).
            _drop_released(value, children, inner or {})
        elif isinstance(value, list) and any(k.startswith("k:") for k in children):
            kept = []
            for item in value:
                ident = next((k for k in children if k.startswith("k:") and isinstance(item, dict)
                              and _matches(k, item)), None)
                if ident is not None and ident not in (inner or {}):
                    continue
                if ident is not None:
                    _drop_released(item, children[ident], (inner or {})[ident])
                kept.append(item)
            obj[field] = kept


def _matches(ident: str, item: dict[str, Any]) -> bool:
    wanted = orjson.loads(ident[2:])
    return all(item.get(k) == v for k, v in wanted.items())


def apply(current: dict[str, Any] | None, applied: dict[str, Any], manager: str, when: str) -> dict[str, Any]:
    """The object after `manager` applies `applied` (current None: the object is created)."""
    owned = owned_fields(applied)
    entry = {"manager": manager, "operation": "Apply", "apiVersion": applied.get("apiVersion"), "time": when,
             "fieldsType": "FieldsV1", "fieldsV1": owned}
    if current is None:
        new = copy.deepcopy(applied)
        new.setdefault("metadata", {})["managedFields"] = [entry]
        return new
    meta = current.get("metadata") or {}
    managers = [m for m in meta.get("managedFields") or [] if isinstance(m, dict)]
    previous = next((m for m in managers if m.get("manager") == manager and m.get("operation") == "Apply"), None)
    base = copy.deepcopy(current)
    base["metadata"].pop("managedFields", None)
    merged: dict[str, Any] = strategic_merge(base, applied)
    if previous is not None and isinstance(previous.get("fieldsV1"), dict):
        _drop_released(merged, previous["fieldsV1"], owned)
    others = [m for m in managers if m is not previous]
    merged.setdefault("metadata", {})["managedFields"] = [*others, entry]
    return merged
