"""Confidence means what it says: on every rule case file, a finding at 0.8 or more names the right cause.

The table itself is written by benchmarks/calibration.py to docs/calibration.md. Every finding counts
here, second readings and symptoms included: the engine keeps a symptom ranked behind its root cause,
and each reading of ambiguous evidence, below 0.8.
"""

from __future__ import annotations

from pathlib import Path

from podmortem.calibration import CONFIDENT, markdown, measure

CASES = Path(__file__).parent / "cases"


def test_confident_findings_are_right_98_percent_of_the_time() -> None:
    r = measure([CASES])
    for bands in (r.top, r.every):
        n, ok = r.confident(bands)
        assert n >= 100, "too few confident findings to measure"
        wrong = [w for b in bands if b.low >= CONFIDENT for w in b.wrong_examples]
        assert ok / n >= 0.98, f"{n - ok} of {n} findings at {CONFIDENT}+ name the wrong cause: {wrong}"


def test_the_table_lists_every_band() -> None:
    text = markdown(measure([CASES]))
    for label in ("[0.0, 0.5)", "[0.5, 0.6)", "[0.7, 0.8)", "[0.8, 0.9)", "[0.9, 1.0]"):
        assert f"| {label} |" in text
