"""Benchmark: `podmortem explain pods.json -o json` on 10,000 pods against a bare `json.load` of the file.

Two inputs, each measured alternately with its own baseline in the same run: "fat" pods (about
16 KB each: full specs with probes, env, mounts, sidecars and statuses) and "slim" pods (one
container, no probes or env: what `kubectl get pods -A -o json` gives for small workloads; about
2 KB each at kubectl's 4-space indent). Acceptance (issue 10): for both, the whole podmortem
process takes at most 2x the wall time of the whole `python -c "import json; json.load(...)"`
process, with a peak resident memory under 500 MB. The PodLists are generated here,
deterministically (fixed seed), into benchmarks/.data/: about 1,000 failing pods of mixed causes
among healthy pods, written the way `kubectl get pods -o json` writes them.

    .venv/bin/python benchmarks/bench_explain.py [--rounds 5] [--pods 10000] [--strict]

Exit 0 unless --strict is given and a target is missed; 2 when the benchmark cannot run at all
(no .venv, or podmortem itself failed), since then there are no figures to judge.

Where podmortem's time goes, and what was chosen (issue 10 item 7): start-up imports (the rules'
patterns compile on first use: podmortem.lazyre), reading (msgspec reads the list as undecoded items,
straight from an ASCII file's bytes, and each item through the typed pod view that tells plainly
healthy pods from the others, sources/listview.py and sources/podview.py, shared with diagnose's pod
list; only other objects are decoded whole while reading, so the fat list's peak stays near the size
of its text; the standard library's item-by-item reading, sources/jsonstream.py, stays the reference
and the fallback), plainly healthy pods kept as summaries (sources/healthy.py), the rules over the failing pods (searches skipped by derived needles:
lazyre.needles; shared out among forked processes from 200 pods: live/parallel.py), and rendering
(commands podmortem quoted itself are not re-split; patches of bare words bypass PyYAML's emitter).
The collector is paused for the command and the heap is not freed at exit (commandline).
When CPUs are idle the command starts its workers before it reads (podmortem/standby.py): they are
fed the failing pods as the list is read and examine them meanwhile, so reading and the rules
overlap. On the slim list (2 CPUs, 2026-12-06) that took the run from 0.350 to 0.299 s against the
same json.load (0.141 s): 2.13x, against 2.47-2.59x before. Then, in the same session, by what the
timeline of each process showed rather than by the per-pod work: the parent stopped importing the
model, the engine and the log reader it never uses with workers (its imports after the command line
went from 33 to 8 ms, and the first failing pods reach a worker at 0.09 s instead of 0.11), the
report is written from its pieces instead of joined twice into 5 MB of fresh memory (8-10 ms, most
of it page faults, after the workers were done), the patterns' needles come from a table made at
build time (9-10 ms of each run's first pods), the parent no longer waits for a worker's exit (the
system freeing its memory, 3-5 ms), a healthy pod's summary is not a frozen dataclass (0.45 us
each), the first worker imports what rendering needs before it forks the others (both imported
it at their first entry), and a lazy pattern's sub/finditer/findall skip texts without a needle as
its search does (the redactor's substitutions ran on every message naming an ECR image: 25 ms of
CPU per 1,000 failing pods). Alternating runs of the commit before and after each step: 2.15-2.21x -> 2.00-2.04x (imports
and pieces) -> 1.93-1.94x (needles) -> 1.91-1.94x (the wait) -> 1.88x (summaries); this benchmark's 5
rounds: 1.87-1.95x while json.load took 0.143-0.150 s; in a slow phase of this 2-CPU machine
(json.load at 0.147-0.158 s) 1.90, 1.94 and 1.98x. Last, the command's entry point forks the first
worker before click is imported and reads the list in a thread meanwhile (podmortem/launch.py,
standby.ready_early, sources/reader.prefetch): 1.92x -> 1.87-1.88x in alternating runs; this
benchmark then gave 1.96, 2.01, 1.96 and 1.95x (json.load 0.144-0.165 s). The ratio moves with the
machine more than the single-process baseline does: the command needs both CPUs (about 0.49
CPU-seconds in 0.28 s), json.load one; a slow phase of the machine is what takes it past 2.0.
Forking the first worker early without reading the file meanwhile gained nothing measurable (the
worker then waited for the first pods), nor did that worker examining the list's head from the file.
Then (2026-12-06, later): a run of entries the encoder wrote in ASCII without DEL is inert as it is
(render/jsonparts.entries_of: JSON escapes every other control; finish 72.6 -> 66.5 ms per 1,000 failing
pods); a worker sends each batch's result as it renders it and the parent takes them in the pods'
order meanwhile, not all at the end with one CPU waiting (0.345 -> 0.326 s and 0.365 -> 0.346 s,
alternating with the commit before); the model's frozen records are msgspec structs instead of
frozen dataclasses (2.6 -> 0.14 us to build a PodEvidence, 19 -> 2 ms to import the model; 0.367 ->
0.341 s and 0.379 -> 0.351 s), and so are the other frozen records the engine imports (its import
74 -> 59 ms of CPU). This benchmark then gave 1.73, 1.81, 1.69 and 1.78x with json.load at
0.162-0.179 s. Tried and not kept: rendering each pod's findings as it is examined (slower: 0.334 vs
0.326 s), the parent judging the list's first 256 KB before msgspec's pass (2 ms, within the noise),
smaller last batches (no gain), and needles for case-insensitive words with i or s (more gates
than searches saved).
What is left: a serial start of about 0.09 s (interpreter, click and the CLI 0.04-0.06 s, msgspec's
pass over the list 0.02-0.025 s; the first worker is ready before it), then the failing pods'
evidence, rules and rendering (0.05, 0.12 and 0.06 ms a pod in one process, about 15% more when both
CPUs are busy) and the parent's 0.05 s of healthy pods, on both CPUs.

After each list, its phases in a fresh process (PHASES below): each failing pod's chain (evidence,
rules, notes, its JSON entry) runs in forked workers (explainpods.py) when CPUs are idle. On 2 CPUs at
load 8.6 the slim list's chain took 0.395 CPU s in one process, 0.222 here + 0.215 in the worker with
two (the fat list's 0.875 against 0.521 + 0.511); the load gate then gave one process, as it should.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
GENERATOR_VERSION = 2  # bump when the generated content changes, so cached files are rebuilt
SEED = 20260115
NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500.0

NAMESPACES = ("shop", "payments", "search", "identity", "data", "platform", "ml", "edge")
APPS = ("api", "web", "worker", "checkout", "cart", "catalog", "auth", "billing", "indexer", "gateway", "notifier",
        "scheduler", "ingest", "export", "reports", "pricing", "inventory", "session", "profile", "media")
NODES = tuple(f"ip-10-0-{i // 8}-{10 + i}.eu-west-1.compute.internal" for i in range(40))


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class PodFactory:
    """Builds pods as the API returns them; every random choice comes from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def hex(self, n: int) -> str:
        return "".join(self.rnd.choice("0123456789abcdef") for _ in range(n))

    def uid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def suffix(self, n: int) -> str:
        return "".join(self.rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))

    def container(self, name: str, image: str, port: int, *, mem: str, probes: bool, env_refs: bool) -> dict[str, Any]:
        env: list[dict[str, Any]] = [
            {"name": "LOG_LEVEL", "value": self.rnd.choice(("info", "debug", "warn"))},
            {"name": "PORT", "value": str(port)},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
        ]
        if env_refs:
            env.append({"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"key": "url", "name": f"{name}-db"}}})
            env.append({"name": "FEATURE_FLAGS", "valueFrom": {"configMapKeyRef": {"key": "flags", "name": f"{name}-config"}}})
        c: dict[str, Any] = {
            "env": env,
            "envFrom": [{"configMapRef": {"name": f"{name}-env"}}],
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "name": name,
            "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"},
                      {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "1", "memory": mem},
                          "requests": {"cpu": self.rnd.choice(("100m", "250m", "500m")), "memory": mem}},
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 10001},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/tmp", "name": "tmp"},
                             {"mountPath": "/etc/app", "name": "config", "readOnly": True},
                             {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access",
                              "readOnly": True}],
        }
        if probes:
            for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/ready")):
                c[kind] = {"failureThreshold": 3, "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
                           "initialDelaySeconds": 10, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1}
        return c

    def running_status(self, name: str, image: str, started: datetime, restarts: int = 0) -> dict[str, Any]:
        return {
            "containerID": "containerd://" + self.hex(64), "image": image,
            "imageID": image.split(":")[0] + "@sha256:" + self.hex(64), "lastState": {}, "name": name,
            "ready": True, "restartCount": restarts, "started": True, "state": {"running": {"startedAt": _ts(started)}},
        }

    def pod(self, index: int, failure: str | None) -> dict[str, Any]:
        rnd = self.rnd
        app = APPS[index % len(APPS)] + ("" if index < len(APPS) else f"-{index // len(APPS)}")
        ns = NAMESPACES[index % len(NAMESPACES)]
        rs_hash = self.suffix(10)
        name = f"{app}-{rs_hash}-{self.suffix(5)}"
        created = NOW - timedelta(minutes=rnd.randint(20, 60 * 24 * 30))
        image = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{ns}/{app}:{rnd.randint(1, 9)}.{rnd.randint(0, 40)}.{rnd.randint(0, 9)}"
        port = rnd.choice((8080, 8000, 3000, 9000))
        mem = rnd.choice(("128Mi", "256Mi", "512Mi", "1Gi"))
        main = self.container(app, image, port, mem=mem, probes=True, env_refs=rnd.random() < 0.5)
        containers = [main]
        sidecar = rnd.random() < 0.3
        proxy_image = "docker.io/istio/proxyv2:1.22.3"
        if sidecar:
            proxy = self.container("istio-proxy", proxy_image, 15090, mem="128Mi", probes=False, env_refs=False)
            proxy["args"] = ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                             "--proxyLogLevel=warning", "--log_output_level=default:info"]
            containers.append(proxy)
        init: list[dict[str, Any]] = []
        if failure == "init" or rnd.random() < 0.15:
            init = [{"command": ["sh", "-c", "until nc -z db 5432; do echo waiting for db; sleep 2; done"],
                     "image": "docker.io/library/busybox:1.36", "imagePullPolicy": "IfNotPresent", "name": "wait-for-db",
                     "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}, "requests": {"cpu": "10m", "memory": "16Mi"}},
                     "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}]
        node = rnd.choice(NODES)
        pod_ip = f"10.{rnd.randint(1, 3)}.{rnd.randint(0, 255)}.{rnd.randint(2, 254)}"
        started = created + timedelta(seconds=rnd.randint(3, 30))
        pod_uid = self.uid()
        statuses = [self.running_status(app, image, started)]
        if sidecar:
            statuses.append(self.running_status("istio-proxy", proxy_image, started))
        init_statuses = [{
            "containerID": "containerd://" + self.hex(64), "image": "docker.io/library/busybox:1.36",
            "imageID": "docker.io/library/busybox@sha256:" + self.hex(64), "lastState": {}, "name": "wait-for-db",
            "ready": True, "restartCount": 0, "started": False,
            "state": {"terminated": {"containerID": "containerd://" + self.hex(64), "exitCode": 0,
                                     "finishedAt": _ts(started), "reason": "Completed", "startedAt": _ts(started)}},
        }] if init else []
        phase = "Running"
        ready = True
        pod_reason = pod_message = None
        if failure is not None:
            ready = False
            phase, pod_reason, pod_message = self.fail(failure, statuses, init_statuses, app, name, ns, pod_uid, image)
        conditions = [
            {"lastProbeTime": None, "lastTransitionTime": _ts(started), "status": "True", "type": "PodReadyToStartContainers"},
            {"lastProbeTime": None, "lastTransitionTime": _ts(created), "status": "False" if failure == "init" else "True",
             "type": "Initialized"},
            {"lastProbeTime": None, "lastTransitionTime": _ts(started), "status": "True" if ready else "False", "type": "Ready"},
            {"lastProbeTime": None, "lastTransitionTime": _ts(started), "status": "True" if ready else "False",
             "type": "ContainersReady"},
            {"lastProbeTime": None, "lastTransitionTime": _ts(created), "status": "True", "type": "PodScheduled"},
        ]
        if not ready:
            for c in conditions[2:4]:
                c["reason"] = "ContainersNotReady"
                c["message"] = f"containers with unready status: [{app}]"
        spec: dict[str, Any] = {}
        if init:
            spec["initContainers"] = init
        spec.update({
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
                                    "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]}},
            "containers": containers, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
            "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccount": app, "serviceAccountName": app, "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}],
            "topologySpreadConstraints": [{"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
                                           "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                           "whenUnsatisfiable": "ScheduleAnyway"}],
            "volumes": [
                {"emptyDir": {}, "name": "tmp"},
                {"configMap": {"defaultMode": 420, "name": f"{app}-config"}, "name": "config"},
                {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                                "path": "namespace"}]}}]}}],
        })
        status: dict[str, Any] = {"conditions": conditions, "containerStatuses": statuses,
                                  "hostIP": f"10.0.{rnd.randint(0, 4)}.{rnd.randint(2, 254)}"}
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        if pod_message:
            status["message"] = pod_message
        status.update({"phase": phase, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "qosClass": "Burstable"})
        if pod_reason:
            status["reason"] = pod_reason
        status["startTime"] = _ts(created)
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "annotations": {"kubectl.kubernetes.io/restartedAt": _ts(created - timedelta(days=2)),
                                "prometheus.io/port": "9090", "prometheus.io/scrape": "true"},
                "creationTimestamp": _ts(created), "generateName": f"{app}-{rs_hash}-",
                "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns,
                           "app.kubernetes.io/version": image.rsplit(":", 1)[1], "pod-template-hash": rs_hash},
                "name": name, "namespace": ns,
                "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                                     "kind": "ReplicaSet", "name": f"{app}-{rs_hash}", "uid": self.uid()}],
                "resourceVersion": str(rnd.randint(10**6, 10**8)), "uid": pod_uid,
            },
            "spec": spec,
            "status": status,
        }

    def crashed(self, st: dict[str, Any], restarts: int, code: int, reason: str, ran: int,
                message: str | None = None, waiting: str = "CrashLoopBackOff", pod: str = "") -> None:
        """Put a container status into a crash loop: waiting in back-off, its last instance terminated."""
        last_exit = NOW - timedelta(seconds=self.rnd.randint(5, 290))
        term: dict[str, Any] = {"containerID": "containerd://" + self.hex(64), "exitCode": code,
                                "finishedAt": _ts(last_exit), "reason": reason,
                                "startedAt": _ts(last_exit - timedelta(seconds=ran))}
        if message:
            term["message"] = message
        delay = min(10 * 2 ** (restarts - 1), 300)
        minutes, seconds = divmod(delay, 60)
        back_off = f"{minutes}m{seconds}s" if minutes else f"{seconds}s"
        st.update({"lastState": {"terminated": term}, "ready": False, "restartCount": restarts, "started": False,
                   "state": {"waiting": {"message": f"back-off {back_off} restarting failed container={st['name']} "
                                                    f"pod={pod}", "reason": waiting}}})

    def fail(self, failure: str, statuses: list[dict[str, Any]], init_statuses: list[dict[str, Any]], app: str,
             name: str, ns: str, pod_uid: str, image: str) -> tuple[str, str | None, str | None]:
        """Turn a healthy pod's statuses into one failure; returns (phase, pod reason, pod message)."""
        rnd = self.rnd
        st = statuses[0]
        pod = f"{name}_{ns}({pod_uid})"
        restarts = rnd.randint(1, 40)
        if failure == "oom":
            self.crashed(st, restarts, 137, "OOMKilled", rnd.randint(20, 500), pod=pod)
        elif failure == "crash":
            code, ran = rnd.choice(((1, 2), (2, 1), (134, 30), (139, 12), (143, 60), (3, 8), (255, 4)))
            self.crashed(st, restarts, code, "Error", ran, pod=pod)
        elif failure == "start-error":
            binary = rnd.choice(("/app/server", "gunicorn", "node", "/docker-entrypoint.sh"))
            message = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                       "runc create failed: unable to start container process: error during container init: "
                       f"exec: \"{binary}\": executable file not found in $PATH: unknown")
            self.crashed(st, restarts, 128, "StartError", 0, message=message, waiting="RunContainerError", pod=pod)
        elif failure == "config":
            message = rnd.choice((
                f'configmap "{app}-config" not found',
                f'secret "{app}-db" not found',
                f"couldn't find key flags in ConfigMap {ns}/{app}-config",
                f"couldn't find key url in Secret {ns}/{app}-db",
                f'container has runAsNonRoot and image will run as root (pod: "{pod}", container: {app})',
            ))
            st.update({"imageID": "", "ready": False, "restartCount": 0, "started": False,
                       "state": {"waiting": {"message": message, "reason": "CreateContainerConfigError"}}})
            st.pop("containerID")
            return "Pending", None, None
        elif failure == "image":
            tag = image.rsplit(":", 1)[0] + ":" + rnd.choice(("latest-fix", "v2.0.0-rc1", "main"))
            reason, message = rnd.choice((
                ("ImagePullBackOff", f'Back-off pulling image "{tag}"'),
                ("ErrImagePull", f'failed to pull and unpack image "{tag}": failed to resolve reference "{tag}": '
                                 f"{tag}: not found"),
            ))
            st.update({"image": tag, "imageID": "", "ready": False, "restartCount": 0, "started": False,
                       "state": {"waiting": {"message": message, "reason": reason}}})
            st.pop("containerID")
            return "Pending", None, None
        elif failure == "completed":
            self.crashed(st, restarts, 0, "Completed", rnd.randint(1, 30), pod=pod)
        elif failure == "init":
            ist = init_statuses[0]
            self.crashed(ist, restarts, 1, "Error", rnd.randint(1, 60), pod=pod)
            st.update({"imageID": "", "ready": False, "restartCount": 0, "started": False,
                       "state": {"waiting": {"reason": "PodInitializing"}}})
            st.pop("containerID")
            return "Pending", None, None
        elif failure == "evicted":
            for s in statuses:
                s.update({"ready": False, "started": False,
                          "state": {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                                   "message": "The container could not be located when the pod was "
                                                              "terminated", "finishedAt": None, "startedAt": None}}})
            return ("Failed", "Evicted",
                    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi. "
                    f"Container {app} was using 612Mi, request is 256Mi, has larger consumption of memory. ")
        return "Running", None, None


