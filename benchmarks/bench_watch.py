"""`podmortem watch` under load: 10,000 pods and 1,000 pod updates per second for 60 s (issue 13).

Three processes, so that the watcher has its own interpreter (one core at most: one GIL):
- the simulator (`--serve`): `SimCluster` with `--scale 10000`, serving HTTP, plus a driver that
  updates random pods at the target rate, each update stamping the wall-clock time in an
  annotation. The driver writes through the simulator's store the way the simulated kubelet writes
  pod statuses (a new object, a new resourceVersion, a MODIFIED watch event), in batches under one
  lock, so that its own cost stays small next to serving the watch (the API verbs' patch path,
  with its admission and a sync of the whole simulation per call, could not reach 1,000/s on a
  shared 2-core machine);
- the watcher (`--watch`): the real `Watcher` (list+watch, view, diagnoses, incidents, Events),
  instrumented to record, for each stamped update, the time from the update to the end of its
  processing (lag); it reports lag percentiles, updates seen, CPU seconds, peak RSS (VmHWM);
- this process: starts both, then runs one batch `podmortem diagnose -A -o json` of the end state
  and compares its groups with the watcher's open incidents.

The baseline measured in the same run: the cost of only parsing the same watch events (orjson on
the bytes of the stream), so the watcher's per-update CPU is given as a ratio to it.

Every phase has a deadline. When one is missed (or a child dies) the run ends with one line,
`bench_watch: FAILED: <what>`, after the children's stacks were dumped (faulthandler, SIGUSR1) into
their logs, whose folder the line names; progress lines go to stderr meanwhile, with the load average.
Exit 0 when measured; 1 when it failed, or with --strict when a target was missed.
Run: `python benchmarks/bench_watch.py [--pods 10000] [--rate 1000] [--seconds 60] [--strict]`.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAMP = "bench.podmortem.dev/at"
WATCH_STATES = {"CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError", "OOMKilled", "StartError",
                "Evicted"}
# Deadlines (wall seconds) of the phases: generous for a loaded machine, finite so nothing hangs.
SIM_START = 300.0  # --scale 10000 took 38 s under load
LIST = 180.0
AFTER_DRIVE = 180.0  # from the end of the driving to the watcher's result (settling, stopping)
BATCH = 300.0
STOP = 30.0
BATCH_SIZE_MAX = 200  # updates written under one lock


class Failed(Exception):
    """The run cannot finish: the message is the one line printed."""


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def stacks_on_sigusr1(limit: float) -> None:
    """A child dumps its threads' stacks on SIGUSR1 (asked by the orchestrator), and by itself past `limit`."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    faulthandler.dump_traceback_later(limit, exit=True)


# -- the simulator and its driver ------------------------------------------------------------------------


def drive(cluster: Any, rate: float, seconds: float) -> dict[str, Any]:
    """Stamp random pods at `rate` per second for `seconds`; the rate reached, per second too."""
    store = cluster.store
    with cluster.lock:
        keys = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in store.items("pods")]
    rng = random.Random(1)
    total = int(rate * seconds)
    sent = 0
    per_second: list[int] = []
    t0 = time.monotonic()
    while sent < total:
        now = time.monotonic()
        if now - t0 > seconds + 30:  # far behind: report what was reached rather than drive on
            break
        due = min(total, int((now - t0) * rate) + 1)
        with cluster.lock:
            batch = 0
            while sent < due and batch < BATCH_SIZE_MAX:  # then let the watch streams and the clock have the lock
                ns, name = keys[rng.randrange(len(keys))]
                obj = store.get("pods", ns, name)
                if obj is None:  # deleted by its controller meanwhile
                    continue
                meta = obj["metadata"]
                stamp = f"{time.time():.6f}/{sent}"  # unique: the watcher counts each stamp once
                store.put("pods", {**obj, "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}),
                                                                                  STAMP: stamp}}})
                sent += 1
                batch += 1
                second = int(time.monotonic() - t0)
                while len(per_second) <= second:
                    per_second.append(0)
                per_second[second] += 1
        time.sleep(0.002)
    took = time.monotonic() - t0
    full = per_second[:int(seconds)]
    return {"updates": sent, "seconds": took, "min_per_second": min(full) if full else 0}


def serve(pods: int, rate: float, seconds: float, folder: str) -> None:
    stacks_on_sigusr1(SIM_START + LIST + seconds + AFTER_DRIVE + BATCH + STOP)
    from podmortem.sim.cluster import SimCluster, SimOptions

    here = Path(folder)
    cluster = SimCluster(SimOptions(port=0, scale=pods)).start()
    cluster.write_kubeconfig(here / "kubeconfig")
    (here / "ready").write_text("1")
    while not (here / "go").exists():
        if (here / "stop").exists():
            cluster.stop()
            return
        time.sleep(0.05)
    result = drive(cluster, rate, seconds)
    (here / "driver.json.tmp").write_text(json.dumps(result))
    os.replace(here / "driver.json.tmp", here / "driver.json")
    while not (here / "stop").exists():
        time.sleep(0.1)
    cluster.stop()


