"""The state of one simulated pod (`PodState`) and what it needs from the cluster (`World`).

The state every part of `PodSim` (pod.py) shares: attributes, the event queue, the pod's object
reference and a few small lookups. Imports only `model` and `profile`; never a part.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from podmortem.sim.kubelet.model import ContainerSim, Instance, KubeletSettings, NodeSim
from podmortem.sim.profile import DEFAULT, profiles_of


class World(Protocol):
    """What a pod needs from the rest of the cluster."""

    def configmap(self, namespace: str, name: str) -> Mapping[str, Any] | None: ...
    def secret(self, namespace: str, name: str) -> Mapping[str, Any] | None: ...
    def resolve(self, namespace: str, host: str, port: int, t: float) -> tuple[str | None, str | None]: ...
    def emit(self, pod: PodState, t: float, type_: str, reason: str, message: str, field_path: str | None,
             component: str = "kubelet") -> None: ...
    def pressure_check(self, node: NodeSim, t: float) -> None: ...


class PodState:
    """One pod's state: what the kubelet knows about it, shared by every part of the model."""

    def __init__(self, pod: Mapping[str, Any], world: World, node: NodeSim | None, created: float,
                 settings: KubeletSettings, ip: str | None = None,
                 sim_annotations: Mapping[str, str] | None = None) -> None:
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
        # The profiles come from the simulator's annotations, which the API server keeps off the pod
        # (cluster/hidden.py); a pod built directly (tests) may still carry them in its metadata.
        annotations = {**(meta.get("annotations") or {}), **(sim_annotations or {})}
        profiles = profiles_of({"annotations": annotations}, f"pod {self.namespace}/{self.name}")
        self.containers: list[ContainerSim] = []
        idx = 0
        for init, key in ((True, "initContainers"), (False, "containers")):
            for c in self.spec.get(key) or []:
                prof = profiles.get(str(c.get("name")), DEFAULT)
                if prof.image is not None and prof.image != c.get("image"):
                    prof = DEFAULT  # the profile describes another image than the one now in the spec
                self.containers.append(ContainerSim(dict(c), init, init and c.get("restartPolicy") == "Always", prof, idx))
                idx += 1
        self.init_list = [c for c in self.containers if c.init]
        self.app_list = [c for c in self.containers if not c.init]
        self.ephemerals: list[ContainerSim] = []
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
        self.conditions: dict[str, tuple[bool, float, str | None, str | None]] = {}
        self.unschedulable: str | None = None
        self.evicted_at: float | None = None
        self.pulling_until: float | None = None  # SyncPod waits for this pull before the next container
        self.evict_info: tuple[str, str] | None = None
        self.init_done_at: float | None = None
        self.image_backoff: dict[str, tuple[float, float, float]] = {}  # image -> (delay, updated, last failure)

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self._seq += 1
        heapq.heappush(self.pending, (t, self._seq, fn))

    def ref(self, field_path: str | None = None) -> dict[str, Any]:
        ref = {"kind": "Pod", "namespace": self.namespace, "name": self.name, "uid": self.uid, "apiVersion": "v1",
               "resourceVersion": str(self.meta.get("resourceVersion") or "")}
        if field_path:
            ref["fieldPath"] = field_path
        return ref

    def ref_text(self) -> str:
        return f"{self.name}_{self.namespace}({self.uid})"

    def inits(self) -> list[ContainerSim]:
        return self.init_list

    def apps(self) -> list[ContainerSim]:
        return self.app_list

    def retry_delay(self) -> float:
        s = self.settings
        return s.retry_period * (1 + s.retry_jitter * self.rng.random())

    def default_waiting(self) -> str:
        return "PodInitializing" if self.inits() else "ContainerCreating"

    def push_instance(self, c: ContainerSim, inst: Instance) -> None:
        c.instances.append(inst)
        if len(c.instances) > 2:
            del c.instances[0]  # the runtime keeps one dead instance per container

    def add_ephemeral(self, spec: Mapping[str, Any], t: float) -> bool:
        """An ephemeral container (`kubectl debug --target`): started at the next sync, like the kubelet does."""
        name = str(spec.get("name"))
        if self.container(name) is not None:
            return False
        c = ContainerSim(dict(spec), False, False, DEFAULT, len(self.containers), ephemeral=True)
        self.containers.append(c)
        self.ephemerals.append(c)
        c.next_attempt = t + self.settings.sync_lag
        return True

    def container(self, name: str) -> ContainerSim | None:
        for c in self.containers:
            if c.name == name:
                return c
        return None
