"""Benchmark: the log scan of a 5,000-line log, normalised (podmortem.logline) against the old path.

Issue 8: normalising must not make the log scan more than 2x slower than before. Both paths run
in the same process on the same text, alternately:

- old: lines ANSI-stripped and redacted, kept as they are (no envelope taken off), as
  sources/logs.py built them before the normaliser;
- new: `log_text` (redaction, then podmortem.logline).

Each is followed by every rule (engine.diagnose) on a pod whose crashed container has that log.
The log mixes what real crash logs hold: plain lines with timestamps, zap/logrus JSON records,
klog lines, a logfmt record, a Java stack trace, and the fatal line at the end.

    .venv/bin/python benchmarks/bench_logscan.py [--rounds 5] [--lines 5000] [--strict]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from podmortem.engine import diagnose
from podmortem.logline import clean
from podmortem.model import LogText, PodEvidence
from podmortem.redact import redact
from podmortem.rules import app_analysis
from podmortem.sources.logs import attach_logs, log_text
from podmortem.sources.objects import pods_from_objects

TARGET_RATIO = 2.0


def make_log(n: int, seed: int = 8) -> str:
    rnd = random.Random(seed)
    out = []
    for i in range(n - 1):
        ts = f"2026-01-15T10:{(i // 60) % 60:02d}:{i % 60:02d}.{rnd.randrange(10**6):06d}Z"
        kind = rnd.randrange(6)
        if kind == 0:
            out.append(f"{ts} INFO  http: GET /api/items/{rnd.randrange(9999)} 200 {rnd.randrange(90)}ms")
        elif kind == 1:
            out.append(json.dumps({"level": "info", "ts": ts, "caller": "server/handler.go:88",
                                   "msg": "request served", "path": f"/v1/cart/{rnd.randrange(999)}", "status": 200}))
        elif kind == 2:
            out.append(f"I0115 10:{i % 60:02d}:{i % 60:02d}.{rnd.randrange(10**6):06d}       1 reflector.go:{rnd.randrange(400)}]"
                       f" Listing and watching *v1.Pod from pkg/mod/k8s.io/client-go")
        elif kind == 3:
            out.append(f'time="{ts}" level=debug msg="cache refreshed" entries={rnd.randrange(5000)}')
        elif kind == 4:
            out.append(f"\tat com.example.shop.Service.handle(Service.java:{rnd.randrange(300)})")
        else:
            out.append(f"{ts} WARN  pool: slow query took {rnd.randrange(900)}ms, retrying")
    out.append(json.dumps({"level": "fatal", "ts": "2026-01-15T11:00:00Z", "msg": "cannot start",
                           "error": "dial tcp 10.0.3.7:5432: connect: connection refused"}))
    return "\n".join(out) + "\n"


def old_log_text(text: str) -> LogText:
    return LogText(tuple(redact(clean(ln)) for ln in text.splitlines()), origin="bench")


def pod_with(log: LogText) -> PodEvidence:
    (pod,) = pods_from_objects([{
        "kind": "Pod", "metadata": {"name": "cart-7d9f8-x2x9p", "namespace": "shop"},
        "spec": {"containers": [{"name": "cart", "image": "shop/cart:3"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "cart", "restartCount": 4, "ready": False,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]},
    }])
    return attach_logs(pod, [log], "cart")


def scan(build: object, text: str) -> tuple[float, str]:
    app_analysis._CACHE.clear()
    start = time.perf_counter()
    log = build(text)  # type: ignore[operator]
    result = diagnose(pod_with(log))
    took = time.perf_counter() - start
    return took, result.findings[0].cause if result.findings else "none"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args(argv)
    text = make_log(args.lines)
    old_t: list[float] = []
    new_t: list[float] = []
    causes = set()
    for _ in range(args.rounds):  # alternate, so machine load hits both alike
        t, c_old = scan(old_log_text, text)
        old_t.append(t)
        t, c_new = scan(log_text, text)
        new_t.append(t)
        causes.add((c_old, c_new))
    old_best, new_best = min(old_t), min(new_t)
    ratio = new_best / old_best
    print(f"log: {args.lines} lines, {len(text) // 1024} KB")
    print(f"old path (redact only) + rules: {old_best * 1000:8.1f} ms   top cause {sorted(causes)[0][0]}")
    print(f"new path (normalised)  + rules: {new_best * 1000:8.1f} ms   top cause {sorted(causes)[0][1]}")
    print(f"ratio new/old: {ratio:.2f} (target <= {TARGET_RATIO:g})")
    return 1 if args.strict and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
