"""Run every benchmark: each benchmarks/bench_*.py in turn, with this interpreter (`make bench`).

    .venv/bin/python benchmarks/run.py [--strict] [-k NAME]

Extra arguments (such as --strict) are passed to every benchmark. The exit code is the worst
benchmark's: 0 when all ran (and, with --strict, met their targets).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    select = None
    if "-k" in argv:
        i = argv.index("-k")
        select = argv[i + 1] if i + 1 < len(argv) else ""
        argv = argv[:i] + argv[i + 2:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if select is None or select in p.stem)
    if not scripts:
        print("no benchmarks found" + (f" matching {select!r}" if select else ""), file=sys.stderr)
        return 2
    worst = 0
    summary = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *argv], cwd=HERE.parent)
        took = time.perf_counter() - start
        summary.append(f"{script.stem}: exit {code} ({took:.0f}s)")
        worst = max(worst, code)
        print(flush=True)
    print("\n".join(summary))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
