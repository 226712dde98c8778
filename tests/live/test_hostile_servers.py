"""Servers that never finish: every run stops on its own deadline, under 200 MB, with one line.

Issue 11's acceptance, over real HTTP against the servers of hostile.py. Undefended, each of these
servers would hold a run for minutes or forever; the test shows that the run ended by itself (not
through the 120 s safety net), for the reason its deadline gives, with exit 3 and one line. How
long after the deadline it ended is a wall-clock figure, so it is measured by
benchmarks/bench_deadlines.py (deadline plus 2 s is its target), not asserted here: a loaded
2-core machine can stretch any elapsed time. Peak memory is the child's own maximum resident set,
reported by a wrapper process that has no other child.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import HostileServer, Run, run

pytestmark = pytest.mark.slow  # each run waits out its own deadline: first in the run (tests/conftest.py)

MEMORY_CAP_KB = 200 * 1024
RUN_TIMEOUT = 4.0  # --timeout of every run
REQUEST_TIMEOUT = 2.0  # --request-timeout of the diagnose runs


def check(r: Run, *words: str) -> None:
    assert r.maxrss_kb < MEMORY_CAP_KB, f"peak memory {r.maxrss_kb // 1024} MB"
    assert r.rc == 3, (r.rc, r.error_lines)
    assert len(r.error_lines) == 1, r.error_lines
    line = r.error_lines[0]
    assert line.startswith("podmortem: error: ") and "Traceback" not in line
    for w in words:
        assert w in line, line


DIAGNOSE = ("diagnose", "-n", "shop", "--request-timeout", f"{REQUEST_TIMEOUT:g}s", "--timeout", f"{RUN_TIMEOUT:g}s")
GATE = ("gate", "deployment/web", "-n", "shop", "-q", "--timeout", f"{RUN_TIMEOUT:g}s")

# mode -> (the deadline that must stop it, words of its one line) for diagnose
DIAGNOSE_CASES = {
    "endless-continue": (RUN_TIMEOUT, ("continue token", "'same'", "stopped listing")),
    "fresh-continue": (RUN_TIMEOUT, ("--timeout 4s",)),
    "trickle": (REQUEST_TIMEOUT, ("not complete within --request-timeout 2s",)),
    "silent": (RUN_TIMEOUT, ("--timeout 4s",)),
    "endless-body": (RUN_TIMEOUT, ("larger than 64 MiB",)),
}
GATE_CASES = {
    "endless-continue": ("continue token",),
    "fresh-continue": (),
    "trickle": (),
    "silent": ("--timeout 4s",),
    "endless-body": ("MiB",),
}


@pytest.mark.parametrize("mode", sorted(DIAGNOSE_CASES))
def test_diagnose_stops_on_its_deadline(mode: str, tmp_path: Path) -> None:
    _, words = DIAGNOSE_CASES[mode]
    with HostileServer(mode) as server:
        r = run(server, tmp_path, *DIAGNOSE)
    check(r, *words)
    if mode == "endless-continue":
        assert server.requests <= 3  # stopped at the first repeated token, not after thousands of pages


@pytest.mark.parametrize("mode", sorted(GATE_CASES))
def test_gate_stops_on_its_timeout(mode: str, tmp_path: Path) -> None:
    with HostileServer(mode) as server:
        r = run(server, tmp_path, *GATE)
    check(r, *GATE_CASES[mode])


def test_snapshot_stops_on_a_repeated_continue_token(tmp_path: Path) -> None:
    with HostileServer("endless-continue") as server:
        r = run(server, tmp_path, "snapshot", str(tmp_path / "snap"), "-n", "shop", "--timeout", "4s")
    check(r, "continue token")
