"""One normaliser for the lines a container printed: envelopes off, message text out.

Every source that builds a container log (files, pasted text, the live API, snapshots) passes its
lines through `normalise_lines`; rules then match the message text while citations quote the
original line. Steps, in the order a pipeline applied them (outermost first):

1. ANSI escapes and a stray carriage return (CRLF pastes) are removed (`clean`).
2. Hard-wrapped lines are rejoined (`rejoin_wrapped`, a heuristic: see there).
3. `kubectl logs --prefix` and stern prefixes come off (envelope.py).
4. CRI and Docker json-file records are unwrapped, and partial records joined (envelope.py).
5. `kubectl --timestamps` times and an app's own leading timestamp come off (envelope.py).
6. klog headers, JSON logger records and logfmt records are read down to level and message
   (structured.py); multi-line values (tracebacks) become lines of their own.
7. Quotes are folded and each line is bounded (fold.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from podmortem.logline.envelope import pod_prefixes, runtime_envelope, strip_pod_prefix, strip_timestamps
from podmortem.logline.fold import MAX_CHARS, bounded, fold_quotes, folded, other_sentence_case
from podmortem.logline.structured import Structured, json_record, klog_record, logfmt_record
from podmortem.model.evidence import LogLine

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Terminal widths whose hard wraps are rejoined (see rejoin_wrapped).
WRAP_WIDTHS = frozenset({80, 100, 120, 132})
# A line that starts a record of its own is never a wrapped continuation.
_RECORD_START = re.compile(r"\d{4}[-/]\d\d[-/]\d\d|[IWEF]\d{4} \d\d:|\{\"|\[pod/")

FATAL_LEVELS = frozenset({"fatal", "critical", "panic"})
SOFT_LEVELS = frozenset({"trace", "debug", "info", "warn"})


# One line of message text and where it came from (the evidence model's type).
Record = LogLine


def clean(line: str) -> str:
    """The line without terminal escapes and a trailing carriage return."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    return line.rstrip("\r") if line.endswith("\r") else line


def rejoin_wrapped(lines: Sequence[str]) -> list[tuple[str, int]]:
    """(line, first original number) with lines a terminal hard-wrapped joined back together.

    Heuristic: a copy from a terminal cuts every long line at the terminal's width, so no line is
    longer than that width and the cut ones are exactly that long. When the longest line of the log
    is exactly one of WRAP_WIDTHS characters (and, for widths other than 80, at least two lines are
    that long), each line of that length is joined with the next,
    unless the next one starts a record of its own (a date, a klog header, a JSON object). A log
    whose lines are longer than the width is never rejoined.
    """
    width = max((len(ln) for ln in lines), default=0)
    # 80 columns is the common terminal; a wider width needs two cut lines before it counts.
    if width not in WRAP_WIDTHS or (width != 80 and sum(len(ln) == width for ln in lines) < 2):
        return [(ln, i) for i, ln in enumerate(lines, 1)]
    out: list[tuple[str, int]] = []
    pending: list[str] = []
    start = 0
    for i, ln in enumerate(lines, 1):
        if pending and (not ln or _RECORD_START.match(ln)):
            out.append(("".join(pending), start))
            pending = []
        if not pending:
            start = i
        pending.append(ln)
        if len(ln) != width:
            out.append(("".join(pending), start))
            pending = []
    if pending:
        out.append(("".join(pending), start))
    return out


def structured(text: str) -> Structured | None:
    """The level and message of a klog, JSON or logfmt record; None for plain text."""
    head = text[:1]
    if head in "IWEF" and text[1:2].isdigit():
        return klog_record(text)
    if head == "{":
        return json_record(text)
    if "=" in text:
        return logfmt_record(text)
    return None


def message(line: str) -> tuple[str | None, list[str]]:
    """(level, message lines) of one line read alone: no rejoining, no partial records, no stern prefix."""
    text = strip_pod_prefix(line, frozenset())
    piece = runtime_envelope(text)
    if piece is not None:
        text = piece.content
    text = strip_timestamps(text)
    rec = structured(text)
    if rec is None:
        return None, [text]
    return rec.level, rec.text.split("\n")


def _message(content: str) -> tuple[str | None, list[str]]:
    text = strip_timestamps(content)
    rec = structured(text)
    if rec is None and fold_quotes(text) != text:  # a JSON or logfmt record whose quotes a paste made curly
        rec = structured(fold_quotes(text))
    if rec is None:
        return None, [text]
    if "\n" not in rec.text:  # a record inside a record (a JSON line logged by a klog or logfmt logger)
        inner = structured(strip_timestamps(rec.text))
        if inner is not None:
            return inner.level or rec.level, inner.text.split("\n")
    return rec.level, rec.text.split("\n")


def message_text(line: str) -> str:
    """One line's message text, as rules match it (first line of a multi-line record)."""
    return bounded(fold_quotes(message(clean(line))[1][0]))


def normalise_lines(lines: Sequence[str],
                    scrub: Callable[[list[str]], list[str]] | None = None) -> list[Record]:
    """The message records of a container log, in order, each tied to the original line it came from.

    `scrub` (the redactor) sees the lines once hard wraps are rejoined: redacting the cut pieces
    would change their lengths, so the wraps would no longer be recognised, and would miss a
    credential that a wrap split in two.
    """
    joined = rejoin_wrapped([clean(ln) for ln in lines])
    if scrub is not None:
        joined = list(zip(scrub([ln for ln, _ in joined]), [n for _, n in joined], strict=True))
    pairs = pod_prefixes([ln for ln, _ in joined])
    out: list[Record] = []
    partial: dict[str | None, tuple[list[str], list[str], int]] = {}
    for raw, number in joined:
        content = strip_pod_prefix(raw, pairs)
        piece = runtime_envelope(content)
        if piece is not None:
            held = partial.pop(piece.stream, None)
            if piece.partial:
                texts, raws, first = held or ([], [], number)
                partial[piece.stream] = ([*texts, piece.content], [*raws, raw], first)
                continue
            if held is not None:
                content = "".join([*held[0], piece.content])
                raw = "\n".join([*held[1], raw])
                number = held[2]
            else:
                content = piece.content
        _emit(out, content, raw, number)
    for texts, raws, first in partial.values():  # a log cut in the middle of a partial run
        _emit(out, "".join(texts), "\n".join(raws), first)
    return out


def _emit(out: list[Record], content: str, raw: str, number: int) -> None:
    level, texts = _message(content)
    for k, text in enumerate(texts):
        out.append(Record(bounded(fold_quotes(text)), raw, number, level, k > 0))


__all__ = ["FATAL_LEVELS", "MAX_CHARS", "SOFT_LEVELS", "Record", "bounded", "clean", "fold_quotes", "folded",
           "message", "message_text", "normalise_lines", "other_sentence_case", "rejoin_wrapped", "structured"]
