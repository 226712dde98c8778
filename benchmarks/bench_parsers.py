"""Benchmark: the text parsers and the shared manifest reader on big and hostile input.

The timings that used to be test assertions (they failed on a loaded 2-core machine) live here:
- a megabyte of `kubectl describe` text parses in under a second;
- pathological describe lines (50,000 spaces, 20,000 repeated tokens) stay linear;
- a 5,200-line log is scanned for causes in under a second;
- a 617-byte YAML alias bomb is refused by `explain` and by `lint` in under 0.5 s and 100 MB of
  peak memory (the whole process, against `python -c pass` measured in the same run).
Each figure is printed with a baseline measured in the same run (a linear `str.splitlines` pass
over the same text, or an empty interpreter).

    .venv/bin/python benchmarks/bench_parsers.py [--rounds 3] [--strict]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESCRIBE = ROOT / "tests" / "sources" / "describe"


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_process(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    code = subprocess.call(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: run the biggest last or read it as a bound.
    return took, max(peak, before) / 1024, code


def alias_bomb() -> str:
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: p}",
             'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)

    from podmortem.rules.app_analysis import _Line as Line
    from podmortem.rules.app_analysis import _scan
    from podmortem.sources.describe import looks_like_describe, parse_describe
    from podmortem.sources.describe import parser as describe_text

    missed: list[str] = []

    one = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(DESCRIBE.glob("*.txt")))
    text = (one + "\n\n") * (1_000_000 // len(one) + 1)
    base = best(lambda: text.splitlines(), args.rounds)
    took = best(lambda: parse_describe(text), args.rounds)
    print(f"describe, {len(text) / 1e6:.1f} MB: {took:.3f}s ({took / base:.0f}x a splitlines pass); target < 1.0s")
    if took >= 1.0:
        missed.append("describe 1 MB")

    nasty = "\n".join(["Warning  " + "A " * 20000, "1m " * 20000, "Wed, 10 Jun 2015 13:56:02 -0700 " * 2000,
                       "kubelet, " + "x " * 20000, "Name" + " " * 50000 + ":", "  " + "a:" * 20000])
    took = best(lambda: (describe_text._parse(nasty), looks_like_describe(nasty)), args.rounds)
    print(f"describe, pathological lines ({len(nasty) // 1000} KB): {took:.3f}s; target < 1.0s")
    if took >= 1.0:
        missed.append("describe pathological")

    lines = [Line(f"2024-05-01T10:00:{i % 60:02d}Z INFO handled GET /api/items/{i} in {i % 50}ms user={i}", i + 1, 0)
             for i in range(5200)]
    lines[-1] = Line("ModuleNotFoundError: No module named 'requests'", 5200, 0)
    took = best(lambda: _scan(lines), args.rounds)
    print(f"log scan, 5,200 lines: {took:.3f}s; target < 1.0s")
    if took >= 1.0:
        missed.append("log scan")

    exe = [sys.executable, "-m", "podmortem"]
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.yaml"
        bomb.write_text(alias_bomb())
        empty = min(run_process([sys.executable, "-c", "pass"])[0] for _ in range(args.rounds))
        for command in ("explain", "lint"):
            runs = [run_process([*exe, command, str(bomb)]) for _ in range(args.rounds)]
            took = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            codes = {r[2] for r in runs}
            print(f"alias bomb ({bomb.stat().st_size} bytes), {command}: exit {sorted(codes)}, {took:.2f}s "
                  f"(an empty interpreter: {empty:.2f}s), peak RSS {peak:.0f} MB; target exit 2, < 0.5s, < 100 MB")
            if codes != {2} or took >= 0.5 or peak >= 100:
                missed.append(f"alias bomb {command}")
    if missed:
        print("missed: " + ", ".join(missed))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
