"""Open an HTML report in headless Chromium and read back its DOM (helpers for the browser tests).

Chromium writes every console message to stderr with --enable-logging=stderr (`...:CONSOLE...`);
--dump-dom prints the DOM after the page's scripts ran. The report sets data-ready and counts
uncaught errors in data-errors on <html>, so both are checked without a DevTools client.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def artifacts() -> Path:
    base = Path(os.environ.get("PODMORTEM_ARTIFACTS") or ROOT / "test-artifacts")
    out = base / "html"
    out.mkdir(parents=True, exist_ok=True)
    return out


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: the browser tests need it (apt-get install chromium; .ci/run does)")
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)


def open_report(html: str, name: str, tmp: Path) -> str:
    """Load the report in Chromium; return the DOM after its script ran. Saves a screenshot."""
    page = tmp / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    shutil.copy(page, artifacts() / page.name)
    dumped = chromium(page, tmp / "profile", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    console = [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # the report logs nothing: any line is an error, a CSP violation or a warning
    shot = artifacts() / f"{name}.png"
    shot.unlink(missing_ok=True)
    taken = chromium(page, tmp / "profile", f"--screenshot={shot}", "--window-size=1280,2000",
                     "--hide-scrollbars")
    assert taken.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    dom = dumped.stdout
    root = re.search(r"<html[^>]*>", dom)
    assert root is not None
    assert 'data-ready="1"' in root.group(0) and 'data-errors="0"' in root.group(0), root.group(0)
    return dom


def lanes(dom: str) -> list[tuple[str, int, int]]:
    """(container, restarts the evidence counts, restart marks drawn) per timeline lane."""
    out = []
    for m in re.finditer(r'<g class="lane" data-container="([^"]*)" data-restarts="(\d+)">(.*?)</g>', dom, re.S):
        out.append((m.group(1), int(m.group(2)), len(re.findall(r'<line class="restart(?: est)?"', m.group(3)))))
    return out


def assert_one_mark_per_restart(dom: str) -> list[tuple[str, int, int]]:
    found = lanes(dom)
    assert found, "no timeline in the report"
    for container, restarts, marks in found:
        assert marks == restarts, (container, restarts, marks)
    return found
