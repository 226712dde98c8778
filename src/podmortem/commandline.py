"""What every podmortem command shares on the command line: exit codes, output, options.

The commands live beside what they drive (gate, lint, live, sim, watch); the root group and
`explain` live in podmortem.cli, which imports them lazily. Their shared conventions are here, one
layer below all of them, so no command imports the root CLI module (pyproject's import-linter
contract holds the layers).
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import click

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_SOURCE, EXIT_INTERNAL = 0, 1, 2, 3, 4

_own_process = False  # set by the entry point: nothing else runs in this interpreter after the command


def own_process() -> None:
    """Called by the entry point of a podmortem process (not by a caller inside another program)."""
    global _own_process
    _own_process = True


def in_own_process() -> bool:
    """True in a podmortem process (the entry point ran), False inside another program."""
    return _own_process


def leave(code: int) -> NoReturn:
    """Exit with `code` once the output is written. In a process of its own, without freeing the heap
    object by object: after `diagnose -A` on 10,000 pods that takes 0.1 s, for nothing. The atexit
    handlers still run (the kubernetes client deletes the certificate files it wrote), and the
    output is flushed first; every file the commands write is closed by then (`with` blocks)."""
    if not _own_process:
        sys.exit(code)
    import atexit

    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # what the interpreter would run at exit, in the same (reverse) order
    os._exit(code)


def use_color(option: bool | None) -> bool:
    if option is not None:
        return option
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    from podmortem.kube.times import parse_rfc3339

    t = parse_rfc3339(value)
    if t is None:
        raise click.BadParameter(f"{value!r} is not an RFC 3339 time such as 2026-01-02T15:04:05Z", param_hint="--now")
    return t if t.tzinfo else t.replace(tzinfo=UTC)


_F = TypeVar("_F", bound=Callable[..., Any])


def details_option(fn: _F) -> _F:
    def check(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        if value != "auto":  # the default needs no check, nor the summary module loaded (start-up time)
            from podmortem.render.summary import parse_details

            try:
                parse_details(value)
            except ValueError as exc:
                raise click.BadParameter(str(exc)) from None
        return value

    return click.option("--details", default="auto", show_default=True, callback=check, metavar="all|none|N",
                        help="With pods of several owners and causes, the text output leads with a summary "
                             "table; then how many groups are shown in full (auto: the first 10).")(fn)


@contextmanager
def paused_gc(*, freeze: bool = False) -> Iterator[None]:
    """The cyclic garbage collector paused, and restored as it was found.

    Reading a big PodList allocates millions of dicts, strings and evidence objects that all stay
    alive until the report is written; the collector would traverse them again and again for cycles
    they do not form (a third of the time `json.load` takes on a 20 MB list; listing 10,000 pods
    takes 2-3x longer with it on). Reference counting still frees everything that is dropped; only
    cycles wait, and a command's are few and short-lived. `freeze`: what was made meanwhile is still
    alive and acyclic; frozen, the collector leaves it alone, where the first allocation after
    enabling, or the exit, would traverse all of it (measured 1 s after diagnose -A of 10,000 pods).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if freeze:
                gc.freeze()
            gc.enable()


def pauses_cyclic_gc(fn: _F) -> _F:
    """Run the command inside `paused_gc()`."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return fn(*args, **kwargs)

    return run  # type: ignore[return-value]


def terminal_width() -> int | None:
    """The terminal's width (rich reads the terminal, and COLUMNS); None when piped: the renderer's default."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        from rich.console import Console

        return Console(file=sys.stdout).width
    return None


def output_option(*formats: str) -> Callable[[_F], _F]:
    return click.option("-o", "--output", "output", type=click.Choice(formats), default="text", show_default=True,
                        help="Output format.")


def write_patches_option(fn: _F) -> _F:
    return click.option(
        "--write-patches", "write_patches", default=None, metavar="DIR", type=click.Path(file_okay=False),
        help="Write each remedy's patch to a YAML file in DIR (created if missing; not a symlink) and print "
             "`kubectl patch ... --patch-file DIR/NN-kind-name.yaml`; without it patches are inline (-p '<json>').",
    )(fn)


def backoff_options(fn: _F) -> _F:
    fn = click.option("--backoff-max", type=click.IntRange(1, 300), default=None,
                      help="The node's crashLoopBackOff.maxContainerRestartPeriod in seconds.")(fn)
    fn = click.option("--reduced-backoff", is_flag=True,
                      help="The kubelet runs with ReduceDefaultCrashLoopBackOffDecay (1s doubling to 60s).")(fn)
    return fn


def backoff_settings(reduced: bool, max_seconds: int | None) -> Any:
    from podmortem.backoff import BackoffSettings

    return BackoffSettings.of(reduced, max_seconds)


def emit(text: str, *, inert: bool = False) -> None:
    """Write a command's output. The last guard against escapes: whatever a renderer let through,
    only newlines, tabs and colour codes stay active (podmortem.render.escape). `inert`: the caller
    passed every part of the output through that guard already (explain's workers do, for -o json)."""
    from podmortem.render.escape import neutralise

    if not inert:
        text = neutralise(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# Pieces put together per write: about 64 KB of a report's entries, below the size from which the C
# library maps fresh memory for each (and pays its page faults), so one buffer serves every write.
PIECES_PER_WRITE = 256


def emit_pieces(pieces: Sequence[bytes]) -> None:
    """`emit(text, inert=True)` for output already encoded, given in pieces (render.jsonparts): a
    report of 10,000 pods is 5 MB, neither decoded here to be encoded again on the way out nor put
    together in memory first."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (a test's capture)
        emit(b"".join(pieces).decode(), inert=True)
        return
    sys.stdout.flush()
    for k in range(0, len(pieces), PIECES_PER_WRITE):
        buffer.write(b"".join(pieces[k:k + PIECES_PER_WRITE]))
    last = next((p for p in reversed(pieces) if p), b"")
    if not last.endswith(b"\n"):
        buffer.write(b"\n")
    buffer.flush()


def say(line: str) -> None:
    """One line on stderr (an error, a warning, progress): it may quote a server, so it stays one inert line."""
    from podmortem.render.escape import one_line

    sys.stderr.write(one_line(line) + "\n")
