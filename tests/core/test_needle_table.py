"""podmortem/needletable.py is current: the needles of every lazy pattern, as lazyre.needles derives
them now (the table spares each process the derivation; a stale entry would gate a search wrongly)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from podmortem.lazyre import Needles, known_needles, lazy, needles

TABLE = Path(__file__).resolve().parents[2] / "src" / "podmortem" / "needletable.py"


def test_the_table_is_what_the_patterns_give_now() -> None:
    # In a process of its own: this one holds the lazy patterns other tests made.
    code = "import sys; from podmortem.patterns_index import needle_table_source; sys.stdout.write(needle_table_source())"
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert made.stdout == TABLE.read_text(encoding="utf-8"), "stale: run `make needles` and commit the table"


def test_the_table_covers_the_rules_and_answers_as_the_derivation() -> None:
    from podmortem.needletable import TABLE as table

    assert len(table) >= 300
    with_words = [(key, value) for key, value in table.items() if value is not None]
    assert len(with_words) >= len(table) // 2
    for (pattern, flags), value in table.items():
        assert known_needles(pattern, flags) == (None if value is None else Needles(*value))
    # A lazy pattern asks the table first; one the table lacks is derived.
    known_pattern, known_value = with_words[0]
    assert lazy(*known_pattern).needles == Needles(*known_value)  # type: ignore[attr-defined]
    assert ("a pattern of no rule: (?:zebra|quagga)+", 0) not in table
    assert known_needles("a pattern of no rule: (?:zebra|quagga)+") == needles("a pattern of no rule: (?:zebra|quagga)+")
    assert lazy(r"\bzebra crossing\b").needles == Needles(("zebra crossing",), False)  # type: ignore[attr-defined]
