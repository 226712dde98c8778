"""explain's standby workers: forked before the input is read, fed the pods that need the engine as
they are read (explainpods.py says what they do with them).

This module is what `explain` imports before the fork, so it stays light (the parallel module
only): the workers import the engine and the renderer themselves (`warm_up`), on a CPU that is
otherwise idle while this process imports what reading needs and starts to read.

The `podmortem` command forks them earlier still, from its entry point (podmortem/launch.py,
`ready_early`), before the command line is parsed: importing click and the CLI takes about 30 ms,
which the first worker spends importing the engine instead. The biggest file is read meanwhile, in a
thread (sources/reader.prefetch), so that the first failing pods are read sooner, and the worker is
ready for them. `standby_for` takes those workers, or dismisses them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from podmortem.live.parallel import MAX_WORKERS, Helper, Standby, standbys, workers_now

# Inputs from this size (bytes, all files together) get standby workers: 200 pods that need the
# engine (live/parallel.PARALLEL_FROM) are at least 200 KB of JSON.
STANDBY_FROM = 200_000
# Pods sent to a standby worker per message while the input is read; the first message is smaller:
# the first worker forks the others once it has examined it (explainpods.standby_job).
FEED_BATCH = 32
FIRST_BATCH = 8
JOB = "podmortem.explainpods:standby_job"


# A worker is sent another batch only while less than about one batch it has not started on waits in
# its pipe: the rest are held here and go to whichever worker gets through its own first. Sent as
# they were read instead, the batches split evenly by count, and the worker forked last (or given
# less of the CPUs) finished 30 ms after the other, one CPU idle meanwhile.
QUEUED_BYTES = 32 * 1024


class Standing:
    """This process's side of the standby workers: `feed` is Bundle.on_pod; the pods that need the
    engine go to the workers in batches, as the input is read and as the workers get through them
    (`dispatch`); explainpods.explain_pods then tells them whether those were all of them.
    `terms`: what they diagnose with (now, fixed, the back-off flags, as_json), to be checked."""

    def __init__(self, ready: list[Standby], helpers: list[Helper], terms: tuple[Any, ...]) -> None:
        self.ready, self.helpers, self.terms = ready, helpers, terms
        self.sent: list[Any] = []  # every text sent, in order
        self.chunks: list[tuple[int, int]] = []  # (worker, pods) of each batch, in order
        self.held: list[tuple[list[Any], list[str]]] = []  # batches not sent yet, in order
        self.batch: list[Any] = []
        self.names: list[str] = []

    def feed(self, raw: Any, name: str) -> None:
        self.batch.append(raw)
        self.names.append(name)
        if len(self.batch) >= (FEED_BATCH if self.chunks or self.held else FIRST_BATCH):
            self.flush()
            self.dispatch()

    def flush(self) -> None:
        """The pods fed since the last batch, as a batch to send."""
        if self.batch:
            self.held.append((self.batch, self.names))
        self.batch, self.names = [], []

    def dispatch(self) -> bool:
        """Sends held batches, in order, to workers that have little left to start on (the first batch
        to the first worker: it forks the others once it has examined it). True when none is held."""
        from podmortem.sources.loader import PackedPods

        while self.held:
            worker = 0 if not self.chunks else self._ready_worker()
            if worker is None:
                return False
            batch, names = self.held.pop(0)
            self.helpers[worker].send(("pods", PackedPods.of_texts(batch, names)))
            self.sent += batch
            self.chunks.append((worker, len(batch)))
        return True

    def _ready_worker(self) -> int | None:
        """The next worker in turn among those with less than QUEUED_BYTES unread; a stopped worker is
        never ready (its pods are done here at the end)."""
        n = len(self.helpers)
        turn = len(self.chunks)
        for k in range(n):
            w = (turn + k) % n
            h = self.helpers[w]
            if not h.done and h.backlog() < QUEUED_BYTES:
                return w
        if all(h.done for h in self.helpers):
            return turn % n  # all gone: sent nowhere, recorded, and done here
        return None

    def send_all(self, between: Callable[[], bool]) -> None:
        """Sends every held batch, as the workers get through theirs; `between` is this process's own
        work, a step at a time, while it waits (False once it has none left, then it polls)."""
        import time

        while not self.dispatch():
            if not between():
                time.sleep(0.0005)

    def dismiss(self) -> None:
        for s in self.ready:
            s.dismiss()


# Workers forked by ready_early, for the first standby_for to take (or dismiss_early to stop), and
# whether it started reading a file in a thread (which must end before this process forks again).
_EARLY: list[Standby] = []
_PREFETCHING: list[bool] = []


def _settle() -> None:
    if _PREFETCHING:
        from podmortem.sources.reader import settle

        settle()


def ready_early(args: Sequence[str]) -> None:
    """From the entry point, before the command line is parsed (so the CLI need not be imported
    first): standby workers for `podmortem explain` when the arguments that name regular files total
    STANDBY_FROM bytes and CPUs are idle. A guess from the words alone (an option's value may be a file
    too): standby_for decides with the parsed command line, and takes these workers or dismisses them."""
    words = [a for a in args if a != "--debug"]  # the group's one flag before the command
    if not words or words[0] != "explain":
        return
    files = _regular_files(w for w in words[1:] if not w.startswith("-"))  # not an option, nor stdin
    if sum(size for size, _ in files) < STANDBY_FROM:
        return
    workers = workers_now(MAX_WORKERS)
    if workers < 2:
        return
    _EARLY[:] = standbys(_early_warm_up, workers)
    if _EARLY:  # after the fork: no thread may run while this process forks
        from podmortem.sources.reader import prefetch

        prefetch(max(files)[1])
        _PREFETCHING.append(True)


def _regular_files(names: Iterable[str]) -> list[tuple[int, str]]:
    """(size, name) of each name that is a regular file (stdin, folders, FIFOs and what cannot be
    read are not sized)."""
    found: list[tuple[int, str]] = []
    for name in names:
        try:
            st = os.stat(name)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(st.st_mode):
            found.append((st.st_size, name))
    return found


def dismiss_early() -> None:
    """The workers ready_early forked, stopped: the command takes no standby workers after all."""
    _settle()
    early = _EARLY[:]
    _EARLY.clear()
    for s in early:
        s.dismiss()


def _early_warm_up() -> None:
    # Forked before the command's entry point paused the collector (commandline.paused_gc), as it is
    # paused in a worker forked by the command itself.
    import gc

    gc.disable()
    warm_up()


def standby_for(paths: Sequence[str], *, now: datetime, fixed: bool, backoff: tuple[bool, int | None],
                as_json: bool) -> Standing | None:
    """Workers for `explain` of `paths`, when they are big enough to be shared out and CPUs are idle;
    None otherwise (stdin, folders, small files, a busy machine, no fork). The arguments are
    explain_pods' (`backoff`: commandline.backoff_settings'). Workers ready_early forked are taken
    when there should be workers, and dismissed otherwise."""
    _settle()
    early = _EARLY[:]
    _EARLY.clear()
    size = sum(size for size, _ in _regular_files(p for p in paths if p != "-"))
    if size < STANDBY_FROM:
        for s in early:
            s.dismiss()
        return None
    # Workers forked early were counted by the load gate before they ran; asked again now, the gate
    # would count the first of them, busy with its imports, as other work.
    ready = early
    if not ready:
        workers = workers_now(MAX_WORKERS)
        if workers < 2:
            return None
        ready = standbys(warm_up, workers)
    terms = (now, fixed, backoff, as_json)
    helpers = [h for h in (s.start(JOB, *terms) for s in ready) if h is not None]
    if len(helpers) < len(ready) or not helpers:
        for s in ready:
            s.dismiss()
        return None
    return Standing(ready, helpers, terms)


def warm_up() -> None:
    """What a standby worker imports before it takes pods (and, being forked, the others inherit):
    the job's module by the name it is sent under (it sits a layer above this one), and what the job
    imports only when it first needs it."""
    import importlib

    import podmortem.engine
    import podmortem.render.json
    import podmortem.render.jsonparts
    import podmortem.sources.objects  # noqa: F401

    importlib.import_module(JOB.partition(":")[0])
