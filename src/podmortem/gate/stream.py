"""List, then watch, one resource query; every change goes to a queue the gate reads.

The informer pattern of client-go, small: a paginated list gives the objects and the
resourceVersion to watch from; the watch streams ADDED/MODIFIED/DELETED (bookmarks keep the
resourceVersion fresh); a watch the server ends on time is resumed from the last version; a 410
Expired (as an ERROR event or as the answer) or a dropped connection lists again. When the
server will not watch (403 for the verb, 405, a proxy that cuts every stream at once) the stream
falls back to listing every `poll_interval` seconds and says so once.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from podmortem.errors import ApiForbidden, SourceError
from podmortem.live.client import (
    MAX_RESPONSE_BYTES,
    ApiCallError,
    BadRequest,
    Call,
    CallFailed,
    Forbidden,
    Gone,
    KubeClient,
    NotFoundError,
    pages,
)

log = logging.getLogger(__name__)

Obj = dict[str, Any]
PAGE_SIZE = 500
WATCH_SECONDS = 240  # the server ends each watch after this; it is then resumed from the last version
QUICK_END = 1.0  # a watch that ends this soon without one event did not really work
QUICK_ENDS_TO_POLL = 3
RETRY_CAP = 8.0


@dataclass(frozen=True, slots=True)
class Synced:
    """A full list: the stream's objects are exactly these now."""

    key: str
    items: list[Obj]


@dataclass(frozen=True, slots=True)
class Changed:
    key: str
    kind: str  # ADDED | MODIFIED | DELETED
    obj: Obj


@dataclass(frozen=True, slots=True)
class Trouble:
    """The stream cannot read the cluster. `fatal`: it stopped (no permission); otherwise it retries."""

    key: str
    error: Exception
    fatal: bool


@dataclass(frozen=True, slots=True)
class Notice:
    key: str
    text: str


Message = Synced | Changed | Trouble | Notice


