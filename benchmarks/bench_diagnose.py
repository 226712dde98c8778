"""Benchmark: `podmortem diagnose -A -o json` against `kubectl get pods -A -o json` on the same cluster.

The simulated cluster (podmortem.sim) is started in this process with --scale pods (10,000 by
default, about 10% of them failing) and serves both tools over HTTP on 127.0.0.1. The two
commands run alternately, several rounds, each a fresh process writing its JSON to a file, so
both pay for start-up, the API calls and printing. A request counter on the simulator's HTTP
handler counts what podmortem asked for, to check its call budget: at most one log request per
failing container.

Targets (issue 5): podmortem's median wall time at most 2.0 x kubectl's; log requests <= failing
containers. `--check` exits 1 when a target is missed.

Run: `.venv/bin/python benchmarks/bench_diagnose.py [--pods 10000] [--rounds 3] [--check]`
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENIGN = {"ContainerCreating", "PodInitializing"}


def failing_containers(pods: list[dict[str, Any]]) -> int:
    """Containers whose status shows a failure: what podmortem may read one log for."""
    n = 0
    for pod in pods:
        status = pod.get("status") or {}
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            waiting = (cs.get("state") or {}).get("waiting") or {}
            term = (cs.get("state") or {}).get("terminated") or {}
            if (waiting and waiting.get("reason") not in BENIGN) or cs.get("restartCount") or term.get("exitCode"):
                n += 1
    return n


_KINDS = [("logs", re.compile(r"/pods/[^/]+/log")), ("pods", re.compile(r"/pods(\?|$)")),
          ("events", re.compile(r"/events")), ("replicasets", re.compile(r"/replicasets")),
          ("deployments", re.compile(r"/deployments")), ("configmaps", re.compile(r"/configmaps")),
          ("secrets", re.compile(r"/secrets")), ("discovery", re.compile(r"^/(api|apis|version)(/[^/]+)?(/[^/]+)?(\?|$)"))]


def classify(path: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(path):
            return kind
    return "other"


class RequestCounter:
    """Counts the simulator's requests by kind, by wrapping its handler (benchmark only)."""

    def __init__(self, cluster: Any) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        handler = cluster.server.RequestHandlerClass
        original = handler._handle
        counter = self

        def counting(self: Any, method: str) -> Any:
            with counter._lock:
                counter.counts[classify(self.path)] += 1
            return original(self, method)

        handler._handle = counting

    def take(self) -> Counter[str]:
        with self._lock:
            out = Counter(self.counts)
            self.counts.clear()
        return out


def timed(cmd: list[str], out: Path, env: dict[str, str]) -> tuple[float, int]:
    with out.open("wb") as fh:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, env=env, timeout=600)
        elapsed = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.stderr.write(f"{' '.join(cmd[:3])} failed ({p.returncode}): {p.stderr.decode()[-500:]}\n")
    return elapsed, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl is not installed: the benchmark compares against it", file=sys.stderr)
        return 2
    from podmortem.sim.cluster import SimCluster, SimOptions

    t0 = time.perf_counter()
    cluster = SimCluster(SimOptions(scale=args.pods), docs=[]).start()
    started = time.perf_counter() - t0
    try:
        counter = RequestCounter(cluster)
        tmp = Path(tempfile.mkdtemp(prefix="podmortem-bench-"))
        kc = cluster.write_kubeconfig(tmp / "kubeconfig")
        env = dict(os.environ, KUBECONFIG=kc, HOME=str(tmp))  # a fresh kubectl discovery cache, then warm
        pods = cluster.objects("pods")
        failing = failing_containers(pods)
        print(f"simulated cluster: {len(pods)} pods, {failing} failing containers, started in {started:.1f} s")
        podmortem = [sys.executable, "-m", "podmortem", "diagnose", "-A", "-o", "json"]
        kube = [kubectl, "get", "pods", "-A", "-o", "json"]
        timed(kube, tmp / "kubectl.json", env)  # warm both: discovery cache, page cache, imports
        timed(podmortem, tmp / "podmortem.json", env)
        counter.take()
        k_times, p_times = [], []
        requests: Counter[str] = Counter()
        for r in range(args.rounds):
            k, _ = timed(kube, tmp / "kubectl.json", env)
            counter.take()
            p, code = timed(podmortem, tmp / "podmortem.json", env)
            requests = counter.take()
            k_times.append(k)
            p_times.append(p)
            print(f"round {r + 1}: kubectl get pods -A -o json {k:.2f} s   podmortem diagnose -A -o json {p:.2f} s "
                  f"(exit {code})")
        k_med, p_med = statistics.median(k_times), statistics.median(p_times)
        ratio = p_med / k_med
        import orjson

        doc = orjson.loads((tmp / "podmortem.json").read_bytes())
        diagnosed = sum(1 for p in doc["pods"] if p["findings"])
        print()
        print(f"kubectl   median {k_med:.2f} s  (rounds: {', '.join(f'{t:.2f}' for t in k_times)})")
        print(f"podmortem median {p_med:.2f} s  (rounds: {', '.join(f'{t:.2f}' for t in p_times)})")
        print(f"ratio podmortem/kubectl: {ratio:.2f}  (target <= 2.0)")
        print(f"podmortem requests in one run: {dict(sorted(requests.items()))}, total {sum(requests.values())}")
        print(f"log requests {requests['logs']} for {failing} failing containers "
              f"({requests['logs'] / max(1, failing):.2f} per failing container; target <= 1); "
              f"{diagnosed} pods diagnosed with a problem, {len(doc['groups'])} groups")
        ok = ratio <= 2.0 and requests["logs"] <= failing and len(doc["pods"]) == len(pods)
        print("targets met" if ok else "TARGET MISSED")
        shutil.rmtree(tmp, ignore_errors=True)
        return 0 if ok or not args.check else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
