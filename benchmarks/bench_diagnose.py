"""Benchmark: `podmortem diagnose -A -o json` against the fetch floor and `kubectl get pods -A -o json`.

The fetch floor (issue 15) is what no diagnosis can beat: a bare paginated `GET /api/v1/pods?limit=500`
loop decoded with the standard library's `json.loads`, in a fresh process like the others.

The simulated cluster (podmortem.sim) is started in this process with --scale pods (10,000 by
default, about 10% of them failing) and serves both tools over HTTP on 127.0.0.1. The two
commands run alternately, several rounds, each a fresh process writing its JSON to a file, so
both pay for start-up, the API calls and printing. The floor is the shortest run and the most
exposed to the other load of a shared machine (it swung from 0.49 to 1.33 s within one run), so
it runs twice in every round, just before and just after podmortem, and the headline ratio is the
median over the rounds of podmortem's time over the mean of the two floors beside it: a load that
comes and goes slows both sides of one round alike. The machine's load average is printed with the
figures. A request counter on the simulator's HTTP
handler counts what podmortem asked for, to check its call budget: at most one log request per
failing container.

Targets: podmortem's median at most 2.5 x the fetch floor (issue 15; goal 1.5) and at most 1.0 x
kubectl's; peak memory under 400 MB; fewer than 120 requests; log requests <= failing containers.
`--check` exits 1 when a target is missed. A per-phase breakdown (pod list, events, logs, config
checks, ReplicaSets, engine, render) comes from one extra in-process run whose collector phases are
timed one by one (the real command overlaps them; the sum is a sequential upper bound), and the
stages as the command runs them: the collection, the per-pod chain (evidence to rendered entry) with
one worker and with 2 and 3 forked workers (CPU here and in the workers, reports compared), the join.

Run: `.venv/bin/python benchmarks/bench_diagnose.py [--pods 10000] [--rounds 5] [--check]`
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
from dataclasses import dataclass
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
        original = handler._serve
        counter = self

        def counting(self: Any, method: str) -> Any:
            with counter._lock:
                counter.counts[classify(self.path)] += 1
            return original(self, method)

        handler._serve = counting

    def take(self) -> Counter[str]:
        with self._lock:
            out = Counter(self.counts)
            self.counts.clear()
        return out


# A wrapper with one child: its RUSAGE_CHILDREN maximum is that child's peak resident set, its user
# and system times the CPU the child used (on a loaded machine, wall time minus CPU is mostly waiting).
PEAK = ("import resource, subprocess, sys\n"
        "rc = subprocess.call(sys.argv[1:], stdout=sys.stdout)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "sys.stderr.write(f'\\nmaxrss={u.ru_maxrss} cpu={u.ru_utime + u.ru_stime}\\n')\n"
        "sys.exit(rc)\n")

# The floor: every pod page, decoded, nothing else. Standard library only, as the issue defines it.
FLOOR = ("import json, sys, urllib.parse, urllib.request\n"
         "url, token = sys.argv[1], sys.argv[2]\n"
         "cont, n = '', 0\n"
         "while True:\n"
         "    q = urllib.parse.urlencode([('limit', 500)] + ([('continue', cont)] if cont else []))\n"
         "    req = urllib.request.Request(f'{url}/api/v1/pods?{q}', headers={'Authorization': f'Bearer {token}',\n"
         "                                                              'Accept': 'application/json'})\n"
         "    with urllib.request.urlopen(req) as r:\n"
         "        doc = json.loads(r.read())\n"
         "    n += len(doc['items'])\n"
         "    cont = doc['metadata'].get('continue')\n"
         "    if not cont:\n"
         "        break\n"
         "print(n)\n")


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    code: int
    rss: int  # peak resident set, KiB
    cpu: float  # user + system seconds


def timed(cmd: list[str], out: Path, env: dict[str, str]) -> Run:
    """Wall seconds, exit code, peak RSS and CPU seconds of one run of cmd."""
    with out.open("wb") as fh:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", PEAK, *cmd], stdout=fh, stderr=subprocess.PIPE, env=env,
                           timeout=600)
        elapsed = time.perf_counter() - t0
    err = p.stderr.decode()
    m = re.search(r"maxrss=(\d+) cpu=([\d.]+)", err)
    if p.returncode not in (0, 1):
        sys.stderr.write(f"{' '.join(cmd[:3])} failed ({p.returncode}): {err[-500:]}\n")
    return Run(elapsed, p.returncode, int(m.group(1)) if m else 0, float(m.group(2)) if m else 0.0)


def phases(kubeconfig: str) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds per phase of one diagnose -A run in this process, its phases run one after another,
    and the client's request count per kind."""
    from podmortem.commandline import paused_gc
    from podmortem.live.client import connect
    from podmortem.live.collect import Collector, Scope
    from podmortem.live.report import diagnose_collection, render_live
    from podmortem.sources.objects import pod_evidence

    out: dict[str, float] = {}
    client = connect(kubeconfig)
    col = Collector(client)
    with paused_gc(freeze=True):
        t = time.perf_counter()
        pods = col.list_pods(Scope(None))
        out["pod list"] = time.perf_counter() - t
        t = time.perf_counter()
        col.out.pods = pods
        col.out.listed_at = col.now()
        failing = col.classify(pods)
        out["status triage"] = time.perf_counter() - t
        for name, tasks in col.follow_ups(failing, Scope(None)).items():
            t = time.perf_counter()
            col._run(tasks, name)
            out[name] = time.perf_counter() - t
        t = time.perf_counter()
        assert col.out.listed_at is not None
        result = diagnose_collection(col.out, now=col.out.listed_at)
        out["engine"] = time.perf_counter() - t
        t = time.perf_counter()
        render_live(result, "json", color=False)
        out["render"] = time.perf_counter() - t
    del pod_evidence
    return out, dict(client.requests)


