"""Settings for the whole suite.

Hypothesis' per-example deadline (200 ms by default) is a wall-clock assertion: on a loaded
2-core machine a correct example can take longer, and the suite must not fail for that. Timing
lives in benchmarks/; here every example may take as long as it takes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("podmortem", deadline=None)
settings.load_profile("podmortem")


# The remedies table of tests/e2e/test_remedies_fix.py, printed at the end of the run. The test attaches
# it to its report as a section; reports reach this (controlling) process from xdist workers with their
# sections, which is why the hooks live in the top conftest, the one the controller loads.
REMEDIES_SECTION = "remedies applied in the simulator"
_remedy_tables: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _remedy_tables.extend(text for name, text in report.sections if REMEDIES_SECTION in name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for text in _remedy_tables[:1]:
        terminalreporter.section(REMEDIES_SECTION)
        terminalreporter.write(text)
