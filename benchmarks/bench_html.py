"""Benchmark: the HTML incident report of a 2,000-pod run, its size and how fast Chromium opens it.

The simulated cluster (podmortem.sim) is started in this process with --scale pods (2,000 by
default) and `podmortem diagnose -A -o html` writes the report. Headless Chromium (Debian's
`chromium`) then opens it several times with --dump-dom; the report records, on its `load` event
after a forced layout, `performance.now()` in data-load-ms: the time from navigation start until
the page is parsed, styled, laid out and its script has run. The baseline, measured the same way in
the same run, is a one-paragraph page, so the ratio is what the report costs beyond the browser.

Targets (issue 12): the report under 5 MB; its median load under 2 s. `--check` exits 1 when a
target is missed.

Run: `.venv/bin/python benchmarks/bench_html.py [--pods 2000] [--rounds 3] [--check]`
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MAX_BYTES = 5 * 1024 * 1024
MAX_LOAD_SECONDS = 2.0
BASELINE = ("<!DOCTYPE html><html><body><p>baseline</p><script>window.addEventListener('load',function(){"
            "void document.body.offsetHeight;document.documentElement.setAttribute('data-load-ms',"
            "String(Math.round(performance.now())));});</script></body></html>")


def open_page(page: Path, profile: Path) -> tuple[float, float]:
    """(load ms the page measured, wall seconds of the whole Chromium run)."""
    start = time.perf_counter()
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
                       capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    m = re.search(r'data-load-ms="(\d+)"', p.stdout)
    if p.returncode != 0 or m is None:
        raise SystemExit(f"chromium did not load {page.name}: {p.stderr[-500:]}")
    return float(m.group(1)), wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check", "--strict", action="store_true", dest="check")
    args = ap.parse_args()
    from podmortem.sim.cluster import SimCluster, SimOptions

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with SimCluster(SimOptions(scale=args.pods)) as cluster:
            kubeconfig = cluster.write_kubeconfig(work / "kubeconfig")
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "podmortem", "diagnose", "-A", "-o", "html",
                                  "--kubeconfig", kubeconfig], capture_output=True, text=True, timeout=600)
            render_seconds = time.perf_counter() - start
        if out.returncode not in (0, 1):
            raise SystemExit(f"diagnose failed: {out.stderr[-500:]}")
        report = work / "report.html"
        report.write_text(out.stdout, encoding="utf-8")
        baseline = work / "baseline.html"
        baseline.write_text(BASELINE, encoding="utf-8")
        size = report.stat().st_size
        pods = out.stdout.count("<tr data-cause=")
        loads, walls, base_loads, base_walls = [], [], [], []
        for i in range(args.rounds):
            ms, wall = open_page(baseline, work / f"p{i}b")
            base_loads.append(ms)
            base_walls.append(wall)
            ms, wall = open_page(report, work / f"p{i}r")
            loads.append(ms)
            walls.append(wall)
    load = statistics.median(loads) / 1000
    base = statistics.median(base_loads) / 1000
    print(f"pods in the report's table: {pods}; diagnose -A -o html took {render_seconds:.1f}s")
    print(f"report size: {size / 1e6:.2f} MB (target < {MAX_BYTES / 1e6:.1f} MB)")
    print(f"load (navigation start -> load event, layout forced): median {load:.3f}s over {args.rounds} "
          f"(target < {MAX_LOAD_SECONDS}s); baseline page {base:.3f}s; ratio {load / max(base, 0.001):.1f}x")
    print(f"whole chromium run: report {statistics.median(walls):.2f}s, baseline {statistics.median(base_walls):.2f}s")
    ok = size < MAX_BYTES and load < MAX_LOAD_SECONDS
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
