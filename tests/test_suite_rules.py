"""The suite's own rules (tests/conftest.py), on a throwaway suite run by a real pytest process:
slow tests are handed out first, and a run in which no test passed fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


def pytest_in(folder: Path, tests: str, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(CONFTEST, folder / "conftest.py")
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slower tests\n", encoding="utf-8")
    (folder / "test_throwaway.py").write_text("import pytest\n\n" + tests, encoding="utf-8")
    # Only xdist of the installed plugins: loading them all took most of each run's time (4 s against 1 s).
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-c", str(folder / "pytest.ini"),
                           "--rootdir", str(folder), "-p", "no:cacheprovider", "-q", *args, str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


SKIPPED = '@pytest.mark.skip(reason="not here")\ndef test_skipped():\n    pass\n\n'
PASSING = "def test_passing():\n    assert 1 + 1 == 2\n\n"


@pytest.mark.parametrize("workers", ["0", "1"])  # with xdist (make test: -n 2) the controller judges the whole run
def test_a_run_in_which_nothing_passed_fails(tmp_path: Path, workers: str) -> None:
    r = pytest_in(tmp_path, SKIPPED, "-n", workers)
    assert r.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, r.stdout + r.stderr
    assert "no test passed" in r.stdout


def test_a_run_in_which_something_passed_keeps_its_result(tmp_path: Path) -> None:
    r = pytest_in(tmp_path, SKIPPED + PASSING, "-n", "0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 1 skipped" in r.stdout


def test_slow_tests_are_collected_first_and_the_rest_keep_their_order(tmp_path: Path) -> None:
    tests = "".join(f"def test_{n}():\n    pass\n\n" for n in ("a", "b")) + "@pytest.mark.slow\ndef test_c():\n    pass\n\n" \
        + "def test_d():\n    pass\n\n@pytest.mark.slow\ndef test_e():\n    pass\n"
    r = pytest_in(tmp_path, tests, "--collect-only", "-n", "0")
    assert r.returncode == 0, r.stdout + r.stderr
    order = [line.rsplit("::", 1)[1] for line in r.stdout.splitlines() if "::" in line]
    assert order == ["test_c", "test_e", "test_a", "test_b", "test_d"]


def test_xdist_hands_out_tests_in_small_chunks(request: pytest.FixtureRequest) -> None:
    chunk = request.config.getoption("maxschedchunk", default="no xdist")
    assert isinstance(chunk, int) and chunk <= 4, chunk  # the default is a quarter of the collection per worker
