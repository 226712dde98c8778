"""Benchmark the simulated cluster at scale: start-up time and `kubectl get pods -A -o json`.

Starts `podmortem sim serve --scale N` (default 10,000 extra pods) the way a user would, measures the
time until it serves (the kubeconfig is written once the server listens), then times the real
kubectl listing every pod as JSON (pages of 500, as kubectl does), and prints that next to the time
`json.dumps` takes to serialise the same PodList in this process, with their ratio. The target from
issue 16: start in under 15 s. Next to the wall time it prints the CPU seconds the server process
had used when it began serving (utime + stime from /proc): on a shared, loaded machine the wall
time mostly measures the other processes, the CPU time what the start-up itself costs.

Run: `python benchmarks/bench_sim.py [--scale 10000] [--repeat 3] [--kubectl /usr/bin/kubectl]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def fetch_all_pods(server: str) -> dict[str, Any]:
    """Every pod, page by page as kubectl fetches them, merged into one PodList."""
    items: list[Any] = []
    token = ""
    while True:
        url = f"{server}/api/v1/pods?limit=500" + (f"&continue={token}" if token else "")
        with urllib.request.urlopen(url, timeout=60) as resp:
            page = json.loads(resp.read())
        items += page["items"]
        token = page["metadata"].get("continue") or ""
        if not token:
            return {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": ""}, "items": items}


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kubectl", default=os.environ.get("PODMORTEM_KUBECTL", "/usr/bin/kubectl"))
    args = parser.parse_args()
    kubectl = shutil.which(args.kubectl) or args.kubectl
    if not os.access(kubectl, os.X_OK):
        print(f"bench_sim: kubectl not found at {args.kubectl}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        t0 = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "podmortem", "sim", "serve", "--port", "0", "--scale",
                                   str(args.scale), "--kubeconfig-out", str(kubeconfig)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            while not kubeconfig.exists():
                if server.poll() is not None:
                    print(f"bench_sim: the server exited: {server.stderr.read() if server.stderr else ''}",
                          file=sys.stderr)
                    return 1
                time.sleep(0.05)
            start_s = time.perf_counter() - t0
            start_cpu = cpu_seconds(server.pid)
            url = next(line.split("server:", 1)[1].strip() for line in kubeconfig.read_text().splitlines()
                       if "server:" in line)
            env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": tmp, "KUBECACHEDIR": f"{tmp}/cache"}
            subprocess.run([kubectl, "get", "ns"], env=env, capture_output=True, check=True)  # warm discovery cache
            kubectl_times = []
            count = 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = subprocess.run([kubectl, "get", "pods", "-A", "-o", "json"], env=env, capture_output=True,
                                     check=True)
                kubectl_times.append(time.perf_counter() - t)
                count = len(json.loads(out.stdout)["items"])
            podlist = fetch_all_pods(url)
            dumps_times = []
            size = 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                size = len(json.dumps(podlist))
                dumps_times.append(time.perf_counter() - t)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    k = statistics.median(kubectl_times)
    d = statistics.median(dumps_times)
    print(f"podmortem sim serve --scale {args.scale}: {count} pods in the cluster")
    print(f"  start-up (until it serves)          {start_s:8.2f} s   (target < 15 s: {'ok' if start_s < 15 else 'MISSED'})")
    if start_cpu is not None:
        print(f"  start-up CPU time of the server     {start_cpu:8.2f} s   (target < 15 s: "
              f"{'ok' if start_cpu < 15 else 'MISSED'}; load average {os.getloadavg()[0]:.1f})")
    print(f"  kubectl get pods -A -o json         {k:8.2f} s   (median of {args.repeat})")
    print(f"  json.dumps of the same PodList      {d:8.2f} s   ({size / 2**20:.1f} MiB)")
    print(f"  ratio kubectl / json.dumps          {k / d:8.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