# -- the watcher -------------------------------------------------------------------------------------


def watch(folder: str, seconds: float) -> None:
    stacks_on_sigusr1(LIST + seconds + 60 + AFTER_DRIVE)
    import orjson

    from podmortem.live.client import connect
    from podmortem.watch.diagnoser import Diagnoser
    from podmortem.watch.stream import PodScope
    from podmortem.watch.watcher import Settings, Watcher

    here = Path(folder)
    client = connect(str(here / "kubeconfig"))
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
            lags.append(time.time() - float(stamp.partition("/")[0]))
            if len(sizes) < 2000:
                sizes.append(orjson.dumps({"type": kind, "object": pod}))

    w.changed = changed  # type: ignore[method-assign]
    t_start = time.monotonic()
    w.start()
    if not w.listed.wait(LIST):
        raise SystemExit(f"the watcher did not list the pods within {LIST:.0f}s")
    listed_after = time.monotonic() - t_start
    (here / "go").write_text("1")
    cpu0 = time.process_time()
    t0 = time.monotonic()
    while not (here / "driver.json").exists():
        if time.monotonic() - t0 > seconds + 60:
            raise SystemExit(f"the driver did not finish within {seconds + 60:.0f}s")
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
    with w.lock:
        failing = sum(1 for _ in w.view.failing())
        watched = len(w.view)
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
        "lag_p50": lags[n // 2] if n else None, "lag_p99": lags[min(n - 1, int(n * 0.99))] if n else None,
        "lag_max": lags[-1] if n else None, "rss_mb": vm_hwm_mb(), "diagnoses": w.diagnoses,
        "incidents": incidents, "parse_per_event": parse_per_event, "failing": failing, "pods": watched}), flush=True)
    os._exit(0)  # the result is out: do not wait for connections the stopped threads may still hold


# -- the orchestrator ----------------------------------------------------------------------------------


class Run:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s, load {os.getloadavg()[0]:.1f}] {text}", file=sys.stderr,
              flush=True)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(self.folder / f"{name}.err", "wb") as err, open(self.folder / f"{name}.out", "wb") as out:
            proc = subprocess.Popen([sys.executable, __file__, *args], stdout=out, stderr=err)
        self.children[name] = proc
        return proc

    def last_line(self, name: str) -> str:
        text = (self.folder / f"{name}.err").read_text(errors="replace").strip()
        return text.splitlines()[-1][:300] if text else "(no output)"

    def wait(self, phase: str, cond: Callable[[], bool], limit: float, *, may_exit: str = "") -> None:
        end = time.monotonic() + limit
        while not cond():
            for name, proc in self.children.items():
                if name != may_exit and proc.poll() is not None:
                    raise Failed(f"the {name} process exited ({proc.returncode}) during {phase}: {self.last_line(name)}")
            if time.monotonic() > end:
                raise Failed(f"{phase} did not finish within {limit:.0f}s")
            time.sleep(0.1)

    def dump_and_kill(self) -> None:
        alive = [p for p in self.children.values() if p.poll() is None]
        for p in alive:
            p.send_signal(signal.SIGUSR1)
        if alive:
            time.sleep(1.0)
        for p in alive:
            p.kill()
            p.wait(timeout=30)