FAILURES = ("oom", "crash", "crash", "start-error", "config", "image", "completed", "init", "evicted", "oom")


def slim(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as a small workload's `kubectl get pods -A -o json` shows it (about 1.2 KB): one
    container without probes, env or mounts, and the status fields the kubelet always writes."""
    meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
    c = spec["containers"][0]
    st = status["containerStatuses"][0]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {k: meta[k] for k in ("creationTimestamp", "name", "namespace", "uid") if k in meta}
        | {"labels": {"app": meta["labels"].get("app.kubernetes.io/name", meta["name"])}},
        "spec": {"containers": [{"image": c["image"], "name": c["name"],
                                 "resources": {"limits": {"memory": c["resources"]["limits"]["memory"]}}}],
                 "nodeName": spec["nodeName"], "restartPolicy": "Always"},
        "status": {"phase": status["phase"],
                   "conditions": [x for x in status["conditions"] if x["type"] == "Ready"],
                   "containerStatuses": [{k: st[k] for k in ("name", "ready", "restartCount", "state", "lastState",
                                                             "image") if k in st}],
                   **({"reason": status["reason"]} if status.get("reason") else {})},
    }


def generate(path: Path, pods: int, failing: int, seed: int = SEED, *, slim_pods: bool = False) -> None:
    """Write a PodList of `pods` pods, `failing` of them failing, spread evenly, to `path`."""
    factory = PodFactory(seed)
    step = pods / failing if failing else pods + 1
    failing_at = {int(i * step) for i in range(failing)}
    items = []
    n_fail = 0
    for i in range(pods):
        failure = None
        if i in failing_at:
            failure = FAILURES[n_fail % len(FAILURES)]
            n_fail += 1
        made = factory.pod(i, failure)
        items.append(slim(made) if slim_pods else made)
    doc = {"apiVersion": "v1", "items": items, "kind": "PodList", "metadata": {"resourceVersion": "987654321"}}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=4)  # kubectl's layout: 4-space indent
        fh.write("\n")
    tmp.replace(path)


def run_once(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if err:
        print(f"  stderr of {Path(argv[0]).name}: {err.splitlines()[-1]}", file=sys.stderr)
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, peak, proc.returncode


# One `explain -o json` in phases, in a fresh process as the command runs them: imports, reading the
# list (healthy pods triaged, failing pods left as places in the text), the per-pod chain (evidence,
# engine, notes, each pod's JSON entry; explainpods.py) with the workers given, the join.
PHASES = r"""
import gc, hashlib, json, resource, sys, time
t0 = time.perf_counter()
gc.disable()
from podmortem.commandline import backoff_settings, parse_now
from podmortem.explainpods import explain_pods
from podmortem.render.jsonparts import json_report
from podmortem.sources.loader import Inputs, read_bundle
t1, c1 = time.perf_counter(), time.process_time()
pods = read_bundle(Inputs([sys.argv[1]]), keep_plain=True).pods_pending()
t2, c2 = time.perf_counter(), time.process_time()
done = explain_pods(pods, now=parse_now(None), fixed=False, settings=backoff_settings(False, None), as_json=True,
                    workers=int(sys.argv[2]))
t3, c3 = time.perf_counter(), time.process_time()
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
text = json_report(done.entries)
t4, c4 = time.perf_counter(), time.process_time()
print(json.dumps({"imports": t1 - t0, "read": [t2 - t1, c2 - c1], "chain": [t3 - t2, c3 - c2],
                  "workers_cpu": kids.ru_utime + kids.ru_stime, "join": [t4 - t3, c4 - c3],
                  "digest": hashlib.sha256(text.encode()).hexdigest()}))
"""


def phases(path: Path, python: Path) -> None:
    """The phases of one run with one worker and with two (wall / CPU seconds; the workers' CPU
    apart), the two reports compared, and what the load gate would choose now."""
    import json as json_module
    import os as os_module

    got = {}
    for workers in (1, 2):
        proc = subprocess.run([str(python), "-c", PHASES, str(path), str(workers)], capture_output=True, text=True,
                              cwd=ROOT, check=False)
        if proc.returncode != 0:
            print(f"  phases: failed ({proc.stderr.strip().splitlines()[-1:]})")
            return
        got[workers] = p = json_module.loads(proc.stdout)
        print(f"  phases, {workers} worker{'s' if workers > 1 else ''} (wall / CPU s): imports {p['imports']:.3f}, "
              f"read {p['read'][0]:.3f} / {p['read'][1]:.3f}, chain {p['chain'][0]:.3f} / {p['chain'][1]:.3f}"
              + (f" + {p['workers_cpu']:.3f} in the worker" if workers > 1 else "")
              + f", join {p['join'][0]:.3f} / {p['join'][1]:.3f}")
    from podmortem.live.parallel import runnable_now, workers_now

    print(f"  phases: reports {'identical' if got[1]['digest'] == got[2]['digest'] else 'DIFFER'}; the load gate "
          f"gives {workers_now(4)} workers at load {os_module.getloadavg()[0]:.2f} with {runnable_now()} tasks runnable")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--failing", type=int, default=None, help="failing pods (default: a tenth)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--regenerate", action="store_true", help="rebuild the input even if cached")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    failing = args.failing if args.failing is not None else args.pods // 10

    venv_bin = ROOT / ".venv" / "bin"
    podmortem = venv_bin / "podmortem"
    python = venv_bin / "python"
    if not podmortem.exists():
        print(f"bench_explain: {podmortem} not found; run `make test` or `make demo` first", file=sys.stderr)
        return 2
    DATA.mkdir(parents=True, exist_ok=True)
    # An installed podmortem runs from bytecode. With PYTHONDONTWRITEBYTECODE set (some shells and CI
    # images set it) an editable install would compile ~90 modules from source in every measured run.
    subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "src" / "podmortem")],
                   stdout=subprocess.DEVNULL, check=False)
    worst = 0
    summary: list[str] = []
    for size in ("slim", "fat"):
        path = DATA / f"pods-{size}-{args.pods}-{failing}-v{GENERATOR_VERSION}.json"
        if args.regenerate or not path.exists():
            t = time.perf_counter()
            generate(path, args.pods, failing, slim_pods=size == "slim")
            print(f"generated {path.relative_to(ROOT)} in {time.perf_counter() - t:.1f}s")
        code, line = measure(path, size, args.pods, failing, args.rounds, podmortem, python)
        if code == 2:
            return 2
        phases(path, python)
        worst = max(worst, code)
        summary.append(line)
    print("== summary (whole processes, start-up included, medians of alternating rounds)")
    for line in summary:
        print(line)
    return worst if args.strict else 0


def measure(path: Path, size: str, pods: int, failing: int, rounds: int, podmortem: Path,
            python: Path) -> tuple[int, str]:
    """One input: podmortem vs json.load, alternately; (0 when both targets are met, 1 when not, 2 void;
    the summary line)."""
    size_mb = path.stat().st_size / 1024**2
    print(f"== {size} pods: {path.relative_to(ROOT)} ({pods} pods, {failing} failing, {size_mb:.1f} MB, "
          f"{path.stat().st_size / pods / 1024:.1f} KB per pod)")
    rel = str(path.relative_to(ROOT))
    explain = [str(podmortem), "explain", rel, "-o", "json"]
    baseline = [str(python), "-c", f"import json; json.load(open({rel!r}))"]
    run_once(baseline)  # warm the page cache so neither side pays for the first read
    ours: list[float] = []
    base: list[float] = []
    peaks: list[float] = []
    for r in range(rounds):
        wall, peak, code = run_once(explain)
        if code not in (0, 1):
            print(f"podmortem exited {code}: the benchmark is void", file=sys.stderr)
            return 2, ""
        ours.append(wall)
        peaks.append(peak)
        wall_b, _, code_b = run_once(baseline)
        if code_b != 0:
            print(f"the json.load baseline exited {code_b}", file=sys.stderr)
            return 2, ""
        base.append(wall_b)
        print(f"  round {r + 1}: podmortem {wall:.3f}s ({peak:.0f} MB)   json.load {wall_b:.3f}s")

    med_ours, med_base = statistics.median(ours), statistics.median(base)
    ratio = med_ours / med_base
    peak_mb = max(peaks)
    ratio_ok, peak_ok = ratio <= TARGET_RATIO, peak_mb < TARGET_PEAK_MB
    print(f"{size}: podmortem explain -o json  median {med_ours:.3f}s")
    print(f"{size}: python json.load           median {med_base:.3f}s")
    print(f"{size}: ratio {ratio:.2f} (target <= {TARGET_RATIO:.1f})  {'PASS' if ratio_ok else 'FAIL'}")
    print(f"{size}: peak RSS {peak_mb:.0f} MB (target < {TARGET_PEAK_MB:.0f} MB)  {'PASS' if peak_ok else 'FAIL'}")
    line = (f"{size:>4}: {path.stat().st_size / pods / 1024:.1f} KB/pod  podmortem {med_ours:.3f}s  json.load "
            f"{med_base:.3f}s  ratio {ratio:.2f} (<= {TARGET_RATIO:.1f}: {'PASS' if ratio_ok else 'FAIL'})  "
            f"peak {peak_mb:.0f} MB (< {TARGET_PEAK_MB:.0f}: {'PASS' if peak_ok else 'FAIL'})")
    return (0 if ratio_ok and peak_ok else 1), line


if __name__ == "__main__":
    sys.exit(main())
