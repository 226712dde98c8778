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


def test_the_apis_own_form_is_read_as_the_general_reader_reads_it() -> None:
    """parse_rfc3339 reads `YYYY-MM-DDTHH:MM:SSZ` straight; it must give what the general reader
    (kube.times._parse) gives for every text of that length and shape, valid or not."""
    import random

    from podmortem.kube import times

    rnd = random.Random(3339)
    base = "2026-01-15T10:30:00Z"
    alphabet = "0123456789-:TZz .+,W"
    texts = [base, "2026-02-30T10:30:00Z", "2026-01-15T24:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
    for _ in range(20_000):
        chars = list(base)
        for _ in range(rnd.randint(1, 3)):
            chars[rnd.randrange(20)] = rnd.choice(alphabet)
        chars[10], chars[19] = "T", "Z"
        texts.append("".join(chars))
    for text in texts:
        assert parse_rfc3339(text) == times._parse(text), text
        got = parse_rfc3339(text)
        assert got is None or got.tzinfo is UTC, text
