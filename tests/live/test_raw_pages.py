"""raw_pages with `peek`: the next page is fetched ahead while this one is decoded, and the pages,
the requests that count and the errors are those of the plain page-by-page loop."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.live.client import Call, CallFailed, PaginationLoop, raw_pages
from podmortem.live.rawpage import continue_token

CALL = Call("list", "pods")


class Scripted:
    """`get` answering page n with the n-th scripted token; a token may be an exception to raise."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def get(self, _path: str, params: list[tuple[str, Any]], _call: Call) -> bytes:
        cont = dict(params).get("continue", "")
        with self.lock:
            self.asked.append(cont)
        # The page a token leads to: "" leads to page 0, token "t<n>" to page n.
        n = 0 if not cont else int(cont[1:])
        token = self.tokens[n]
        if isinstance(token, Exception):
            raise token
        return json.dumps({"kind": "PodList", "metadata": {"continue": token}, "items": [{"n": n}]}).encode()


class Page:
    def __init__(self, body: bytes, _call: Call) -> None:
        doc = json.loads(body)
        self.cont = str(doc["metadata"].get("continue") or "")
        self.n = doc["items"][0]["n"]


def _run(tokens: list[Any], peek: Callable[[bytes], str | None] | None) -> tuple[list[int], list[str], str | None]:
    client = Scripted(tokens)
    got: list[int] = []
    error = None
    try:
        for page in raw_pages(client, "/api/v1/pods", [], CALL, 500, Page, peek=peek):  # type: ignore[arg-type]
            got.append(page.n)
    except CallFailed as exc:
        error = f"{type(exc).__name__}: {exc.message}"
    return got, client.asked, error


def _wrong(body: bytes) -> str | None:
    cont = continue_token(body)
    return None if cont is None else "t" + str(int(cont[1:]) + 1)  # always a page too far


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.data())
def test_pages_requests_and_errors_are_the_plain_loops(n: int, data: st.DataObject) -> None:
    tokens: list[Any] = [f"t{i + 1}" for i in range(n - 1)] + [""]
    fail_at = data.draw(st.none() | st.integers(1, n - 1) if n > 1 else st.none())
    if fail_at is not None:  # the page that token leads to fails
        tokens.append("")
        tokens[fail_at] = CallFailed(CALL, 500, "server error")
    if data.draw(st.booleans()) and n > 2:  # a server that repeats an earlier token
        tokens[n - 2] = "t1"
    plain = _run(tokens, None)
    ahead = _run(tokens, continue_token)
    assert ahead == plain  # the same pages, the same error, and the same requests in the same order


def test_a_wrong_guess_is_dropped_and_the_right_page_asked_for() -> None:
    tokens = ["t1", "t2", "t3", "", ""]  # page 4 exists only for the last wrong guess to land on
    got, asked, error = _run(tokens, _wrong)
    assert (got, error) == ([0, 1, 2, 3], None)
    # Each right page asked for; besides them only wrong guesses (one too far), fetched ahead and dropped,
    # or cancelled before they started.
    assert Counter(asked) >= Counter(["", "t1", "t2", "t3"])
    assert set(asked) <= {"", "t1", "t2", "t3", "t4"}


def test_a_repeated_token_still_stops_the_list() -> None:
    with pytest.raises(PaginationLoop):
        list(raw_pages(Scripted(["t1", "t1"]), "/p", [], CALL, 500, Page, peek=continue_token))  # type: ignore[arg-type]


def test_stopping_early_leaves_no_fetch_running() -> None:
    started, release = threading.Event(), threading.Event()

    class Slow(Scripted):
        def get(self, path: str, params: list[tuple[str, Any]], call: Call) -> bytes:
            if dict(params).get("continue"):
                started.set()
                release.wait(5)
            return super().get(path, params, call)

    client = Slow(["t1", ""])
    it = raw_pages(client, "/p", [], CALL, 500, Page, peek=continue_token)  # type: ignore[arg-type]
    assert next(it).n == 0
    assert started.wait(5)  # page 1 is being fetched ahead
    release.set()
    it.close()  # returns once the fetch ahead has ended: no thread outlives the list
    assert not any(t.name.startswith("podmortem-page") for t in threading.enumerate())


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"metadata": 5}', b'{"metadata": {"continue": 7}}',
                                  b'{"metadata": {"continue": ""}}'])
def test_continue_token_of_odd_bodies_is_none(body: bytes) -> None:
    assert continue_token(body) is None


def test_continue_token() -> None:
    assert continue_token(b'{"kind":"PodList","metadata":{"continue":"abc"},"items":[{"x":1}]}') == "abc"
    assert continue_token(b'{\n  "metadata": {\n    "continue": "abc"\n  },\n  "items": []\n}') == "abc"
    # Items before metadata, or a head the reading does not understand: no guess, no page fetched ahead.
    assert continue_token(b'{"items":[],"metadata":{"continue":"abc"}}') is None
    assert continue_token(b'{"metadata":{"continue":"abc","x":["items",1]},"items":[]}') is None
