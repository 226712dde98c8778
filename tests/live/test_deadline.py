"""Deadlines on an injected clock: the run's deadline stops retries and back-offs, pagination stops on
a repeated continue token, and answers are size-capped. No wall-clock assertion: time is a variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeCluster, Fault

from podmortem.live.client import Call, CallFailed, KubeClient, PaginationLoop, connect, pages
from podmortem.live.deadline import Deadline, DeadlineExceeded

PODS = Call("list", "pods", "shop")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _client(kubeconfig: Path, clock: Clock, **kw: Any) -> KubeClient:
    client = connect(str(kubeconfig))
    client.clock = clock
    client.sleep = clock.sleep
    for k, v in kw.items():
        setattr(client, k, v)
    return client


def test_deadline_arithmetic() -> None:
    clock = Clock()
    d = Deadline.after(10, "--timeout 10s", clock)
    assert d.bounded and d.remaining() == 10
    assert d.sooner(3, "--request-timeout 3s").what == "--request-timeout 3s"
    assert d.sooner(30, "--request-timeout 30s") is d  # the run ends first
    clock.now += 10
    with pytest.raises(DeadlineExceeded, match="--timeout 10s passed before list pods"):
        d.check("list pods")
    assert not Deadline.after(0, "--timeout 0", clock).bounded  # 0: no limit


def test_backoff_past_the_deadline_is_not_waited_for(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=429, times=100, retry_after="20"))
    clock = Clock()
    client = _client(kubeconfig, clock)
    client.set_deadline(30, "--timeout 30s")
    with pytest.raises(DeadlineExceeded, match="--timeout 30s passes before list pods"):
        client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert clock.now == 120.0  # one 20 s wait fitted; the second would not, so it was not slept
    assert cluster.requests["/api/v1/namespaces/shop/pods"] == 2


def test_no_request_after_the_deadline(kubeconfig: Path, cluster: FakeCluster) -> None:
    clock = Clock()
    client = _client(kubeconfig, clock)
    client.set_deadline(5, "--timeout 5s")
    clock.now += 6
    with pytest.raises(DeadlineExceeded):
        client.get("/api/v1/namespaces/shop/pods", [], PODS)
    assert cluster.requests["/api/v1/namespaces/shop/pods"] == 0


def test_answers_over_the_cap_stop_reading(kubeconfig: Path, cluster: FakeCluster) -> None:
    client = _client(kubeconfig, Clock(), max_response_bytes=1000)
    with pytest.raises(CallFailed, match="larger than"):
        client.get("/api/v1/namespaces/shop/pods", [], PODS)
    assert cluster.requests["/api/v1/namespaces/shop/pods"] == 1  # not retried


class Pager:
    """get_json answering with scripted continue tokens."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.asked: list[str] = []

    def get_json(self, _path: str, params: list[tuple[str, Any]], _call: Call) -> dict[str, Any]:
        self.asked.append(dict(params).get("continue", ""))
        token = self.tokens[len(self.asked) - 1]
        return {"metadata": {"continue": token}, "items": [{"n": len(self.asked)}]}


@pytest.mark.parametrize("tokens", [["a", "a"], ["a", "b", "a"], ["x" * 100, "x" * 100]])
def test_a_continue_token_seen_before_stops_the_list(tokens: list[str]) -> None:
    pager = Pager(tokens)
    with pytest.raises(PaginationLoop, match=r"sent the continue token .* again after \d+ pages"):
        list(pages(pager, "/api/v1/pods", [], Call("list", "pods"), 500))  # type: ignore[arg-type]
    assert len(pager.asked) == len(tokens)


def test_advancing_tokens_are_followed_to_the_end() -> None:
    pager = Pager(["a", "b", "c", ""])
    docs = list(pages(pager, "/api/v1/pods", [], Call("list", "pods"), 500))  # type: ignore[arg-type]
    assert [d["items"][0]["n"] for d in docs] == [1, 2, 3, 4]
    assert pager.asked == ["", "a", "b", "c"]
