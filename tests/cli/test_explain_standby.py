"""`explain` of a big list with standby workers (podmortem/standby.py): forked before the input is read,
fed the failing pods as they are read, they examine them meanwhile. The report is the plain loop's,
byte for byte, whatever happens to a worker and whatever the inputs hold besides the list."""

from __future__ import annotations

import json
import os
import pickle
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podmortem import explainpods, standby
from podmortem.cli import cli
from podmortem.live.parallel import standbys

from .test_explain_parallel import _pods


def _explain(*args: str, code: int = 1) -> str:
    result = CliRunner().invoke(cli, ["explain", *args])
    assert result.exit_code == code, result.output
    return result.output


def _forked(fn: Callable[[], Any]) -> Any:
    """fn() in a forked copy of this process, which has no other thread: a process with threads gets
    no standby workers (a child could inherit a lock one of them holds), and earlier tests leave
    server threads behind. What fn returns (or raises) comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            outcome: tuple[str, Any] = ("ok", fn())
        except BaseException as exc:  # reported to the test in the parent
            outcome = ("error", "".join(traceback.format_exception(exc)))
        with os.fdopen(write, "wb") as out:
            pickle.dump(outcome, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as got:
        data = got.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        pytest.fail(value)
    return value


def _explain_standby(used: Used, *args: str) -> tuple[str, list[bool]]:
    return _forked(lambda: (_explain(*args), used.runs))  # type: ignore[no-any-return]


class Used:
    """Whether the last explain went the standby way (the workers' results), or fell back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs: list[bool] = []
        original = explainpods._on_standby

        def spy(*args: Any) -> Any:
            got = original(*args)
            self.runs.append(got is not None)
            return got

        monkeypatch.setattr(explainpods, "_on_standby", spy)


def _standby(monkeypatch: pytest.MonkeyPatch, workers: int) -> Used:
    """Standby workers for any input size, `workers` of them (as if the machine had them idle)."""
    monkeypatch.setattr(standby, "STANDBY_FROM", 0)
    monkeypatch.setattr(standby, "workers_now", lambda most: workers)
    return Used(monkeypatch)


def _plain(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The plain loop's output: no standby, no forked workers."""
    with monkeypatch.context() as m:
        m.setattr(standby, "workers_now", lambda most: 1)
        m.setattr(explainpods, "PARALLEL_FROM", 10**9)
        return _explain(*args)


@pytest.fixture
def pods_file(tmp_path: Path) -> Path:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(_pods(260), indent=4))  # as kubectl writes it
    return path


ARGS = [("-o", "json", "--now", "2026-01-15T10:30:00Z"), ("-o", "json"), ("-o", "text", "--details", "all"),
        ("-o", "yaml"), ("-o", "wide", "--now", "2026-01-15T12:30:00Z")]


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) for a in ARGS])
def test_standby_workers_give_the_plain_loops_report(pods_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                     args: tuple[str, ...], workers: int) -> None:
    want = _plain(monkeypatch, str(pods_file), *args)
    used = _standby(monkeypatch, workers)
    assert _explain_standby(used, str(pods_file), *args) == (want, [True])


def test_events_from_another_file_send_the_pods_again(pods_file: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers were fed the list's pods without the events of the second file: they are sent the
    pods again, with the events, and the report is the plain loop's."""
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"apiVersion": "v1", "kind": "EventList", "items": [{
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "ns1"},
        "involvedObject": {"kind": "Pod", "name": "api-1", "namespace": "ns1"}, "reason": "BackOff",
        "type": "Warning", "message": "Back-off restarting failed container api in pod api-1_ns1(uid-1)",
        "count": 40, "lastTimestamp": "2026-01-15T10:29:00Z"}]}))
    args = (str(pods_file), str(events), "-o", "json")
    want = _plain(monkeypatch, *args)
    assert want != _plain(monkeypatch, str(pods_file), "-o", "json")  # the events count: none is missing now
    used = _standby(monkeypatch, 2)
    assert _explain_standby(used, *args) == (want, [True])


