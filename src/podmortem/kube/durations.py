"""Durations as kubectl and Go write them: `90s`, `5m`, `1h30m`, `500ms`, or a plain number of seconds.

One parser for every flag and annotation that takes a duration (`gate --timeout`,
`diagnose --request-timeout`, `sim serve --start-offset`, scenario annotations). Callers turn
None into their own error (a click usage error, an input error).
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_duration(text: str | int | float) -> float | None:
    """Seconds, or None when the text is not a duration (negative, empty, `20 minutes`, `soon`)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if text >= 0 else None
    value = text.strip()
    if _NUMBER.fullmatch(value):
        return float(value)
    pos = 0
    total = 0.0
    while pos < len(value):  # anchored at each part: a search would rescan the text once per start
        m = _PART.match(value, pos)
        if m is None:
            return None
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    return total if value else None


def format_duration(seconds: float) -> str:
    """The one way podmortem writes a duration: Go's time.Duration form under an hour, as the
    kubelet writes its back-off (`40s`, `1m57s`, `5m0s`), then kubectl's coarser age form
    (`2h5m`, `3d4h`, `2y14d`) where seconds no longer matter. Whole seconds, rounded (callers
    round a wait up themselves); `0s` for anything not positive."""
    s = round(seconds) if seconds > 0 else 0
    if s < 60:
        return f"{s}s"
    m, rest = divmod(s, 60)
    if m < 60:
        return f"{m}m{rest}s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h}h{m}m" if m else f"{h}h"
    d, h = divmod(h, 24)
    if d < 730:
        return f"{d}d{h}h" if h else f"{d}d"
    y, d = divmod(d, 365)
    return f"{y}y{d}d" if d else f"{y}y"
