"""The kubelet model: how one pod's containers start, run, fail, restart and report, in virtual time.

A `PodSim` is a discrete-event simulation of one pod on one node, driven by `advance(t)`. It jumps
from one moment where something happens to the next (a container exits, a back-off ends, a probe
fails, a sync retries), so twenty minutes of a crash loop cost a few dozen steps and a pod can be
brought to any time without ticking. The rules are the kubelet's (kubernetes-facts.md sections
1-3 and 7): init containers in order before app containers, native sidecars, the crash-loop
back-off (10 s doubling to 5 min, reset after 10 minutes of running, tunable), probes, memory
limits, CreateContainerConfigError, StartError/RunContainerError, image pulls with their own
back-off, restartPolicy and the pod phase. What each program does when it runs comes from its
behaviour profile (profile.py); what it prints when it fails comes from messages.py.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from podmortem.backoff import BackoffSettings
from podmortem.quantity import parse_bytes
from podmortem.sim import messages
from podmortem.sim.profile import DEFAULT, Profile, profiles_of
from podmortem.sim.timefmt import ZERO_TIME, go_duration, rfc3339

MiB = 2**20
NODE_MEMORY_MIB = 16 * 1024
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@dataclass(frozen=True, slots=True)
class KubeletSettings:
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    sync_lag: float = 1.0  # PLEG notices an exit and the pod worker syncs again
    retry_period: float = 10.0  # a failed sync is retried after this (plus jitter)
    retry_jitter: float = 0.5
    reset_seconds: float = 600.0  # the back-off entry goes stale after this


class World(Protocol):
    """What a pod needs from the rest of the cluster."""

    def configmap(self, namespace: str, name: str) -> Mapping[str, Any] | None: ...
    def secret(self, namespace: str, name: str) -> Mapping[str, Any] | None: ...
    def resolve(self, namespace: str, host: str, port: int, t: float) -> tuple[str | None, str | None]: ...
    def emit(self, pod: PodSim, t: float, type_: str, reason: str, message: str, field_path: str | None,
             component: str = "kubelet") -> None: ...
    def pressure_check(self, node: NodeSim, t: float) -> None: ...


@dataclass
class NodeSim:
    name: str
    index: int
    ip: str
    images: set[str] = field(default_factory=set)
    pressure: tuple[int, int, float] | None = None  # (threshold bytes, available bytes, since)
    csi_drivers: frozenset[str] = frozenset()  # CSI drivers registered on the node
    next_ip: int = 2

    def allocate_ip(self) -> str:
        ip = f"10.244.{self.index}.{self.next_ip}"
        self.next_ip = self.next_ip + 1 if self.next_ip < 254 else 2
        return ip


@dataclass
class Instance:
    """One run of a container (one containerID)."""

    number: int
    container_id: str
    start: float | None  # None: it never started (StartError)
    end: float | None  # None: still running, no exit planned
    reason: str = "Error"
    exit_code: int = 0
    message: str | None = None
    logs: list[tuple[float, str]] = field(default_factory=list)
    repeat: tuple[tuple[str, ...], float] | None = None
    started_at: float | None = None  # the startup probe passed (or no startup probe)
    ready_changes: list[tuple[float, bool]] = field(default_factory=list)
    stopping_from: float | None = None  # killed: probes and readiness stop here
    vars: dict[str, str] = field(default_factory=dict)
    handled: bool = False  # the kubelet has seen this instance exit

    def running(self, t: float) -> bool:
        return self.start is not None and self.start <= t and (self.end is None or t < self.end)

    def ready(self, t: float) -> bool:
        if not self.running(t) or (self.stopping_from is not None and t >= self.stopping_from):
            return False
        value = False
        for when, v in self.ready_changes:
            if when > t:
                break
            value = v
        return value

    def started(self, t: float) -> bool:
        return self.running(t) and self.started_at is not None and self.started_at <= t

    def log_lines(self, until: float) -> list[tuple[float, str]]:
        lines = [(ts, text) for ts, text in self.logs if ts <= until]
        if self.repeat and self.start is not None:
            texts, every = self.repeat
            stop = min(until, self.end if self.end is not None else until)
            k = 1
            t = self.start + every
            extra: list[tuple[float, str]] = []
            while t <= stop and len(extra) < 5000:
                extra.append((t, texts[(k - 1) % len(texts)]))
                k += 1
                t = self.start + every * k
            if extra:
                lines = sorted(lines + extra, key=lambda x: x[0])
        return lines


@dataclass
class ContainerSim:
    spec: dict[str, Any]
    init: bool
    sidecar: bool
    profile: Profile
    index: int
    instances: list[Instance] = field(default_factory=list)
    total: int = 0
    waiting: tuple[str, str] | None = None
    next_attempt: float | None = None
    backoff: tuple[float, float] | None = None  # (delay, last update)
    done: bool = False  # exited and will not run again
    pulled_until: float | None = None  # an image pull in progress ends then

    @property
    def name(self) -> str:
        return str(self.spec.get("name"))

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    @property
    def latest(self) -> Instance | None:
        return self.instances[-1] if self.instances else None

    @property
    def previous(self) -> Instance | None:
        return self.instances[-2] if len(self.instances) > 1 else None

    @property
    def restart_count(self) -> int:
        return max(self.total - 1, 0)

    def exited(self, t: float) -> bool:
        last = self.latest
        return last is not None and last.end is not None and last.end <= t


def _hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def normalize_image(image: str) -> str:
    """docker.io/library/nginx:1.25 for nginx:1.25, as containerd reports status.image."""
    name = image
    digest = ""
    if "@" in name:
        name, digest = name.split("@", 1)
        digest = "@" + digest
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    return name + digest


def image_pull_policy(image: str, policy: str | None) -> str:
    if policy:
        return policy
    last = image.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    return "Always" if ":" not in last or last.endswith(":latest") else "IfNotPresent"


def memory_limit_mib(spec: Mapping[str, Any], key: str = "limits") -> float | None:
    value = ((spec.get("resources") or {}).get(key) or {}).get("memory")
    b = parse_bytes(value) if value is not None else None
    return b / MiB if b else None


def _heap_limit_mib(profile: Profile, spec: Mapping[str, Any], env: Mapping[str, str], limit: float | None) -> float | None:
    """The language runtime's own heap cap: JVM -Xmx / MaxRAMPercentage, Node --max-old-space-size."""
    words = [str(w) for w in (spec.get("command") or []) + (spec.get("args") or [])]
    if profile.runtime == "java":
        # JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, JAVA_OPTS, _JAVA_OPTIONS and launcher variables like ES_JAVA_OPTS.
        for var, value in env.items():
            if var.endswith("JAVA_OPTS") or var in ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"):
                words += value.split()
        xmx = None
        pct = 25.0
        for w in words:
            m = re.fullmatch(r"-Xmx(\d+)([kKmMgG]?)", w)
            if m:
                mult = {"": 1 / MiB, "k": 1 / 1024, "m": 1, "g": 1024}[m.group(2).lower()]
                xmx = int(m.group(1)) * mult
            m = re.fullmatch(r"-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)", w)
            if m:
                pct = float(m.group(1))
        if xmx is not None:
            return xmx
        return (limit or NODE_MEMORY_MIB) * pct / 100
    if profile.runtime == "node":
        words += env.get("NODE_OPTIONS", "").split()
        for w in words:
            m = re.fullmatch(r"--max-old-space-size=(\d+)", w)
            if m:
                return float(m.group(1))
        return min(4096.0, (limit or NODE_MEMORY_MIB) * 0.5)
    return None


_RUNTIME_OVERHEAD = {"java": 96.0, "node": 48.0}


