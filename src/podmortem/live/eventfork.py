"""The cluster-wide event list of `diagnose -A`, read by a forked helper beside the pod list.

On the simulator's --scale 10000 the list is 61,000 events (48 MB) for 1,000 failing pods. Read on a
thread of the collector, its decoding took about 0.2 s of the interpreter the pod list is decoded and
judged in: the collection took 0.59 s, against 0.375 s without the event list. A helper forked before
the collector starts its first thread reads it on another CPU.

The helper waits, doing nothing, until the collector decides the cluster-wide list is wanted (many
namespaces with failing pods); otherwise it is told to stop, and no request is sent. Then the
collector tells it the failing pods as the pod list finds them, and after each page of events the
helper sends back the events about those pods that it has not sent yet (about one in ten),
undecoded, as one JSON array that a thread here decodes while the pod list goes on. Answering with
all 6,000 events once both lists had ended kept the collection waiting 0.06 s for them.

What it reads and the requests it sends are those of the collector's own thread (live/collect.py
`Collector._cluster_events`, still used when there is no fork, another thread already runs, or the
helper dies): the same paged list, the same attribution of events to pods (live/eventpage.py), each
pod's events in the list's order.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import orjson

from podmortem.kube.typedjson import msgspec
from podmortem.live import parallel
from podmortem.live.client import ApiCallError, Call, Forbidden, KubeClient, raw_pages
from podmortem.live.eventpage import EventPage
from podmortem.live.rawpage import continue_token, whole

PodKey = tuple[str, str]


class Listed(NamedTuple):
    """What the helper read: the events about the pods it was told of, in the list's order, or why
    there are none (`failure`: ("refused" | "failed", message), or ("raise", an exception the
    collector's thread would have let through)); and the requests it sent, for the client's counts."""

    events: dict[PodKey, list[dict[str, Any]]]
    failure: tuple[str, Any] | None
    requests: dict[str, int]
    retries: dict[str, int]
    calls: set[tuple[str, str, str]]


class ForkedEventList:
    """The helper, between `fork` and `stop`: `start(failing)` once the list is wanted, `want(keys)`
    as the pod list finds failing pods, `events(failing)` once it has ended."""

    def __init__(self, helper: parallel.Helper, call: Call) -> None:
        self.helper = helper
        self.call = call
        self.started = False
        self._told: set[PodKey] = set()
        self._reader: threading.Thread | None = None
        self._events: dict[PodKey, list[dict[str, Any]]] = {}
        self._undecodable: str | None = None
        self._end: tuple[Any, ...] | None = None

    @classmethod
    def fork(cls, client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call,
             page_size: int) -> ForkedEventList | None:
        """The helper, waiting; None where it cannot be forked (the caller lists on a thread)."""
        def body(receive: Any, send: Any) -> None:
            _list_events(client, path, params, call, page_size, receive, send)

        helper = parallel.fork_helper(body)
        return cls(helper, call) if helper is not None else None

    def start(self, failing: Iterable[PodKey]) -> None:
        """The list is wanted: the helper starts it, told of the failing pods found so far."""
        self.started = True
        self.helper.send(True)
        self._reader = threading.Thread(target=self._read, name="podmortem-events", daemon=True)
        self._reader.start()
        self.want(failing)

    def want(self, keys: Iterable[PodKey]) -> None:
        new = [k for k in keys if k not in self._told]
        if new:
            self._told.update(new)
            self.helper.send(("want", new))

    def events(self, failing: Iterable[PodKey]) -> Listed | None:
        """Once the pod list has ended (`failing`: every failing pod): what the helper read; None when
        it died, or sent an event that does not decode as the thread decodes it (the caller then
        lists per namespace)."""
        self.want(failing)
        self.helper.send(("final",))
        assert self._reader is not None
        self._reader.join()
        if self._end is None:
            return None
        _, failure, requests, retries, calls = self._end
        if failure is None and self._undecodable is not None:
            failure = ("failed", self._undecodable)
        return Listed(self._events, failure, requests, retries, calls)

    def stop(self) -> None:
        """No request is sent when the helper was never started; a running list is ended."""
        if not self.started:
            self.helper.send(False)
        self.helper.stop()
        if self._reader is not None:
            self._reader.join()

    def _read(self) -> None:
        """On a thread: each batch decoded as it comes, until the helper's last word."""
        while True:
            got = self.helper.receive()
            if got is parallel.FAILED:
                return
            if got[0] == "done":
                self._end = got
                return
            _, layout, array = got
            if self._undecodable is not None:
                continue
            try:
                decoded = _event_array(array, self.call)
            except ApiCallError as exc:
                self._undecodable = exc.message
                continue
            for key, items in layout:
                self._events.setdefault(key, []).extend(decoded[i] if isinstance(i, int) else i for i in items)


def _event_array(array: bytes, call: Call) -> list[Any]:
    """One batch's events, decoded as the thread decodes each (rawpage.whole): an event that does
    not decode is the same CallFailed."""
    try:
        return list(orjson.loads(array))
    except ValueError:
        return [whole(item, call) for item in msgspec.json.decode(array, type=list[msgspec.Raw])]


def _list_events(client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call, page_size: int,
                 receive: Any, send: Any) -> None:
    """In the helper: wait for the word, list every page and after each one send the events about
    the pods the collector has named that were not sent yet; then the outcome."""
    if receive() is not True:
        return
    client.own_connections()  # the parent's sockets are the parent's
    wanted: list[PodKey] = []  # appended to by the listener thread
    final = threading.Event()

    def listen() -> None:
        try:
            while True:
                message = receive()
                if message[0] != "want":
                    break
                wanted.extend(message[1])
        except BaseException:  # the collector is gone: the list ends with this process
            pass
        final.set()

    threading.Thread(target=listen, daemon=True).start()
    kept: dict[PodKey, list[Any]] = {}
    sent: dict[PodKey, int] = {}

    def flush() -> None:
        layout: list[tuple[PodKey, list[int | dict[str, Any]]]] = []
        raws: list[Any] = []
        for key in wanted[:]:
            items = kept.get(key)
            done = sent.get(key, 0)
            if items is None or len(items) == done:
                continue
            at: list[int | dict[str, Any]] = []
            for item in items[done:]:
                if isinstance(item, msgspec.Raw):
                    at.append(len(raws))
                    raws.append(item)
                else:
                    at.append(item)
            sent[key] = len(items)
            layout.append((key, at))
        if layout:
            send(("events", layout, b"[" + b",".join(raws) + b"]"))

    failure: tuple[str, Any] | None = None
    try:
        for page in raw_pages(client, path, params, call, page_size, EventPage, peek=continue_token):
            for key, item in page.about:
                bucket = kept.get(key)
                if bucket is None:
                    kept[key] = bucket = []
                bucket.append(item)
            flush()
    except ApiCallError as exc:
        failure = ("refused" if isinstance(exc, Forbidden) else "failed", exc.message)
    except Exception as exc:  # a deadline, an unreachable server: the collector raises it as its thread would
        failure = ("raise", exc)
    final.wait()
    if failure is None:
        flush()  # the pods named since the last page
    try:
        pickle.dumps(failure)
    except Exception:  # an exception that does not pickle: its words, as a failed list
        failure = ("failed", f"{type(failure[1]).__name__}: {failure[1]}" if failure else "")
    send(("done", failure, dict(client.requests), dict(client.retries), set(client.calls)))


__all__ = ["ForkedEventList", "Listed"]
