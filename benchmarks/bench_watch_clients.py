"""Measure the candidate watch machineries for `podmortem watch` (docs/watch.md records the figures).

One `podmortem sim serve --scale N` runs as a separate process; each candidate, in a fresh
interpreter, opens a cluster-wide pod watch from resourceVersion 0 (the server sends one ADDED event
per pod, the same bytes for every candidate) and stops after N events. Reported per candidate:
import time, time to receive and decode N events (best of 3), events per second, and the peak RSS
of the interpreter. The server's cost is the same for every candidate, so the ratios are the result.

Candidates: podmortem's own client (`kubernetes` for config/transport + orjson lines, what live/
uses), the official client's `kubernetes.watch.Watch` with models and with `deserialize=False`,
`kubernetes_asyncio`'s Watch, `kr8s.watch`, and `kopf` (an operator framework: a standalone
operator with one `@kopf.on.event` handler counting events).

Run: `python benchmarks/bench_watch_clients.py [--pods 10000]` with the candidates installed
(`pip install kr8s kubernetes_asyncio kopf`); a candidate not installed is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CANDIDATES = ("podmortem", "kubernetes-models", "kubernetes-raw", "kubernetes_asyncio", "kr8s", "kopf")

CHILD = r'''
import json, os, sys, time
name, kubeconfig, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.environ["KUBECONFIG"] = kubeconfig
t0 = time.perf_counter()
if name == "podmortem":
    import orjson
    from podmortem.live.client import Call, connect
elif name.startswith("kubernetes-"):
    from kubernetes import client, config, watch
elif name == "kubernetes_asyncio":
    import asyncio
    from kubernetes_asyncio import client, config, watch
elif name == "kr8s":
    import kr8s
elif name == "kopf":
    import asyncio, logging
    import kopf
t_import = time.perf_counter() - t0
seen = 0
t1 = time.perf_counter()
if name == "podmortem":
    c = connect(kubeconfig)
    raw = c.stream("/api/v1/pods", [("watch", "true"), ("resourceVersion", "0")], Call("watch", "pods"), 60)
    buf = b""
    while seen < n:
        chunk = raw.read1(262144)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line:
                ev = orjson.loads(line)
                seen += ev["type"] == "ADDED"
    raw.release_conn()
elif name.startswith("kubernetes-"):
    config.load_kube_config(kubeconfig)
    v1 = client.CoreV1Api()
    w = watch.Watch()
    for ev in w.stream(v1.list_pod_for_all_namespaces, resource_version="0", timeout_seconds=60,
                       deserialize=name == "kubernetes-models"):
        seen += 1
        if seen >= n:
            w.stop()
            break
elif name == "kubernetes_asyncio":
    async def main():
        global seen
        await config.load_kube_config(kubeconfig)
        async with client.ApiClient() as api:
            v1 = client.CoreV1Api(api)
            w = watch.Watch()
            async for ev in w.stream(v1.list_pod_for_all_namespaces, resource_version="0", timeout_seconds=60):
                seen += 1
                if seen >= n:
                    w.stop()
                    break
    asyncio.run(main())
elif name == "kr8s":
    api = kr8s.api(kubeconfig=kubeconfig)
    for kind, obj in kr8s.watch("pods", namespace=kr8s.ALL, api=api):
        seen += 1
        if seen >= n:
            break
elif name == "kopf":
    logging.disable(logging.CRITICAL)
    stop = None
    @kopf.on.event("v1", "pods")
    def count(event, **_):
        global seen
        seen += 1
        if seen >= n:
            stop.set_result(None)
    async def main():
        global stop
        stop = asyncio.get_running_loop().create_future()
        await kopf.operator(standalone=True, clusterwide=True, stop_flag=stop)
    asyncio.run(main())
took = time.perf_counter() - t1
# VmHWM, not ru_maxrss: ru_maxrss survives fork+exec and would report the parent's peak.
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"import": t_import, "seconds": took, "events": seen, "rss_mb": rss}))
'''


def start_sim(pods: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    kubeconfig = str(folder / "kubeconfig")
    proc = subprocess.Popen([sys.executable, "-m", "podmortem", "sim", "serve", "--port", "0", "--scale", str(pods),
                             "--kubeconfig-out", kubeconfig], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not os.path.exists(kubeconfig):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the simulator did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.2)
    time.sleep(0.5)
    return proc, kubeconfig


def run(name: str, kubeconfig: str, n: int) -> dict[str, float] | str:
    p = subprocess.run([sys.executable, "-c", CHILD, name, kubeconfig, str(n)], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["failed"])[-1]
        return last[:160]
    data: dict[str, float] = json.loads(p.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, kubeconfig = start_sim(args.pods, Path(tmp))
        try:
            # The sim's --scale adds "about" N pods: count them with our own client first.
            from podmortem.live.client import Call, connect

            c = connect(kubeconfig)
            n = len(c.get_json("/api/v1/pods", [], Call("list", "pods")).get("items") or [])
            print(f"{n} pods in the simulator; each candidate watches from resourceVersion 0 and reads {n} events")
            base = None
            print(f"{'candidate':20} {'import s':>9} {'watch s':>9} {'events/s':>10} {'peak RSS MB':>12} {'vs podmortem':>13}")
            for name in CANDIDATES:
                best: dict[str, float] | str | None = None
                for _ in range(args.repeat):
                    r = run(name, kubeconfig, n)
                    if isinstance(r, str):
                        best = r
                        break
                    if best is None or isinstance(best, str) or r["seconds"] < best["seconds"]:
                        best = r
                if isinstance(best, str) or best is None:
                    print(f"{name:20} failed: {best}")
                    continue
                if best["events"] < n:
                    print(f"{name:20} received only {best['events']:.0f} of {n} events")
                    continue
                if name == "podmortem":
                    base = best["seconds"]
                ratio = f"{best['seconds'] / base:.1f}x" if base else "-"
                print(f"{name:20} {best['import']:9.2f} {best['seconds']:9.2f} {n / best['seconds']:10.0f} "
                      f"{best['rss_mb']:12.0f} {ratio:>13}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
