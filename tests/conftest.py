"""Settings for the whole suite.

Hypothesis' per-example deadline (200 ms by default) is a wall-clock assertion: on a loaded
2-core machine a correct example can take longer, and the suite must not fail for that. Timing
lives in benchmarks/; here every example may take as long as it takes.

Scheduling (`make test` runs `pytest -n 2`): tests marked `slow` run first, and xdist hands tests
out a few at a time (`--maxschedchunk`, set here unless given). By default xdist gives each worker
a quarter of the collection at once, in file order, so the long tests at the end (tests/watch)
ran on one worker while the other sat idle: minutes of the run. Long tests started first overlap
with the short ones on the other worker instead (longest-first is the classic rule for the
shortest finish). Mark a test `slow` when it takes seconds even on a quiet machine.

A run in which no test passed proved nothing: it fails (exit 5, pytest's "no tests collected"),
also when every test was skipped or deselected.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("podmortem", deadline=None)
settings.load_profile("podmortem")


SCHEDULE_CHUNK = 2  # tests per hand-out: small, so no worker is left holding a backlog of long tests at the end


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "maxschedchunk", False) is None:  # xdist is loaded and the command line chose nothing
        config.option.maxschedchunk = SCHEDULE_CHUNK


@pytest.hookimpl(trylast=True)  # after any other reordering, so the slow tests really come first
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the rest keeps pytest's order, which groups each module's tests for its fixtures.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


_passed = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # With xdist this runs in the controller (which counts the workers' reports) and in each worker;
    # a worker's count is its own, so only the controller (no `workerinput`) judges the whole run.
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    if exitstatus == pytest.ExitCode.OK and _passed == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("no test passed (all skipped or deselected): the run proves nothing, exit 5", red=True)


# The remedies table of tests/e2e/test_remedies_fix.py, printed at the end of the run. The test attaches
# it to its report as a section; reports reach this (controlling) process from xdist workers with their
# sections, which is why the hooks live in the top conftest, the one the controller loads.
REMEDIES_SECTION = "remedies applied in the simulator"
_remedy_tables: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _passed
    if report.when == "call" and report.passed:
        _passed += 1
    if report.when == "call":
        _remedy_tables.extend(text for name, text in report.sections if REMEDIES_SECTION in name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for text in _remedy_tables[:1]:
        terminalreporter.section(REMEDIES_SECTION)
        terminalreporter.write(text)
