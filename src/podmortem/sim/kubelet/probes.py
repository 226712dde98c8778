"""Startup, liveness and readiness probes: their results over time, Unhealthy events, probe kills.

A part of `PodSim`; uses the `Emitter` and `StartOrder` it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.emit import Emitter
from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.ports import resolve_port, spec_ports
from podmortem.sim.kubelet.runtime import sigterm_behaviour
from podmortem.sim.kubelet.state import PodState

PLEG_RELIST = 1.0  # pkg/kubelet/kubelet.go (v1.32) plegRelistPeriod


class Probes:
    """The prober: plans every probe of a container instance when it starts."""

    def __init__(self, pod: PodState, events: Emitter, order: StartOrder) -> None:
        self.pod = pod
        self.events = events
        self.order = order

    def _probe_result(self, c: ContainerSim, probe: Mapping[str, Any], x: float) -> str | None:
        """None when the probe succeeds x seconds after the start, else the failure output."""
        prof = c.profile
        h = prof.health
        ports = spec_ports(c.spec)
        listening = prof.listening_ports(ports)
        timeout = int(probe.get("timeoutSeconds") or 1)
        ip = self.pod.ip or "10.244.0.1"
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
        port = resolve_port(spec.get("port"), c.spec)
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

    def plan(self, c: ContainerSim, inst: Instance, horizon: float | None) -> tuple[float, str, int, list[str]] | None:
        """Schedule Unhealthy events and readiness changes; return the probe kill as an end, if any."""
        assert inst.start is not None
        start = inst.start
        spec = c.spec
        stable_after = self._change_points(c)
        restartable = self.order.restart_allowed(c, 1)
        suffix = ", will be restarted" if restartable else ""
        grace = float(self.pod.spec.get("terminationGracePeriodSeconds", 30) or 0)

        def probe_times(p: Mapping[str, Any], first: float) -> tuple[float, float, int, int]:
            return (max(first, start + int(p.get("initialDelaySeconds") or 0)), float(int(p.get("periodSeconds") or 10)),
                    int(p.get("failureThreshold") or 3), int(p.get("successThreshold") or 1))

        def kill_end(at: float, what: str) -> tuple[float, str, int, list[str]]:
            self.pod.at(at, self.events.while_running(c, inst, "Normal", "Killing", f"Container {c.name} failed {what} probe{suffix}"))
            inst.stopping_from = at
            behaviour = sigterm_behaviour(c.profile)
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
                self.pod.at(pt, self.events.while_running(c, inst, "Warning", "Unhealthy", f"Startup probe failed: {out}"))
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
        if not isinstance(readiness, Mapping) and (horizon is None or horizon - started >= PLEG_RELIST):
            # Ready once the kubelet has seen it running; one that exits within a PLEG relist never is
            # (so an instantly crashing StatefulSet pod-0 never lets pod-1 be created).
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
                    self.pod.at(pt, self.events.while_running(c, inst, "Warning", "Unhealthy", f"Liveness probe failed: {out}"))
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
                        self.events.recurring(c, pt, period, limit, f"Readiness probe failed: {out}")
                        if ready:
                            inst.ready_changes.append((pt, False))
                        break
                    self.pod.at(pt, self.events.while_running(c, inst, "Warning", "Unhealthy", f"Readiness probe failed: {out}"))
                    if ready and fails >= threshold:
                        ready = False
                        inst.ready_changes.append((pt, False))
                k += 1
                if k > 100_000:
                    break
        return kill
