"""Settings for the whole suite.

Hypothesis' per-example deadline (200 ms by default) is a wall-clock assertion: on a loaded
2-core machine a correct example can take longer, and the suite must not fail for that. Timing
lives in benchmarks/; here every example may take as long as it takes.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("podmortem", deadline=None)
settings.load_profile("podmortem")
