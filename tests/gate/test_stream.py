"""ListWatch: resume from the last resourceVersion, list again on 410, poll when watching is refused."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from podmortem.gate.stream import ListWatch, Message, Notice, Synced, _lines
from podmortem.live.client import Call, CallFailed, Forbidden


class FakeResponse:
    chunked = True

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def stream(self, _amt: int) -> Iterator[bytes]:
        yield from self.chunks

    def release_conn(self) -> None:
        pass

    def close(self) -> None:
        pass


def event(kind: str, name: str, rv: int) -> bytes:
    return orjson.dumps({"type": kind, "object": {"metadata": {"name": name, "resourceVersion": str(rv)}}}) + b"\n"


class FakeClient:
    """Scripted answers: lists in order, then watch answers in order; afterwards watches block until `done`."""

    def __init__(self, lists: list[list[str]], watches: list[Any]) -> None:
        self.lists = lists
        self.watches = watches
        self.list_calls = 0
        self.watch_params: list[dict[str, Any]] = []
        self.done = threading.Event()

    def get_json(self, _path: str, _params: Any, _call: Call) -> dict[str, Any]:
        names = self.lists[min(self.list_calls, len(self.lists) - 1)]
        self.list_calls += 1
        return {"items": [{"metadata": {"name": n}} for n in names],
                "metadata": {"resourceVersion": str(10 * self.list_calls)}}

    def stream(self, _path: str, params: Any, call: Call, timeout: float) -> Any:
        self.watch_params.append(dict(params))
        if not self.watches:
            self.done.wait(10)
            raise CallFailed(call, 0, "stopped")
        answer = self.watches.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def collect(q: queue.Queue[Message], count: int) -> list[Message]:
    return [q.get(timeout=5) for _ in range(count)]


def test_resumes_from_bookmarks_and_relists_on_410() -> None:
    expired = orjson.dumps({"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired",
                                                         "message": "too old resource version: 15 (40)"}}) + b"\n"
    first = FakeResponse([event("ADDED", "b", 11)[:20], event("ADDED", "b", 11)[20:],
                          b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"15"}}}\n'])
    client = FakeClient([["a"], ["a", "b", "c"]], [first, FakeResponse([expired])])
    q: queue.Queue[Message] = queue.Queue()
    lw = ListWatch(client, "k", "/api/v1/namespaces/shop/pods", [], Call("list", "pods", "shop"), q).start()  # type: ignore[arg-type]
    try:
        synced, added, resynced = collect(q, 3)
    finally:
        client.done.set()
        lw.stop()
        lw.join(2)
    assert isinstance(synced, Synced) and [i["metadata"]["name"] for i in synced.items] == ["a"]
    assert getattr(added, "kind", None) == "ADDED" and added.obj["metadata"]["name"] == "b"  # type: ignore[union-attr]
    assert isinstance(resynced, Synced) and len(resynced.items) == 3
    versions = [p.get("resourceVersion") for p in client.watch_params]
    assert versions[:3] == ["10", "15", "20"]  # after the list, after the bookmark (clean end), after the relist
    assert all(p["watch"] == "true" and p["allowWatchBookmarks"] == "true" for p in client.watch_params)


def test_refused_watch_falls_back_to_polling() -> None:
    client = FakeClient([["a"], ["a", "b"]], [Forbidden(Call("watch", "pods", "shop"), 403, "pods is forbidden")])
    q: queue.Queue[Message] = queue.Queue()
    lw = ListWatch(client, "k", "/p", [], Call("list", "pods", "shop"), q, poll_interval=0.05).start()  # type: ignore[arg-type]
    try:
        first, notice, second = collect(q, 3)
    finally:
        client.done.set()
        lw.stop()
        lw.join(2)
    assert isinstance(first, Synced) and isinstance(second, Synced) and len(second.items) == 2
    assert isinstance(notice, Notice) and "refused to watch (403: pods is forbidden)" in notice.text
    assert lw.polling and len(client.watch_params) == 1


def test_streams_that_end_at_once_mean_polling() -> None:
    client = FakeClient([["a"]], [FakeResponse([]), FakeResponse([]), FakeResponse([])])
    q: queue.Queue[Message] = queue.Queue()
    lw = ListWatch(client, "k", "/p", [], Call("list", "pods", "shop"), q, poll_interval=0.05).start()  # type: ignore[arg-type]
    try:
        messages = collect(q, 2)
    finally:
        client.done.set()
        lw.stop()
        lw.join(2)
    assert isinstance(messages[1], Notice) and "every watch ended at once" in messages[1].text


@given(st.lists(st.from_regex(r'\{"n":[0-9]{1,5}\}', fullmatch=True), max_size=8), st.integers(1, 7))
def test_lines_survive_any_chunking(objs: list[str], size: int) -> None:
    data = "".join(o + "\n" for o in objs).encode()
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    assert [line.decode() for line in _lines(FakeResponse(chunks))] == objs
