"""Container start checks: env and config references, runAsNonRoot, and the entrypoint (runc errors).

CreateContainerConfigError texts for missing ConfigMaps, Secrets and keys (optional references
honoured) and the runAsNonRoot checks; runc's StartError text for a command not in the image.
A part of `PodSim` that needs only the pod's state; it can be built and tested alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.model import PATH_DIRS, ContainerSim
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.kubelet.templates import template


class StartChecks:
    """What the kubelet and runc check before a container runs."""

    def __init__(self, pod: PodState) -> None:
        self.pod = pod

    def lookup(self, kind: str, name: str) -> Mapping[str, Any] | None:
        return self.pod.world.configmap(self.pod.namespace, name) if kind == "configmap" else self.pod.world.secret(self.pod.namespace, name)

    @staticmethod
    def data(obj: Mapping[str, Any]) -> dict[str, Any]:
        return {**(obj.get("data") or {}), **(obj.get("binaryData") or {}), **(obj.get("stringData") or {})}

    def resolve_env(self, c: ContainerSim) -> tuple[dict[str, str], str | None]:
        """The container's environment, or the kubelet's error text for the first bad reference."""
        env: dict[str, str] = {}
        for ef in c.spec.get("envFrom") or []:
            for kind, key in (("configmap", "configMapRef"), ("secret", "secretRef")):
                ref = ef.get(key)
                if not isinstance(ref, Mapping):
                    continue
                obj = self.lookup(kind, str(ref.get("name")))
                if obj is None:
                    if ref.get("optional"):
                        continue
                    return env, f'{kind} "{ref.get("name")}" not found'
                for k, v in self.data(obj).items():
                    env[f"{ef.get('prefix') or ''}{k}"] = str(v) if kind == "configmap" else "<secret>"
        for e in c.spec.get("env") or []:
            name = str(e.get("name"))
            vf = e.get("valueFrom")
            if not isinstance(vf, Mapping):
                env[name] = template(str(e.get("value") or ""), {k: v for k, v in env.items()}) \
                    if "$(" not in str(e.get("value") or "") else self._expand(str(e.get("value") or ""), env)
                continue
            for kind, key, label in (("configmap", "configMapKeyRef", "ConfigMap"), ("secret", "secretKeyRef", "Secret")):
                ref = vf.get(key)
                if not isinstance(ref, Mapping):
                    continue
                obj = self.lookup(kind, str(ref.get("name")))
                if obj is None:
                    if ref.get("optional"):
                        break
                    return env, f'{kind} "{ref.get("name")}" not found'
                data = self.data(obj)
                if ref.get("key") not in data:
                    if ref.get("optional"):
                        break
                    return env, f"couldn't find key {ref.get('key')} in {label} {self.pod.namespace}/{ref.get('name')}"
                env[name] = str(data[str(ref.get("key"))]) if kind == "configmap" else "<secret>"
                break
            else:
                fr = vf.get("fieldRef")
                if isinstance(fr, Mapping):
                    path = str(fr.get("fieldPath"))
                    env[name] = {"metadata.name": self.pod.name, "metadata.namespace": self.pod.namespace,
                                 "status.podIP": self.pod.ip or "", "spec.nodeName": self.pod.node.name if self.pod.node else "",
                                 "metadata.uid": self.pod.uid}.get(path, "")
                elif isinstance(vf.get("resourceFieldRef"), Mapping):
                    env[name] = "0"
        return env, None

    @staticmethod
    def _expand(value: str, env: Mapping[str, str]) -> str:
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), value)

    def security(self, c: ContainerSim) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return (self.pod.spec.get("securityContext") or {}), (c.spec.get("securityContext") or {})

    def effective_uid(self, c: ContainerSim) -> int | str:
        pod_sc, sc = self.security(c)
        for source in (sc, pod_sc):
            if isinstance(source.get("runAsUser"), int):
                return int(source["runAsUser"])
        return c.profile.image_user

    def config_error(self, c: ContainerSim) -> str | None:
        _, err = self.resolve_env(c)
        if err:
            return err
        pod_sc, sc = self.security(c)
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root:
            who = f'(pod: "{self.pod.ref_text()}", container: {c.name})'
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

    def start_error(self, c: ContainerSim) -> str | None:
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