def measure(run: Run, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float]:
    folder = run.folder
    common = ["--pods", str(args.pods), "--rate", str(args.rate), "--seconds", str(args.seconds)]
    run.say(f"starting the simulator with about {args.pods} pods")
    run.start("simulator", ["--serve", str(folder), *common])
    run.wait("the simulator's start", lambda: (folder / "ready").exists(), SIM_START)
    run.say("starting the watcher")
    watcher = run.start("watcher", ["--watch", str(folder), *common])
    run.wait("the watcher's first list", lambda: (folder / "go").exists(), LIST)
    run.say(f"driving {args.rate:.0f} updates/s for {args.seconds:.0f}s")
    run.wait("the driver", lambda: (folder / "driver.json").exists(), args.seconds + 60)
    run.say("driven; waiting for the watcher's incidents")
    run.wait("the watcher's result", lambda: watcher.poll() is not None, AFTER_DRIVE, may_exit="watcher")
    if watcher.returncode != 0:
        raise Failed(f"the watcher process exited ({watcher.returncode}): {run.last_line('watcher')}")
    lines = (folder / "watcher.out").read_text().strip().splitlines()
    if not lines:
        raise Failed("the watcher printed no result")
    res = json.loads(lines[-1])
    driver = json.loads((folder / "driver.json").read_text())
    run.say("batch diagnose -A of the end state")
    t0 = time.perf_counter()
    try:
        batch = subprocess.run([sys.executable, "-m", "podmortem", "diagnose", "-A", "-o", "json", "--kubeconfig",
                                str(folder / "kubeconfig")], capture_output=True, text=True, timeout=BATCH)
    except subprocess.TimeoutExpired:
        raise Failed(f"the batch diagnose did not finish within {BATCH:.0f}s") from None
    batch_s = time.perf_counter() - t0
    try:
        doc = json.loads(batch.stdout)
    except ValueError:
        tail = (batch.stderr.strip().splitlines() or ["(no output)"])[-1][:300]
        raise Failed(f"the batch diagnose printed no JSON (exit {batch.returncode}): {tail}") from None
    return res, driver, doc, batch_s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--serve", metavar="FOLDER")
    ap.add_argument("--watch", metavar="FOLDER")
    args = ap.parse_args()
    if args.serve:
        serve(args.pods, args.rate, args.seconds, args.serve)
        return 0
    if args.watch:
        watch(args.watch, args.seconds)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bench_watch-"))
    run = Run(folder)
    load0 = os.getloadavg()
    try:
        res, driver, doc, batch_s = measure(run, args)
    except Failed as exc:
        run.dump_and_kill()
        print(f"bench_watch: FAILED: {exc} (logs and stacks in {folder})", flush=True)
        return 1
    except BaseException:
        run.dump_and_kill()
        raise
    (folder / "stop").write_text("1")
    sim = run.children["simulator"]
    try:
        sim.wait(timeout=STOP)
    except subprocess.TimeoutExpired:
        run.say(f"the simulator did not stop within {STOP:.0f}s; killed")
        run.dump_and_kill()
    load1 = os.getloadavg()
    shutil.rmtree(folder, ignore_errors=True)
    return report(res, driver, doc, batch_s, args, load0, load1)


def report(res: dict[str, Any], driver: dict[str, Any], doc: dict[str, Any], batch_s: float, args: argparse.Namespace,
           load0: tuple[float, float, float], load1: tuple[float, float, float]) -> int:
    status = {f"{p['namespace']}/{p['name']}": p.get("status") for p in doc["pods"]}
    batch_groups = {(g["namespace"], g["owner"], g["cause"]) for g in doc.get("groups") or ()}
    # The groups a watcher is meant to report: those with a pod in one of its failing states.
    in_scope = set()
    for g in doc.get("groups") or ():
        if any(str(status.get(f"{g['namespace']}/{p}") or "").removeprefix("Init:") in WATCH_STATES for p in g["pods"]):
            in_scope.add((g["namespace"], g["owner"], g["cause"]))
    watched = {(i["namespace"], i["owner"], i["cause"]) for i in res["incidents"]}
    rate = driver["updates"] / driver["seconds"]
    cpu_share = res["cpu"] / res["wall"]
    cpu_per_update = res["cpu"] / max(1, res["updates_seen"])
    print(f"machine: {os.cpu_count()} cores, load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end "
          f"(1-min; 5-min {load1[1]:.1f})")
    print(f"pods: {res['pods']} (listed in {res['listed_after']:.1f}s)")
    print(f"updates: {driver['updates']} sent in {driver['seconds']:.1f}s ({rate:.0f}/s; slowest full second "
          f"{driver['min_per_second']}), {res['updates_seen']} seen by the watcher")
    print(f"lag: p50 {res['lag_p50'] * 1000:.0f} ms, p99 {res['lag_p99'] * 1000:.0f} ms, max {res['lag_max'] * 1000:.0f} ms")
    print(f"watcher CPU: {res['cpu']:.1f}s over {res['wall']:.1f}s ({cpu_share:.0%} of one core); "
          f"{cpu_per_update * 1e6:.0f} us per update = {cpu_per_update / res['parse_per_event']:.1f}x parsing the event alone")
    print(f"watcher peak RSS: {res['rss_mb']:.0f} MB; diagnoses: {res['diagnoses']}; failing pods: {res['failing']}")
    print(f"incidents: watcher {len(watched)}, batch diagnose groups {len(batch_groups)} "
          f"({len(in_scope)} with a pod in a watched failing state; batch took {batch_s:.1f}s)")
    print(f"  in both: {len(watched & in_scope)}; only the watcher: {sorted(watched - batch_groups)[:10]}; "
          f"only batch (watched states): {sorted(in_scope - watched)[:10]}")
    targets = {
        f"rate >= {args.rate * 0.99:.0f}/s": rate >= args.rate * 0.99,
        "every update seen": res["updates_seen"] >= driver["updates"],
        "lag p99 < 1 s": res["lag_p99"] is not None and res["lag_p99"] < 1.0,
        "CPU within one core": cpu_share <= 1.0,
        "peak RSS < 300 MB": res["rss_mb"] < 300,
        "incidents match batch diagnose": watched <= batch_groups and in_scope <= watched,
    }
    missed = [name for name, ok in targets.items() if not ok]
    print("targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)) + " ("
          + ", ".join(targets) + ")")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
