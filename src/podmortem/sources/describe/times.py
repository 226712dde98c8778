"""Timestamps as `kubectl describe` prints them, read into aware datetimes.

Describe prints RFC 1123 with a numeric zone (Go's RFC1123Z); very old kubectl and hand-edited
pastes use zone names, and some tools print RFC 3339. The zero times kubectl prints for unset
fields are kept, not dropped. Standard library only: it must not import the rest of the parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Zone abbreviations Go's RFC1123 layout may print; ambiguous ones (IST, ...) are left out.
_ZONES = {"UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
          "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "BST": 1,
          "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "HKT": 8, "SGT": 8}
_RFC1123 = re.compile(
    r"(?:[A-Za-z]{3},?[ \t]+)?(?P<d>\d{1,2})[ \t]+(?P<mon>[A-Za-z]{3})[ \t]+(?P<y>\d{4})[ \t]+"
    r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.\d+)?(?:[ \t]*(?P<z>[-+]\d{2}:?\d{2}|[A-Za-z]{1,5})\b)?"
)
_RFC3339 = re.compile(
    r"(?P<y>\d{4})-(?P<mon>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.\d+)?"
    r"[ \t]*(?P<z>Z|[-+]\d{2}:?\d{2})?"
)


def _zone(z: str | None) -> timezone:
    if not z:
        return UTC
    if z[0] in "+-":
        digits = z[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4])
        if minutes >= 24 * 60:
            return UTC
        return timezone(timedelta(minutes=-minutes if z[0] == "-" else minutes))
    return timezone(timedelta(hours=_ZONES.get(z.upper(), 0)))


def parse_time(text: str | None) -> datetime | None:
    """A describe timestamp (RFC 1123, also RFC 3339) as an aware datetime; None if unreadable.

    The zero times kubectl prints for unset fields (`Thu, 01 Jan 1970 00:00:00 +0000`,
    `Mon, 01 Jan 0001 00:00:00 +0000`) are kept as they are: rules tell them apart by year.
    """
    if not text:
        return None
    s = text.strip()
    m = _RFC1123.match(s)
    if m:
        month = _MONTHS.get(m["mon"].lower())
        if month is None:
            return None
    else:
        m = _RFC3339.match(s)
        if not m:
            return None
        month = int(m["mon"])
    try:
        return datetime(int(m["y"]), month, int(m["d"]), int(m["H"]), int(m["M"]), int(m["S"]),
                        tzinfo=_zone(m["z"]))
    except (ValueError, OverflowError):
        return None
