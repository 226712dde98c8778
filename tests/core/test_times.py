"""kube.times: the API's RFC 3339 times read and written back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from podmortem.kube.times import format_rfc3339, parse_rfc3339


@pytest.mark.parametrize(("text", "written"), [
    ("2026-01-15T10:30:00Z", "2026-01-15T10:30:00Z"),
    ("2026-01-15T12:30:00+02:00", "2026-01-15T10:30:00Z"),
    ("2026-01-15T00:30:00-05:30", "2026-01-15T06:00:00Z"),
    ("2026-01-15T10:30:00.123456789Z", "2026-01-15T10:30:00Z"),
    ("2026-01-01T01:00:00+03:00", "2025-12-31T22:00:00Z"),  # the offset moves the date too
])
def test_a_time_is_written_in_utc_whatever_offset_it_was_read_with(text: str, written: str) -> None:
    t = parse_rfc3339(text)
    assert t is not None
    assert format_rfc3339(t) == written


def test_a_time_without_a_zone_is_utc_already() -> None:
    assert format_rfc3339(datetime(2026, 1, 15, 10, 30)) == "2026-01-15T10:30:00Z"


def test_equal_instants_are_written_alike() -> None:
    a = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    b = a.astimezone(timezone(timedelta(hours=-7)))
    assert a == b and format_rfc3339(a) == format_rfc3339(b)
