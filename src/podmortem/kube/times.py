"""Times as the Kubernetes API writes them: RFC 3339 (metav1.Time), with fractions (MicroTime).

The one parser for every reader of API objects: the evidence sources, the snapshot codec, the
command line's --now, the renderers and the simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_rfc3339(value: Any) -> datetime | None:
    """RFC 3339 timestamps as the API writes them; None for anything else."""
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
