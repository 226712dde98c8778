"""The `-o json` report (render.json) in parts: pods' entries rendered where the pods are diagnosed
(explain's and diagnose's forked workers, live/parallel.py), joined into the report here.

`pod_entries` renders a run of pods as they sit in the report's "pods" list; `json_report` puts
the runs, in order, into the report around them. Both make their text inert (render.escape), as the
CLI's output would, so the joined report is what `render_json` followed by `neutralise` gives,
byte for byte (tests/render/test_jsonparts.py), without the parent going over every pod again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podmortem.model import PodDiagnosis

_TOP_PODS = b'\n  "pods": []'  # the report's own "pods" (a group's has a deeper indent)


def pod_entries(diagnoses: Sequence[PodDiagnosis], extras: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """The pods' entries (each `render.json.pod_dict`, with its `extras` added as render_live adds
    them), inert: the part of the report between `"pods": [` and `]`, without the line breaks around it."""
    import orjson

    from podmortem.render.escape import neutralise
    from podmortem.render.json import pod_dict

    if not diagnoses:
        return b""
    dicts = [pod_dict(d) for d in diagnoses]
    if extras is not None:
        for entry, extra in zip(dicts, extras, strict=True):
            entry.update(extra)
    whole = orjson.dumps(dicts, option=orjson.OPT_INDENT_2)
    # "[\n  {...},\n  {...}\n]" -> one level deeper. A JSON string holds no raw line break, so every
    # b"\n" is one of the encoder's own, and the text goes through `neutralise` line for line as the
    # whole report would.
    inner = b"  " + whole[2:-2].replace(b"\n", b"\n  ")
    text = inner.decode()
    inert = neutralise(text)
    return inner if inert is text else inert.encode()


def json_report(entries: Sequence[bytes], **extra: Any) -> str:
    """The inert `-o json` report (render.json.render_json with `extra`) around runs of pod entries
    made by `pod_entries`, in order."""
    import orjson

    from podmortem.render.escape import neutralise
    from podmortem.render.json import document

    empty = orjson.dumps(document([], **extra), option=orjson.OPT_INDENT_2)
    head, sep, tail = empty.partition(_TOP_PODS)
    if not sep:
        raise AssertionError("the report's layout changed: pod_entries must follow it")
    runs = [e for e in entries if e]
    if not runs:
        return neutralise(empty.decode() + "\n")
    return "".join((neutralise(head.decode()), '\n  "pods": [\n', b",\n".join(runs).decode(), "\n  ]",
                    neutralise(tail.decode()), "\n"))
