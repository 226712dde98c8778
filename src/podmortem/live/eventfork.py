"""The cluster-wide event list of `diagnose -A`, read by a forked helper beside the pod list.

On the simulator's --scale 10000 the list is 61,000 events (48 MB) for 1,000 failing pods. Read on a
thread of the collector, its decoding took about 0.2 s of the interpreter the pod list is decoded and
judged in: the collection took 0.59 s, against 0.375 s without the event list. A helper forked before
the collector starts its first thread reads it on another CPU, and sends back only the events about
the pods asked for, undecoded (about one in ten), once the pod list has ended.

The helper waits, doing nothing, until the collector decides the cluster-wide list is wanted (many
namespaces with failing pods); otherwise it is told to stop, and no request is sent. What it reads
and the requests it sends are those of the collector's own thread (live/collect.py
`Collector._cluster_events`, still used when there is no fork, another thread already runs, or the
helper dies): the same paged list, the same attribution of events to pods (live/eventpage.py).
"""

from __future__ import annotations

import pickle
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from podmortem.kube.typedjson import msgspec
from podmortem.live import parallel
from podmortem.live.client import ApiCallError, Call, Forbidden, KubeClient, raw_pages
from podmortem.live.eventpage import EventPage
from podmortem.live.rawpage import continue_token

PodKey = tuple[str, str]


class Listed(NamedTuple):
    """What the helper read: each wanted pod's events (the JSON of each, or a dict already decoded),
    or why there are none (`failure`: ("refused" | "failed", message), or ("raise", an exception the
    collector's thread would have let through)); and the requests it sent, for the client's counts."""

    events: dict[PodKey, list[bytes | dict[str, Any]]]
    failure: tuple[str, Any] | None
    requests: dict[str, int]
    retries: dict[str, int]
    calls: set[tuple[str, str, str]]


class ForkedEventList:
    """The helper, between `fork` and `stop`: `start()` once the list is wanted, then `events(wanted)`."""

    def __init__(self, helper: parallel.Helper) -> None:
        self.helper = helper
        self.started = False

    @classmethod
    def fork(cls, client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call,
             page_size: int) -> ForkedEventList | None:
        """The helper, waiting; None where it cannot be forked (the caller lists on a thread)."""
        def body(receive: Any, send: Any) -> None:
            _list_events(client, path, params, call, page_size, receive, send)

        helper = parallel.fork_helper(body)
        return cls(helper) if helper is not None else None

    def start(self) -> None:
        self.started = True
        self.helper.send(True)

    def events(self, wanted: Collection[PodKey]) -> Listed | None:
        """Once the pod list has ended: the events about `wanted` pods; None when the helper died."""
        self.helper.send(list(wanted))
        got = self.helper.receive(last=True)
        return None if got is parallel.FAILED else got

    def stop(self) -> None:
        """No request is sent when the helper was never started; a running list is ended."""
        if not self.started:
            self.helper.send(False)
        self.helper.stop()


def _list_events(client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call, page_size: int,
                 receive: Any, send: Any) -> None:
    """In the helper: wait for the word, list every page, then send the wanted pods' events."""
    if receive() is not True:
        return
    client.own_connections()  # the parent's sockets are the parent's
    kept: dict[PodKey, list[Any]] = {}
    failure: tuple[str, Any] | None = None
    try:
        for page in raw_pages(client, path, params, call, page_size, EventPage, peek=continue_token):
            for key, item in page.about:
                bucket = kept.get(key)
                if bucket is None:
                    kept[key] = bucket = []
                bucket.append(item)
    except ApiCallError as exc:
        failure = ("refused" if isinstance(exc, Forbidden) else "failed", exc.message)
    except Exception as exc:  # a deadline, an unreachable server: the collector raises it as its thread would
        failure = ("raise", exc)
    wanted = receive()
    events = {k: [bytes(i) if isinstance(i, msgspec.Raw) else i for i in kept[k]] for k in wanted if k in kept}
    listed = Listed(events, failure, dict(client.requests), dict(client.retries), set(client.calls))
    try:
        pickle.dumps(failure)
    except Exception:  # an exception that does not pickle: its words, as a failed list
        listed = listed._replace(failure=("failed", f"{type(failure[1]).__name__}: {failure[1]}" if failure else ""))
    send(listed)


__all__ = ["ForkedEventList", "Listed"]
