"""SimCluster: the simulated cluster's state, its virtual clock, and the API operations on it.

Everything that changes state goes through one lock. `sync()` brings the simulation up to the
virtual clock: pods step through their own timelines (kubelet.py) in global time order, the
controllers react when a workload or one of its pods changes (controllers.py), and the changed
pod statuses and events are written to the store, where list and watch requests see them.

Start one in tests with `with SimCluster(SimOptions(...)) as cluster:`; it serves HTTP on a free
loopback port (`cluster.url`), writes a kubeconfig (`cluster.write_kubeconfig(path)`), and lets
virtual time jump (`cluster.advance(seconds)`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import hashlib
import heapq
import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from podmortem.backoff import BackoffSettings
from podmortem.errors import InputError
from podmortem.sim.controllers import Controllers
from podmortem.sim.events import Recorder
from podmortem.sim.faults import FaultRule, Faults
from podmortem.sim.kubelet import KubeletSettings, NodeSim, PodSim, image_pull_policy
from podmortem.sim.patch import PatchError, json_patch, merge_patch, strategic_merge
from podmortem.sim.profile import CREATED_AGO, CSI_DRIVERS, MEMORY_PRESSURE, profiles_of
from podmortem.sim.resources import STORAGE_KEY, ResourceType, by_plural, resource_for
from podmortem.sim.store import Store, clone
from podmortem.sim.timefmt import parse_duration, rfc3339

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KUBE_VERSION = "v1.32.4"
WORKLOADS = ("deployments", "replicasets", "statefulsets", "jobs")


class ApiError(Exception):
    """An error the API server answers with a Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.group_resource} "{name}" not found',
                    {"name": name, "group": rt.group, "kind": rt.plural} if rt.group else {"name": name, "kind": rt.plural})


@dataclass
class SimOptions:
    scenario: str | None = None  # a manifest file or folder; None: the bundled default scenario
    scale: int = 0  # extra pods for load tests, about 10% failing
    start_offset: float = 1200.0  # the scenario's objects were applied this long before "now"
    speed: float = 1.0  # virtual seconds per wall second
    port: int = 0
    now: float | None = None  # virtual time at start (epoch seconds); default: the wall clock
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    sync_lag: float = 1.0
    retry_period: float = 10.0
    retry_jitter: float = 0.5
    seed: int = 0
    tick: float = 0.2  # wall seconds between background syncs (watch latency)
    history_limit: int = 50_000
    event_ttl: float = 3600.0
    faults: list[FaultRule] = field(default_factory=list)
    token: str = "podmortem-sim"
    user: str = "podmortem"
    serve: bool = True  # start the HTTP server on start()


class Clock:
    """Virtual time: starts at `start`, runs `speed` times the wall clock, and can jump ahead."""

    def __init__(self, start: float, speed: float) -> None:
        self.base = start
        self.speed = speed
        self.mono = time.monotonic()
        self.jumped = 0.0

    def now(self) -> float:
        return self.base + (time.monotonic() - self.mono) * self.speed + self.jumped

    def advance(self, seconds: float) -> None:
        self.jumped += seconds