class ListWatch:
    """One resource query (path + params) kept current in a thread."""

    def __init__(self, client: KubeClient, key: str, path: str, params: Sequence[tuple[str, Any]], call: Call,
                 sink: queue.Queue[Message], *, poll_interval: float = 3.0) -> None:
        self.client = client
        self.key = key
        self.path = path
        self.params = list(params)
        self.call = call
        self.sink = sink
        self.poll_interval = poll_interval
        self.polling = False
        self.lists = 0
        self.watches = 0
        self._stop = threading.Event()
        self._response: Any = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"gate-{key}", daemon=True)

    def start(self) -> ListWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            # Unblock a read waiting for the next event (urllib3 >= 2.3), then drop the connection.
            with contextlib.suppress(Exception):
                getattr(response, "shutdown", lambda: None)()
            with contextlib.suppress(Exception):
                response.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    # -- the loop ---

    def _run(self) -> None:
        delay = 0.5
        pause = 0.0  # grows while watches fail at once, so a flapping connection is not hammered
        while not self._stop.is_set():
            try:
                items, version = self.list()
            except Forbidden as exc:
                where = f" in namespace {self.call.namespace}" if self.call.namespace else ""
                self.sink.put(Trouble(self.key, ApiForbidden(f"missing RBAC: list {self.call.resource}{where} "
                                                             f"({exc.message})"), fatal=True))
                return
            except (SourceError, ApiCallError) as exc:
                self.sink.put(Trouble(self.key, exc, fatal=False))
                if self._stop.wait(delay):
                    return
                delay = min(RETRY_CAP, delay * 2)
                continue
            delay = 0.5
            self.sink.put(Synced(self.key, items))
            if self.polling:
                self._stop.wait(self.poll_interval)
                continue
            failed_at_once = self._watch_from(version)
            if self.polling:
                self._stop.wait(self.poll_interval)
            elif failed_at_once:
                pause = min(RETRY_CAP / 4, max(0.25, pause * 2))
                self._stop.wait(pause)
            else:
                pause = 0.0

    def list(self) -> tuple[list[Obj], str]:
        """Every item of the query and the list's resourceVersion; a 410 on a continue token starts again."""
        for _ in range(3):
            items: list[Obj] = []
            version = ""
            try:
                for doc in pages(self.client, self.path, self.params, self.call, PAGE_SIZE):
                    if self._stop.is_set():
                        raise SourceError("the gate stopped while this list was still paging")
                    self.lists += 1
                    items.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
                    version = str((doc.get("metadata") or {}).get("resourceVersion") or "")
                return items, version
            except Gone:
                continue
        doc = self.client.get_json(self.path, list(self.params), self.call)
        return ([i for i in doc.get("items") or [] if isinstance(i, dict)],
                str((doc.get("metadata") or {}).get("resourceVersion") or ""))

    def _watch_from(self, version: str) -> bool:
        """Watch until a list is needed again (410, a dropped stream) or the stream is stopped.

        True when the last watch failed at once, before a single event: the caller waits a little.
        """
        quick = 0
        while not self._stop.is_set():
            params = [*self.params, ("watch", "true"), ("allowWatchBookmarks", "true"),
                      ("timeoutSeconds", WATCH_SECONDS)]
            if version:
                params.append(("resourceVersion", version))
            call = Call("watch", self.call.resource, self.call.namespace, self.call.name)
            started = time.monotonic()
            self.watches += 1
            try:
                response = self.client.stream(self.path, params, call, timeout=WATCH_SECONDS + 30)
            except Gone:
                return False
            except (Forbidden, NotFoundError, BadRequest) as exc:
                self._poll_instead(f"the server refused to watch ({exc.status}: {exc.message})")
                return False
            except CallFailed as exc:
                if exc.status == 405:
                    self._poll_instead(f"the server does not support watch ({exc.message})")
                return True  # anything else: list again (which reports what is wrong, and retries)
            except SourceError:
                return True
            events = 0
            try:
                with self._lock:
                    self._response = response
                if self._stop.is_set():
                    return False
                for line in _lines(response):
                    event = orjson.loads(line)
                    kind = event.get("type")
                    obj = event.get("object") or {}
                    if kind == "ERROR":
                        log.debug("%s: watch error %s", self.key, obj.get("message"))
                        return False  # 410 Expired or another failure: a fresh list is the way back
                    version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                    if kind in ("ADDED", "MODIFIED", "DELETED"):
                        events += 1
                        self.sink.put(Changed(self.key, kind, obj))
            except Exception as exc:  # a dropped connection, a read timeout, a torn line: list again
                if not self._stop.is_set():
                    log.debug("%s: watch dropped (%s); listing again", self.key, exc)
                return events == 0 and time.monotonic() - started < QUICK_END
            finally:
                with self._lock:
                    self._response = None
                with contextlib.suppress(Exception):
                    response.release_conn()
            # The server ended the watch cleanly. Immediately and without events, again and again:
            # something between us and the server does not let streams through.
            if events == 0 and time.monotonic() - started < QUICK_END:
                quick += 1
                if quick >= QUICK_ENDS_TO_POLL:
                    self._poll_instead("every watch ended at once")
                    return False
            else:
                quick = 0
        return False

    def _poll_instead(self, why: str) -> None:
        self.polling = True
        self.sink.put(Notice(self.key, f"watching {self.call.resource} is not possible: {why}; listing every "
                                       f"{self.poll_interval:g}s instead"))


def _lines(response: Any) -> Iterator[bytes]:
    """Newline-delimited JSON of a watch, as the bytes arrive."""
    if getattr(response, "chunked", False):
        chunks: Iterator[bytes] = response.stream(65536)
    else:
        chunks = iter(lambda: bytes(response.read1(65536)), b"")
    pending = b""
    for chunk in chunks:
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield line
        if len(pending) > MAX_RESPONSE_BYTES:
            # One watch event bigger than any answer podmortem accepts: an endless line, not an object.
            raise ValueError(f"a watch event longer than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB")
    if pending.strip():
        yield pending
