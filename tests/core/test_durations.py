"""Go-style durations, the one parser behind --timeout, --request-timeout and --start-offset."""

from __future__ import annotations

import pytest

from podmortem.kube.durations import parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90), ("0", 0), ("2.5", 2.5), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("1m30s", 90),
    ("500ms", 0.5), ("1d", 86400), (" 20m ", 1200), (45, 45.0),
])
def test_valid(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "20 minutes", "-5", "5x", "m5", "nan", "1h 30m", -1, True])
def test_invalid(text: str | int | bool) -> None:
    assert parse_duration(text) is None