class SimCluster:
    def __init__(self, options: SimOptions | None = None, docs: Iterable[Mapping[str, Any]] | None = None) -> None:
        self.options = options or SimOptions()
        self.docs = list(docs) if docs is not None else None
        self.store = Store(self.options.history_limit)
        self.lock = self.store.lock
        self.recorder = Recorder()
        self.faults = Faults(list(self.options.faults))
        self.settings = KubeletSettings(self.options.backoff, self.options.sync_lag, self.options.retry_period,
                                        self.options.retry_jitter)
        start = self.options.now if self.options.now is not None else time.time()
        self.clock = Clock(start, self.options.speed)
        self.nodes: dict[str, NodeSim] = {}
        self.pods: dict[tuple[str, str], PodSim] = {}
        self._queued: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._dirty: set[tuple[str, str]] = set()
        self._observed: dict[tuple[str, str], tuple[bool, str]] = {}
        self._reconcile: list[tuple[str, str, str]] = []
        self._sched = 0
        self.sim_time = start
        self.rng = random.Random(self.options.seed)
        self.controllers = Controllers(self, self.options.seed)
        self._next_ttl_check = 0.0
        self._pressure_pending: set[str] = set()
        self._uid_counter = itertools.count()
        self._service_ip = itertools.count(10)
        self.server: Any = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.started_at_wall = 0.0

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SimCluster:
        from podmortem.sim.scenario import load_scenario

        if self.options.serve:
            from podmortem.sim.server import serve

            self.server = serve(self, self.options.port)  # bind first: a busy port fails before the load
        wall0 = time.perf_counter()
        try:
            with self.lock:
                load_scenario(self, self.docs)
        except BaseException:
            if self.server is not None:
                self.server.server_close()
            raise
        self.load_seconds = time.perf_counter() - wall0
        if self.server is not None:
            t = threading.Thread(target=self.server.serve_forever, name="sim-http", daemon=True)
            t.start()
            self._threads.append(t)
        ticker = threading.Thread(target=self._tick, name="sim-clock", daemon=True)
        ticker.start()
        self._threads.append(ticker)
        return self

    def _tick(self) -> None:
        import sys
        import traceback

        while not self._stopping.wait(self.options.tick):
            try:
                with self.lock:
                    self.sync()
            except Exception:  # keep the clock running; the failure is a simulator bug worth a report
                sys.stderr.write("podmortem sim: internal error while advancing the simulation:\n")
                traceback.print_exc(file=sys.stderr)

    def stop(self) -> None:
        self._stopping.set()
        with self.lock:
            self.store.changed.notify_all()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> SimCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1]) if self.server is not None else 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kubeconfig(self, namespace: str = "default") -> str:
        return yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "podmortem-sim", "cluster": {"server": self.url}}],
            "users": [{"name": "podmortem-sim", "user": {"token": self.options.token}}],
            "contexts": [{"name": "podmortem-sim",
                          "context": {"cluster": "podmortem-sim", "user": "podmortem-sim", "namespace": namespace}}],
            "current-context": "podmortem-sim", "preferences": {},
        }, sort_keys=False)

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> str:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.kubeconfig(namespace))
        p.chmod(0o600)
        return str(p)

    # --- time --------------------------------------------------------------------------------------

    def now(self) -> float:
        return max(self.clock.now(), self.sim_time)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward and bring the cluster up to it."""
        with self.lock:
            self.clock.advance(seconds)
            self.sync()

    def sync(self) -> None:
        with self.lock:
            self.advance_to(self.clock.now())
            self.flush()

    def _push(self, t: float, item: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), item))

    def _queue_pod(self, key: tuple[str, str]) -> None:
        sim = self.pods.get(key)
        if sim is None:
            return
        nt = sim.next_time()
        if nt is None:
            self._queued.pop(key, None)
            return
        if self._queued.get(key) == nt:
            return
        self._queued[key] = nt
        self._push(nt, key)

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self._push(t, fn)

    def advance_to(self, until: float) -> None:
        heap = self._heap
        live = self.store.record_history
        while heap and heap[0][0] <= until:
            if live and heap[0][0] > self.sim_time and (self._dirty or self.recorder.dirty):
                # Publish each instant's state before moving on, so watchers see every transition
                # (Running -> Error -> CrashLoopBackOff) even when virtual time jumps.
                self.flush()
            t, _, item = heapq.heappop(heap)
            t = max(t, self.sim_time)
            self.sim_time = t
            if callable(item):
                item(t)
                self._run_reconciles(t)
                continue
            key = item
            sim = self.pods.get(key)
            if sim is None or key not in self._queued:
                continue
            nt = sim.next_time()
            if nt is None:
                self._queued.pop(key, None)
                continue
            if nt > t:
                if self._queued.get(key) != nt:
                    self._queue_pod(key)
                continue  # a stale entry: the pod is queued for a later time
            self._queued.pop(key, None)
            sim.advance(t)
            self._dirty.add(key)
            self._after_pod_step(key, sim, t)
            self._queue_pod(key)
            if not heap or heap[0][0] > t:
                self._run_reconciles(t)  # once per instant: the pods that changed together are seen together
        self._run_reconciles(self.sim_time)
        self.sim_time = max(self.sim_time, until)

    def _after_pod_step(self, key: tuple[str, str], sim: PodSim, t: float) -> None:
        if sim.gone_at is not None and sim.gone_at <= t:
            self._remove_pod(key, t)
            return
        state = (sim.ready(t), sim.phase(t))
        if self._observed.get(key) != state:
            self._observed[key] = state
            self._owner_changed(self.store.get("pods", key[0], key[1]), t)

    def _owner_changed(self, obj: Mapping[str, Any] | None, t: float) -> None:
        if obj is None:
            return
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller"):
                storage = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "Job": "jobs",
                           "Deployment": "deployments"}.get(str(ref.get("kind")))
                if storage:
                    self._enqueue(storage, obj["metadata"]["namespace"], str(ref.get("name")))
                    if storage == "replicasets":
                        rs = self.store.get("replicasets", obj["metadata"]["namespace"], str(ref.get("name")))
                        if rs is not None:
                            self._owner_changed(rs, t)

    def _enqueue(self, storage: str, namespace: str, name: str) -> None:
        item = (storage, namespace, name)
        if item not in self._reconcile:
            self._reconcile.append(item)

    def _run_reconciles(self, t: float) -> None:
        rounds = 0
        while self._reconcile and rounds < 1000:
            storage, ns, name = self._reconcile.pop(0)
            self.controllers.reconcile(storage, ns, name, t)
            rounds += 1

    def flush(self) -> None:
        """Write changed pod statuses and events to the store (so lists and watches see them)."""
        t = self.sim_time
        for key in sorted(self._dirty):
            sim = self.pods.get(key)
            stored = self.store.get("pods", key[0], key[1])
            if sim is None or stored is None:
                continue
            status = sim.status(t)
            if stored.get("status") != status:
                self.store.put("pods", {**stored, "status": status})
        self._dirty.clear()
        for rec in self.recorder.dirty.values():
            self.store.put("events", rec.to_object())
        self.recorder.dirty.clear()
        if t >= self._next_ttl_check:
            self._expire_events(t)
            self._next_ttl_check = t + 60

    def _expire_events(self, t: float) -> None:
        limit = t - self.options.event_ttl
        stale = [k for k, r in self.recorder.records.items() if r.last < limit]
        for k in stale:
            rec = self.recorder.records.pop(k)
            self.store.remove("events", rec.namespace, rec.name)

    # --- the kubelet's view of the cluster (kubelet.World) -------------------------------------------

    def configmap(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.store.get("configmaps", namespace, name)

    def secret(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.store.get("secrets", namespace, name)

    def resolve(self, namespace: str, host: str, port: int, t: float) -> tuple[str | None, str | None]:
        """How a connection from a pod to host:port goes: (None, ip) works, ("dns"|"refused", ip) fails."""
        if host.replace(".", "").isdigit():
            return None, host
        parts = host.split(".")
        if len(parts) == 1:
            svc, ns = parts[0], namespace
        elif len(parts) == 2 or parts[2] == "svc":
            svc, ns = parts[0], parts[1]
        else:
            return None, None  # outside the cluster: assumed reachable
        obj = self.store.get("services", ns, svc)
        if obj is None:
            return "dns", None
        spec = obj.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = [p.get("port") for p in spec.get("ports") or []]
        selector = spec.get("selector")
        if not selector:
            return (None, ip) if port in ports else ("refused", ip)
        ready = False
        for p in self.store.items("pods", ns):
            labels = (p.get("metadata") or {}).get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()):
                sim = self.pods.get((ns, p["metadata"]["name"]))
                if sim is not None and sim.ready(t):
                    ready = True
                    break
        if ip in (None, "None"):
            return (None, None) if ready else ("dns", None)
        if port not in ports or not ready:
            return "refused", ip
        return None, ip

    def emit(self, pod: PodSim, t: float, type_: str, reason: str, message: str, field_path: str | None,
             component: str = "kubelet") -> None:
        meta = self.store.get("pods", pod.namespace, pod.name)
        ref = pod.ref(field_path)
        if meta is not None:
            ref["resourceVersion"] = meta["metadata"].get("resourceVersion", "")
        if component == "default-scheduler":
            self.recorder.emit(t, ref, type_, reason, message, component, "sim-control-plane", series_style=True,
                               action="Binding" if reason == "Scheduled" else "Scheduling")
        else:
            self.recorder.emit(t, ref, type_, reason, message, component, pod.node.name if pod.node else None)

    def pressure_check(self, node: NodeSim, t: float) -> None:
        """A pod started on a node short of memory: the eviction manager looks again ten seconds later."""
        if node.pressure is None or node.name in self._pressure_pending:
            return
        self._pressure_pending.add(node.name)
        self.at(max(t + 10.0, node.pressure[2]), functools.partial(self._evict_one, node))

    def _evict_one(self, node: NodeSim, t: float) -> None:
        """Evict the non-critical pod using the most memory over its requests; that relieves the pressure."""
        self._pressure_pending.discard(node.name)
        if node.pressure is None:
            return
        ranked = sorted(((sim.memory_over_request(t), key) for key, sim in self.pods.items()
                         if sim.node is node and not sim.critical()), reverse=True)
        if not ranked or ranked[0][0] <= 0:
            return
        key = ranked[0][1]
        sim = self.pods[key]
        sim.evict_for_pressure(t)
        node.pressure = None
        self._dirty.add(key)
        self._after_pod_step(key, sim, t)
        self._queue_pod(key)

    # --- the controllers' view (controllers.Api) ------------------------------------------------------

    def objects(self, storage: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.store.items(storage, namespace)

    def owned(self, storage: str, uid: str) -> list[dict[str, Any]]:
        return self.store.owned(storage, uid)

    def get_object(self, storage: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.get(storage, namespace, name)

    def pod_ready(self, namespace: str, name: str, t: float) -> bool:
        sim = self.pods.get((namespace, name))
        return sim is not None and sim.ready(t)

    def pod_phase(self, namespace: str, name: str, t: float) -> str:
        sim = self.pods.get((namespace, name))
        return sim.phase(t) if sim is not None else "Unknown"

    def create_object(self, storage: str, obj: dict[str, Any], t: float) -> dict[str, Any]:
        return self._create(by_plural(storage), obj["metadata"]["namespace"], obj, t)

    def write_object(self, storage: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.put(storage, obj)

    def delete_object(self, storage: str, namespace: str, name: str, t: float) -> None:
        with contextlib.suppress(ApiError):
            self._delete(by_plural(storage), namespace, name, t)

    def event(self, obj: Mapping[str, Any], t: float, type_: str, reason: str, message: str, component: str) -> None:
        m = obj["metadata"]
        ref = {"kind": obj["kind"], "namespace": m.get("namespace"), "name": m["name"], "uid": m["uid"],
               "apiVersion": obj["apiVersion"], "resourceVersion": m.get("resourceVersion", "")}
        self.recorder.emit(t, ref, type_, reason, message, component, None)

    # --- API operations --------------------------------------------------------------------------

    def _uid(self, kind: str, ns: str, name: str) -> str:
        n = next(self._uid_counter)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"podmortem-sim/{self.options.seed}/{kind}/{ns}/{name}/{n}"))

    def _check_namespace(self, rt: ResourceType, ns: str) -> None:
        if rt.namespaced and self.store.get("namespaces", "", ns) is None:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})

    def get(self, rt: ResourceType, ns: str, name: str) -> dict[str, Any]:
        obj = self.store.get(STORAGE_KEY[rt], ns if rt.namespaced else "", name)
        if obj is None:
            raise not_found(rt, name)
        return obj

    def create(self, rt: ResourceType, ns: str, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        with self.lock:
            self.sync()
            return self._create(rt, ns, obj, self.sim_time, dry_run)

    def _create(self, rt: ResourceType, ns: str, obj: dict[str, Any], t: float, dry_run: bool = False) -> dict[str, Any]:
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                                  "sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{''.join(self.rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
            else:
                raise ApiError(422, "Invalid", f"{rt.kind} \"\" is invalid: metadata.name: Required value: name or "
                                               "generateName is required",
                               {"kind": rt.kind, "causes": [{"reason": "FieldValueRequired", "message":
                                                             "Required value: name or generateName is required",
                                                             "field": "metadata.name"}]})
        name = meta["name"]
        self._check_namespace(rt, ns)
        storage = STORAGE_KEY[rt]
        if self.store.get(storage, ns if rt.namespaced else "", name) is not None:
            raise ApiError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists',
                           {"name": name, "group": rt.group, "kind": rt.plural} if rt.group else
                           {"name": name, "kind": rt.plural})
        meta["uid"] = self._uid(rt.kind, ns, name)
        meta["creationTimestamp"] = rfc3339(t)
        meta.pop("resourceVersion", None)
        meta.pop("deletionTimestamp", None)
        if rt.plural in WORKLOADS:
            meta["generation"] = 1
        self._validate(rt, obj)
        self._default(rt, obj, t)
        if dry_run:
            return obj
        if rt.plural == "pods":
            return self._create_pod(obj, t)
        stored = self.store.put(storage, obj)
        if rt.plural == "nodes":
            self._node_added(stored, t)
        elif rt.plural == "namespaces":
            self._namespace_added(stored, t)
        elif rt.plural in WORKLOADS:
            self._enqueue(rt.plural, ns, name)
            self._run_reconciles(t)
            stored = self.store.get(storage, ns, name) or stored
        return stored

    def _validate(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        where = f'{rt.kind} "{obj["metadata"]["name"]}"'
        causes: list[tuple[str, str]] = []
        pod_spec: Mapping[str, Any] | None = None
        prefix = "spec"
        if rt.plural == "pods":
            pod_spec = obj.get("spec") or {}
        elif rt.plural in WORKLOADS:
            pod_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
            prefix = "spec.template.spec"
            sel = (obj.get("spec") or {}).get("selector")
            if rt.plural != "jobs" and not sel:
                causes.append(("spec.selector", "Required value"))
        if pod_spec is not None:
            containers = pod_spec.get("containers") or []
            if not containers:
                causes.append((f"{prefix}.containers", "Required value"))
            for key in ("initContainers", "containers"):
                for i, c in enumerate(pod_spec.get(key) or []):
                    if not c.get("name"):
                        causes.append((f"{prefix}.{key}[{i}].name", "Required value"))
                    if not c.get("image"):
                        causes.append((f"{prefix}.{key}[{i}].image", "Required value"))
            meta = obj["metadata"] if rt.plural == "pods" else (((obj.get("spec") or {}).get("template") or {})
                                                                 .get("metadata") or {})
            try:
                profiles_of(meta, where)
            except InputError as exc:
                causes.append(("metadata.annotations", f"Invalid value: {exc.message}"))
        if causes:
            msg = f"{where} is invalid: " + ", ".join(f"{f}: {m}" for f, m in causes)
            raise ApiError(422, "Invalid", msg, {"name": obj["metadata"]["name"], "group": rt.group, "kind": rt.kind,
                                                 "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f}
                                                            for f, m in causes]})

    def _default(self, rt: ResourceType, obj: dict[str, Any], t: float) -> None:
        p = rt.plural
        if p == "pods":
            _default_pod_spec(obj.setdefault("spec", {}))
            obj["status"] = {"phase": "Pending"}
        elif p in WORKLOADS:
            spec = obj.setdefault("spec", {})
            tmpl = spec.setdefault("template", {})
            _default_pod_spec(tmpl.setdefault("spec", {}), template=True)
            tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
            if p in ("deployments", "replicasets", "statefulsets"):
                spec.setdefault("replicas", 1)
                spec.setdefault("revisionHistoryLimit", 10)
            if p == "deployments":
                spec.setdefault("strategy", {"type": "RollingUpdate",
                                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
                spec.setdefault("progressDeadlineSeconds", 600)
            if p == "statefulsets":
                spec.setdefault("podManagementPolicy", "OrderedReady")
                spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
                spec.setdefault("serviceName", "")
            if p == "jobs":
                spec.setdefault("backoffLimit", 6)
                spec.setdefault("completions", 1)
                spec.setdefault("parallelism", 1)
                spec.setdefault("completionMode", "NonIndexed")
                spec.setdefault("suspend", False)
                uid = obj["metadata"]["uid"]
                labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                          "controller-uid": uid, "job-name": obj["metadata"]["name"]}
                spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
                tmpl["metadata"]["labels"] = {**labels, **(tmpl["metadata"].get("labels") or {})}
            obj.setdefault("status", {})
        elif p == "services":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if spec.get("clusterIP") not in ("None",):
                n = next(self._service_ip)
                spec["clusterIP"] = spec.get("clusterIP") or f"10.96.{(n // 250) % 250}.{n % 250 + 1}"
            spec["clusterIPs"] = [spec["clusterIP"]]
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            obj.setdefault("status", {"loadBalancer": {}})
        elif p == "secrets":
            obj["type"] = obj.get("type") or "Opaque"
            string = obj.pop("stringData", None) or {}
            data = dict(obj.get("data") or {})
            for k, v in string.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            if data:
                obj["data"] = data
        elif p == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        elif p == "nodes":
            _default_node(obj, len(self.nodes))
        elif p == "serviceaccounts":
            pass

    def _namespace_added(self, ns_obj: Mapping[str, Any], t: float) -> None:
        ns = ns_obj["metadata"]["name"]
        if self.store.get("serviceaccounts", ns, "default") is None:
            self._create(by_plural("serviceaccounts"), ns, {"metadata": {"name": "default"}}, t)
        if self.store.get("configmaps", ns, "kube-root-ca.crt") is None:
            self._create(by_plural("configmaps"), ns, {"metadata": {"name": "kube-root-ca.crt", "annotations": {
                "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when "
                                             "using internal endpoints such as the internal service IP or "
                                             "kubernetes.default.svc. No other usage is guaranteed across "
                                             "distributions of Kubernetes clusters."}},
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhr"
                                   "\n-----END CERTIFICATE-----\n"}}, t)

    def _node_added(self, node: Mapping[str, Any], t: float) -> None:
        name = node["metadata"]["name"]
        addrs = {a.get("type"): a.get("address") for a in (node.get("status") or {}).get("addresses") or []}
        sim = NodeSim(name, len(self.nodes) + 1, str(addrs.get("InternalIP") or f"172.18.0.{len(self.nodes) + 2}"))
        annotations = node["metadata"].get("annotations") or {}
        pressure = annotations.get(MEMORY_PRESSURE)
        if pressure:
            sim.pressure = _parse_pressure(str(pressure), t)
        drivers = annotations.get(CSI_DRIVERS)
        if drivers:
            sim.csi_drivers = frozenset(d.strip() for d in str(drivers).split(",") if d.strip())
        self.nodes[name] = sim

    def _schedule(self, spec: dict[str, Any]) -> tuple[NodeSim | None, str | None]:
        if spec.get("nodeName"):
            return self.nodes.get(str(spec["nodeName"])), None
        candidates = []
        tolerations = spec.get("tolerations") or []
        selector = spec.get("nodeSelector") or {}
        for name in sorted(self.nodes):
            node_obj = self.store.get("nodes", "", name)
            if node_obj is None:
                continue
            labels = node_obj["metadata"].get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                continue
            taints = [x for x in (node_obj.get("spec") or {}).get("taints") or [] if x.get("effect") == "NoSchedule"]
            if any(not _tolerates(tolerations, x) for x in taints):
                continue
            candidates.append(self.nodes[name])
        if not candidates:
            n = len(self.nodes)
            why = "didn't match Pod's node affinity/selector" if selector else "had untolerated taint(s)"
            return None, (f"0/{n} nodes are available: {n} node(s) {why}. preemption: 0/{n} nodes are available: "
                          f"{n} Preemption is not helpful for scheduling.")
        node = candidates[self._sched % len(candidates)]
        self._sched += 1
        return node, None

    def _create_pod(self, obj: dict[str, Any], t: float) -> dict[str, Any]:
        spec = obj["spec"]
        node, why = self._schedule(spec)
        if node is not None:
            spec["nodeName"] = node.name
        stored = self.store.put("pods", obj)
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        sim = PodSim(stored, self, node, t, self.settings)
        if why:
            sim.unschedulable = why
        self.pods[key] = sim
        self._queue_pod(key)
        return stored

    def _remove_pod(self, key: tuple[str, str], t: float) -> None:
        self.pods.pop(key, None)
        self._queued.pop(key, None)
        self._observed.pop(key, None)
        self._dirty.discard(key)
        gone = self.store.remove("pods", key[0], key[1])
        if gone is not None:
            self._owner_changed(gone, t)

    def replace(self, rt: ResourceType, ns: str, name: str, obj: dict[str, Any], subresource: str | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        with self.lock:
            self.sync()
            current = self.get(rt, ns, name)
            meta = obj.get("metadata") or {}
            if meta.get("name") and meta["name"] != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            rv = meta.get("resourceVersion")
            if rv and rv != current["metadata"].get("resourceVersion"):
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the '
                                                "object has been modified; please apply your changes to the latest "
                                                "version and try again",
                               {"name": name, "group": rt.group, "kind": rt.plural})
            return self._update(rt, current, obj, self.sim_time, subresource, dry_run)

    def patch(self, rt: ResourceType, ns: str, name: str, body: bytes, content_type: str,
              subresource: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        with self.lock:
            self.sync()
            current = self.get(rt, ns, name)
            try:
                data = orjson.loads(body) if body.strip() else {}
            except orjson.JSONDecodeError:
                try:
                    data = yaml.safe_load(body)
                except yaml.YAMLError as exc:
                    raise ApiError(400, "BadRequest", f"error decoding patch: {exc}") from None
            ctype = content_type.split(";")[0].strip()
            try:
                if ctype == "application/json-patch+json":
                    new = json_patch(current, data)
                elif ctype == "application/merge-patch+json":
                    new = merge_patch(current, data)
                elif ctype == "application/strategic-merge-patch+json":
                    new = strategic_merge(current, data)
                elif ctype == "application/apply-patch+yaml":
                    raise ApiError(415, "UnsupportedMediaType", "server-side apply is not supported by the simulated "
                                                                "API server; use client-side kubectl apply")
                else:
                    raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown format - '
                                                                'accepted media types include: application/json-patch+json, '
                                                                'application/merge-patch+json, '
                                                                'application/strategic-merge-patch+json')
            except PatchError as exc:
                raise ApiError(422, "Invalid", str(exc)) from None
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch did not produce an object")
            rv = (data.get("metadata") or {}).get("resourceVersion") if isinstance(data, dict) else None
            if rv and rv != current["metadata"].get("resourceVersion"):
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the '
                                                "object has been modified; please apply your changes to the latest "
                                                "version and try again")
            return self._update(rt, current, new, self.sim_time, subresource, dry_run)

    def _update(self, rt: ResourceType, current: dict[str, Any], new: dict[str, Any], t: float,
                subresource: str | None, dry_run: bool) -> dict[str, Any]:
        new = clone(new)
        meta = new.setdefault("metadata", {})
        cur_meta = current["metadata"]
        for k in ("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp",
                  "deletionGracePeriodSeconds"):
            if k in cur_meta:
                meta[k] = cur_meta[k]
            else:
                meta.pop(k, None)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if subresource == "status":
            new = {**current, "status": new.get("status")}
        elif "status" in current:
            new["status"] = current["status"]  # status is the controllers' and the kubelet's to write
        storage = STORAGE_KEY[rt]
        if rt.plural == "pods" and new.get("spec") != current.get("spec"):
            self._check_pod_update(current, new)
        if rt.plural in WORKLOADS and subresource is None:
            self._validate(rt, new)
            if rt.plural != "jobs":
                _default_pod_spec(((new.setdefault("spec", {})).setdefault("template", {})).setdefault("spec", {}),
                                  template=True)
            if new.get("spec") != current.get("spec"):
                meta["generation"] = int(cur_meta.get("generation", 1)) + 1
        if rt.plural == "secrets" and "stringData" in new:
            string = new.pop("stringData") or {}
            data = dict(new.get("data") or {})
            for k, v in string.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            new["data"] = data
        if dry_run:
            return new
        if new == current:
            return current
        stored = self.store.put(storage, new)
        ns = cur_meta.get("namespace", "")
        if rt.plural in WORKLOADS:
            self._enqueue(rt.plural, ns, cur_meta["name"])
            self._run_reconciles(t)
            stored = self.store.get(storage, ns, cur_meta["name"]) or stored
        elif rt.plural == "pods":
            sim = self.pods.get((ns, cur_meta["name"]))
            if sim is not None:
                sim.meta = stored["metadata"]
        elif rt.plural == "nodes":
            pressure = (stored["metadata"].get("annotations") or {}).get(MEMORY_PRESSURE)
            node = self.nodes.get(cur_meta["name"])
            if node is not None:
                node.pressure = _parse_pressure(str(pressure), t) if pressure else None
        self.flush()
        return stored

    def _check_pod_update(self, current: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Pod specs are immutable apart from a few fields (images, deadlines, tolerations)."""
        def strip(spec: Mapping[str, Any]) -> dict[str, Any]:
            s = copy.deepcopy(dict(spec))
            for key in ("containers", "initContainers"):
                for c in s.get(key) or []:
                    c.pop("image", None)
            s.pop("activeDeadlineSeconds", None)
            s.pop("tolerations", None)
            return s

        if strip(current.get("spec") or {}) != strip(new.get("spec") or {}):
            name = current["metadata"]["name"]
            raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec: Forbidden: pod updates may not change fields '
                                           "other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                                           "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 "
                                           "if it was previously negative)",
                           {"name": name, "kind": "Pod", "causes": [{"reason": "FieldValueForbidden", "field": "spec"}]})
        raise ApiError(422, "Invalid", f'Pod "{current["metadata"]["name"]}" is invalid: spec.containers[*].image: '
                                       "Forbidden: changing the image of a running pod is not supported by the "
                                       "simulated API server; change the workload's template instead")

    def delete(self, rt: ResourceType, ns: str, name: str, grace: float | None = None,
               dry_run: bool = False) -> dict[str, Any]:
        with self.lock:
            self.sync()
            current = self.get(rt, ns, name)
            if dry_run:
                return current
            return self._delete(rt, ns, name, self.sim_time, grace)

    def _delete(self, rt: ResourceType, ns: str, name: str, t: float, grace: float | None = None) -> dict[str, Any]:
        storage = STORAGE_KEY[rt]
        key_ns = ns if rt.namespaced else ""
        current = self.store.get(storage, key_ns, name)
        if current is None:
            raise not_found(rt, name)
        if rt.plural == "pods":
            sim = self.pods.get((ns, name))
            if current["metadata"].get("deletionTimestamp"):
                return current
            g = float(grace if grace is not None else (current.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
            if sim is None or g <= 0 or sim.phase(t) in ("Succeeded", "Failed"):
                self._remove_pod((ns, name), t)
                self.flush()
                return {**current, "metadata": {**current["metadata"], "deletionTimestamp": rfc3339(t),
                                                "deletionGracePeriodSeconds": 0}}
            marked = self.store.put("pods", {**current, "metadata": {**current["metadata"],
                                                                     "deletionTimestamp": rfc3339(t + g),
                                                                     "deletionGracePeriodSeconds": int(g)}})
            sim.meta = marked["metadata"]
            sim.delete(t, g)
            self._dirty.add((ns, name))
            self._queue_pod((ns, name))
            self._owner_changed(marked, t)
            self._run_reconciles(t)
            self.flush()
            return marked
        if rt.plural == "namespaces":
            for r_storage in ("pods", "deployments", "replicasets", "statefulsets", "jobs", "services", "configmaps",
                              "secrets", "serviceaccounts", "events"):
                for obj in list(self.store.items(r_storage, name)):
                    if r_storage == "pods":
                        self._remove_pod((name, obj["metadata"]["name"]), t)
                    else:
                        self.store.remove(r_storage, name, obj["metadata"]["name"])
        gone = self.store.remove(storage, key_ns, name)
        if rt.plural == "nodes":
            self.nodes.pop(name, None)
        # Background cascading deletion: the garbage collector deletes what the object owned.
        uid = current["metadata"]["uid"]
        for dep_storage in ("replicasets", "pods"):
            for obj in list(self.store.owned(dep_storage, uid)):
                self._delete(by_plural(dep_storage), ns, obj["metadata"]["name"], t)
        self.flush()
        details: dict[str, Any] = {"name": name, "kind": rt.plural, "uid": uid}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details} \
            if gone is not None else current

    def apply_manifest(self, doc: Mapping[str, Any], t: float) -> dict[str, Any]:
        """Create or update an object as `kubectl apply` would, at virtual time t (scenario loading)."""
        rt = resource_for(str(doc.get("apiVersion")), str(doc.get("kind")))
        if rt is None:
            raise InputError(f"{doc.get('kind')} ({doc.get('apiVersion')}) is not a resource the simulator serves")
        obj = clone(dict(doc))
        meta = obj.setdefault("metadata", {})
        ann = dict(meta.get("annotations") or {})
        ann.pop(CREATED_AGO, None)
        applied = clone(obj)
        applied.pop("status", None)
        applied["metadata"] = {**applied["metadata"], "annotations": ann}
        ann[LAST_APPLIED] = orjson.dumps(applied).decode() + "\n"
        meta["annotations"] = ann
        ns = str(meta.get("namespace") or "default") if rt.namespaced else ""
        if rt.namespaced and self.store.get("namespaces", "", ns) is None:
            self._create(by_plural("namespaces"), "", {"metadata": {"name": ns}}, t)
        storage = STORAGE_KEY[rt]
        current = self.store.get(storage, ns, str(meta.get("name")))
        if current is None:
            return self._create(rt, ns, obj, t)
        merged = {**current, **{k: v for k, v in obj.items() if k != "metadata"},
                  "metadata": {**current["metadata"], "labels": meta.get("labels") or current["metadata"].get("labels"),
                               "annotations": ann}}
        return self._update(rt, current, merged, t, None, False)

    # --- logs ---------------------------------------------------------------------------------------

    def log_target(self, ns: str, name: str, container: str | None, previous: bool) -> tuple[PodSim, Any]:
        """The pod and container instance whose log a /log request reads, or an ApiError."""
        with self.lock:
            self.sync()
            pod = self.store.get("pods", ns, name)
            sim = self.pods.get((ns, name))
            if pod is None or sim is None:
                raise not_found(by_plural("pods"), name)
            apps = [c.name for c in sim.containers if not c.init]
            inits = [c.name for c in sim.containers if c.init]
            if not container:
                if len(apps) == 1:
                    container = apps[0]
                else:
                    msg = f"a container name must be specified for pod {name}, choose one of: [{' '.join(apps)}]"
                    if inits:
                        msg += f" or one of the init containers: [{' '.join(inits)}]"
                    raise ApiError(400, "BadRequest", msg)
            c = sim.container(container)
            if c is None:
                raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
            inst, err = sim.instance_for_logs(c, previous, self.sim_time)
            if err:
                raise ApiError(400, "BadRequest", err)
            return sim, inst


def _tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for tol in tolerations:
        if tol.get("operator") == "Exists" and not tol.get("key"):
            return True
        if (tol.get("key") == taint.get("key") and tol.get("effect") in (None, "", taint.get("effect"))
                and (tol.get("operator") == "Exists" or tol.get("value") == taint.get("value"))):
            return True
    return False


def _parse_pressure(text: str, t: float) -> tuple[int, int, float]:
    from podmortem.quantity import parse_bytes

    fields = dict(p.split("=", 1) for p in text.replace(" ", "").split(",") if "=" in p)
    threshold = parse_bytes(fields.get("threshold", "100Mi")) or 100 * 2**20
    available = parse_bytes(fields.get("available", "50Mi")) or 50 * 2**20
    since = t + parse_duration(fields.get("after", "0"), "memory-pressure after")
    return threshold, available, since


def _token_volume_name(seed: str) -> str:
    h = hashlib.sha1(seed.encode()).digest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "kube-api-access-" + "".join(alphabet[b % len(alphabet)] for b in h[:5])


def _default_container(c: dict[str, Any]) -> None:
    image = str(c.get("image") or "")
    c.setdefault("imagePullPolicy", image_pull_policy(image, None))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(key)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("path", "/")
                probe["httpGet"].setdefault("scheme", "HTTP")


def _default_pod_spec(spec: dict[str, Any], template: bool = False) -> None:
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if template:
        return
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    if spec.get("automountServiceAccountToken") is False:
        return
    volumes = spec.setdefault("volumes", [])
    if any(str(v.get("name", "")).startswith("kube-api-access-") for v in volumes):
        return
    vname = _token_volume_name(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS).decode())
    volumes.append({"name": vname, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "metadata.namespace"}}]}}]}})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            c.setdefault("volumeMounts", []).append({"name": vname, "readOnly": True,
                                                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})


