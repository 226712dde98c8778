"""Run pure functions over shares of a list in forked worker processes, results in list order.

`parallel_map` is one function per item; `staged_map` runs two stages per share with a meeting in
between (explain: each share builds its pods' evidence and reports its latest timestamp, the time
the pods are diagnosed at is decided here, then each share diagnoses and renders its pods), and
sends back one result per share (explain: its rendered part of the report, not the pickled
diagnoses, which cost more to pickle than to render).

The engine is pure Python and the interpreter runs one thread at a time, so on a fleet (1,000
failing pods of `diagnose -A`) threads would only take turns. A forked child inherits everything
already in memory (the collection, the evidence, compiled patterns), so nothing is sent to it:
it computes its share and sends back the pickled results through a pipe. Measured on the
simulator's --scale 10000 (2 CPUs, load 3): the 1,000 failing pods' diagnosis from 0.95 s to 0.65 s.
When the machine is busy it gains nothing (Linux's autogroup scheduler shares CPU per session).

Only for a short-lived command whose other threads have stopped (a child of a process with running
threads could inherit a lock one of them held). A child that fails or dies for any reason changes
nothing but time: its share is computed again here, by the same function, so the results are always
those of a plain loop.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO, NoReturn, TypeVar

# Pods that need the engine from which the work is shared out among processes (explain and diagnose):
# below this the forks and the results sent back cost more than they save.
PARALLEL_FROM = 200
# Processes at most: 1,000 failing pods are about 1 s of engine work, and each process more adds a fork
# and the copy of its results.
MAX_WORKERS = 4

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
S = TypeVar("S")
C = TypeVar("C")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> float | None:
    """The 1-minute load average, None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def runnable_now() -> int | None:
    """Tasks running or ready to run on the whole machine at this instant, this process included (the
    fourth field of /proc/loadavg, "runnable/existing"); None where the system does not say."""
    try:
        with open("/proc/loadavg", "rb") as fh:
            return int(fh.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def spare_workers(cpus: int, load: float | None, most: int, running: int | None = None) -> int:
    """Processes worth running: this one, plus each CPU nothing else is using, at most `most`.

    `running` (runnable_now, this process included) decides: the question is the next fraction of a
    second, and the 1-minute load average lags it. Right after other work (a benchmark's previous
    command, a build that just ended) the average still says busy while the CPUs are idle: on a quiet
    2-CPU machine bench_diagnose's rounds (kubectl then the fetch floor, then podmortem) kept it near
    2, and the average alone gave one process. The average only vetoes, when it says that the rest of
    the machine alone kept every CPU busy over the last minute (an instant that happened to look idle
    on a busy machine). Without the instant count (not Linux), the average alone (it counts this
    process while it runs). On a busy machine the children only take turns with the parent (Linux's
    autogroup scheduler shares CPU per session) and the fork costs more than it saves."""
    if running is not None:
        if load is not None and load - 1 >= cpus:
            return 1
        return max(1, min(most, cpus - max(0, running - 1)))
    if load is None:
        return max(1, min(most, cpus))
    return max(1, min(most, cpus, int(cpus - load + 1.5)))


def workers_now(most: int, *, sleep: Callable[[float], None] | None = None) -> int:
    """spare_workers for this machine now. A count that shows other work runnable is read again up to
    twice, a millisecond apart, and the least is taken: one task caught running at the instant of the
    reading (a server finishing its last answer, a process exiting) gave a `diagnose` on an otherwise
    idle machine one process, in one round of bench_diagnose in five. A busy machine stays busy over
    two milliseconds; an idle one costs no wait."""
    import time

    pause = sleep or time.sleep
    running = runnable_now()
    for _ in range(2):
        if running is None or running <= 1:
            break
        pause(0.001)
        again = runnable_now()
        running = running if again is None else min(running, again)
    return spare_workers(usable_cpus(), load_average(), most, running)


def shares(n: int, workers: int, weights: Sequence[float] | None = None, lead: float = 1.0) -> list[range]:
    """n items in `workers` contiguous shares, the first share first: as equal in count as can be,
    or, given each item's weight (its expected cost), in weight, the first share `lead` times the
    weight of each other one. No share is empty unless n is 0."""
    workers = max(1, min(workers, n)) if n else 1
    if weights is None or workers == 1:
        size, extra = divmod(n, workers)
        out, start = [], 0
        for i in range(workers):
            end = start + size + (1 if i < extra else 0)
            out.append(range(start, end))
            start = end
        return out
    total = float(sum(weights))
    unit = total / (lead + workers - 1)
    out, start, acc = [], 0, 0.0
    for i in range(workers - 1):
        target = unit * (lead + i)
        end = start + 1  # at least one item
        acc += weights[start]
        last = n - (workers - 1 - i)  # leave one item for each later share
        while end < last and acc + weights[end] / 2 <= target:
            acc += weights[end]
            end += 1
        out.append(range(start, end))
        start = end
    out.append(range(start, n))
    return out


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """[fn(x) for x in items], the later shares computed by `workers - 1` forked children.

    fn must be pure (its results the same wherever it runs) and its results picklable. With one
    worker, one item, or no fork on this system, it is the plain loop.
    """
    parts = staged_map(fn, items, workers, finish=_as_list)
    return [r for part in parts for r in part]


def _as_list(done: list[R], _: object) -> list[R]:
    return done


def staged_map(prepare: Callable[[T], A], items: Sequence[T], workers: int, *,
               finish: Callable[[list[A], C | None], R],
               report: Callable[[list[A]], S] | None = None,
               decide: Callable[[list[S]], C] | None = None,
               weights: Sequence[float] | None = None, lead: float = 1.0) -> list[R]:
    """Items in contiguous shares (`shares`, the first `lead` times the others' weight), one share here
    and each other in a forked child;
    one result per share, in share order: `finish(prepared, agreed)` where `prepared` is
    [prepare(x) for x in share].

    With `report` and `decide`, a meeting between the two stages: each share sends `report(prepared)`
    (small) here, `decide` turns the reports, in share order, into what every share then finishes
    with. Used where the first stage decides something about all items (explain's latest timestamp
    sets the time every pod is diagnosed at) and the prepared items are costly to send. `decide`
    must give for the reports of any split what it gives for the report of the whole list, the one
    report of the plain loop (a maximum of maxima, say).

    Every function must be pure (the same result wherever it runs); `report` and `finish` results and
    `decide`'s result picklable. A share whose child cannot fork, fails or dies is computed here, by
    the same functions, so the results are those of the plain loop whatever happens to a child.
    """
    def whole(part: range) -> list[A]:
        return [prepare(items[i]) for i in part]

    if workers <= 1 or len(items) < 2 or not hasattr(os, "fork"):
        done = whole(range(len(items)))
        agreed = decide([report(done)]) if report is not None and decide is not None else None
        return [finish(done, agreed)]
    staged = report is not None and decide is not None
    first, *rest = shares(len(items), workers, weights, lead)
    children: list[Helper] = []
    try:
        for part in rest:
            child = _fork(prepare, items, part, finish, report if staged else None)
            if child is not None:
                children.append(child)
        prepared = {first.start: whole(first)}
        agreed = None
        by_start = {c.part.start: c for c in children}
        if staged:
            assert report is not None and decide is not None
            reports = [report(prepared[first.start])]
            for part in rest:
                child = by_start.get(part.start)
                got = child.receive() if child is not None else _FAILED
                if got is _FAILED:
                    prepared[part.start] = whole(part)
                    got = report(prepared[part.start])
                reports.append(got)
            agreed = decide(reports)
            for child in children:
                child.send(agreed)
        out = [finish(prepared[first.start], agreed)]
        for part in rest:  # a share whose child could not fork or failed is computed here
            child = by_start.get(part.start)
            got = child.receive(last=True) if child is not None else _FAILED
            if got is _FAILED:
                done = prepared[part.start] if part.start in prepared else whole(part)
                got = finish(done, agreed)
            out.append(got)
        return out
    finally:
        for child in children:  # left by an exception (Ctrl-C): never orphaned, never a zombie
            child.stop()


def _debug(message: str, *args: Any) -> None:
    import logging  # only when something went wrong: explain never loads logging otherwise (bench_startup.py)

    logging.getLogger(__name__).debug(message, *args)


_FAILED: Any = object()  # what `receive` gives for a child that failed: its share is computed here
FAILED: Any = _FAILED  # the same, for callers of fork_helper


class Helper:
    """A forked worker: its pid, the pipe its messages come back through, the pipe to it."""

    def __init__(self, pid: int | None, reader: int, writer: int, part: range) -> None:
        self.pid, self.part = pid, part  # pid None: not this process's child (standbys)
        self.reader: BinaryIO | None = os.fdopen(reader, "rb")
        self.writer = writer
        self.done = False
        self.status = -1  # the exit status, once the child is reaped
        self.unreaped = False  # done, its last message taken without waiting for it to exit

    def receive(self, *, last: bool = False, wait: bool = True) -> Any:
        """The child's next message, or _FAILED (the child is then stopped). `last`: the child's
        last message, after which it must have exited cleanly; with `wait=False` its exit is not
        waited for (the caller checks the message itself): it is reaped by `stop`, or by the system
        once this process exits. Waiting for a child's exit waits for the system to free its memory,
        some milliseconds for a worker that held a share of a big list."""
        if self.done or self.reader is None:
            return _FAILED
        try:
            got = _read_message(self.reader)
        except Exception as exc:  # a dead child (EOF), a cut or unreadable message: computed here
            _debug("worker %d: no result (%s); computing its share here", self.pid, exc)
            got = _FAILED
        if got is _FAILED:
            self.stop()
        elif last and not wait:
            self._close()
            self.done = self.unreaped = True
        elif last:
            self.stop(kill=False)
            if self.status != 0:
                _debug("worker %d ended with status %d; computing its share here", self.pid, self.status)
                return _FAILED
        return got

    def backlog(self) -> int:
        """Bytes sent to the child that it has not read yet: the messages it has not started on (0
        where the system does not say, or once stopped). A child whose end of the pipe is closed (it
        died) is stopped here."""
        if self.done:
            return 0
        try:
            import fcntl
            import select
            import termios

            poller = select.poll()
            poller.register(self.writer, 0)  # errors and hang-ups are always reported
            if poller.poll(0):
                self.stop()
                return 0
            return int.from_bytes(fcntl.ioctl(self.writer, termios.FIONREAD, bytes(4)), sys.byteorder)
        except (ImportError, OSError, AttributeError):
            return 0

    def send(self, value: Any) -> None:
        """What the child waits for between its stages; a child that cannot take it is stopped."""
        if self.done:
            return
        try:
            _write_message(self.writer, value)
        except OSError as exc:  # it died (EPIPE): its share is computed here
            _debug("worker %d does not listen (%s); computing its share here", self.pid, exc)
            self.stop()

    def stop(self, *, kill: bool = True) -> None:
        if self.done:
            if self.unreaped and self.pid is not None:  # it has exited, or is exiting: reaped now
                self.unreaped = False
                if kill:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    _, self.status = os.waitpid(self.pid, 0)
            return
        self.done = True
        self._close()
        if self.pid is None:
            self.status = 0  # not ours to wait for: with its pipes closed, it ends by itself
            return
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            _, self.status = os.waitpid(self.pid, 0)

    def _close(self) -> None:
        if self.reader is not None:
            with contextlib.suppress(OSError):
                self.reader.close()
            self.reader = None
        with contextlib.suppress(OSError):
            os.close(self.writer)


Receive = Callable[[], Any]
Send = Callable[[Any], None]


def _spawn(body: Callable[[Receive, Send], None], part: range) -> Helper | None:
    """A forked child running `body(receive, send)` (a pipe each way) and leaving without running
    this process's clean-up, whatever `body` does; None when a pipe or the fork fails (nothing is
    left open). A child that fails exits 1 and sends nothing more: the parent does its work."""
    try:
        up_read, up_write = os.pipe()
    except OSError:
        return None
    try:
        down_read, down_write = os.pipe()
    except OSError:
        os.close(up_read)
        os.close(up_write)
        return None
    for fd in (up_write, down_write):
        _widen(fd)
    try:
        pid = os.fork()
    except OSError as exc:
        _debug("fork failed (%s); working here", exc)
        for fd in (up_read, up_write, down_read, down_write):
            os.close(fd)
        return None
    if pid == 0:
        code = 1
        try:
            os.close(up_read)
            os.close(down_write)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child, the parent reports it
            with os.fdopen(down_read, "rb") as inbox:
                body(lambda: _read_message(inbox), lambda value: _write_message(up_write, value))
            code = 0
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(up_write)
    os.close(down_read)
    return Helper(pid, up_read, down_write, part)


def _fork(prepare: Callable[[T], A], items: Sequence[T], part: range, finish: Callable[[list[A], Any], R],
          report: Callable[[list[A]], Any] | None) -> Helper | None:
    def share(receive: Receive, send: Send) -> None:
        done = [prepare(items[i]) for i in part]
        agreed = None
        if report is not None:
            send(report(done))
            agreed = receive()
        send(finish(done, agreed))

    return _spawn(share, part)


def fork_helper(body: Callable[[Receive, Send], None]) -> Helper | None:
    """A forked child running `body(receive, send)`: `receive()` waits for what `Helper.send` sends it,
    `send(x)` is what `Helper.receive` then gives here. The child leaves without running this
    process's clean-up, whatever `body` does. None where there is no fork, or it fails.

    Only from a process with no other thread (the child would inherit a lock one of them held):
    None then too, and the caller does the work itself."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    return _spawn(body, range(0))


class Standby:
    """One of the helpers `standbys` forks: `start(job, *args)` runs `job(*args, receive, send)` in it,
    and the Helper it gives talks to it."""

    def __init__(self, helper: Helper) -> None:
        self.helper = helper

    def start(self, job: str, *args: Any) -> Helper | None:
        """`job`: "module:function", imported in the helper (so this process need not import it) and
        called as `function(*args, receive, send, spawn)`; `args` picklable. None when the helper has
        gone: the caller does the job itself."""
        self.helper.send((job, args))
        return None if self.helper.done else self.helper

    def dismiss(self) -> None:
        """No job after all, or no more: the helper is stopped (idempotent)."""
        self.helper.stop()


def standbys(warm_up: Callable[[], None], count: int) -> list[Standby]:
    """`count` helpers readied while this process does something else, each waiting for a job
    (Standby.start: each is sent one, the same or not). One is forked now and runs `warm_up`
    (imports, say) on an idle CPU, then its job; it forks the others when its job calls the `spawn`
    it is given (or when the job ends), so they inherit what it made ready instead of each making
    it again. Empty where fork_helper would give nothing.

    The others are its children, not this process's: their Helpers have no pid, and they end when
    their pipe closes (this process exits or stops them: they read end of input, or their writes
    fail). A helper this process exits without ends the same way. One that could not be forked is
    a Helper whose pipe is already closed, so its work is done here."""
    import threading

    if count < 1 or not hasattr(os, "fork") or threading.active_count() > 1:
        return []
    pipes: list[tuple[int, int, int, int]] = []  # (up read, up write, down read, down write)
    try:
        for _ in range(count):
            up_read, up_write = os.pipe()
            pipes.append((up_read, up_write, *os.pipe()))
            _widen(up_write)
            _widen(pipes[-1][3])
    except OSError:
        _close(fd for p in pipes for fd in p)
        return []
    try:
        pid = os.fork()
    except OSError as exc:
        _debug("fork failed (%s); working here", exc)
        _close(fd for p in pipes for fd in p)
        return []
    if pid == 0:
        _standby_child(warm_up, pipes)
    _close(fd for p in pipes for fd in (p[1], p[2]))
    return [Standby(Helper(pid if i == 0 else None, p[0], p[3], range(0))) for i, p in enumerate(pipes)]


def _standby_child(warm_up: Callable[[], None], pipes: list[tuple[int, int, int, int]]) -> NoReturn:
    """The first standby helper: warms up, then serves its own pipes; the others are forked from it
    when its job calls `spawn` (after it has made ready what they would otherwise each make again:
    explain's first pods compile the patterns most pods need), or when its job ends."""
    code = 1
    others = list(range(1, len(pipes)))  # to fork, by the first helper, once

    def spawn() -> None:
        if not others:
            return
        forked = others[:]
        others.clear()  # in the first helper and in every child: nothing more to fork
        for i in forked:
            try:
                child = os.fork()
            except OSError:
                continue  # its pipe closes below: the parent sees it, and does its work
            if child == 0:
                _serve(i)  # never returns
        _close(fd for i in forked for fd in pipes[i][1:3])  # theirs, not this helper's

    def _serve(mine: int) -> NoReturn:
        code = 1
        try:
            if mine:  # a forked one keeps its own pipes only (the first closes the others' in spawn)
                _close(fd for i, p in enumerate(pipes) if i != mine for fd in (p[1], p[2]))
            _run_job(pipes[mine][2], pipes[mine][1], spawn)
            code = 0
        except BaseException:
            pass
        finally:
            os._exit(code)

    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the helpers, the parent reports it
        _close(fd for p in pipes for fd in (p[0], p[3]))
        warm_up()
        _serve(0)
    finally:
        os._exit(code)


def _run_job(down_read: int, up_write: int, spawn: Callable[[], None]) -> None:
    """Reads the job message, runs it with this helper's pipes, and `spawn` (a no-op once called)."""
    with os.fdopen(down_read, "rb") as inbox:
        job = _read_message(inbox)
        if job is not None:
            import importlib

            where, args = job
            module, _, name = where.partition(":")
            function = getattr(importlib.import_module(module), name)
            function(*args, lambda: _read_message(inbox), lambda value: _write_message(up_write, value), spawn)
    spawn()  # a job that did not (or no job): the others still serve their pipes


def _close(fds: Iterable[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


# F_SETPIPE_SZ (Linux): a pipe holds 64 KB unless asked for more, up to /proc/sys/fs/pipe-max-size
# (1 MB unless raised). A parent that sends work while it reads its input then does not wait for the
# child to take each message, and a share's results (a megabyte of rendered JSON) cross in a few
# reads instead of sixteen.
_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20


def _widen(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", _SETPIPE_SZ), _PIPE_BYTES)
    except (ImportError, OSError):  # another system, or a lower limit: messages wait for the child
        pass


_HEADER = struct.Struct("<Q")


def _write_message(fd: int, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fh: BinaryIO) -> Any:
    """One message: its length, then its pickle (written by our own fork, nobody else)."""
    head = fh.read(_HEADER.size)
    if len(head) != _HEADER.size:
        raise EOFError("the worker sent nothing")
    (size,) = _HEADER.unpack(head)
    data = fh.read(size)
    if len(data) != size:
        raise EOFError("the worker's message is cut short")
    return pickle.loads(data)
