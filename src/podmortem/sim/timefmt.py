"""Time as the simulator handles it: float seconds since the epoch, written the way the API writes it.

metav1.Time is RFC 3339 with second precision; MicroTime has six fractional digits; log
timestamps are RFC 3339 with nanoseconds. Durations in kubelet messages use Go's
time.Duration.String() ("10s", "1m20s", "5m0s", "512ms").
"""

from __future__ import annotations

import time

from podmortem.errors import InputError
from podmortem.kube import durations

ZERO_TIME = "1970-01-01T00:00:00Z"


def rfc3339(t: float) -> str:
    """metav1.Time: whole seconds, UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def micro_time(t: float) -> str:
    whole = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((t - whole) * 1e6):06d}Z"


def nano_time(t: float) -> str:
    """The timestamp prefix of `kubectl logs --timestamps` lines."""
    whole = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{round((t - whole) * 1e9) % 10**9:09d}Z"


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for the values the kubelet prints."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.0f}ms" if ms == int(ms) else f"{ms:g}ms"
    total = round(seconds, 6)
    hours = int(total // 3600)
    minutes = int((total % 3600) // 60)
    secs = total - hours * 3600 - minutes * 60
    sec_text = f"{secs:.6f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{sec_text}s"
    if minutes:
        return f"{minutes}m{sec_text}s"
    return f"{sec_text}s"


def parse_duration(text: str | int | float, what: str = "duration") -> float:
    """'20m', '1h30m', '90s', '45' (seconds) -> seconds; InputError otherwise."""
    seconds = durations.parse_duration(text)
    if seconds is None:
        raise InputError(f"{what} {text!r} is not a duration such as 20m, 1h30m or 90s")
    return seconds