def _default_node(obj: dict[str, Any], index: int) -> None:
    meta = obj["metadata"]
    name = meta["name"]
    labels = meta.setdefault("labels", {})
    for k, v in (("beta.kubernetes.io/arch", "amd64"), ("beta.kubernetes.io/os", "linux"),
                 ("kubernetes.io/arch", "amd64"), ("kubernetes.io/hostname", name), ("kubernetes.io/os", "linux")):
        labels.setdefault(k, v)
    meta.setdefault("annotations", {}).update({"node.alpha.kubernetes.io/ttl": "0",
                                               "volumes.kubernetes.io/controller-managed-attach-detach": "true"})
    spec = obj.setdefault("spec", {})
    spec.setdefault("podCIDR", f"10.244.{index + 1}.0/24")
    spec.setdefault("podCIDRs", [spec["podCIDR"]])
    spec.setdefault("providerID", f"kind://docker/sim/{name}")
    pressure = (meta.get("annotations") or {}).get(MEMORY_PRESSURE)
    if pressure:
        taints = spec.setdefault("taints", [])
        if not any(t.get("key") == "node.kubernetes.io/memory-pressure" for t in taints):
            taints.append({"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule",
                           "timeAdded": meta.get("creationTimestamp")})
    status = obj.setdefault("status", {})
    ts = meta.get("creationTimestamp")
    ip = f"172.18.0.{index + 2}"
    status.setdefault("addresses", [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}])
    cap = {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
           "memory": "16374584Ki", "pods": "110"}
    status.setdefault("capacity", cap)
    status.setdefault("allocatable", dict(cap))
    mem = ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available") if pressure else \
        ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")
    status.setdefault("conditions", [
        {"type": "MemoryPressure", "status": mem[0], "reason": mem[1], "message": mem[2],
         "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
         "message": "kubelet has no disk pressure", "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
         "message": "kubelet has sufficient PID available", "lastHeartbeatTime": ts, "lastTransitionTime": ts},
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
         "lastHeartbeatTime": ts, "lastTransitionTime": ts},
    ])
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    h = hashlib.md5(name.encode()).hexdigest()
    status.setdefault("nodeInfo", {
        "machineID": h, "systemUUID": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        "bootID": hashlib.md5((name + "boot").encode()).hexdigest(),
        "kernelVersion": "6.8.0-1021-azure", "osImage": "Debian GNU/Linux 12 (bookworm)",
        "containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": KUBE_VERSION,
        "kubeProxyVersion": KUBE_VERSION, "operatingSystem": "linux", "architecture": "amd64"})

