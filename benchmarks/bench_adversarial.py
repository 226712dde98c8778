"""Benchmark: every rule against adversarial long lines, in every place a workload can put text.

Issue 11: one long line without spaces made `explain` take 19 s at 40 KB (quadratic regexes). Here
each adversarial shape is built at 128 KB and at 512 KB (the kubelet's log endpoint limit for one
line is about that) and placed, through the real sources, in a container log line, the termination
message, the waiting message and an event message of one crash-looping pod. Every rule of
ALL_RULES then runs on that evidence alone, timed; the table shows each rule's worst time at 512 KB
and its linearity ratio (time at 4x the size / time at 1x; 4 is linear, 16 quadratic, and a
bounded line gives about 1).

    .venv/bin/python benchmarks/bench_adversarial.py [--strict] [--rule ID]

Targets: every rule under 100 ms at 512 KB, and a ratio under 6 for any rule slower than 2 ms.
Exit 0 unless --strict is given and a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from podmortem.model import PodEvidence
from podmortem.rules import ALL_RULES
from podmortem.sources.logs import attach_logs, log_text
from podmortem.sources.objects import pods_from_objects

TARGET_MS = 100.0
TARGET_RATIO = 6.0
KB = 1024

# Shapes that make backtracking regexes work hardest: long runs a greedy class can eat and give back.
SHAPES: dict[str, Callable[[int], str]] = {
    "no-spaces": lambda n: "a" * n,
    "repeated a:": lambda n: "a:" * (n // 2),
    "json-ish": lambda n: '{"a":"' + 'a\\"a:' * (n // 6) + '"}',
    "key=value": lambda n: "a=a " * (n // 4),
    "dots-digits": lambda n: "1.2." * (n // 4),
    "slashes": lambda n: "/a" * (n // 2),
    "quotes": lambda n: "'a" * (n // 2),
    "spaces": lambda n: "a " * (n // 2),
    "error-words": lambda n: "error: " * (n // 7),
    "url-ish": lambda n: "a://a:a@" * (n // 8),
}


def evidence(line: str) -> PodEvidence:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "web-7d9f8-x2x9p", "namespace": "shop"},
        "spec": {"containers": [{"name": "app", "image": "shop/web:1"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "app", "restartCount": 5, "ready": False, "image": "shop/web:1",
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": line}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "message": line}},
        }]},
    }
    event = {"kind": "Event", "type": "Warning", "reason": "Failed", "message": line,
             "involvedObject": {"kind": "Pod", "name": "web-7d9f8-x2x9p", "namespace": "shop",
                                "fieldPath": "spec.containers{app}"}}
    (built,) = pods_from_objects([pod, event])
    return attach_logs(built, [log_text("starting\n" + line + "\nexiting\n", origin="bench")], "app")


def time_rule(check: Callable[[PodEvidence], object], pod: PodEvidence) -> float:
    from podmortem.rules import app_analysis

    app_analysis._CACHE.clear()  # each rule pays for the shared log analysis, as the first one does
    start = time.perf_counter()
    list(check(pod))  # type: ignore[call-overload]
    return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--rule", default=None)
    args = ap.parse_args(argv)
    rules = [r for r in ALL_RULES if args.rule is None or r.id == args.rule]
    worst: dict[str, tuple[float, float, str]] = {}  # rule -> (ms at 512 KB, ratio, shape)
    build_ms: dict[str, float] = {}
    for shape, make in SHAPES.items():
        small, big = make(128 * KB), make(512 * KB)
        start = time.perf_counter()
        pod_big = evidence(big)
        build_ms[shape] = (time.perf_counter() - start) * 1000
        pod_small = evidence(small)
        for r in rules:
            t_small = min(time_rule(r.check, pod_small) for _ in range(2))
            t_big = min(time_rule(r.check, pod_big) for _ in range(2))
            ratio = t_big / max(t_small, 0.05)
            if r.id not in worst or t_big > worst[r.id][0]:
                worst[r.id] = (t_big, ratio, shape)
    print(f"{'rule':34} {'512 KB ms':>10} {'4x ratio':>9}  worst shape")
    missed = []
    for rid, (ms, ratio, shape) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        flag = ""
        if ms > TARGET_MS or (ms > 2.0 and ratio > TARGET_RATIO):
            flag = "  MISSED"
            missed.append(rid)
        print(f"{rid:34} {ms:10.2f} {ratio:9.2f}  {shape}{flag}")
    print(f"\nevidence building (sources: redaction, normalising) at 512 KB, worst: "
          f"{max(build_ms.values()):.1f} ms ({max(build_ms, key=lambda k: build_ms[k])})")
    print(f"targets: each rule < {TARGET_MS:.0f} ms at 512 KB and linear (ratio < {TARGET_RATIO:g}); "
          f"{len(worst) - len(missed)}/{len(worst)} met")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
