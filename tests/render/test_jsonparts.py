"""The -o json report joined from runs of pod entries (render/jsonparts.py) is the one render_json
gives, made inert, byte for byte: for every cut of the pods into runs, with hostile names and
notes, with findings, and with the report's other fields (a group's own "pods" list among them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from podmortem.engine import diagnose
from podmortem.model import PodDiagnosis
from podmortem.render.escape import has_unsafe, neutralise
from podmortem.render.json import render_json
from podmortem.render.jsonparts import json_report, pod_entries
from podmortem.sources.loader import load_folder

from .test_hostile_names import HOSTILE

DEMO = Path(__file__).resolve().parents[2] / "src" / "podmortem" / "examples" / "demo"


def _diagnoses() -> list[PodDiagnosis]:
    found = [diagnose(p) for p in load_folder(str(DEMO))]
    hostile = [PodDiagnosis(HOSTILE, f"{HOSTILE}-{i}", "Running", (), notes=(HOSTILE, "\x7f\x85\u202e"))
               for i in range(3)]
    return [*found[:4], *hostile, *found[4:]]


def test_every_cut_gives_render_jsons_bytes() -> None:
    ds = _diagnoses()
    assert any(d.findings for d in ds)
    extra = {"groups": [{"pods": [], "name": HOSTILE}], "source": {"pods": 3}, "warnings": [HOSTILE]}
    for kw in ({}, extra):
        want = neutralise(render_json(ds, **kw))
        assert not has_unsafe(want)
        for cut in range(len(ds) + 1):
            for cut2 in (cut, min(len(ds), cut + 2)):
                runs = [pod_entries(ds[:cut]), pod_entries(ds[cut:cut2]), pod_entries(ds[cut2:])]
                assert json_report(runs, **kw) == want
    assert json_report([], **extra) == neutralise(render_json([], **extra))


def test_extras_are_added_as_render_live_adds_them() -> None:
    import orjson

    ds = _diagnoses()[:5]
    extras = [{"top_owner": f"deployment/x{i}", "notes": ["replaced"]} if i % 2 else {} for i in range(5)]
    got = orjson.loads(json_report([pod_entries(ds, extras)]))
    for entry, extra in zip(got["pods"], extras, strict=True):
        for k, v in extra.items():
            assert entry[k] == v


def test_entries_split_from_runs_join_back_in_any_order() -> None:
    """split_entries / join_entries (explain's standby workers send runs; the parent puts their pods
    back among the others): each pod's entry cut from any run is the one its own run holds, and
    joining entries gives the run of those pods, in that order."""
    import random

    from podmortem.render.jsonparts import join_entries, split_entries

    ds = _diagnoses()
    single = [split_entries(pod_entries([d])) for d in ds]
    assert all(len(s) == 1 for s in single)
    for cut in range(len(ds) + 1):
        assert split_entries(pod_entries(ds[:cut])) == [s[0] for s in single[:cut]]
    order = list(range(len(ds)))
    random.Random(7).shuffle(order)
    assert join_entries([single[i][0] for i in order]) == pod_entries([ds[i] for i in order])
    assert split_entries(b"") == [] and join_entries([]) == b""


def test_a_text_that_is_not_a_run_is_refused() -> None:
    from podmortem.render.jsonparts import split_entries

    for junk in (b"{}", b"[1, 2]", b"    {\n      \"a\": 1\n"):
        with pytest.raises(ValueError):
            split_entries(junk)


def test_a_report_in_pieces_is_the_joined_report() -> None:
    """run_pieces / json_report_pieces (explain writes a big report from its pieces): the pieces
    concatenated are join_entries' run and json_report's bytes, for runs given either way."""
    from podmortem.render.jsonparts import (
        join_entries,
        json_report_bytes,
        json_report_pieces,
        run_pieces,
        split_entries,
    )

    ds = _diagnoses()
    entries = split_entries(pod_entries(ds))
    for n in range(len(entries) + 1):
        assert b"".join(run_pieces(entries[:n])) == join_entries(entries[:n])
    empty = json_report([]).encode()
    assert b"".join(json_report_pieces([])) == empty == b"".join(json_report_pieces([[], b""]))
    extra = {"warnings": [HOSTILE]}
    for cut in range(len(ds) + 1):
        as_bytes = [pod_entries(ds[:cut]), pod_entries(ds[cut:])]
        as_pieces = [run_pieces(split_entries(r)) for r in as_bytes]
        mixed = [as_bytes[0], as_pieces[1]]
        want_bytes = json_report_bytes(as_bytes, **extra)
        assert want_bytes == neutralise(render_json(ds, **extra)).encode()
        for runs in (as_pieces, mixed):
            assert b"".join(json_report_pieces(runs, **extra)) == want_bytes


def test_emit_pieces_writes_them_in_order_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from podmortem import commandline

    writes: list[int] = []

    class Counting(io.BytesIO):
        def write(self, b: object) -> int:
            writes.append(len(b))  # type: ignore[arg-type]
            return super().write(b)  # type: ignore[arg-type]

    pieces = [f"{i:05d}|".encode() for i in range(3 * commandline.PIECES_PER_WRITE + 5)]
    for given, tail in ((pieces, b"\n"), ([*pieces, b"end\n", b""], b"")):
        raw = Counting()
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
        writes.clear()
        commandline.emit_pieces(given)
        assert raw.getvalue() == b"".join(given) + tail
        assert len(writes) <= 5  # four writes of pieces, and the line end when it lacked one


def test_entries_of_ascii_text_is_what_neutralise_makes_of_it() -> None:
    """entries_of returns the encoder's ASCII text as it is when it holds no DEL: for each ASCII
    character in a value and in a key, that is the text neutralise gives (the encoder escapes the
    other controls itself)."""
    import orjson

    from podmortem.render.jsonparts import entries_of

    for code in range(0x80):
        ch = chr(code)
        dicts = [{"name": f"a{ch}b", f"k{ch}": [ch, {"x": ch}]}]
        whole = orjson.dumps({"pods": dicts}, option=orjson.OPT_INDENT_2).decode()
        inner = whole[len('{\n  "pods": [\n'):-len("\n  ]\n}")]
        assert entries_of(dicts) == neutralise(inner).encode(), repr(ch)
        assert not has_unsafe(entries_of(dicts).decode()), repr(ch)
