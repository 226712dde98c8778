"""The simulated API server's object store: objects by resource, a resourceVersion counter, watch history.

Stored objects are never mutated after they are put: every write stores a new dict (sharing the
unchanged parts), so list responses and watch history can hand out references without copying.
The history is a bounded window of changes; a watch or continue token older than its start gets
410 Expired, as after an etcd compaction.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson

Obj = dict[str, Any]


def clone(value: Any) -> Any:
    """A deep copy of JSON data (much faster than copy.deepcopy for API objects)."""
    return orjson.loads(orjson.dumps(value))


@dataclass(frozen=True, slots=True)
class Change:
    rv: int
    storage: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj
    old: Obj | None


def _controller(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _sort_key(o: Obj) -> tuple[str, str]:
    """Where an object stands in `Store.items`: by namespace, then name."""
    meta = o["metadata"]
    return (meta.get("namespace") or "", meta["name"])


class Store:
    def __init__(self, history_limit: int = 200_000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # storage -> namespace ("" for cluster-scoped) -> name -> object
        self._data: dict[str, dict[str, dict[str, Obj]]] = {}
        self._names: dict[str, dict[str, list[str]]] = {}  # storage -> namespace -> sorted names
        self._sorted: dict[tuple[str, str | None], list[Obj]] = {}
        self._pending: dict[tuple[str, str | None], dict[int, Obj]] = {}  # changes not yet in _sorted's lists
        self._owned: dict[str, set[tuple[str, str, str]]] = {}  # controller uid -> (storage, ns, name)
        self.rv = 1000
        self.history: deque[Change] = deque()
        self.history_limit = history_limit
        self.oldest_rv = self.rv  # the oldest resourceVersion a watch may start from
        self.record_history = True

    # --- reads --------------------------------------------------------------------------------

    def get(self, storage: str, namespace: str, name: str) -> Obj | None:
        return self._data.get(storage, {}).get(namespace, {}).get(name)

    def items(self, storage: str, namespace: str | None = None) -> list[Obj]:
        """Objects sorted by (namespace, name), of one namespace or all; the list must not be changed."""
        key = (storage, namespace)
        cached = self._sorted.get(key)
        if cached is not None:
            pending = self._pending.pop(key, None)
            if pending:
                cached = cached.copy()
                for at, obj in pending.items():
                    cached[at] = obj
                self._sorted[key] = cached
            return cached
        table = self._data.get(storage, {})
        names = self._names.get(storage, {})
        if namespace is None:
            out = [table[ns][n] for ns in sorted(names) for n in names[ns]]
        else:
            by_name = table.get(namespace, {})
            out = [by_name[n] for n in names.get(namespace, ())]
        self._sorted[key] = out
        return out

    def count(self, storage: str) -> int:
        return sum(len(v) for v in self._data.get(storage, {}).values())

    def owned(self, storage: str, uid: str) -> list[Obj]:
        """Objects of one storage whose controller ownerReference has this uid."""
        out = []
        for st, ns, name in self._owned.get(uid, ()):
            if st == storage:
                obj = self.get(st, ns, name)
                if obj is not None:
                    out.append(obj)
        out.sort(key=lambda o: o["metadata"]["name"])
        return out

    # --- writes -------------------------------------------------------------------------------

    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _replace_sorted(self, storage: str, namespace: str, name: str, old: Obj, new: Obj) -> None:
        """An object changed in place of `old`: the sorted lists that hold it get `new` at its position
        when next read, as one copy (a list handed out by `items` is never changed). Events are
        rewritten all the time on a crash-looping cluster (their counts): sorting 70,000 of them again
        for the next list cost 30 ms, one copy with every change since well under one."""
        for key in ((storage, namespace), (storage, None)):
            cached = self._sorted.get(key)
            if cached is None:
                continue
            pending = self._pending.setdefault(key, {})
            at = bisect.bisect_left(cached, (namespace, name), key=_sort_key)
            if at < len(cached) and (pending.get(at) or cached[at]) is old:
                pending[at] = new
            else:  # not where it should be: sort again on the next read
                self._invalidate_key(key)

    def _invalidate_key(self, key: tuple[str, str | None]) -> None:
        self._sorted.pop(key, None)
        self._pending.pop(key, None)

    def _invalidate(self, storage: str, namespace: str) -> None:
        self._invalidate_key((storage, namespace))
        self._invalidate_key((storage, None))

    def put(self, storage: str, obj: Obj) -> Obj:
        """Store obj (new or replacing), stamping a new resourceVersion; returns the stored dict."""
        meta = obj["metadata"]
        ns = meta.get("namespace") or ""
        name = meta["name"]
        by_name = self._data.setdefault(storage, {}).setdefault(ns, {})
        old = by_name.get(name)
        rv = self._next_rv()
        stored = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
        by_name[name] = stored
        if old is None:
            bisect.insort(self._names.setdefault(storage, {}).setdefault(ns, []), name)
        if old is None:
            self._invalidate(storage, ns)
        else:
            self._replace_sorted(storage, ns, name, old, stored)
        owner = _controller(stored)
        old_owner = _controller(old) if old is not None else None
        if old_owner != owner:
            if old_owner:
                self._owned.get(old_owner, set()).discard((storage, ns, name))
            if owner:
                self._owned.setdefault(owner, set()).add((storage, ns, name))
        self._record(Change(rv, storage, "ADDED" if old is None else "MODIFIED", stored, old))
        return stored

    def remove(self, storage: str, namespace: str, name: str) -> Obj | None:
        by_name = self._data.get(storage, {}).get(namespace, {})
        old = by_name.pop(name, None)
        if old is None:
            return None
        names = self._names[storage][namespace]
        del names[bisect.bisect_left(names, name)]
        if not names:
            del self._names[storage][namespace]
        self._invalidate(storage, namespace)
        owner = _controller(old)
        if owner:
            self._owned.get(owner, set()).discard((storage, namespace, name))
        rv = self._next_rv()
        gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(rv)}}
        self._record(Change(rv, storage, "DELETED", gone, old))
        return gone
    def _record(self, change: Change) -> None:
        if not self.record_history:
            self.oldest_rv = change.rv
            return
        self.history.append(change)
        if len(self.history) > self.history_limit:
            dropped = self.history.popleft()
            self.oldest_rv = dropped.rv
        self.changed.notify_all()

    def compact(self) -> None:
        """Forget all history: watches and continue tokens from before now get 410."""
        self.history.clear()
        self.oldest_rv = self.rv

    def changes_since(self, rv: int) -> list[Change]:
        """History entries newer than rv (the caller checked rv >= oldest_rv)."""
        hist = self.history
        if not hist or hist[-1].rv <= rv:
            return []
        # History rvs are increasing: walk back from the end (watchers are usually near it).
        out: list[Change] = []
        for change in reversed(hist):
            if change.rv <= rv:
                break
            out.append(change)
        out.reverse()
        return out