def pipelined(kubeconfig: str) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(stage, wall, CPU seconds) of one diagnose -A -o json run in this process as the command runs
    it: the collection pipelined, then the per-pod chain (evidence, engine, notes, each pod's JSON
    entry) with one worker, then the report joined. CPU close to wall means the stage waits for
    nothing but the interpreter; on a shared machine wall also holds the time other work took.
    And the chain again over the same collection with 2 and 3 workers (live/parallel.py): wall, this
    process's CPU and the workers' (the longer of the two is the stage's time on idle CPUs), and the
    reports compared byte for byte with the one-worker run."""
    import resource

    from podmortem.commandline import paused_gc
    from podmortem.live.client import connect
    from podmortem.live.collect import Collector, Scope
    from podmortem.live.report import diagnose_collection, render_live

    def children_cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    out, forked = [], []
    with paused_gc(freeze=True):
        t, c = time.perf_counter(), time.process_time()
        client = connect(kubeconfig)
        col = Collector(client, whole_pods=False).collect(Scope(None))  # as `diagnose` collects
        out.append(("collect", time.perf_counter() - t, time.process_time() - c))
        assert col.listed_at is not None
        reports = {}
        for workers in (1, 2, 3):
            t, c, k = time.perf_counter(), time.process_time(), children_cpu()
            result = diagnose_collection(col, now=col.listed_at, workers=workers, keep_evidence=False, rendered=True)
            wall, cpu, kids = time.perf_counter() - t, time.process_time() - c, children_cpu() - k
            if workers == 1:
                out.append(("chain", wall, cpu))
            else:
                forked.append(f"{workers} workers {wall:.2f} wall, CPU {cpu:.2f} here + {kids:.2f} in the workers")
            t, c = time.perf_counter(), time.process_time()
            reports[workers] = render_live(result, "json", color=False)
            if workers == 1:
                out.append(("join", time.perf_counter() - t, time.process_time() - c))
        same = all(r == reports[1] for r in reports.values())
        forked.append("reports identical" if same else "REPORTS DIFFER")
    return out, forked


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
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
        floor = [sys.executable, "-c", FLOOR, cluster.url, str(cluster.options.token or "")]
        runs = {"floor": floor, "kubectl": kube, "podmortem": podmortem}
        load_before = os.getloadavg()
        for name, cmd in runs.items():  # warm all: discovery cache, page cache, imports
            timed(cmd, tmp / f"{name}.out", env)
        counter.take()
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        peaks: dict[str, int] = {}
        requests: Counter[str] = Counter()
        per_round: list[float] = []  # podmortem over the mean of the two floors beside it
        order = ["floor", "podmortem", "floor", "kubectl"]  # alternating, same rounds
        for r in range(args.rounds):
            line = []
            got_round: dict[str, list[float]] = {name: [] for name in runs}
            for name in order:
                run = timed(runs[name], tmp / f"{name}.out", env)
                got = counter.take()
                if name == "podmortem":
                    requests = got
                times[name].append(run.seconds)
                cpu[name].append(run.cpu)
                got_round[name].append(run.seconds)
                peaks[name] = max(peaks.get(name, 0), run.rss)
                line.append(f"{name} {run.seconds:.2f} s (cpu {run.cpu:.2f} s, exit {run.code}, {run.rss // 1024} MB)")
            per_round.append(got_round["podmortem"][0] / statistics.mean(got_round["floor"]))
            print(f"round {r + 1}: " + "   ".join(line))
        load_after = os.getloadavg()
        med = {name: statistics.median(ts) for name, ts in times.items()}
        import orjson

        doc = orjson.loads((tmp / "podmortem.out").read_bytes())
        diagnosed = sum(1 for p in doc["pods"] if p["findings"])
        failing_pods = sum(1 for p in doc["pods"] if p["findings"])
        print()
        for name in runs:
            print(f"{name:<10} median {med[name]:.2f} s, cpu {statistics.median(cpu[name]):.2f} s "
                  f"(rounds: {', '.join(f'{t:.2f}' for t in times[name])}), peak {peaks[name] // 1024} MB")
        vs_floor = statistics.median(per_round)
        vs_kubectl = med["podmortem"] / med["kubectl"]
        total = sum(v for k, v in requests.items() if k != "discovery")
        print(f"machine load average (1, 5, 15 min): before {', '.join(f'{x:.2f}' for x in load_before)}; "
              f"after {', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs")
        print(f"ratio podmortem/floor:   {vs_floor:.2f}  (median of the rounds' ratios "
              f"{', '.join(f'{x:.2f}' for x in per_round)}; of the medians {med['podmortem'] / med['floor']:.2f}; "
              f"target <= 2.5, goal 1.5)")
        print(f"ratio podmortem/kubectl: {vs_kubectl:.2f}  (target <= 1.0)")
        print(f"podmortem requests in one run: {dict(sorted(requests.items()))}, total {total} "
              f"for {failing_pods} failing pods (target < 120)")
        print(f"log requests {requests['logs']} for {failing} failing containers "
              f"({requests['logs'] / max(1, failing):.2f} per failing container; target <= 1); "
              f"{diagnosed} pods diagnosed with a problem, {len(doc['groups'])} groups")
        breakdown, per_kind = phases(kc)
        print("phases of one in-process run, run one after another (seconds): "
              + ", ".join(f"{k} {v:.2f}" for k, v in breakdown.items()) + f"; sum {sum(breakdown.values()):.2f}")
        print(f"requests per kind (client count, retries included): {dict(sorted(per_kind.items()))}")
        stages, forked = pipelined(kc)
        from podmortem.live.parallel import runnable_now, workers_now

        print("stages of one in-process run as the command runs them, one worker (wall / CPU seconds): "
              + ", ".join(f"{k} {w:.2f} / {c:.2f}" for k, w, c in stages))
        print(f"the chain in forked workers: {'; '.join(forked)}; the load gate gives "
              f"{workers_now(4)} at load {os.getloadavg()[0]:.2f} with {runnable_now()} tasks runnable")
        ok = (vs_floor <= 2.5 and vs_kubectl <= 1.0 and peaks["podmortem"] < 400 * 1024 and total < 120
              and requests["logs"] <= failing and len(doc["pods"]) == len(pods))
        print("targets met" if ok else "TARGET MISSED")
        shutil.rmtree(tmp, ignore_errors=True)
        return 0 if ok or not args.check else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
