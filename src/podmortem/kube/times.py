"""Times as the Kubernetes API writes them: RFC 3339 (metav1.Time), with fractions (MicroTime).

The one parser for every reader of API objects: the evidence sources, the snapshot codec, the
command line's --now, the renderers and the simulator.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

# The longest time the API writes (nanosecond fractions and an offset) is 35 characters: longer text is
# parsed but not remembered, so hostile text does not fill the memo.
_MEMO_LENGTH = 40


def parse_rfc3339(value: Any) -> datetime | None:
    """RFC 3339 timestamps as the API writes them; None for anything else. Remembered by text: the
    pods and events of a cluster carry the same second again and again (a datetime is immutable, so
    one can stand for all of them)."""
    if type(value) is str:
        if len(value) == 20 and value[19] == "Z" and value[10] == "T":
            # The API's own form, to the second (most of them): read straight, not through the memo,
            # whose misses (a list of 10,000 pods starts at 10,000 seconds) cost more than the read.
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        if len(value) <= _MEMO_LENGTH:
            return _parse_remembered(value)
    return _parse(value)


@functools.lru_cache(maxsize=8192)
def _parse_remembered(value: str) -> datetime | None:
    return _parse(value)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # MicroTime has 6 fractional digits, some writers more: fromisoformat takes up to 6.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        digits, tail = rest[:i][:6], rest[i:]
        text = f"{head}.{digits.ljust(6, '0')}{tail}" if digits else head + tail
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def rfc3339_seconds(value: Any) -> float | None:
    """The same time as seconds since the epoch (a time without a zone is UTC, as the API means it)."""
    t = parse_rfc3339(value)
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def format_rfc3339(t: datetime) -> str:
    """A time as the API writes one, to the second, in UTC (`Z`): a time written with another offset
    is converted first, so the `Z` is true; one without a zone is UTC already, as the API means it."""
    return (t.astimezone(UTC) if t.tzinfo else t).strftime("%Y-%m-%dT%H:%M:%SZ")
