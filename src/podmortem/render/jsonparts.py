"""The `-o json` report (render.json) in parts: pods' entries rendered where the pods are diagnosed
(explain's and diagnose's forked workers, live/parallel.py), joined into the report here.

`pod_entries` renders a run of pods as they sit in the report's "pods" list; `json_report` puts
the runs, in order, into the report around them. Both make their text inert (render.escape), as the
CLI's output would, so the joined report is what `render_json` followed by `neutralise` gives,
byte for byte (tests/render/test_jsonparts.py), without the parent going over every pod again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # explain's parent joins the workers' entries without the model's classes
    from podmortem.model import PodDiagnosis

_TOP_PODS = b'\n  "pods": []'  # the report's own "pods" (a group's has a deeper indent)


def pod_entries(diagnoses: Sequence[PodDiagnosis], extras: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """The pods' entries (each `render.json.pod_dict`, with its `extras` added as render_live adds
    them), inert: the part of the report between `"pods": [` and `]`, without the line breaks around it."""
    from podmortem.render.json import pod_dict

    if not diagnoses:
        return b""
    dicts = [pod_dict(d) for d in diagnoses]
    if extras is not None:
        for entry, extra in zip(dicts, extras, strict=True):
            entry.update(extra)
    return entries_of(dicts)


_INNER_HEAD, _INNER_TAIL = b'{\n  "pods": [\n', b"\n  ]\n}"


def entries_of(dicts: list[dict[str, Any]]) -> bytes:
    """`pod_entries` of pod dicts made already (render.json.pod_dict's, or equal to them)."""
    import orjson

    from podmortem.render.escape import neutralise

    if not dicts:
        return b""
    # Dumped where they sit in the report, under "pods", so the encoder indents them itself: the text
    # between the list's brackets is the run. A JSON string holds no raw line break, so the text goes
    # through `neutralise` line for line as the whole report would.
    whole = orjson.dumps({"pods": dicts}, option=orjson.OPT_INDENT_2)
    if not (whole.startswith(_INNER_HEAD) and whole.endswith(_INNER_TAIL)):
        raise AssertionError("the encoder's layout changed: pod_entries must follow it")
    inner = whole[len(_INNER_HEAD):-len(_INNER_TAIL)]
    if inner.isascii() and _DEL not in inner:
        # JSON escapes every C0 control inside a string (RFC 8259 section 7; orjson writes \u001b),
        # and outside strings the encoder writes only line breaks and spaces: in ASCII text, DEL is
        # the one byte neutralise could change. Two C-speed scans instead of decoding and 31.
        return inner
    text = inner.decode()
    inert = neutralise(text)
    return inner if inert is text else inert.encode()


_DEL = b"\x7f"


# Between two entries of a run: each entry is an object at a four-space indent, and only an entry's
# own closing brace starts a line with exactly four spaces (nested ones are deeper; a JSON string
# holds no raw line break).
_OPEN, _CLOSE = b"    {", b"\n    }"
_BETWEEN = _CLOSE + b",\n" + _OPEN


def split_entries(run: bytes) -> list[bytes]:
    """A run of `pod_entries` cut into its pods' entries, each without its outer braces' lines:
    `join_entries` puts any sequence of them (from any runs, in any order) back into one run. Cut
    where the text says, so it costs one pass and no copy of the entries in the middle of the run."""
    if not run:
        return []
    if not (run.startswith(_OPEN) and run.endswith(_CLOSE)):
        raise ValueError("not a run of pod entries")
    parts = run.split(_BETWEEN)
    parts[0] = parts[0][len(_OPEN):]
    parts[-1] = parts[-1][:-len(_CLOSE)]
    return parts


def join_entries(entries: Sequence[bytes]) -> bytes:
    """The run of the entries `split_entries` gave, in this order."""
    return _OPEN + _BETWEEN.join(entries) + _CLOSE if entries else b""


def run_pieces(entries: Sequence[bytes]) -> list[bytes]:
    """`join_entries(entries)` in pieces, in order: their concatenation is it. A report is written
    from its pieces (json_report_pieces): 10,000 pods' entries are 5 MB, which joined here and again
    around them took 8-10 ms of fresh memory, most of it page faults, after the workers were done."""
    if not entries:
        return []
    pieces = [_BETWEEN] * (2 * len(entries) + 1)
    pieces[1::2] = entries
    pieces[0], pieces[-1] = _OPEN, _CLOSE
    return pieces


# A run of the report's pods: its text, or that text in pieces (run_pieces).
Run = bytes | list[bytes]


def json_report(entries: Sequence[Run], **extra: Any) -> str:
    """The inert `-o json` report (render.json.render_json with `extra`) around runs of pod entries
    made by `pod_entries` (or `run_pieces`), in order."""
    return json_report_bytes(entries, **extra).decode()


def json_report_bytes(entries: Sequence[Run], **extra: Any) -> bytes:
    """`json_report` as the bytes written out (the runs are not decoded, joined and encoded again)."""
    return b"".join(json_report_pieces(entries, **extra))


def json_report_pieces(entries: Sequence[Run], **extra: Any) -> list[bytes]:
    """`json_report_bytes` in pieces, in order (their concatenation is it), for commandline.emit_pieces."""
    import orjson

    from podmortem.render.escape import neutralise
    from podmortem.render.json import document

    empty = orjson.dumps(document([], **extra), option=orjson.OPT_INDENT_2)
    head, sep, tail = empty.partition(_TOP_PODS)
    if not sep:
        raise AssertionError("the report's layout changed: pod_entries must follow it")
    runs = [e for e in entries if e]
    if not runs:
        return [neutralise(empty.decode() + "\n").encode()]
    pieces = [neutralise(head.decode()).encode(), b'\n  "pods": [\n']
    for k, run in enumerate(runs):
        if k:
            pieces.append(b",\n")
        if isinstance(run, bytes):
            pieces.append(run)
        else:
            pieces += run
    pieces += (b"\n  ]", neutralise(tail.decode()).encode(), b"\n")
    return pieces
