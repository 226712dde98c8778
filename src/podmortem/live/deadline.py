"""Deadlines on whole operations, as opposed to timeouts on single socket reads.

A socket timeout bounds the silence between two reads; a server that trickles one byte a
second, repeats a continue token or never stops sending defeats it. A `Deadline` is a point on
an injected monotonic clock: every request, retry and back-off of a run checks the one deadline
of that run (`diagnose --timeout`, `gate --timeout`), and every response gets its own
(`--request-timeout`) for the whole answer, headers to last byte. docs/live.md documents both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from podmortem.errors import SourceError


class DeadlineExceeded(SourceError):
    """The run's deadline passed: the CLI prints one line and exits 3 (docs/cli.md)."""

    reference = "deadline-exceeded"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on `clock` after which the operation must stop; `at=inf` never passes."""

    at: float = math.inf
    what: str = "the deadline"  # the flag that set it, for the error line: "--timeout 20s"
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def after(cls, seconds: float | None, what: str, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """A deadline `seconds` from now on `clock`; None or 0 means none."""
        if not seconds:
            return cls(math.inf, what, clock)
        return cls(clock() + seconds, what, clock)

    @property
    def bounded(self) -> bool:
        return self.at != math.inf

    def remaining(self) -> float:
        return self.at - self.clock() if self.bounded else math.inf

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, doing: str) -> None:
        """Raise DeadlineExceeded when the deadline has passed; `doing` says what was about to happen."""
        if self.expired():
            raise DeadlineExceeded(f"{self.what} passed before {doing} finished",
                                   "the API server is slow or misbehaving; a longer timeout may help")

    def sooner(self, seconds: float, what: str) -> Deadline:
        """This deadline, or one `seconds` from now if that comes first (a response within a run)."""
        at = self.clock() + seconds
        return Deadline(at, what, self.clock) if at < self.at else self