def test_few_failing_pods_are_done_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(_pods(20)))
    want = _plain(monkeypatch, str(path), "-o", "json")
    used = _standby(monkeypatch, 2)
    assert _explain_standby(used, str(path), "-o", "json") == (want, [False])  # dismissed: below PARALLEL_FROM


def test_no_standby_for_small_inputs_stdin_or_a_busy_machine(pods_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terms: dict[str, Any] = {"now": _now(), "fixed": False, "backoff": (False, None), "as_json": True}
    monkeypatch.setattr(standby, "workers_now", lambda most: 2)
    assert standby.standby_for(["-"], **terms) is None
    monkeypatch.setattr(standby, "STANDBY_FROM", pods_file.stat().st_size + 1)
    assert standby.standby_for([str(pods_file)], **terms) is None
    monkeypatch.setattr(standby, "STANDBY_FROM", 0)
    monkeypatch.setattr(standby, "workers_now", lambda most: 1)
    assert standby.standby_for([str(pods_file)], **terms) is None


def _now() -> Any:
    from podmortem.commandline import parse_now

    return parse_now(None)


def _failing(stage: str, worker: int) -> Callable[..., None]:
    """explainpods.standby_job, except that worker number `worker` (0: the first, which forks the
    others) exits at `stage` (`result`: its first batch's result, `later result`: its second, the
    first taken already), or (`garbage`) answers what no worker would."""
    original = explainpods.standby_job
    started: list[int] = []  # inherited by the workers the first forks: they find it non-empty

    def job(*args: Any) -> None:
        *terms, receive, send, spawn = args
        me = len(started)
        started.append(me)
        if me == 0:
            spawn()  # the others now, so that each knows which it is
        if me != worker:
            original(*terms, receive, send, lambda: None)
            return
        if stage == "start":
            os._exit(3)
        sends: list[Any] = []
        last = 1 if terms[1] else 2  # with --now there is no report: the result is the first message

        def send_then(value: Any) -> None:
            sends.append(value)
            if ((stage == "report" and len(sends) == 1) or (stage == "result" and len(sends) == last)
                    or (stage == "later result" and len(sends) == last + 1)):
                os._exit(3)
            if stage == "garbage":
                value = ("not", "what the parent asked")
            send(value)

        original(*terms, receive, send_then, lambda: None)

    return job


@pytest.mark.parametrize("worker", [0, 1])
@pytest.mark.parametrize("stage", ["start", "report", "result", "later result", "garbage"])
def test_a_standby_worker_that_fails_changes_nothing(pods_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                    stage: str, worker: int) -> None:
    for args in (("-o", "json"), ("-o", "text", "--now", "2026-01-15T10:30:00Z")):
        want = _plain(monkeypatch, str(pods_file), *args)
        with monkeypatch.context() as m:
            used = _standby(m, 2)
            m.setattr(explainpods, "standby_job", _failing(stage, worker))
            assert _explain_standby(used, str(pods_file), *args) == (want, [True]), (stage, worker, args)


def test_standbys_serve_each_its_own_pipe_and_end_with_them() -> None:
    """The parallel module alone: three helpers, one forked by the parent, two by it; each runs the
    job it is sent with its own pipes; closing a helper's pipes ends it."""
    assert _forked(_three_helpers) == ["0: hello 0", "1: hello 1", "2: hello 2"]


def _three_helpers() -> list[str]:
    ready = standbys(lambda: None, 3)
    assert len(ready) == 3
    helpers = [s.start(f"{__name__}:echo_job", i) for i, s in enumerate(ready)]
    assert all(h is not None for h in helpers)
    for i, h in enumerate(helpers):
        assert h is not None
        h.send(f"hello {i}")
    got = [h.receive(last=True) for h in helpers if h is not None]
    assert len({g[1] for g in got}) == 3  # three processes
    assert all(g[1] != os.getpid() for g in got)
    return [g[0] for g in got]


def echo_job(tag: int, receive: Callable[[], Any], send: Callable[[Any], None], spawn: Callable[[], None]) -> None:
    spawn()
    send((f"{tag}: {receive()}", os.getpid()))



def test_ready_early_guesses_from_the_words_alone(pods_file: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry point's guess (podmortem/launch.py): workers, and the biggest file read in a thread,
    for `explain` with files big enough and CPUs idle; nothing for any other command or input."""
    forked: list[int] = []
    read: list[str] = []
    monkeypatch.setattr(standby, "standbys", lambda warm, n: forked.append(n) or [object()] * n)
    monkeypatch.setattr("podmortem.sources.reader.prefetch", lambda path: read.append(path))
    monkeypatch.setattr(standby, "workers_now", lambda most: 2)
    small = tmp_path / "events.json"
    small.write_text("{}")
    monkeypatch.setattr(standby, "STANDBY_FROM", pods_file.stat().st_size)
    cases = [
        (["explain", str(small), str(pods_file), "-o", "json"], [2], [str(pods_file)]),
        (["--debug", "explain", str(pods_file)], [2], [str(pods_file)]),
        (["explain", str(small)], [], []),  # too small together
        (["explain", "-", str(tmp_path)], [], []),  # stdin and a folder are not sized
        (["diagnose", str(pods_file)], [], []),
        ([], [], []),
    ]
    for args, want_forked, want_read in cases:
        forked.clear()
        read.clear()
        standby._EARLY.clear()
        standby._PREFETCHING.clear()
        standby.ready_early(args)
        assert (forked, read) == (want_forked, want_read), args
    monkeypatch.setattr(standby, "workers_now", lambda most: 1)  # a busy machine: nothing
    forked.clear()
    standby.ready_early(["explain", str(pods_file)])
    assert forked == []
    standby._EARLY.clear()
    standby._PREFETCHING.clear()


def _early_then(args: list[str], then: Callable[[], Any]) -> Any:
    """In a forked copy of this process: what the entry point does first (ready_early), then `then`."""
    def run() -> Any:
        standby.ready_early(args)
        early = list(standby._EARLY)
        return len(early), then(), [s.helper.done for s in early]
    return _forked(run)


def test_early_workers_are_taken_or_dismissed(pods_file: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standby, "STANDBY_FROM", pods_file.stat().st_size)
    monkeypatch.setattr(standby, "workers_now", lambda most: 2)
    small = tmp_path / "pod.json"
    small.write_text("{}")
    terms: dict[str, Any] = {"now": _now(), "fixed": False, "backoff": (False, None), "as_json": True}

    def taken() -> bool:
        got = standby.standby_for([str(pods_file)], **terms)
        ok = got is not None and len(got.helpers) == 2 and not standby._EARLY
        if got is not None:
            got.dismiss()
        return ok

    n, ok, _ = _early_then(["explain", str(pods_file)], taken)
    assert n == 2 and ok  # the workers forked early are the ones standby_for gives
    n, result, done = _early_then(["explain", str(pods_file)], lambda: standby.standby_for([str(small)], **terms))
    assert n == 2 and result is None and done == [True, True]  # the command's inputs are small: dismissed
    n, _, done = _early_then(["explain", str(pods_file)], standby.dismiss_early)
    assert n == 2 and done == [True, True]


def test_the_entry_point_gives_the_plain_loops_report(pods_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m podmortem explain` (podmortem/launch.py: workers forked and the file read before the
    command line is parsed, when CPUs are idle) writes what the plain loop writes."""
    import subprocess
    import sys

    for args in (("-o", "json"), ("-o", "text", "--now", "2026-01-15T10:30:00Z")):
        want = _plain(monkeypatch, str(pods_file), *args)
        done = subprocess.run([sys.executable, "-m", "podmortem", "explain", str(pods_file), *args],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
        assert done.returncode == 1, done.stderr
        assert done.stdout == want
