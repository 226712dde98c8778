"""Benchmark: the import seconds of the two benchmarked commands (issues 10 item 7 and 15).

`podmortem explain pods.json -o json` on bench_explain's slim PodList and `podmortem diagnose -A -o json`
against the simulated cluster, each run N times in a fresh interpreter with `python -X importtime`.
A run's import seconds are the sum of every module's own time in that report: the imports before
the command starts and the ones made lazily while it runs (rules, renderers, the kubernetes client).
The median over the runs is printed per command with the modules that cost most, the load average
beside it (the machine is shared: compare figures taken in the same minute). No target: the
commands' own benchmarks judge the whole process; this one says where start-up goes.

    .venv/bin/python benchmarks/bench_startup.py [--runs 10] [--pods 1000] [--top 15] [--baseline SRC]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_report(stderr: str) -> dict[str, float]:
    """Module -> its own import seconds, from one `-X importtime` report."""
    own: dict[str, float] = {}
    for line in stderr.splitlines():
        m = _LINE.match(line)
        if m:
            own[m.group(4)] = own.get(m.group(4), 0.0) + int(m.group(1)) / 1e6
    return own


def run_imports(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    p = subprocess.run([sys.executable, "-X", "importtime", *argv], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True, timeout=600)
    if p.returncode not in (0, 1):
        tail = [ln for ln in p.stderr.splitlines() if not ln.startswith("import time:")][-3:]
        raise SystemExit(f"bench_startup: {' '.join(argv[1:3])} exited {p.returncode}: {' | '.join(tail)}")
    return import_report(p.stderr)


def measure(name: str, argv: list[str], runs: int, env: dict[str, str], top: int, baseline: str | None) -> None:
    """Each variant (this tree; the --baseline tree too, alternately) run `runs` times."""
    variants = {"": env}
    if baseline:
        variants = {"baseline ": dict(env, PYTHONPATH=baseline), "this tree ": env}
    totals: dict[str, list[float]] = defaultdict(list)
    per_module: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _ in range(runs):
        for label, variant_env in variants.items():
            own = run_imports(argv, variant_env)
            totals[label].append(sum(own.values()))
            for mod, s in own.items():
                per_module[label][mod].append(s)
    for label in variants:
        got = totals[label]
        print(f"{label}{name}: imports {statistics.median(got):.3f} s (median of {runs}; min {min(got):.3f}, "
              f"max {max(got):.3f}; {len(per_module[label])} modules)")
        # A package's cost with its submodules' ("kubernetes" = kubernetes.*), medians over the runs.
        by_top: dict[str, float] = defaultdict(float)
        for mod, values in per_module[label].items():
            key = ".".join(mod.split(".")[:2]) if mod.startswith("podmortem.") else mod.split(".")[0]
            by_top[key] += statistics.median(values + [0.0] * (runs - len(values)))
        ranked = sorted(by_top.items(), key=lambda kv: -kv[1])[:top]
        print("  " + ", ".join(f"{mod} {s * 1000:.1f}" for mod, s in ranked) + " (ms)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--pods", type=int, default=1000, help="simulated cluster size for diagnose (--scale)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--only", choices=("explain", "diagnose"), default=None)
    ap.add_argument("--baseline", default=None, metavar="SRC",
                    help="another tree's src/ folder (e.g. a worktree of main), measured alternately with this one")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_explain

    # The installed entry point, as a user runs it (`python -m podmortem` would add runpy's imports).
    script = str(ROOT / ".venv" / "bin" / "podmortem")
    if not os.path.exists(script):
        print(f"bench_startup: {script} not found; run `make .venv/bin/podmortem` first", file=sys.stderr)
        return 2
    env = dict(os.environ)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only in (None, "explain"):
        pods, failing = 10_000, 1_000
        path = bench_explain.DATA / f"pods-slim-{pods}-{failing}-v{bench_explain.GENERATOR_VERSION}.json"
        if not path.exists():
            bench_explain.DATA.mkdir(parents=True, exist_ok=True)
            bench_explain.generate(path, pods, failing, slim_pods=True)
        measure("explain slim.json -o json", [script, "explain", str(path), "-o", "json"],
                args.runs, env, args.top, args.baseline)
    if args.only in (None, "diagnose"):
        from podmortem.sim.cluster import SimCluster, SimOptions

        cluster = SimCluster(SimOptions(scale=args.pods), docs=[]).start()
        try:
            with tempfile.TemporaryDirectory(prefix="podmortem-bench-") as tmp:
                kc = cluster.write_kubeconfig(Path(tmp) / "kubeconfig")
                measure(f"diagnose -A -o json ({len(cluster.objects('pods'))} pods)",
                        [script, "diagnose", "-A", "-o", "json"], args.runs,
                        dict(env, KUBECONFIG=kc, HOME=tmp), args.top, args.baseline)
        finally:
            cluster.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
