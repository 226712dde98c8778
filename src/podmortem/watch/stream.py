"""List then watch pods, forever: resume from the last resourceVersion, relist on 410, back off on errors.

The protocol is the API server's (the same loop as client-go's Reflector, tools/cache/reflector.go):
1. list (paged) and hand the whole set to the handler with the list's resourceVersion;
2. watch from that resourceVersion with allowWatchBookmarks, so quiet streams still advance it;
3. when a stream ends (server timeout, dropped connection, silence longer than the read timeout)
   watch again from the last resourceVersion seen: nothing is missed and nothing is repeated;
4. an `ERROR` event or an answer with 410 Expired/Gone means that resourceVersion is compacted
   away: list again (the handler diffs the new list against its view, so changes in the gap are
   seen as changes, and pods deleted in the gap as deletions);
5. 429 and 5xx are retried by the client (Retry-After, capped back-off); when they persist, the
   loop backs off with a cap and starts again, never giving up while it runs.
Clock and sleep are injected; `sleep` returns True when the loop should stop.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from podmortem.errors import ApiUnreachable, SourceError
from podmortem.live.client import ApiCallError, Call, Gone, KubeClient, pages

log = logging.getLogger(__name__)

PAGE_SIZE = 500
WATCH_TIMEOUT = 300  # seconds the server keeps a watch open (client-go picks 5-10 minutes at random)
READ_TIMEOUT = 90.0  # silence tolerated on a stream: bookmarks come about every minute
BACKOFF_BASE = 0.8
BACKOFF_CAP = 30.0
READ_CHUNK = 64 * 1024
MAX_LINE = 16 * 1024 * 1024  # one watch event larger than this is not a pod: drop the stream


class Handler(Protocol):
    def synced(self, pods: Sequence[dict[str, Any]], resource_version: str) -> None: ...

    def changed(self, kind: str, pod: dict[str, Any]) -> None: ...


@dataclass
class Hooks:
    """Where the stream reports what happened to it (metrics)."""

    api_error: Callable[[str], None] = field(default=lambda code: None)
    restart: Callable[[str], None] = field(default=lambda reason: None)


@dataclass(frozen=True, slots=True)
class PodScope:
    namespace: str | None  # None: all namespaces
    selector: str | None = None

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{quote(self.namespace, safe='')}/pods" if self.namespace else "/api/v1/pods"


class _Relist(Exception):
    """The resourceVersion is gone: start from a fresh list."""


class PodStream:
    def __init__(self, client: KubeClient, scope: PodScope, handler: Handler, *, hooks: Hooks | None = None,
                 sleep: Callable[[float], bool] | None = None, watch_timeout: int = WATCH_TIMEOUT,
                 read_timeout: float = READ_TIMEOUT) -> None:
        self.client = client
        self.scope = scope
        self.handler = handler
        self.hooks = hooks or Hooks()
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.watch_timeout = watch_timeout
        self.read_timeout = read_timeout
        self.resource_version = ""
        self.lists = 0
        self.watches = 0
        self._raw: Any = None
        self._failures = 0

    def stop(self) -> None:
        self.stopping.set()
        raw = self._raw
        if raw is not None:
            try:
                raw.shutdown()  # wakes a read blocked on a quiet stream
            except Exception:  # already closed, or an urllib3 without shutdown()
                log.debug("closing the watch stream failed", exc_info=True)

    def run(self) -> None:
        need_list = True
        while not self.stopping.is_set():
            try:
                if need_list:
                    self.list()
                    need_list = False
                self.watch_once()
                self._failures = 0
            except _Relist:
                self.hooks.restart("expired")
                need_list = True
            except Gone:
                self.hooks.api_error("410")
                self.hooks.restart("expired")
                need_list = True
            except ApiCallError as exc:
                self.hooks.api_error(str(exc.status or "none"))
                self.hooks.restart("error")
                log.warning("pod %s failed: %s; trying again", "list" if need_list else "watch", exc.message)
                if self._back_off():
                    return
            except SourceError as exc:  # unreachable, TLS, 401 (a rotated token): keep trying, slowly
                self.hooks.api_error("unreachable" if isinstance(exc, ApiUnreachable) else "auth")
                self.hooks.restart("error")
                log.warning("the API server cannot be used now: %s", exc)
                if self._back_off():
                    return
            except (OSError, ValueError) as exc:  # a dropped or garbled stream: watch again from where it was
                self.hooks.restart("dropped")
                log.info("pod watch stream dropped (%s); resuming from resourceVersion %s",
                         type(exc).__name__, self.resource_version)
                if self._back_off(first_free=True):
                    return
            except Exception:  # a bug while handling an event: list again rather than stop watching
                log.exception("handling the pod watch failed; listing again")
                self.hooks.restart("error")
                need_list = True
                if self._back_off():
                    return

    def _back_off(self, first_free: bool = False) -> bool:
        self._failures += 1
        if first_free and self._failures == 1:
            return self.stopping.is_set()
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (self._failures - 1)) * (0.5 + random.random() / 2)
        return bool(self.sleep(delay)) or self.stopping.is_set()

    def list(self) -> None:
        params: list[tuple[str, Any]] = [("labelSelector", self.scope.selector)] if self.scope.selector else []
        call = Call("list", "pods", self.scope.namespace)
        items: list[dict[str, Any]] = []
        rv = ""
        for doc in pages(self.client, self.scope.path, params, call, PAGE_SIZE):
            items.extend(i for i in doc.get("items") or () if isinstance(i, dict))
            rv = str((doc.get("metadata") or {}).get("resourceVersion") or rv)
        self.lists += 1
        self.resource_version = rv
        self.handler.synced(items, rv)

    def watch_once(self) -> None:
        """One watch stream, read to its end. Raises _Relist when the resourceVersion is too old."""
        import urllib3.exceptions as u3

        params: list[tuple[str, Any]] = [("watch", "true"), ("allowWatchBookmarks", "true"),
                                         ("timeoutSeconds", self.watch_timeout)]
        if self.resource_version:
            params.append(("resourceVersion", self.resource_version))
        if self.scope.selector:
            params.append(("labelSelector", self.scope.selector))
        raw = self.client.stream(self.scope.path, params, Call("watch", "pods", self.scope.namespace),
                                 self.read_timeout)
        self._raw = raw
        self.watches += 1
        buf = b""
        try:
            while not self.stopping.is_set():
                try:
                    chunk = raw.read1(READ_CHUNK)
                except (u3.ProtocolError, u3.ReadTimeoutError, u3.HTTPError) as exc:
                    raise OSError(str(type(exc).__name__)) from None
                if not chunk:
                    self.hooks.restart("closed")
                    return
                buf += chunk
                if b"\n" not in chunk:
                    if len(buf) > MAX_LINE:
                        raise ValueError("a watch event larger than the limit")
                    continue
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._event(orjson.loads(line))
                self._failures = 0
        finally:
            self._raw = None
            try:
                raw.release_conn()
            except Exception:  # a shut-down connection cannot go back to the pool
                log.debug("releasing the watch connection failed", exc_info=True)

    def _event(self, ev: Any) -> None:
        if not isinstance(ev, dict):
            raise ValueError("a watch event that is not an object")
        kind = ev.get("type")
        obj = ev.get("object")
        if not isinstance(obj, dict):
            raise ValueError("a watch event without an object")
        if kind == "ERROR":
            code = obj.get("code")
            self.hooks.api_error(str(code or "none"))
            if code in (410, "410") or obj.get("reason") in ("Expired", "Gone"):
                raise _Relist
            raise ValueError(f"watch error {code}: {str(obj.get('message') or '')[:200]}")
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if rv:
                self.resource_version = str(rv)
            return
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            raise ValueError(f"unknown watch event type {str(kind)[:40]!r}")
        self.handler.changed(str(kind), obj)
        if rv:
            self.resource_version = str(rv)
