"""What the program in a container does once started: its files, writes, ports, dependencies, memory.

Plans one run (`Instance`) of a container from its behaviour profile: log lines, the first thing
that ends it (its own exit, a startup failure, an OOM kill, a probe kill) and the texts it prints
(messages.py). A part of `PodSim`; uses the
`StartChecks` (environment, files) and `Probes` (probe kills) it is given.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from podmortem.sim import messages
from podmortem.sim.kubelet.checks import StartChecks
from podmortem.sim.kubelet.model import ContainerSim, Instance
from podmortem.sim.kubelet.ports import spec_ports, split_target
from podmortem.sim.kubelet.probes import Probes
from podmortem.sim.kubelet.runtime import RUNTIME_OVERHEAD, heap_limit_mib, memory_limit_mib
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.kubelet.templates import template, time_values


class Program:
    """A container's program, as its profile describes it."""

    def __init__(self, pod: PodState, checks: StartChecks, probes: Probes) -> None:
        self.pod = pod
        self.checks = checks
        self.probes = probes

    def _mounts(self, c: ContainerSim) -> list[tuple[str, Mapping[str, Any], bool, str | None]]:
        vols = {str(v.get("name")): v for v in self.pod.spec.get("volumes") or []}
        out = []
        for m in c.spec.get("volumeMounts") or []:
            v = vols.get(str(m.get("name")))
            if v is not None:
                out.append((str(m.get("mountPath") or "").rstrip("/") or "/", v, bool(m.get("readOnly")), m.get("subPath")))
        out.sort(key=lambda x: len(x[0]), reverse=True)
        return out

    def file(self, c: ContainerSim, path: str) -> tuple[bool, str | None]:
        """(exists, content when known) of a file the program reads."""
        for mount, vol, _, sub in self._mounts(c):
            if path != mount and not path.startswith(mount + "/"):
                continue
            rel = path[len(mount) + 1:] if path != mount else ""
            for kind in ("configMap", "secret"):
                src = vol.get(kind)
                if not isinstance(src, Mapping):
                    continue
                obj = self.checks.lookup("configmap" if kind == "configMap" else "secret",
                                   str(src.get("name") or src.get("secretName") or ""))
                if obj is None:
                    return False, None
                data = self.checks.data(obj)
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
        pod_sc, sc = self.checks.security(c)
        uid = self.checks.effective_uid(c)
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
        for other in self.pod.containers:
            if other is c or (other.init and not other.sidecar):
                continue
            if other.index >= c.index and not other.sidecar:
                continue
            if port in other.profile.listening_ports(spec_ports(other.spec)):
                return True
        return False

    def _startup_failure(self, c: ContainerSim, env: Mapping[str, str]) -> tuple[list[str], int] | None:
        prof = c.profile
        rt = prof.runtime
        for name in prof.needs_env:
            if not env.get(name):
                return messages.missing_env(rt, name)
        for path in prof.needs_files:
            exists, _ = self.file(c, path)
            if not exists:
                return messages.file_missing(rt, path)
        if prof.config_file:
            exists, content = self.file(c, prof.config_file.path)
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
        uid = self.checks.effective_uid(c)
        caps = ((c.spec.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        for port in prof.listening_ports(spec_ports(c.spec)):
            if port < 1024 and uid != 0 and "NET_BIND_SERVICE" not in caps and not self.pod.spec.get("hostNetwork"):
                return messages.bind_denied(rt, port)
            if self._port_conflict(c, port):
                return messages.port_in_use(rt, port)
        return None

    def _unreachable(self, c: ContainerSim, t: float) -> tuple[list[str], int] | None:
        """The error the program prints when a service it connects to at start-up cannot be reached at t."""
        for target in c.profile.connects_to:
            host, port = split_target(target)
            how, ip = self.pod.world.resolve(self.pod.namespace, host, port, t)
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
            inst.logs.append((ts, template(line, {**inst.vars, **time_values(ts)})))

    def plan(self, c: ContainerSim, t: float, cid: str) -> Instance:
        prof = c.profile
        inst = Instance(c.total - 1, cid, t, None)
        env, _ = self.checks.resolve_env(c)
        values = {**time_values(t), "pod": self.pod.name, "namespace": self.pod.namespace, "container": c.name,
                  "node": self.pod.node.name if self.pod.node else "", "podIP": self.pod.ip or "", "restart": str(c.restart_count)}
        for k, v in env.items():
            values[f"env:{k}"] = v
        inst.vars = values
        for i, line in enumerate(prof.logs):
            inst.logs.append((t + 0.02 + 0.01 * i, template(line, {**values, **time_values(t + 0.02 + 0.01 * i)})))
        if prof.repeat_logs:
            inst.repeat = (tuple(template(x, values) for x in prof.repeat_logs), max(prof.repeat_every, 1.0))
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
            self.pod.at(t + prof.fail_after, functools.partial(self._dependency_check, c, inst))
        probe_end = self.probes.plan(c, inst, horizon)
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
                inst.logs.append((ts, template(line, {**values, **time_values(ts)})))
            inst.logs.sort(key=lambda x: x[0])
        return inst

    def _memory_end(self, c: ContainerSim, t: float, env: Mapping[str, str]) -> tuple[float, str, int, list[str]] | None:
        prof = c.profile
        limit = memory_limit_mib(c.spec)
        heap = heap_limit_mib(prof, c.spec, env, limit)
        overhead = RUNTIME_OVERHEAD.get(prof.runtime, 0.0) if heap is not None else 0.0
        rate = prof.memory_growth_per_minute / 60.0
        ramp = max(0.3, min(prof.start_seconds, 3.0) * 0.5)
        candidates: list[tuple[float, str, int, list[str]]] = []

        def reach(level: float) -> float | None:
            if prof.memory_mib >= level:
                return t + ramp
            if rate <= 0 or (prof.memory_peak_mib is not None and prof.memory_peak_mib < level):
                return None
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
        used = c.profile.memory_mib + c.profile.memory_growth_per_minute * (t - last.start) / 60.0
        peak = c.profile.memory_peak_mib
        return used if peak is None else min(used, max(peak, c.profile.memory_mib))
