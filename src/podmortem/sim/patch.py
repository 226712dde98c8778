"""The three PATCH flavours of the Kubernetes API: JSON merge, JSON patch and strategic merge.

Strategic merge patch is what client-side `kubectl apply` sends. Lists with a merge key (containers
by name, env by name, ports by containerPort, volumes by name, volumeMounts by mountPath...) are
merged element by element; `$patch: delete|replace`, `$setElementOrder/<list>`, `$retainKeys` and
`$deleteFromPrimitiveList/<list>` directives are honoured; other lists are replaced.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """A patch the API server would reject (400/422)."""


# Merge keys of the list fields kubectl apply touches (patchMergeKey in the Go types).
MERGE_KEYS: dict[str, str] = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "ownerReferences": "uid", "conditions": "type", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "readinessGates": "conditionType", "secrets": "name",
}
# Lists whose merge key depends on where they are: container ports vs service ports.
PRIMITIVE_MERGE = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError(f"path element {p!r} out of range") from None
        elif isinstance(cur, dict):
            if p not in cur:
                raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
            cur = cur[p]
        else:
            raise PatchError("path goes through a scalar")
    return cur


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 JSON patch."""
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("each JSON patch operation needs op and path")
        kind = op["op"]
        parts = _pointer(op["path"])
        if kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError(f"testing value {op['path']} failed")
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_walk(doc, _pointer(op["from"])))
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = json_patch(doc, [{"op": "add", "path": op["path"], "value": value}])
            continue
        if not parts:
            if kind in ("add", "replace"):
                doc = copy.deepcopy(op.get("value"))
                continue
            raise PatchError("cannot remove the whole document")
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        if isinstance(parent, list):
            if kind == "add":
                idx = len(parent) if last == "-" else int(last)
                parent.insert(idx, copy.deepcopy(op.get("value")))
            elif kind == "remove":
                parent.pop(int(last))
            elif kind == "replace":
                parent[int(last)] = copy.deepcopy(op.get("value"))
            else:
                raise PatchError(f"unknown op {kind!r}")
        elif isinstance(parent, dict):
            if kind == "add":
                parent[last] = copy.deepcopy(op.get("value"))
            elif kind == "remove":
                if last not in parent:
                    raise PatchError(f"unable to remove nonexistent key: {last}")
                del parent[last]
            elif kind == "replace":
                if last not in parent:
                    raise PatchError(f"replace operation does not apply: doc is missing key: {op['path']}")
                parent[last] = copy.deepcopy(op.get("value"))
            else:
                raise PatchError(f"unknown op {kind!r}")
        else:
            raise PatchError("path goes through a scalar")
    return doc


def _merge_key(field: str, items: list[Any], path: tuple[str, ...]) -> str | None:
    if field == "ports":
        return "port" if "spec" in path and "containers" not in path and "initContainers" not in path else "containerPort"
    return MERGE_KEYS.get(field)


def strategic_merge(target: Any, patch: Any, path: tuple[str, ...] = ()) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$setElementOrder/")}
    for key, value in patch.items():
        if key.startswith("$"):
            if key.startswith("$deleteFromPrimitiveList/"):
                field = key.split("/", 1)[1]
                result[field] = [x for x in result.get(field) or [] if x not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue
        current = result.get(key)
        if isinstance(value, list):
            mk = _merge_key(key, value, path)
            if mk and isinstance(current, list):
                result[key] = _merge_list(current, value, mk, (*path, key))
            elif key in PRIMITIVE_MERGE and isinstance(current, list):
                result[key] = current + [v for v in value if v not in current]
            else:
                result[key] = [strategic_merge(None, v, (*path, key)) if isinstance(v, dict) else copy.deepcopy(v)
                               for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
        elif isinstance(value, dict):
            merged = strategic_merge(current if isinstance(current, dict) else None, value, (*path, key))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = copy.deepcopy(value)
    for field, order in orders.items():
        mk = _merge_key(field, order, path)
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, mk)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _key_of(item: Any, mk: str) -> Any:
    return item.get(mk) if isinstance(item, dict) else item


def _merge_list(current: list[Any], patch: list[Any], mk: str, path: tuple[str, ...]) -> list[Any]:
    out = [copy.deepcopy(x) for x in current]
    for item in patch:
        if not isinstance(item, dict):
            if item not in out:
                out.append(item)
            continue
        key = item.get(mk)
        idx = next((i for i, x in enumerate(out) if _key_of(x, mk) == key), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(strategic_merge(None, item, path))
        else:
            merged = strategic_merge(out[idx], item, path)
            out[idx] = merged
    return [x for x in out if x is not None]


def _reorder(items: list[Any], order: list[Any], mk: str | None) -> list[Any]:
    keys = [_key_of(o, mk) if mk else o for o in order]
    ranked = {k: i for i, k in enumerate(keys)}
    placed = sorted((x for x in items if (_key_of(x, mk) if mk else x) in ranked),
                    key=lambda x: ranked[_key_of(x, mk) if mk else x])
    rest = [x for x in items if (_key_of(x, mk) if mk else x) not in ranked]
    return placed + rest
