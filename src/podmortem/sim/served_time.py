"""Served time: the timestamps clients see never run ahead of their wall clock.

kubectl computes ages itself (`describe` event ages, `RESTARTS (4m ago)` from finishedAt) against the
wall clock of the machine it runs on, and prints `<invalid>` for a time in the future. Virtual time
runs ahead of the wall clock with `--speed` above 1 or after `advance()`, so the server moves every
timestamp it serves back by that lead, `offset = max(0, floor(virtual now - wall now))` at the moment
of the response: "now" as served is the wall clock, and every interval (ages, back-off gaps, event
spans) is the virtual one. The store keeps virtual times; only responses are shifted (JSON bodies,
watch events, `logs --timestamps`), and a `sinceTime` a client sends is shifted forward again.
Because the lead grows while the clock runs fast, the same unchanged object can show an earlier
creationTimestamp in a later response, as if the past were compressed; nothing else changes.

The shift touches only the values of the API's time fields (`"creationTimestamp":"...Z"` and the
others below), so a timestamp inside a ConfigMap's data or a log line stays as it was written.
"""

from __future__ import annotations

import calendar
import functools
import math
import re
import time

TIME_FIELDS = (
    "creationTimestamp", "deletionTimestamp", "firstTimestamp", "lastTimestamp", "eventTime", "lastObservedTime",
    "startedAt", "finishedAt", "lastTransitionTime", "lastProbeTime", "lastUpdateTime", "lastHeartbeatTime",
    "startTime", "completionTime", "lastScheduleTime", "lastSuccessfulTime", "renewTime", "acquireTime",
    "lastPhaseTransitionTime", "timeAdded", "time",
)
_FIELD = re.compile(rb'"(' + "|".join(TIME_FIELDS).encode() + rb')":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?Z"')


def lead(virtual_now: float, wall_now: float) -> int:
    """Whole seconds by which served timestamps move back: how far virtual time is ahead of the wall clock."""
    return max(0, math.floor(virtual_now - wall_now))


@functools.lru_cache(maxsize=65536)
def _shifted(stamp: bytes, offset: int) -> bytes:
    t = calendar.timegm((int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]), int(stamp[14:16]),
                         int(stamp[17:19]), 0, 0, 0))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t - offset)).encode()


def shift_json(body: bytes, offset: int) -> bytes:
    """The JSON body with every API time field moved `offset` seconds back (fractions kept)."""
    if offset <= 0 or b'Z"' not in body:
        return body
    return _FIELD.sub(lambda m: b'"' + m.group(1) + b'":"' + _shifted(m.group(2), offset) + (m.group(3) or b"") + b'Z"',
                      body)
