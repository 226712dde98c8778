"""A watch as a `Response` whose stream yields one JSON line per event, for api.py's route table.

The initial state (ADDED events, or the initial-events-end BOOKMARK for sendInitialEvents) is
computed under the cluster lock before the response starts, so a bad resourceVersion is an
ordinary error answer; then the stream follows the store's change log until the timeout, the
cluster stopping, or a drop-watch fault (`StreamDropped`: the adapter cuts the connection).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from typing import Any

import orjson

from podmortem.sim.cluster import ApiError, SimCluster
from podmortem.sim.eventconv import event_for
from podmortem.sim.resources import STORAGE_KEY, ResourceType
from podmortem.sim.selectors import selector_predicate
from podmortem.sim.tables import table
from podmortem.sim.wire import Response, StreamDropped


def _q(query: dict[str, list[str]], key: str, default: str | None = None) -> str | None:
    values = query.get(key)
    return values[-1] if values else default


def _flag(query: dict[str, list[str]], key: str) -> bool:
    return (_q(query, key) or "").lower() in ("true", "1")


def matching(cluster: SimCluster, rt: ResourceType, ns: str | None, labels: Any, fields: Any) -> list[dict[str, Any]]:
    """The stored objects of `rt` in `ns` (None: all) that match the parsed selectors."""
    items = cluster.store.items(STORAGE_KEY[rt], ns)
    if labels or fields:
        matches = selector_predicate(labels, fields, rt.plural)
        items = [o for o in items if matches(o)]
    return items


def list_page(cluster: SimCluster, rt: ResourceType, ns: str | None, labels: Any, fields: Any,
              start_key: tuple[str, str] | None, limit: int) -> tuple[list[dict[str, Any]], bool, int | None]:
    """One page of a list: (items, more follow, remainingItemCount or None), read the way etcd3's store
    reads it (apiserver pkg/storage/etcd3/store.go GetList): from the key after the continue token, in
    key order, filtering as it goes, until `limit` objects match. What remains is counted only without
    selectors (with one the count would include objects that do not match). Filtering the whole store
    on every page made a field-selected list of 60,000 events quadratic."""
    ordered = cluster.store.items(STORAGE_KEY[rt], ns)
    start = 0
    if start_key is not None:
        start = bisect.bisect_right(ordered, start_key,
                                    key=lambda o: ((o["metadata"].get("namespace") or ""), o["metadata"]["name"]))
    if not (labels or fields):
        if limit and len(ordered) - start > limit:
            return ordered[start:start + limit], True, len(ordered) - start - limit
        return ordered[start:], False, None
    page: list[dict[str, Any]] = []
    matches = selector_predicate(labels, fields, rt.plural)
    for i in range(start, len(ordered)):
        o = ordered[i]
        if matches(o):
            if limit and len(page) == limit:
                return page, True, None
            page.append(o)
    return page, False, None


def watch_stream(cluster: SimCluster, rt: ResourceType, ns: str | None, selectors: tuple[Any, Any],
                 query: dict[str, list[str]], accept: str) -> Response:
    labels, fields = selectors
    as_table = "as=Table" in accept
    include = _q(query, "includeObject", "Metadata") or "Metadata"
    rv_text = _q(query, "resourceVersion") or ""
    bookmarks = _flag(query, "allowWatchBookmarks")
    initial = _flag(query, "sendInitialEvents")
    timeout = float(_q(query, "timeoutSeconds") or 1800)
    storage = STORAGE_KEY[rt]
    drop = cluster.faults.pick("watch", rt.plural, ns, ("drop-watch",))
    deadline = time.monotonic() + timeout
    drop_at = time.monotonic() + drop.after if drop else None
    first_table = [True]

    def encode(kind: str, obj: dict[str, Any], now: float) -> bytes:
        if rt.plural == "events" and kind not in ("BOOKMARK", "ERROR"):  # one store, two Event APIs
            obj = event_for("v1" if as_table else rt.api_version, obj)
        if as_table and kind not in ("BOOKMARK", "ERROR"):
            t = table(rt.plural, [obj], now, {"resourceVersion": obj["metadata"].get("resourceVersion")}, include,
                      headers=first_table[0])
            first_table[0] = False
            return orjson.dumps({"type": kind, "object": t}) + b"\n"
        return orjson.dumps({"type": kind, "object": obj}) + b"\n"

    selected = selector_predicate(labels, fields, rt.plural)

    def matches(obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        if ns is not None and (meta.get("namespace") or "") != ns:
            return False
        return selected(obj)

    out: list[bytes] = []
    with cluster.lock:
        cluster.sync()
        store = cluster.store
        now = cluster.now()
        if rv_text in ("", "0") or initial:
            position = store.rv
            for obj in matching(cluster, rt, ns, labels, fields):
                out.append(encode("ADDED", obj, now))
            if initial:
                out.append(orjson.dumps({"type": "BOOKMARK", "object": {
                    "kind": rt.kind, "apiVersion": rt.api_version,
                    "metadata": {"resourceVersion": str(position),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}}) + b"\n")
        else:
            try:
                position = int(rv_text)
            except ValueError:
                raise ApiError(400, "BadRequest", f"invalid resource version: {rv_text}") from None
            if position < store.oldest_rv:
                err = ApiError(410, "Expired", f"too old resource version: {position} ({store.oldest_rv})")
                out.append(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
                position = -1

    def follow(position: int) -> Iterator[bytes]:
        yield from out
        if position < 0:
            return
        with cluster.lock:  # a watch that follows changes: from here none after `position` is missed
            cluster.watches_started += 1
        last_bookmark = time.monotonic()
        while not cluster.stopping:
            now_wall = time.monotonic()
            if now_wall >= deadline:
                break
            if drop_at is not None and now_wall >= drop_at:
                raise StreamDropped
            chunk: list[bytes] = []
            with cluster.lock:
                changes = cluster.store.changes_since(position)
                if not changes:
                    cluster.store.changed.wait(timeout=0.5)
                    changes = cluster.store.changes_since(position)
                now = cluster.now()
                if changes and changes[0].rv > position + 1 and position < cluster.store.oldest_rv:
                    err = ApiError(410, "Expired", f"too old resource version: {position} "
                                                   f"({cluster.store.oldest_rv})")
                    chunk.append(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
                    changes = []
                    position = -1
                for ch in changes:
                    position = ch.rv
                    if ch.storage != storage:
                        continue
                    new_ok = ch.type != "DELETED" and matches(ch.obj)
                    old_ok = matches(ch.old)
                    if ch.type == "DELETED":
                        if old_ok:
                            chunk.append(encode("DELETED", ch.obj, now))
                    elif new_ok and old_ok:
                        chunk.append(encode("MODIFIED", ch.obj, now))
                    elif new_ok:
                        chunk.append(encode("ADDED", ch.obj, now))
                    elif old_ok:
                        chunk.append(encode("DELETED", ch.obj, now))
                if bookmarks and not chunk and time.monotonic() - last_bookmark > 10:
                    chunk.append(orjson.dumps({"type": "BOOKMARK", "object": {
                        "kind": rt.kind, "apiVersion": rt.api_version,
                        "metadata": {"resourceVersion": str(cluster.store.rv)}}}) + b"\n")
                    last_bookmark = time.monotonic()
            yield from chunk
            if position < 0:
                break

    return Response(200, b"", "application/json", stream=follow(position))
