"""The pod status the kubelet writes: phase, conditions, container states, lastState, restartCount.

A part of `PodSim`; reads the pod's state, never changes it, and uses the `StartOrder` it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.images import digest_of, normalize_image
from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.timefmt import ZERO_TIME, rfc3339


class StatusWriter:
    """The pod's status as the API shows it at a time t."""

    def __init__(self, pod: PodState, order: StartOrder) -> None:
        self.pod = pod
        self.order = order

    def ready(self, t: float) -> bool:
        if self.pod.phase_final or not self.order.initialized(t):
            return False
        members = [c for c in self.pod.containers if not c.init or c.sidecar]
        return bool(members) and all(c.latest is not None and c.latest.ready(t) for c in members)

    def phase(self, t: float) -> str:
        if self.pod.phase_final:
            return self.pod.phase_final
        if self.pod.scheduled_at is None or self.pod.sandbox_at is None:
            return "Pending"
        if not self.order.initialized(t):
            for c in self.pod.inits():
                if not c.sidecar and self.pod.policy == "Never" and c.exited(t) and c.latest and c.latest.exit_code != 0:
                    return "Failed"
            return "Pending"
        running = waiting = stopped = succeeded = failed = 0
        for c in self.pod.apps():
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
            if self.pod.policy == "Always":
                return "Running"
            if stopped == succeeded:
                return "Succeeded"
            if self.pod.policy == "Never":
                return "Failed"
            return "Running"
        return "Pending"

    def update_conditions(self, t: float) -> None:
        want: dict[str, tuple[bool, str | None, str | None]] = {}
        scheduled = self.pod.scheduled_at is not None
        want["PodScheduled"] = (scheduled, None if scheduled else "Unschedulable",
                                None if scheduled else self.pod.unschedulable)
        if scheduled:
            phase = self.phase(t)
            finished = phase in ("Succeeded", "Failed") and not any(
                c.latest is not None and c.latest.running(t) for c in self.pod.containers)
            want["PodReadyToStartContainers"] = (self.pod.sandbox_at is not None and not finished, None, None)
            init_ok = self.order.initialized(t) or phase == "Succeeded"
            pending = "" if init_ok else " ".join(
                c.name for c in self.pod.init_list
                if not (c.done and c.latest and c.latest.exit_code == 0) and not (c.sidecar and c.latest and c.latest.started(t)))
            want["Initialized"] = (init_ok, None if init_ok else "ContainersNotInitialized",
                                   None if init_ok else f"containers with incomplete status: [{pending}]")
            unready = [c.name for c in self.pod.containers if (not c.init or c.sidecar)
                       and not (c.latest is not None and c.latest.ready(t))]
            ok = not unready and not self.pod.phase_final and init_ok and phase != "Succeeded"
            if phase == "Succeeded":
                reason, msg = "PodCompleted", ""
            elif not init_ok:
                reason, msg = "ContainersNotInitialized", f"containers with incomplete status: [{pending}]"
            else:
                reason, msg = "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
            want["ContainersReady"] = (ok, None if ok else reason, None if ok else (msg or None))
            want["Ready"] = want["ContainersReady"]
            if self.pod.evicted_at is not None and self.pod.evict_info:
                want["DisruptionTarget"] = (True, "TerminationByKubelet", self.pod.evict_info[1])
        conditions = self.pod.conditions
        for name, (status, why, message) in want.items():
            old = conditions.get(name)
            if old is None or old[0] != status or old[2] != why:
                since = self.pod.scheduled_at if name == "PodScheduled" and scheduled else t
                conditions[name] = (status, since or t, why, message)
            elif old[3] != message:
                conditions[name] = (status, old[1], why, message)

    def _container_status(self, c: ContainerSim, t: float) -> dict[str, Any]:
        image = str(c.spec.get("image") or "")
        last = c.latest
        st: dict[str, Any] = {"name": c.name, "state": {}, "lastState": {}, "ready": False,
                              "restartCount": c.restart_count, "image": normalize_image(image), "imageID": ""}
        if last is not None:
            st["imageID"] = normalize_image(image).rsplit(":", 1)[0].split("@")[0] + "@sha256:" + digest_of(image)[:64]
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
            reason, message = c.waiting or (self.pod.default_waiting(), "")
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
            if name in self.pod.conditions:
                ok, since, reason, message = self.pod.conditions[name]
                cond: dict[str, Any] = {"type": name, "status": "True" if ok else "False", "lastProbeTime": None,
                                        "lastTransitionTime": rfc3339(since)}
                if reason:
                    cond["reason"] = reason
                if message:
                    cond["message"] = message
                conds.append(cond)
        if conds:
            status["conditions"] = conds
        if self.pod.failed_reason:
            status["reason"], status["message"] = self.pod.failed_reason
        if self.pod.node is not None and self.pod.scheduled_at is not None:
            status["hostIP"] = self.pod.node.ip
            status["hostIPs"] = [{"ip": self.pod.node.ip}]
            if self.pod.ip and self.pod.sandbox_at is not None:
                status["podIP"] = self.pod.ip
                status["podIPs"] = [{"ip": self.pod.ip}]
            status["startTime"] = rfc3339(self.pod.scheduled_at)
            inits = [self._container_status(c, t) for c in self.pod.inits()]
            if inits:
                status["initContainerStatuses"] = inits
            status["containerStatuses"] = [self._container_status(c, t) for c in self.pod.apps()]
            if self.pod.ephemerals:
                status["ephemeralContainerStatuses"] = [self._container_status(c, t) for c in self.pod.ephemerals]
        status["qosClass"] = qos_class(self.pod.spec)
        return status


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
