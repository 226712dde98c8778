"""parallel_map: the plain loop's results, in order, whatever the children do."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from podmortem.live import parallel
from podmortem.live.parallel import parallel_map, shares

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def test_shares_cover_the_items_in_order() -> None:
    assert shares(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert shares(2, 4) == [range(0, 1), range(1, 2)]
    assert shares(0, 2) == [range(0, 0)]
    for n in range(0, 30):
        for w in range(1, 6):
            got = [i for part in shares(n, w) for i in part]
            assert got == list(range(n))


def test_results_in_order_from_the_children() -> None:
    pids: list[int] = []

    def where(x: int) -> tuple[int, int]:
        return x * x, os.getpid()

    got = parallel_map(where, list(range(50)), 3)
    assert [r for r, _ in got] == [x * x for x in range(50)]
    pids = sorted({pid for _, pid in got})
    assert len(pids) == 3 and os.getpid() in pids  # two shares were computed elsewhere


def test_a_failing_child_share_is_computed_here() -> None:
    parent = os.getpid()

    def flaky(x: int) -> int:
        if os.getpid() != parent and x >= 10:
            raise RuntimeError("only in the child")
        return x + 1

    assert parallel_map(flaky, list(range(20)), 2) == list(range(1, 21))


def test_a_child_that_dies_is_computed_here() -> None:
    parent = os.getpid()

    def dies(x: int) -> int:
        if os.getpid() != parent:
            os._exit(9)
        return -x

    assert parallel_map(dies, list(range(6)), 3) == [0, -1, -2, -3, -4, -5]


def test_unpicklable_results_are_computed_here() -> None:
    def lam(x: int) -> object:
        return (lambda: x) if x else x  # a closure cannot be pickled

    got = parallel_map(lam, [0, 1, 2, 3], 2)
    assert got[0] == 0 and [f() for f in got[1:]] == [1, 2, 3]  # type: ignore[operator]


def test_an_error_here_stops_and_reaps_the_children(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    fork = parallel._fork

    def spy(*args: object) -> parallel._Child | None:
        got = fork(*args)  # type: ignore[arg-type]
        if got is not None:
            started.append(got.pid)
        return got

    monkeypatch.setattr(parallel, "_fork", spy)
    parent = os.getpid()

    def slow_child(x: int) -> int:
        if os.getpid() != parent:
            import time

            time.sleep(60)
        if x == 0:
            raise ValueError("here")
        return x

    with pytest.raises(ValueError, match="here"):
        parallel_map(slow_child, list(range(4)), 2)
    assert started
    for pid in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped


def test_one_worker_or_one_item_is_the_plain_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_fork", lambda *a: pytest.fail("forked"))
    assert parallel_map(str, [1, 2], 1) == ["1", "2"]
    assert parallel_map(str, [1], 4) == ["1"]
    assert parallel_map(str, [], 4) == []


@pytest.mark.parametrize(("cpus", "load", "workers"), [
    (2, None, 2), (2, 0.0, 2), (2, 1.0, 2), (2, 1.6, 1), (2, 5.0, 1), (8, 1.0, 4), (8, 6.0, 3), (1, 0.0, 1)])
def test_workers_only_onto_cpus_the_load_leaves_idle(cpus: int, load: float | None, workers: int) -> None:
    assert parallel.spare_workers(cpus, load, 4) == workers  # where the system gives no instant count


@pytest.mark.parametrize(("cpus", "load", "running", "workers"), [
    (2, 2.0, 1, 2),  # the minute was busy (a benchmark's previous command), the CPUs are idle now
    (2, 1.0, 2, 1),  # something else runs now
    (2, 0.1, 3, 1), (8, 0.5, 3, 4), (8, 3.0, 6, 3), (2, None, 1, 2), (1, 0.0, 1, 1),
    (2, 3.0, 1, 1),  # the rest of the machine alone kept both CPUs busy for a minute: a lucky instant
    (2, 1.0, 0, 2),  # a count that missed this process
])
def test_the_instant_count_decides_and_a_busy_minute_vetoes(cpus: int, load: float | None, running: int,
                                                             workers: int) -> None:
    assert parallel.spare_workers(cpus, load, 4, running) == workers


def test_the_instant_count_counts_this_process() -> None:
    got = parallel.runnable_now()
    if got is None:
        pytest.skip("no /proc/loadavg here")
    assert got >= 1  # this process is running while it reads
    assert 1 <= parallel.workers_now(4) <= 4


# -- staged_map: two stages with a meeting between them -----------------------------------------------


def _staged(items: list[int], workers: int, *, where: str = "", weights: list[float] | None = None,
            seen: list[list[int]] | None = None) -> list[list[int]]:
    """prepare doubles, the shares report their maximum, the agreed value is the maximum of those,
    and finish adds it to each prepared item. `where` names the stage at which a child dies."""
    parent = os.getpid()

    def die(stage: str) -> None:
        if os.getpid() != parent and where == stage:
            os._exit(7)

    def prepare(x: int) -> int:
        die("prepare")
        return 2 * x

    def report(done: list[int]) -> int:
        die("report")
        return max(done, default=-1)

    def decide(reports: list[int]) -> int:
        if seen is not None:
            seen.append(reports)
        return max(reports)

    def finish(done: list[int], agreed: int | None) -> list[int]:
        die("finish")
        if where == "raise" and os.getpid() != parent:
            raise RuntimeError("only in the child")
        assert agreed is not None
        return [d + agreed for d in done]

    return parallel.staged_map(prepare, items, workers, report=report, decide=decide, finish=finish,
                               weights=weights)


@pytest.mark.parametrize("where", ["", "prepare", "report", "finish", "raise"])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_staged_results_are_the_plain_loops_whatever_a_child_does(where: str, workers: int) -> None:
    items = list(range(23))
    got = _staged(items, workers, where=where)
    assert [x for part in got for x in part] == [2 * x + 44 for x in items]
    assert len(got) == workers
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child reaped


def test_staged_decides_once_on_the_reports_in_share_order() -> None:
    seen: list[list[int]] = []
    _staged(list(range(9)), 3, seen=seen)
    assert seen == [[4, 10, 16]]  # the maxima of 0-2, 3-5, 6-8, doubled


def test_weighted_shares_cover_the_items_in_order_and_balance_the_weight() -> None:
    weights = [1.0] * 90 + [10.0] * 10  # cheap items first, costly ones last
    parts = shares(100, 2, weights)
    assert [i for p in parts for i in p] == list(range(100))
    first, second = (sum(weights[i] for i in p) for p in parts)
    assert abs(first - second) <= 10
    for n in range(0, 12):
        for w in range(1, 5):
            got = shares(n, w, [float(i % 3) for i in range(n)])
            assert [i for p in got for i in p] == list(range(n))
            assert all(len(p) for p in got) or n == 0
    got = _staged(list(range(100)), 2, weights=weights)
    assert [x for part in got for x in part] == [2 * x + 198 for x in range(100)]


def test_the_first_share_takes_lead_times_the_weight_of_each_other() -> None:
    weights = [1.0] * 1000
    for workers, lead in ((2, 1.3), (3, 1.3), (4, 2.0), (2, 1.0)):
        parts = shares(1000, workers, weights, lead)
        assert [i for p in parts for i in p] == list(range(1000))
        sizes = [len(p) for p in parts]
        assert all(abs(size - sizes[1]) <= 1 for size in sizes[1:])
        assert abs(sizes[0] - lead * sizes[1]) <= 2


def test_a_busy_reading_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "load_average", lambda: 0.5)
    for readings, workers, waits in (([1], 2, 0), ([2, 1], 2, 1), ([2, 3, 2], 1, 2), ([3, 3, 1], 2, 2)):
        left = list(readings)
        slept: list[float] = []
        monkeypatch.setattr(parallel, "runnable_now", lambda left=left: left.pop(0))
        assert parallel.workers_now(4, sleep=slept.append) == workers
        assert slept == [0.001] * waits


def test_a_last_message_taken_without_waiting_leaves_the_child_to_be_reaped_by_stop() -> None:
    """Helper.receive(last=True, wait=False): the message comes back while the child is still there
    (explain does not wait for a worker's memory to be freed); stop() then ends and reaps it."""
    def lingers(receive: parallel.Receive, send: parallel.Send) -> None:
        send(("entries", 3))
        time.sleep(60)  # still there when the parent looks (not ended by its pipes closing): stop kills it

    helper = parallel._spawn(lingers, range(0))
    assert helper is not None and helper.pid is not None
    assert helper.receive(last=True, wait=False) == ("entries", 3)
    assert helper.done and helper.unreaped
    assert os.waitpid(helper.pid, os.WNOHANG) == (0, 0)  # not waited for: still there
    helper.stop()
    assert not helper.unreaped
    with pytest.raises(ChildProcessError):
        os.waitpid(helper.pid, os.WNOHANG)  # reaped


def test_a_last_message_waited_for_needs_a_clean_exit() -> None:
    def exits(code: int) -> Callable[[parallel.Receive, parallel.Send], None]:
        def body(receive: parallel.Receive, send: parallel.Send) -> None:
            send("done")
            if code:
                os._exit(code)
        return body

    clean = parallel._spawn(exits(0), range(0))
    assert clean is not None and clean.receive(last=True) == "done" and clean.status == 0
    failed = parallel._spawn(exits(3), range(0))
    assert failed is not None and failed.receive(last=True) is parallel.FAILED
