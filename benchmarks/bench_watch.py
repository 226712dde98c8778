"""`podmortem watch` under load: 10,000 pods and 1,000 pod updates per second for 60 s (issue 13).

Three processes, so that the watcher has its own interpreter (one core at most: one GIL):
- the simulator (`--serve`): `SimCluster` with `--scale 10000`, serving HTTP, plus a driver thread
  that patches random pods at the target rate, each patch stamping the wall-clock time in an
  annotation;
- the watcher (`--watch`): the real `Watcher` (list+watch, view, diagnoses, incidents, Events),
  instrumented to record, for each stamped update, the time from the patch to the end of its
  processing (lag); it reports lag percentiles, updates seen, CPU seconds, peak RSS (VmHWM);
- this process: starts both, then runs one batch `podmortem diagnose -A -o json` of the end state
  and compares its groups with the watcher's open incidents.

The baseline measured in the same run: the cost of only parsing the same watch events (orjson on
the bytes of the stream), so the watcher's per-update CPU is given as a ratio to it.
Run: `python benchmarks/bench_watch.py [--pods 10000] [--rate 1000] [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAMP = "bench.podmortem.dev/at"
WATCH_STATES = {"CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError", "OOMKilled", "StartError",
                "Evicted"}


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


# -- the simulator and its driver ------------------------------------------------------------------------


def serve(pods: int, rate: float, seconds: float, folder: str) -> None:
    import orjson

    from podmortem.sim.cluster import SimCluster, SimOptions
    from podmortem.sim.resources import by_plural

    cluster = SimCluster(SimOptions(port=0, scale=pods)).start()
    cluster.write_kubeconfig(Path(folder) / "kubeconfig")
    (Path(folder) / "ready").write_text("1")
    while not (Path(folder) / "go").exists():
        time.sleep(0.05)
    keys = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in cluster.objects("pods")]
    rt = by_plural("pods")
    rng = random.Random(1)
    sent = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        due = int((time.monotonic() - t0) * rate)
        while sent < due:
            ns, name = keys[rng.randrange(len(keys))]
            body = orjson.dumps({"metadata": {"annotations": {STAMP: repr(time.time())}}})
            with contextlib.suppress(Exception):  # a pod deleted by its controller meanwhile
                cluster.patch(rt, ns, name, body, "application/merge-patch+json")
            sent += 1
        time.sleep(0.002)
    took = time.monotonic() - t0
    (Path(folder) / "driver.json").write_text(json.dumps({"updates": sent, "seconds": took}))
    while not (Path(folder) / "stop").exists():
        time.sleep(0.1)
    cluster.stop()


# -- the watcher -------------------------------------------------------------------------------------


def watch(folder: str, seconds: float) -> None:
    import orjson

    from podmortem.live.client import connect
    from podmortem.watch.diagnoser import Diagnoser
    from podmortem.watch.stream import PodScope
    from podmortem.watch.watcher import Settings, Watcher

    client = connect(str(Path(folder) / "kubeconfig"))
    w = Watcher(client, Settings(PodScope(None), remind_after=0), diagnoser=Diagnoser(client))
    lags: list[float] = []
    sizes: list[bytes] = []
    stamps: set[str] = set()
    handle = w.changed

    def changed(kind: str, pod: dict[str, Any]) -> None:
        handle(kind, pod)
        stamp = ((pod.get("metadata") or {}).get("annotations") or {}).get(STAMP)
        # Only the update that set the stamp: later updates of the pod (its status) carry it too.
        if stamp and stamp not in stamps:
            stamps.add(stamp)
            lags.append(time.time() - float(stamp))
            if len(sizes) < 2000:
                sizes.append(orjson.dumps({"type": kind, "object": pod}))

    w.changed = changed  # type: ignore[method-assign]
    t_start = time.monotonic()
    w.start()
    while not w.listed.is_set():
        time.sleep(0.05)
    listed_after = time.monotonic() - t_start
    (Path(folder) / "go").write_text("1")
    cpu0 = time.process_time()
    t0 = time.monotonic()
    while not (Path(folder) / "driver.json").exists() and time.monotonic() - t0 < seconds + 60:
        time.sleep(0.2)
    time.sleep(2.0)  # let the last updates arrive
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    # Incidents: wait until every failing pod is in one (diagnoses are rate-limited), at most 60 s more.
    settle0 = time.monotonic()
    while time.monotonic() - settle0 < 60:
        with w.lock:
            pending = len(w.pending)
        if not pending:
            break
        time.sleep(0.5)
    incidents = [{"namespace": i.namespace, "owner": i.owner_label, "cause": i.cause, "pods": len(i.seen)}
                 for i in w.incidents()]
    failing_states: dict[str, str] = {}
    with w.lock:
        for rec in w.view.failing():
            failing_states[f"{rec.namespace}/{rec.name}"] = rec.failing or ""
    w.stop()
    # Baseline: only parsing the same events.
    t = time.process_time()
    for _ in range(5):
        for b in sizes:
            orjson.loads(b)
    parse_per_event = (time.process_time() - t) / (5 * max(1, len(sizes)))
    lags.sort()
    n = len(lags)
    print(json.dumps({
        "listed_after": listed_after, "updates_seen": n, "wall": wall, "cpu": cpu,
        "lag_p50": lags[n // 2] if n else None, "lag_p99": lags[int(n * 0.99)] if n else None,
        "lag_max": lags[-1] if n else None, "rss_mb": vm_hwm_mb(), "diagnoses": w.diagnoses,
        "incidents": incidents, "parse_per_event": parse_per_event, "failing": failing_states,
        "pods": len(w.view)}))


# -- the orchestrator ----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--serve", metavar="FOLDER")
    ap.add_argument("--watch", metavar="FOLDER")
    args = ap.parse_args()
    if args.serve:
        serve(args.pods, args.rate, args.seconds, args.serve)
        return
    if args.watch:
        watch(args.watch, args.seconds)
        return
    with tempfile.TemporaryDirectory() as folder:
        sim = subprocess.Popen([sys.executable, __file__, "--serve", folder, "--pods", str(args.pods), "--rate",
                                str(args.rate), "--seconds", str(args.seconds)])
        try:
            while not os.path.exists(Path(folder) / "ready"):
                if sim.poll() is not None:
                    raise SystemExit("the simulator did not start")
                time.sleep(0.2)
            out = subprocess.run([sys.executable, __file__, "--watch", folder, "--seconds", str(args.seconds)],
                                 capture_output=True, text=True, timeout=args.seconds + 600)
            if out.returncode != 0:
                raise SystemExit(out.stderr[-3000:])
            res = json.loads(out.stdout.strip().splitlines()[-1])
            driver = json.loads((Path(folder) / "driver.json").read_text())
            t0 = time.perf_counter()
            batch = subprocess.run([sys.executable, "-m", "podmortem", "diagnose", "-A", "-o", "json", "--kubeconfig",
                                    str(Path(folder) / "kubeconfig")], capture_output=True, text=True, timeout=600)
            batch_s = time.perf_counter() - t0
            doc = json.loads(batch.stdout)
        finally:
            (Path(folder) / "stop").write_text("1")
            sim.wait(timeout=60)
    status = {f"{p['namespace']}/{p['name']}": p.get("status") for p in doc["pods"]}
    batch_groups = {(g["namespace"], g["owner"], g["cause"]) for g in doc.get("groups") or ()}
    # The groups a watcher is meant to report: those with a pod in one of its failing states.
    in_scope = set()
    for g in doc.get("groups") or ():
        if any(str(status.get(f"{g['namespace']}/{p}") or "").removeprefix("Init:") in WATCH_STATES for p in g["pods"]):
            in_scope.add((g["namespace"], g["owner"], g["cause"]))
    watched = {(i["namespace"], i["owner"], i["cause"]) for i in res["incidents"]}
    rate = driver["updates"] / driver["seconds"]
    cpu_per_update = res["cpu"] / max(1, res["updates_seen"])
    print(f"pods: {res['pods']} (listed in {res['listed_after']:.1f}s)")
    print(f"updates: {driver['updates']} sent in {driver['seconds']:.1f}s ({rate:.0f}/s), {res['updates_seen']} seen by the watcher")
    print(f"lag: p50 {res['lag_p50'] * 1000:.0f} ms, p99 {res['lag_p99'] * 1000:.0f} ms, max {res['lag_max'] * 1000:.0f} ms")
    print(f"watcher CPU: {res['cpu']:.1f}s over {res['wall']:.1f}s ({res['cpu'] / res['wall']:.0%} of one core); "
          f"{cpu_per_update * 1e6:.0f} us per update = {cpu_per_update / res['parse_per_event']:.1f}x parsing the event alone")
    print(f"watcher peak RSS: {res['rss_mb']:.0f} MB; diagnoses: {res['diagnoses']}")
    print(f"incidents: watcher {len(watched)}, batch diagnose groups {len(batch_groups)} "
          f"({len(in_scope)} with a pod in a watched failing state; batch took {batch_s:.1f}s)")
    print(f"  in both: {len(watched & in_scope)}; only the watcher: {sorted(watched - batch_groups)[:10]}; "
          f"only batch (watched states): {sorted(in_scope - watched)[:10]}")


if __name__ == "__main__":
    main()