def _template(text: str, values: Mapping[str, str]) -> str:
    if "{{" not in text:
        return text
    return re.sub(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _time_values(t: float) -> dict[str, str]:
    import time as _t

    whole = int(t)
    ms = int((t - whole) * 1000)
    g = _t.gmtime(whole)
    return {
        "gots": _t.strftime("%Y/%m/%d %H:%M:%S", g),
        "pyts": _t.strftime("%Y-%m-%d %H:%M:%S", g) + f",{ms:03d}",
        "iso": _t.strftime("%Y-%m-%dT%H:%M:%S", g) + f".{ms:03d}Z",
        "clf": _t.strftime("%d/%b/%Y:%H:%M:%S +0000", g),
    }


class PodSim:
    """One pod on one node, simulated from its creation on."""

    def __init__(self, pod: Mapping[str, Any], world: World, node: NodeSim | None, created: float,
                 settings: KubeletSettings, ip: str | None = None) -> None:
        meta = pod.get("metadata") or {}
        self.name = str(meta.get("name"))
        self.namespace = str(meta.get("namespace") or "default")
        self.uid = str(meta.get("uid"))
        self.meta = meta
        self.spec: dict[str, Any] = dict(pod.get("spec") or {})
        self.world = world
        self.node = node
        self.settings = settings
        self.created = created
        self.rng = random.Random(self.uid)
        profiles = profiles_of(meta, f"pod {self.namespace}/{self.name}")
        self.containers: list[ContainerSim] = []
        idx = 0
        for init, key in ((True, "initContainers"), (False, "containers")):
            for c in self.spec.get(key) or []:
                prof = profiles.get(str(c.get("name")), DEFAULT)
                if prof.image is not None and prof.image != c.get("image"):
                    prof = DEFAULT  # the profile describes another image than the one now in the spec
                self.containers.append(ContainerSim(dict(c), init, init and c.get("restartPolicy") == "Always", prof, idx))
                idx += 1
        self._init_list = [c for c in self.containers if c.init]
        self._app_list = [c for c in self.containers if not c.init]
        self.policy = str(self.spec.get("restartPolicy") or "Always")
        self.scheduled_at: float | None = None
        self.sandbox_at: float | None = None
        self.ip = ip
        self.pending: list[tuple[float, int, Callable[[float], None]]] = []
        self._seq = 0
        self.now = created
        self.failed_reason: tuple[str, str] | None = None  # pod-level (Evicted, ...)
        self.phase_final: str | None = None
        self.deleting_at: float | None = None
        self.gone_at: float | None = None
        self.finished = False  # deleted and gone: nothing happens any more
        self.volumes_ok_at: float | None = None
        self.mount_retry: tuple[float, float] | None = None  # (next retry, current delay)
        self.mount_timeout_at: float | None = None
        self.conditions: dict[str, tuple[bool, float, str | None, str | None]] = {}
        self.unschedulable: str | None = None
        self.evicted_at: float | None = None
        self.evict_info: tuple[str, str] | None = None
        self._init_done_at: float | None = None
        self.image_backoff: dict[str, tuple[float, float, float]] = {}  # image -> (delay, updated, last failure)
        if node is not None:
            self._at(created, self._schedule)
        else:
            self._at(created, self._unschedulable)

    # --- the event loop ------------------------------------------------------------------------

    def _at(self, t: float, fn: Callable[[float], None]) -> None:
        self._seq += 1
        heapq.heappush(self.pending, (t, self._seq, fn))

    def next_time(self) -> float | None:
        if self.finished:
            return None
        times = []
        if self.pending:
            times.append(self.pending[0][0])
        for c in self.containers:
            last = c.latest
            if last is not None and last.end is not None and not last.handled:
                times.append(last.end)
            if c.next_attempt is not None:
                times.append(c.next_attempt)
        if self.mount_retry is not None:
            times.append(self.mount_retry[0])
        if self.gone_at is not None:
            times.append(self.gone_at)
        return min(times) if times else None

    def advance(self, until: float) -> bool:
        """Process everything that happens up to `until`; True if anything did."""
        changed = False
        guard = 0
        while True:
            t = self.next_time()
            if t is None or t > until:
                break
            t = max(t, self.now)
            self.now = t
            self.step(t)
            changed = True
            guard += 1
            if guard > 100_000:
                raise RuntimeError(f"pod {self.namespace}/{self.name}: simulation does not progress at {t}")
        self.now = max(self.now, until)
        return changed

    def step(self, t: float) -> None:
        while self.pending and self.pending[0][0] <= t:
            when, _, fn = heapq.heappop(self.pending)
            fn(when)
        for c in self.containers:
            last = c.latest
            if last is not None and last.end is not None and last.end <= t and not last.handled:
                last.handled = True
                self._exited(c, last.end)
        if self.gone_at is not None and self.gone_at <= t:
            self.finished = True
            return
        if self.mount_retry is not None and self.mount_retry[0] <= t:
            self._mount(t)
        self._sync(t)
        self._update_conditions(t)

    # --- scheduling, sandbox, volumes ----------------------------------------------------------

    def ref(self, field_path: str | None = None) -> dict[str, Any]:
        ref = {"kind": "Pod", "namespace": self.namespace, "name": self.name, "uid": self.uid, "apiVersion": "v1",
               "resourceVersion": str(self.meta.get("resourceVersion") or "")}
        if field_path:
            ref["fieldPath"] = field_path
        return ref

    def _unschedulable(self, t: float) -> None:
        self.unschedulable = self.unschedulable or "0/0 nodes are available: no nodes available to schedule pods."
        self.world.emit(self, t, "Warning", "FailedScheduling", self.unschedulable, None, "default-scheduler")

    def _schedule(self, t: float) -> None:
        assert self.node is not None
        self.scheduled_at = t
        self.world.emit(self, t, "Normal", "Scheduled",
                        f"Successfully assigned {self.namespace}/{self.name} to {self.node.name}", None, "default-scheduler")
        self._at(t + 1.0, self._sandbox)

    def _sandbox(self, t: float) -> None:
        assert self.node is not None
        self.sandbox_at = t
        if self.ip is None:
            self.ip = self.node.ip if self.spec.get("hostNetwork") else self.node.allocate_ip()
        self._mount(t)

    def _volume_errors(self) -> list[tuple[str, str]]:
        errors = []
        for v in self.spec.get("volumes") or []:
            name = str(v.get("name"))
            csi = v.get("csi")
            if isinstance(csi, Mapping):
                driver = str(csi.get("driver") or "")
                if self.node is None or driver not in self.node.csi_drivers:
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : kubernetes.io/csi: '
                                         f"mounter.SetUpAt failed to get CSI client: driver name {driver} not found "
                                         "in the list of registered CSI drivers"))
                continue
            nfs = v.get("nfs")
            if isinstance(nfs, Mapping):
                server = str(nfs.get("server") or "")
                how, _ = self.world.resolve(self.namespace, server, 2049, self.now)
                if how:
                    export = f"{server}:{nfs.get('path') or '/'}"
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : mount failed: exit status 32\n'
                                         "Mounting command: mount\nMounting arguments: -t nfs "
                                         f"{export} /var/lib/kubelet/pods/{self.uid}/volumes/kubernetes.io~nfs/{name}\n"
                                         + (f"Output: mount.nfs: Failed to resolve server {server}: Name or service not known"
                                            if how == "dns" else "Output: mount.nfs: Connection refused")))
                continue
            for kind, key, label in (("configMap", "name", "configmap"), ("secret", "secretName", "secret")):
                src = v.get(kind)
                if not isinstance(src, Mapping) or src.get("optional"):
                    continue
                ref = str(src.get(key) or "")
                obj = self.world.configmap(self.namespace, ref) if kind == "configMap" else self.world.secret(self.namespace, ref)
                if obj is None:
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : {label} "{ref}" not found'))
                    continue
                data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {}), **(obj.get("stringData") or {})}
                for item in src.get("items") or []:
                    if item.get("key") not in data:
                        errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : {label} references '
                                             f'non-existent config key: {item.get("key")}'
                                       if kind == "configMap" else
                                       f'MountVolume.SetUp failed for volume "{name}" : references non-existent '
                                       f'secret key: {item.get("key")}'))
                        break
        return errors

    def _mount(self, t: float) -> None:
        errors = self._volume_errors()
        if not errors:
            self.mount_retry = None
            if self.volumes_ok_at is None:
                self.volumes_ok_at = t
                for c in self._startable(t):
                    c.next_attempt = t
            return
        for _, msg in errors:
            self.world.emit(self, t, "Warning", "FailedMount", msg, None)
        if self.mount_timeout_at is None:
            self.mount_timeout_at = t + 121
        elif t >= self.mount_timeout_at:
            # The pod worker gives up waiting after about two minutes, logs this, and tries again.
            names = sorted({n for n, _ in errors})
            all_vols = sorted(str(v.get("name")) for v in self.spec.get("volumes") or [])
            self.world.emit(self, t, "Warning", "FailedMount",
                            f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(names)}], "
                            f"unattached volumes=[{' '.join(all_vols)}]: timed out waiting for the condition", None)
            self.mount_timeout_at = t + 121
        # The volume manager retries with exponential back-off from 500 ms up to 2m2s.
        delay = 0.5 if self.mount_retry is None else min(self.mount_retry[1] * 2, 122.0)
        self.mount_retry = (t + delay, delay)

    # --- which containers may start --------------------------------------------------------------

    def _inits(self) -> list[ContainerSim]:
        return self._init_list

    def _apps(self) -> list[ContainerSim]:
        return self._app_list

    def initialized(self, t: float) -> bool:
        if self._init_done_at is not None and t >= self._init_done_at:
            return True
        for c in self._inits():
            if c.sidecar:
                if not (c.latest and c.latest.started(t)):
                    return False
            elif not (c.done and c.latest is not None and c.latest.exit_code == 0 and c.latest.reason == "Completed"):
                return False
        return True

    def _startable(self, t: float) -> list[ContainerSim]:
        """Containers the kubelet would (re)start now, in the order computePodActions picks them."""
        if self.volumes_ok_at is None or self.phase_final or self.deleting_at is not None:
            return []
        out = []
        if self._init_done_at is not None:
            # Initialised once: sidecars restart on their own and no longer hold the app containers back.
            out = [c for c in self._inits() if c.sidecar and (c.latest is None or (c.exited(t) and not c.done))]
            return out + [c for c in self._apps() if c.latest is None or (c.exited(t) and not c.done)]
        for c in self._inits():
            if c.sidecar:
                if c.latest is None or (c.exited(t) and not c.done):
                    out.append(c)
                if not (c.latest and c.latest.started(t)):
                    return out  # the next init container waits for this sidecar to have started
                continue
            if c.done and c.latest is not None and c.latest.exit_code == 0:
                continue
            if c.latest is None or (c.exited(t) and not c.done):
                out.append(c)
            return out
        if self._init_done_at is None:
            self._init_done_at = t
        for c in self._apps():
            if c.latest is None or (c.exited(t) and not c.done):
                out.append(c)
        return out

    def _sync(self, t: float) -> None:
        for c in self.containers:
            if c.next_attempt is not None and c.next_attempt <= t:
                c.next_attempt = None
                if c in self._startable(t):
                    self._attempt(c, t)
        # Newly startable containers (a previous init finished) get their first attempt.
        for c in self._startable(t):
            if c.next_attempt is None and c.latest is None and c.waiting is None and c.pulled_until is None:
                self._attempt(c, t)
            elif c.next_attempt is None and c.latest is None and c.pulled_until is None:
                c.next_attempt = t + self._retry()

    def _retry(self) -> float:
        s = self.settings
        return s.retry_period * (1 + s.retry_jitter * self.rng.random())

    # --- starting a container --------------------------------------------------------------------

    def _pod_ref_text(self) -> str:
        return f"{self.name}_{self.namespace}({self.uid})"

    def _emit(self, c: ContainerSim | None, t: float, type_: str, reason: str, message: str) -> None:
        self.world.emit(self, t, type_, reason, message, c.field_path if c else None)

    def _attempt(self, c: ContainerSim, t: float) -> None:
        last = c.latest
        if last is not None and last.end is not None:
            finished = last.end
            entry = c.backoff
            fresh = entry is not None and finished - entry[1] <= self.settings.reset_seconds
            if entry is not None and fresh and t - finished < entry[0]:
                delay = entry[0]
                c.waiting = ("CrashLoopBackOff", f"back-off {go_duration(delay)} restarting failed container="
                                                 f"{c.name} pod={self._pod_ref_text()}")
                self._emit(c, t, "Warning", "BackOff",
                           f"Back-off restarting failed container {c.name} in pod {self._pod_ref_text()}")
                c.next_attempt = min(finished + delay, t + self._retry())
                return
            b = self.settings.backoff
            if entry is None or not fresh:
                c.backoff = (float(b.initial_seconds), t)
            else:
                c.backoff = (float(min(entry[0] * 2, b.max_seconds)), t)
        self._start(c, t)

    def _start(self, c: ContainerSim, t: float) -> None:
        image = str(c.spec.get("image") or "")
        prof = c.profile
        node = self.node
        assert node is not None
        if c.pulled_until is not None and c.pulled_until <= t:
            c.pulled_until = None
        elif prof.pull_error:
            self._pull_failed(c, t, image)
            return
        else:
            policy = image_pull_policy(image, c.spec.get("imagePullPolicy"))
            present = normalize_image(image) in node.images
            if policy == "Never" and not present:
                c.waiting = ("ErrImageNeverPull",
                             f'Container image "{image}" is not present with pull policy of Never')
                self._emit(c, t, "Warning", "ErrImageNeverPull", c.waiting[1])
                self._emit(c, t, "Warning", "Failed", "Error: ErrImageNeverPull")
                c.next_attempt = t + self._retry()
                return
            if policy == "Always" or not present:
                h = int(_hash(image)[:8], 16)
                secs = (0.35 + (h % 1000) / 1000) if present else (1.2 + (h % 7000) / 1000)
                size = prof.image_size or (20_000_000 + h % 180_000_000)
                self._emit(c, t, "Normal", "Pulling", f'Pulling image "{image}"')
                done = t + secs
                pretty = f"{secs:.3f}".rstrip("0").rstrip(".") + "s" if secs >= 1 else f"{int(secs * 1000)}ms"
                node.images.add(normalize_image(image))
                pulled = (f'Successfully pulled image "{image}" in {pretty} ({pretty} including waiting). '
                          f"Image size: {size} bytes.")
                self._at(done, self._emitter(c, "Normal", "Pulled", pulled))
                c.pulled_until = done
                c.next_attempt = done
                if c.waiting is None:
                    c.waiting = (self._default_waiting(), "")
                return
            self._emit(c, t, "Normal", "Pulled", f'Container image "{image}" already present on machine')
        err = self._config_error(c)
        if err:
            c.waiting = ("CreateContainerConfigError", err)
            self._emit(c, t, "Warning", "Failed", f"Error: {err}")
            c.next_attempt = t + self._retry()
            return
        self._emit(c, t, "Normal", "Created", f"Created container {c.name}")
        c.total += 1
        cid = "containerd://" + _hash(self.uid, c.name, str(c.total))
        start_err = self._start_error(c)
        if start_err:
            msg = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
                   f"failed: unable to start container process: error during container init: {start_err}: unknown")
            inst = Instance(c.total - 1, cid, None, t, "StartError", 128, msg)
            self._push(c, inst)
            self._emit(c, t, "Warning", "Failed", f"Error: {msg}")
            c.waiting = ("RunContainerError", msg)
            return
        self._emit(c, t, "Normal", "Started", f"Started container {c.name}")
        c.waiting = None
        inst = self._plan(c, t, cid)
        self._push(c, inst)
        # Wake up when the container counts as started or changes readiness: the pod's status changes then.
        for when in [inst.started_at, *(w for w, _ in inst.ready_changes)]:
            if when is not None:
                self._at(when, _noop)
        if not c.init and self.node is not None and self.node.pressure is not None:
            self.world.pressure_check(self.node, t)

    def _push(self, c: ContainerSim, inst: Instance) -> None:
        c.instances.append(inst)
        if len(c.instances) > 2:
            del c.instances[0]  # the runtime keeps one dead instance per container

    def _default_waiting(self) -> str:
        return "PodInitializing" if self._inits() else "ContainerCreating"

    def _pull_failed(self, c: ContainerSim, t: float, image: str) -> None:
        state = self.image_backoff.get(image)
        if state is not None and t - state[2] < state[0]:
            c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self._emit(c, t, "Normal", "BackOff", f'Back-off pulling image "{image}"')
            self._emit(c, t, "Warning", "Failed", "Error: ImagePullBackOff")
            c.next_attempt = min(state[2] + state[0], t + self._retry())
            return
        err = self._pull_error_text(image, c.profile.pull_error or "not-found")
        self._emit(c, t, "Normal", "Pulling", f'Pulling image "{image}"')
        self._emit(c, t, "Warning", "Failed", f'Failed to pull image "{image}": {err}')
        self._emit(c, t, "Warning", "Failed", "Error: ErrImagePull")
        c.waiting = ("ErrImagePull", err)
        b = self.settings.backoff
        if state is None or t - state[1] > 2 * 300:
            delay = float(b.initial_seconds)
        else:
            delay = float(min(state[0] * 2, 300))
        self.image_backoff[image] = (delay, t, t)
        c.next_attempt = t + self._retry()

    @staticmethod
    def _pull_error_text(image: str, kind: str) -> str:
        ref = normalize_image(image)
        repo = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0]
        host = ref.split("/", 1)[0]
        if kind == "unauthorized":
            return (f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to resolve '
                    f'reference "{ref}": pull access denied, repository does not exist or may require authorization: '
                    "server message: insufficient_scope: authorization failed")
        if kind == "timeout":
            return (f'rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "{ref}": failed to '
                    f'resolve reference "{ref}": failed to do request: Head "https://{host}/v2/'
                    f'{repo.split("/", 1)[1]}/manifests/{ref.rsplit(":", 1)[-1]}": dial tcp 203.0.113.10:443: i/o timeout')
        return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
                f'reference "{ref}": {ref}: not found')

    # --- configuration errors (CreateContainerConfigError) ----------------------------------------

    def _lookup(self, kind: str, name: str) -> Mapping[str, Any] | None:
        return self.world.configmap(self.namespace, name) if kind == "configmap" else self.world.secret(self.namespace, name)

    @staticmethod
    def _data(obj: Mapping[str, Any]) -> dict[str, Any]:
        return {**(obj.get("data") or {}), **(obj.get("binaryData") or {}), **(obj.get("stringData") or {})}

    def resolve_env(self, c: ContainerSim) -> tuple[dict[str, str], str | None]:
        """The container's environment, or the kubelet's error text for the first bad reference."""
        env: dict[str, str] = {}
        for ef in c.spec.get("envFrom") or []:
            for kind, key in (("configmap", "configMapRef"), ("secret", "secretRef")):
                ref = ef.get(key)
                if not isinstance(ref, Mapping):
                    continue
                obj = self._lookup(kind, str(ref.get("name")))
                if obj is None:
                    if ref.get("optional"):
                        continue
                    return env, f'{kind} "{ref.get("name")}" not found'
                for k, v in self._data(obj).items():
                    env[f"{ef.get('prefix') or ''}{k}"] = str(v) if kind == "configmap" else "<secret>"
        for e in c.spec.get("env") or []:
            name = str(e.get("name"))
            vf = e.get("valueFrom")
            if not isinstance(vf, Mapping):
                env[name] = _template(str(e.get("value") or ""), {k: v for k, v in env.items()}) \
                    if "$(" not in str(e.get("value") or "") else self._expand(str(e.get("value") or ""), env)
                continue
            for kind, key, label in (("configmap", "configMapKeyRef", "ConfigMap"), ("secret", "secretKeyRef", "Secret")):
                ref = vf.get(key)
                if not isinstance(ref, Mapping):
                    continue
                obj = self._lookup(kind, str(ref.get("name")))
                if obj is None:
                    if ref.get("optional"):
                        break
                    return env, f'{kind} "{ref.get("name")}" not found'
                data = self._data(obj)
                if ref.get("key") not in data:
                    if ref.get("optional"):
                        break
                    return env, f"couldn't find key {ref.get('key')} in {label} {self.namespace}/{ref.get('name')}"
                env[name] = str(data[str(ref.get("key"))]) if kind == "configmap" else "<secret>"
                break
            else:
                fr = vf.get("fieldRef")
                if isinstance(fr, Mapping):
                    path = str(fr.get("fieldPath"))
                    env[name] = {"metadata.name": self.name, "metadata.namespace": self.namespace,
                                 "status.podIP": self.ip or "", "spec.nodeName": self.node.name if self.node else "",
                                 "metadata.uid": self.uid}.get(path, "")
                elif isinstance(vf.get("resourceFieldRef"), Mapping):
                    env[name] = "0"
        return env, None

    @staticmethod
    def _expand(value: str, env: Mapping[str, str]) -> str:
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), value)

    def _security(self, c: ContainerSim) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return (self.spec.get("securityContext") or {}), (c.spec.get("securityContext") or {})

    def effective_uid(self, c: ContainerSim) -> int | str:
        pod_sc, sc = self._security(c)
        for source in (sc, pod_sc):
            if isinstance(source.get("runAsUser"), int):
                return int(source["runAsUser"])
        return c.profile.image_user

    def _config_error(self, c: ContainerSim) -> str | None:
        _, err = self.resolve_env(c)
        if err:
            return err
        pod_sc, sc = self._security(c)
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root:
            who = f'(pod: "{self._pod_ref_text()}", container: {c.name})'
            run_as = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if isinstance(run_as, int):
                if run_as == 0:
                    return f"container's runAsUser breaks non-root policy {who}"
                return None
            user = c.profile.image_user
            if isinstance(user, str):
                if user.isdigit():
                    user = int(user)
                else:
                    return (f"container has runAsNonRoot and image has non-numeric user ({user}), cannot verify user "
                            f"is non-root {who}")
            if user == 0:
                return f"container has runAsNonRoot and image will run as root {who}"
        return None

    def _start_error(self, c: ContainerSim) -> str | None:
        """runc's error when the entrypoint cannot be executed, or None."""
        command = [str(x) for x in (c.spec.get("command") or [])]
        if not command or not c.profile.executables:
            return None
        exe = command[0]
        files = set(c.profile.executables)
        if exe.startswith("/"):
            if exe in files:
                return None
            return f'exec: "{exe}": stat {exe}: no such file or directory'
        if any(f"{d}/{exe}" in files for d in PATH_DIRS) or exe in files:
            return None
        return f'exec: "{exe}": executable file not found in $PATH'

    # --- what the program does once started ------------------------------------------------------

    def _mounts(self, c: ContainerSim) -> list[tuple[str, Mapping[str, Any], bool, str | None]]:
        vols = {str(v.get("name")): v for v in self.spec.get("volumes") or []}
        out = []
        for m in c.spec.get("volumeMounts") or []:
            v = vols.get(str(m.get("name")))
            if v is not None:
                out.append((str(m.get("mountPath") or "").rstrip("/") or "/", v, bool(m.get("readOnly")), m.get("subPath")))
        out.sort(key=lambda x: len(x[0]), reverse=True)
        return out

    def _file(self, c: ContainerSim, path: str) -> tuple[bool, str | None]:
        """(exists, content when known) of a file the program reads."""
        for mount, vol, _, sub in self._mounts(c):
            if path != mount and not path.startswith(mount + "/"):
                continue
            rel = path[len(mount) + 1:] if path != mount else ""
            for kind in ("configMap", "secret"):
                src = vol.get(kind)
                if not isinstance(src, Mapping):
                    continue
                obj = self._lookup("configmap" if kind == "configMap" else "secret",
                                   str(src.get("name") or src.get("secretName") or ""))
                if obj is None:
                    return False, None
                data = self._data(obj)
                items = {str(i.get("path")): str(i.get("key")) for i in src.get("items") or []}
                if sub:
                    key = items.get(str(sub), str(sub)) if items else str(sub)
                    if rel:
                        return False, None
                    return (key in data), (str(data[key]) if key in data and kind == "configMap" else None)
                found = items.get(rel) if items else rel
                if found is None or found not in data:
                    return False, None
                return True, str(data[found]) if kind == "configMap" else None
            if "emptyDir" in vol:
                return False, None
            return True, None  # a PVC, hostPath or projected volume: assume the file is there
        return False, None

    def _writable(self, c: ContainerSim, path: str) -> str | None:
        """None when the program may create files under path, else 'readonly' or 'denied'."""
        pod_sc, sc = self._security(c)
        uid = self.effective_uid(c)
        for mount, vol, ro, _ in self._mounts(c):
            if path != mount and not path.startswith(mount + "/"):
                continue
            if ro or "configMap" in vol or "secret" in vol or "downwardAPI" in vol or "projected" in vol:
                return "readonly"
            if "emptyDir" in vol:
                return None
            if uid == 0 or pod_sc.get("fsGroup") is not None:
                return None
            return "denied"
        if sc.get("readOnlyRootFilesystem"):
            return "readonly"
        # The image's own directories belong to root or to its USER; another uid may not write there.
        if uid == 0 or str(uid) == str(c.profile.image_user):
            return None
        return "denied"

    def _port_conflict(self, c: ContainerSim, port: int) -> bool:
        for other in self.containers:
            if other is c or (other.init and not other.sidecar):
                continue
            if other.index >= c.index and not other.sidecar:
                continue
            if port in other.profile.listening_ports(_spec_ports(other.spec)):
                return True
        return False

    def _startup_failure(self, c: ContainerSim, env: Mapping[str, str]) -> tuple[list[str], int] | None:
        prof = c.profile
        rt = prof.runtime
        for name in prof.needs_env:
            if not env.get(name):
                return messages.missing_env(rt, name)
        for path in prof.needs_files:
            exists, _ = self._file(c, path)
            if not exists:
                return messages.file_missing(rt, path)
        if prof.config_file:
            exists, content = self._file(c, prof.config_file.path)
            if not exists:
                return messages.file_missing(rt, prof.config_file.path)
            if content is not None:
                bad = messages.config_invalid(rt, prof.config_file.path, prof.config_file.format, content)
                if bad:
                    return bad
        for path in prof.writes:
            problem = self._writable(c, path)
            if problem:
                return messages.write_failed(rt, path, problem == "readonly")
        uid = self.effective_uid(c)
        caps = ((c.spec.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        for port in prof.listening_ports(_spec_ports(c.spec)):
            if port < 1024 and uid != 0 and "NET_BIND_SERVICE" not in caps and not self.spec.get("hostNetwork"):
                return messages.bind_denied(rt, port)
            if self._port_conflict(c, port):
                return messages.port_in_use(rt, port)
        return None

    def _unreachable(self, c: ContainerSim, t: float) -> tuple[list[str], int] | None:
        """The error the program prints when a service it connects to at start-up cannot be reached at t."""
        for target in c.profile.connects_to:
            host, port = _split_target(target)
            how, ip = self.world.resolve(self.namespace, host, port, t)
            if how:
                return messages.dependency_unreachable(c.profile.runtime, host, port, ip, how)
        return None

    def _dependency_check(self, c: ContainerSim, inst: Instance, when: float) -> None:
        """The program gave its dependencies failAfterSeconds to answer: exit now if one still does not."""
        if c.latest is not inst or not inst.running(when):
            return
        failure = self._unreachable(c, when)
        if failure is None:
            return
        lines, code = failure
        inst.end, inst.reason, inst.exit_code = when, "Error", code
        inst.stopping_from = None
        inst.logs = [x for x in inst.logs if x[0] < when]
        for i, line in enumerate(lines):
            ts = when - 0.002 * (len(lines) - i)
            inst.logs.append((ts, _template(line, {**inst.vars, **_time_values(ts)})))

    def _plan(self, c: ContainerSim, t: float, cid: str) -> Instance:
        prof = c.profile
        inst = Instance(c.total - 1, cid, t, None)
        env, _ = self.resolve_env(c)
        values = {**_time_values(t), "pod": self.name, "namespace": self.namespace, "container": c.name,
                  "node": self.node.name if self.node else "", "podIP": self.ip or "", "restart": str(c.restart_count)}
        for k, v in env.items():
            values[f"env:{k}"] = v
        inst.vars = values
        for i, line in enumerate(prof.logs):
            inst.logs.append((t + 0.02 + 0.01 * i, _template(line, {**values, **_time_values(t + 0.02 + 0.01 * i)})))
        if prof.repeat_logs:
            inst.repeat = (tuple(_template(x, values) for x in prof.repeat_logs), max(prof.repeat_every, 1.0))
        ends: list[tuple[float, str, int, list[str]]] = []  # (time, reason, code, lines)
        if prof.arch not in ("amd64", "x86_64"):
            command = c.spec.get("command") or [next(iter(prof.executables), "/usr/local/bin/app")]
            lines, code = messages.exec_format(str(command[0]))
            ends.append((t + 0.05, "Error", code, lines))
        failure = self._startup_failure(c, env) if not ends else None
        if failure:
            ends.append((t + prof.fail_after, "Error", failure[1], failure[0]))
        run = prof.run_length(inst.number)
        if run is not None:
            ends.append((t + run, "Completed" if prof.exit_code == 0 else "Error", prof.exit_code, list(prof.exit_logs)))
        oom = self._memory_end(c, t, env)
        if oom:
            ends.append(oom)
        horizon = min((e[0] for e in ends), default=None)
        if prof.connects_to and (horizon is None or horizon > t + prof.fail_after):
            # Reachability is decided when the program gives up waiting, with the cluster as it is then.
            self._at(t + prof.fail_after, functools.partial(self._dependency_check, c, inst))
        probe_end = self._probe_plan(c, inst, horizon)
        if probe_end:
            ends.append(probe_end)
        if ends:
            end_t, reason, code, lines = min(ends, key=lambda e: e[0])
            inst.end = end_t
            inst.reason = reason
            inst.exit_code = code
            base = end_t - 0.002 * (len(lines) + 1)
            for i, line in enumerate(lines):
                ts = max(t + 0.001, base + 0.002 * i)
                inst.logs.append((ts, _template(line, {**values, **_time_values(ts)})))
            inst.logs.sort(key=lambda x: x[0])
        return inst

    def _memory_end(self, c: ContainerSim, t: float, env: Mapping[str, str]) -> tuple[float, str, int, list[str]] | None:
        prof = c.profile
        limit = memory_limit_mib(c.spec)
        heap = _heap_limit_mib(prof, c.spec, env, limit)
        overhead = _RUNTIME_OVERHEAD.get(prof.runtime, 0.0) if heap is not None else 0.0
        rate = prof.memory_growth_per_minute / 60.0
        ramp = max(0.3, min(prof.start_seconds, 3.0) * 0.5)
        candidates: list[tuple[float, str, int, list[str]]] = []

        def reach(level: float) -> float | None:
            if prof.memory_mib >= level:
                return t + ramp
            if rate <= 0:
                return None
            return t + (level - prof.memory_mib) / rate

        # memoryMiB is the resident size; a managed runtime's heap is that minus its fixed overhead.
        if limit is not None:
            at = reach(limit)
            if at is not None:
                candidates.append((at, "OOMKilled", 137, []))
        if heap is not None and (limit is None or heap + overhead < limit):
            at = reach(heap + overhead)
            if at is not None:
                lines, code = messages.runtime_oom(prof.runtime, int(heap))
                candidates.append((at + 0.01, "Error", code, lines))
        return min(candidates, key=lambda x: x[0]) if candidates else None

    def memory_usage_mib(self, c: ContainerSim, t: float) -> float:
        last = c.latest
        if last is None or not last.running(t) or last.start is None:
            return 0.0
        return c.profile.memory_mib + c.profile.memory_growth_per_minute * (t - last.start) / 60.0

    # --- probes ------------------------------------------------------------------------------------

    def _probe_result(self, c: ContainerSim, probe: Mapping[str, Any], x: float) -> str | None:
        """None when the probe succeeds x seconds after the start, else the failure output."""
        prof = c.profile
        h = prof.health
        ports = _spec_ports(c.spec)
        listening = prof.listening_ports(ports)
        timeout = int(probe.get("timeoutSeconds") or 1)
        ip = self.ip or "10.244.0.1"
        healthy_after = h.healthy_after if h.healthy_after is not None else prof.start_seconds
        if "exec" in probe:
            if h.exec_fails or x < prof.start_seconds:
                return h.exec_output
            return None
        for kind in ("httpGet", "tcpSocket", "grpc"):
            if kind in probe:
                spec = probe[kind] or {}
                break
        else:
            return None
        port = _resolve_port(spec.get("port"), c.spec)
        addr = f"{ip}:{port}"
        refused = port is None or port not in listening or x < prof.start_seconds
        if kind == "tcpSocket":
            return f"dial tcp {addr}: connect: connection refused" if refused else None
        if kind == "grpc":
            return f'timeout: failed to connect service "{addr}" within {timeout}s' if refused else None
        scheme = str(spec.get("scheme") or "HTTP").lower()
        path = str(spec.get("path") or "/")
        url = f"{scheme}://{addr}{path}"
        if refused:
            return f'Get "{url}": dial tcp {addr}: connect: connection refused'
        hung = h.response_seconds >= timeout or (h.unhealthy_after is not None and x >= h.unhealthy_after
                                                  and h.unhealthy_status is None)
        if hung:
            return f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        if h.paths and path not in h.paths:
            return "HTTP probe failed with statuscode: 404"
        if x < healthy_after:
            return "HTTP probe failed with statuscode: 503"
        if h.unhealthy_after is not None and x >= h.unhealthy_after and h.unhealthy_status is not None:
            return f"HTTP probe failed with statuscode: {h.unhealthy_status}"
        if h.status >= 400:
            return f"HTTP probe failed with statuscode: {h.status}"
        return None

    def _change_points(self, c: ContainerSim) -> float:
        h = c.profile.health
        points = [c.profile.start_seconds, h.healthy_after or 0.0, h.unhealthy_after or 0.0]
        return max(points)

    def _probe_plan(self, c: ContainerSim, inst: Instance, horizon: float | None) -> tuple[float, str, int, list[str]] | None:
        """Schedule Unhealthy events and readiness changes; return the probe kill as an end, if any."""
        assert inst.start is not None
        start = inst.start
        spec = c.spec
        stable_after = self._change_points(c)
        restartable = self._restart_allowed(c, 1)
        suffix = ", will be restarted" if restartable else ""
        grace = float(self.spec.get("terminationGracePeriodSeconds", 30) or 0)

        def probe_times(p: Mapping[str, Any], first: float) -> tuple[float, float, int, int]:
            return (max(first, start + int(p.get("initialDelaySeconds") or 0)), float(int(p.get("periodSeconds") or 10)),
                    int(p.get("failureThreshold") or 3), int(p.get("successThreshold") or 1))

        def kill_end(at: float, what: str) -> tuple[float, str, int, list[str]]:
            self._at(at, self._while_running(c, inst, "Normal", "Killing", f"Container {c.name} failed {what} probe{suffix}"))
            inst.stopping_from = at
            behaviour = _sigterm_behaviour(c.profile)
            if behaviour == "ignore":
                return (at + grace, "Error", 137, [])
            if behaviour == "graceful":
                return (at + min(grace, 0.5), "Completed", 0, [])
            return (at + min(grace, 0.2), "Error", 143, [])

        limit = horizon if horizon is not None else float("inf")
        started: float | None = start
        startup = spec.get("startupProbe")
        if isinstance(startup, Mapping):
            first, period, threshold, _ = probe_times(startup, start)
            fails = 0
            k = 0
            started = None
            while True:
                pt = first + k * period
                if pt >= limit:
                    break
                out = self._probe_result(c, startup, pt - start)
                if out is None:
                    started = pt
                    break
                fails += 1
                self._at(pt, self._while_running(c, inst, "Warning", "Unhealthy", f"Startup probe failed: {out}"))
                if fails >= threshold:
                    return kill_end(pt, "startup")
                k += 1
                if k > 100_000:
                    break
        inst.started_at = started
        if started is None:
            return None
        readiness = spec.get("readinessProbe")
        liveness = spec.get("livenessProbe")
        if not isinstance(readiness, Mapping):
            inst.ready_changes.append((started, True))
        kill: tuple[float, str, int, list[str]] | None = None
        if isinstance(liveness, Mapping):
            first, period, threshold, _ = probe_times(liveness, started)
            fails = 0
            k = 0
            while True:
                pt = first + k * period
                if pt >= limit:
                    break
                out = self._probe_result(c, liveness, pt - start)
                if out is None:
                    fails = 0
                    if pt - start > stable_after:
                        break  # healthy from here on
                else:
                    fails += 1
                    self._at(pt, self._while_running(c, inst, "Warning", "Unhealthy", f"Liveness probe failed: {out}"))
                    if fails >= threshold:
                        kill = kill_end(pt, "liveness")
                        limit = pt
                        break
                k += 1
                if k > 100_000:
                    break
        if isinstance(readiness, Mapping):
            first, period, threshold, success_threshold = probe_times(readiness, started)
            k = 0
            ready = False
            fails = succ = 0
            while True:
                pt = first + k * period
                if pt >= limit:
                    break
                out = self._probe_result(c, readiness, pt - start)
                if out is None:
                    succ += 1
                    fails = 0
                    if not ready and succ >= success_threshold:
                        ready = True
                        inst.ready_changes.append((pt, True))
                    if pt - start > stable_after:
                        break
                else:
                    fails += 1
                    succ = 0
                    if pt - start > stable_after + period * 2:
                        # Failing for good: one Unhealthy per period from here on, as a recurring item.
                        self._recurring(c, pt, period, limit, f"Readiness probe failed: {out}")
                        if ready:
                            inst.ready_changes.append((pt, False))
                        break
                    self._at(pt, self._while_running(c, inst, "Warning", "Unhealthy", f"Readiness probe failed: {out}"))
                    if ready and fails >= threshold:
                        ready = False
                        inst.ready_changes.append((pt, False))
                k += 1
                if k > 100_000:
                    break
        return kill

    def _emitter(self, c: ContainerSim, type_: str, reason: str, message: str) -> Callable[[float], None]:
        def fire(when: float) -> None:
            self._emit(c, when, type_, reason, message)

        return fire

    def _while_running(self, c: ContainerSim, inst: Instance, type_: str, reason: str,
                       message: str) -> Callable[[float], None]:
        """An event emitter that stays quiet if the instance has ended by then (it died of something else)."""
        def fire(when: float) -> None:
            if c.latest is inst and inst.running(when):
                self._emit(c, when, type_, reason, message)

        return fire

    def _recurring(self, c: ContainerSim, t0: float, period: float, until: float, message: str) -> None:
        def fire(when: float) -> None:
            if when >= until or c.latest is None or not c.latest.running(when):
                return
            self._emit(c, when, "Warning", "Unhealthy", message)
            self._at(when + period, fire)

        self._at(t0, fire)

    # --- exits and restarts -------------------------------------------------------------------------

    def _restart_allowed(self, c: ContainerSim, exit_code: int) -> bool:
        if self.deleting_at is not None or self.phase_final:
            return False
        if c.sidecar:
            return not all(a.done for a in self._apps()) or not self._apps()
        policy = str(c.spec.get("restartPolicy") or self.policy) if not c.init else self.policy
        if policy == "Never":
            return False
        if policy == "OnFailure":
            return exit_code != 0
        return True

    def _exited(self, c: ContainerSim, t: float) -> None:
        inst = c.latest
        assert inst is not None
        if c.init and not c.sidecar and inst.exit_code == 0 and inst.reason == "Completed":
            c.done = True
            c.waiting = None
            for nxt in self._startable(t):
                if nxt.next_attempt is None:
                    nxt.next_attempt = t + self.settings.sync_lag
            return
        if c.init and not c.sidecar and self.policy == "Never":
            c.done = True
            self._fail_pod(t)
            return
        if not self._restart_allowed(c, inst.exit_code):
            c.done = True
            if c.waiting and c.waiting[0] == "RunContainerError":
                c.waiting = None
            self._after_app_exit(t)
            return
        if inst.reason != "StartError":
            c.waiting = None  # terminated is shown until the next sync
        c.next_attempt = t + self.settings.sync_lag

    def _after_app_exit(self, t: float) -> None:
        apps = self._apps()
        if apps and all(a.done for a in apps):
            # Sidecars stop once every app container has finished.
            for s in self._inits():
                if s.sidecar and s.latest is not None and s.latest.running(t):
                    self._emit(s, t, "Normal", "Killing", f"Stopping container {s.name}")
                    s.latest.end = t + 0.2
                    s.latest.reason, s.latest.exit_code = "Error", 143
                    s.done = True

    def _fail_pod(self, t: float) -> None:
        self.phase_final = "Failed"
        for c in self.containers:
            c.next_attempt = None
            if c.latest is None:
                c.done = True

    # --- node pressure and deletion --------------------------------------------------------------------

    def memory_over_request(self, t: float) -> float:
        """How far the pod's memory use exceeds its requests (MiB): what the eviction manager ranks by."""
        if self.phase_final or self.deleting_at is not None:
            return 0.0
        return sum(self.memory_usage_mib(c, t) - (memory_limit_mib(c.spec, "requests") or 0.0)
                   for c in self.containers if c.latest is not None and c.latest.running(t))

    def critical(self) -> bool:
        """Static and system-critical pods are never evicted by the kubelet."""
        owners = self.meta.get("ownerReferences") or []
        return (self.spec.get("priorityClassName") in ("system-node-critical", "system-cluster-critical")
                or any(o.get("kind") == "Node" for o in owners))

    def evict_for_pressure(self, t: float) -> None:
        node = self.node
        if node is None or node.pressure is None:
            return
        threshold, available, _ = node.pressure
        self.evict(t, "memory", _quantity_text(threshold), _quantity_text(available))

    def evict(self, t: float, resource: str, threshold: str, available: str) -> None:
        if self.phase_final or self.deleting_at is not None:
            return
        worst = max(self._apps(), key=lambda c: self.memory_usage_mib(c, t), default=None)
        parts = [f"The node was low on resource: {resource}. Threshold quantity: {threshold}, available: {available}. "]
        if worst is not None:
            used = int(self.memory_usage_mib(worst, t) * 1024)
            req = (((worst.spec.get("resources") or {}).get("requests") or {}).get("memory")) or "0"
            parts.append(f"Container {worst.name} was using {used}Ki, request is {req}, has larger consumption of "
                         f"{resource}. ")
        message = "".join(parts)
        self.evicted_at = t
        self.evict_info = ("Evicted", message)
        self.failed_reason = ("Evicted", message)
        self.phase_final = "Failed"
        self._emit(None, t, "Warning", "Evicted", message)
        for c in self.containers:
            c.next_attempt = None
            last = c.latest
            if last is not None and last.running(t):
                self._emit(c, t, "Normal", "Killing", f"Stopping container {c.name}")
                last.end = t + 0.5
                last.reason, last.exit_code = "ContainerStatusUnknown", 137
                last.message = "The container could not be located when the pod was terminated"
            c.done = True

    def delete(self, t: float, grace: float) -> None:
        """Graceful deletion: stop every container, then the pod is gone."""
        if self.deleting_at is not None:
            return
        self.deleting_at = t
        latest_end = t
        for c in self.containers:
            c.next_attempt = None
            last = c.latest
            if last is not None and last.running(t):
                self._emit(c, t, "Normal", "Killing", f"Stopping container {c.name}")
                behaviour = _sigterm_behaviour(c.profile)
                stop = t + (min(grace, 0.5) if behaviour != "ignore" else grace)
                last.end = stop
                last.stopping_from = t
                last.reason, last.exit_code = ("Completed", 0) if behaviour == "graceful" else \
                    (("Error", 137) if behaviour == "ignore" else ("Error", 143))
                latest_end = max(latest_end, stop)
            c.done = True
        self.gone_at = latest_end + 0.1

    # --- status --------------------------------------------------------------------------------------

    def ready(self, t: float) -> bool:
        if self.phase_final or not self.initialized(t):
            return False
        members = [c for c in self.containers if not c.init or c.sidecar]
        return bool(members) and all(c.latest is not None and c.latest.ready(t) for c in members)

    def phase(self, t: float) -> str:
        if self.phase_final:
            return self.phase_final
        if self.scheduled_at is None or self.sandbox_at is None:
            return "Pending"
        if not self.initialized(t):
            for c in self._inits():
                if not c.sidecar and self.policy == "Never" and c.exited(t) and c.latest and c.latest.exit_code != 0:
                    return "Failed"
            return "Pending"
        running = waiting = stopped = succeeded = failed = 0
        for c in self._apps():
            last = c.latest
            if last is not None and last.running(t):
                running += 1
            elif last is not None and last.end is not None and last.end <= t:
                stopped += 1
                if last.exit_code == 0:
                    succeeded += 1
                else:
                    failed += 1
            else:
                waiting += 1
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if self.policy == "Always":
                return "Running"
            if stopped == succeeded:
                return "Succeeded"
            if self.policy == "Never":
                return "Failed"
            return "Running"
        return "Pending"

    def _update_conditions(self, t: float) -> None:
        want: dict[str, tuple[bool, str | None, str | None]] = {}
        scheduled = self.scheduled_at is not None
        want["PodScheduled"] = (scheduled, None if scheduled else "Unschedulable",
                                None if scheduled else self.unschedulable)
        if scheduled:
            phase = self.phase(t)
            finished = phase in ("Succeeded", "Failed") and not any(
                c.latest is not None and c.latest.running(t) for c in self.containers)
            want["PodReadyToStartContainers"] = (self.sandbox_at is not None and not finished, None, None)
            init_ok = self.initialized(t) or phase == "Succeeded"
            pending = "" if init_ok else " ".join(
                c.name for c in self._init_list
                if not (c.done and c.latest and c.latest.exit_code == 0) and not (c.sidecar and c.latest and c.latest.started(t)))
            want["Initialized"] = (init_ok, None if init_ok else "ContainersNotInitialized",
                                   None if init_ok else f"containers with incomplete status: [{pending}]")
            unready = [c.name for c in self.containers if (not c.init or c.sidecar)
                       and not (c.latest is not None and c.latest.ready(t))]
            ok = not unready and not self.phase_final and init_ok and phase != "Succeeded"
            if phase == "Succeeded":
                reason, msg = "PodCompleted", ""
            elif not init_ok:
                reason, msg = "ContainersNotInitialized", f"containers with incomplete status: [{pending}]"
            else:
                reason, msg = "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
            want["ContainersReady"] = (ok, None if ok else reason, None if ok else (msg or None))
            want["Ready"] = want["ContainersReady"]
            if self.evicted_at is not None and self.evict_info:
                want["DisruptionTarget"] = (True, "TerminationByKubelet", self.evict_info[1])
        conditions = self.conditions
        for name, (status, why, message) in want.items():
            old = conditions.get(name)
            if old is None or old[0] != status or old[2] != why:
                since = self.scheduled_at if name == "PodScheduled" and scheduled else t
                conditions[name] = (status, since or t, why, message)
            elif old[3] != message:
                conditions[name] = (status, old[1], why, message)

    def _container_status(self, c: ContainerSim, t: float) -> dict[str, Any]:
        image = str(c.spec.get("image") or "")
        last = c.latest
        st: dict[str, Any] = {"name": c.name, "state": {}, "lastState": {}, "ready": False,
                              "restartCount": c.restart_count, "image": normalize_image(image), "imageID": ""}
        if last is not None:
            st["imageID"] = normalize_image(image).rsplit(":", 1)[0].split("@")[0] + "@sha256:" + _hash(image)[:64]
        prev = c.previous
        if last is not None and last.running(t):
            st["state"] = {"running": {"startedAt": rfc3339(last.start or t)}}
            st["containerID"] = last.container_id
            st["ready"] = last.ready(t)
            st["started"] = last.started(t)
            if prev is not None:
                st["lastState"] = {"terminated": _terminated(prev)}
        elif last is not None and last.end is not None and last.end <= t:
            if last.reason != "ContainerStatusUnknown":
                st["containerID"] = last.container_id
            if c.waiting is not None:
                st["state"] = {"waiting": {"reason": c.waiting[0], "message": c.waiting[1]}}
                st["lastState"] = {"terminated": _terminated(last)}
            else:
                st["state"] = {"terminated": _terminated(last)}
                if prev is not None:
                    st["lastState"] = {"terminated": _terminated(prev)}
            st["started"] = False
        else:
            reason, message = c.waiting or (self._default_waiting(), "")
            waiting: dict[str, Any] = {"reason": reason}
            if message:
                waiting["message"] = message
            st["state"] = {"waiting": waiting}
            st["started"] = False
            if last is not None and last.start is not None:
                st["lastState"] = {"terminated": _terminated(last)} if last.end is not None else {}
        return st

    def status(self, t: float) -> dict[str, Any]:
        phase = self.phase(t)
        status: dict[str, Any] = {"phase": phase}
        conds = []
        for name in ("DisruptionTarget", "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                     "PodScheduled"):
            if name in self.conditions:
                ok, since, reason, message = self.conditions[name]
                cond: dict[str, Any] = {"type": name, "status": "True" if ok else "False", "lastProbeTime": None,
                                        "lastTransitionTime": rfc3339(since)}
                if reason:
                    cond["reason"] = reason
                if message:
                    cond["message"] = message
                conds.append(cond)
        if conds:
            status["conditions"] = conds
        if self.failed_reason:
            status["reason"], status["message"] = self.failed_reason
        if self.node is not None and self.scheduled_at is not None:
            status["hostIP"] = self.node.ip
            status["hostIPs"] = [{"ip": self.node.ip}]
            if self.ip and self.sandbox_at is not None:
                status["podIP"] = self.ip
                status["podIPs"] = [{"ip": self.ip}]
            status["startTime"] = rfc3339(self.scheduled_at)
            inits = [self._container_status(c, t) for c in self._inits()]
            if inits:
                status["initContainerStatuses"] = inits
            status["containerStatuses"] = [self._container_status(c, t) for c in self._apps()]
        status["qosClass"] = qos_class(self.spec)
        return status

    # --- logs ----------------------------------------------------------------------------------------

    def container(self, name: str) -> ContainerSim | None:
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def instance_for_logs(self, c: ContainerSim, previous: bool, t: float) -> tuple[Instance | None, str | None]:
        """The kubelet's choice of instance for /log (validateContainerLogStatus), or its error text."""
        who = f'container "{c.name}" in pod "{self.name}"'
        last, prev = c.latest, c.previous
        running = last is not None and last.running(t)
        exited = last is not None and last.end is not None and last.end <= t
        waiting_now = c.waiting is not None and (last is None or exited)
        if previous:
            if running:
                return (prev, None) if prev is not None else (None, f'previous terminated container "{c.name}" in pod '
                                                                     f'"{self.name}" not found')
            if exited and waiting_now:
                return last, None  # lastState is the instance that just exited
            if exited and prev is not None:
                return prev, None
            return None, f'previous terminated container "{c.name}" in pod "{self.name}" not found'
        if running or exited:
            return last, None
        reason = (c.waiting or (self._default_waiting(), ""))[0]
        if reason == "ErrImagePull":
            return None, f"{who} is waiting to start: image can't be pulled"
        if reason == "ImagePullBackOff":
            return None, f"{who} is waiting to start: trying and failing to pull image"
        return None, f"{who} is waiting to start: {reason}"


def _noop(when: float) -> None:
    """A wake-up: the pod's status changes at this time although nothing else happens."""


def _sigterm_behaviour(profile: Profile) -> str:
    if profile.on_sigterm:
        return profile.on_sigterm
    # PID 1 ignores signals it has no handler for: interpreters without one are SIGKILLed after the grace period.
    return "ignore" if profile.runtime in ("python", "node", "shell", "ruby") else "exit"


def _quantity_text(n: int) -> str:
    if n % MiB == 0:
        return f"{n // MiB}Mi"
    return f"{n // 1024}Ki"


def _terminated(inst: Instance) -> dict[str, Any]:
    t: dict[str, Any] = {"exitCode": inst.exit_code, "reason": inst.reason}
    if inst.message:
        t["message"] = inst.message
    if inst.reason == "ContainerStatusUnknown":
        # The kubelet made this state up: no times, no container id (describe prints the year 0001).
        t.update(startedAt=None, finishedAt=None)
        return t
    t["startedAt"] = rfc3339(inst.start) if inst.start is not None else ZERO_TIME
    t["finishedAt"] = rfc3339(inst.end or 0)
    t["containerID"] = inst.container_id
    return t


def _spec_ports(spec: Mapping[str, Any]) -> tuple[int, ...]:
    return tuple(int(p["containerPort"]) for p in spec.get("ports") or [] if isinstance(p.get("containerPort"), int))


def _resolve_port(port: Any, spec: Mapping[str, Any]) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        if port.isdigit():
            return int(port)
        for p in spec.get("ports") or []:
            if p.get("name") == port:
                return int(p.get("containerPort"))
    return None


def _split_target(target: str) -> tuple[str, int]:
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", target.strip())
    text = text.split("/", 1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        return text, 80
    return host, int(port)


def qos_class(spec: Mapping[str, Any]) -> str:
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in limits or (r in requests and requests[r] != limits[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
