"""What a language runtime does with memory and signals: limits, heap caps, SIGTERM handling.

Pure functions of a container spec and its profile. Imports only `model` from the kubelet package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podmortem.kube.heap import COMMAND_RANK, OTHER_ENV_RANK, env_rank, read_heap_flags
from podmortem.kube.quantity import parse_bytes
from podmortem.sim.kubelet.model import NODE_MEMORY_MIB, MiB
from podmortem.sim.profile import Profile


def memory_limit_mib(spec: Mapping[str, Any], key: str = "limits") -> float | None:
    value = ((spec.get("resources") or {}).get(key) or {}).get("memory")
    b = parse_bytes(value) if value is not None else None
    return b / MiB if b else None


def heap_limit_mib(profile: Profile, spec: Mapping[str, Any], env: Mapping[str, str], limit: float | None) -> float | None:
    """The language runtime's own heap cap: JVM -Xmx / MaxRAMPercentage, Node --max-old-space-size."""
    words = [str(w) for w in (spec.get("command") or []) + (spec.get("args") or [])]
    if profile.runtime == "java":
        # The same reading as lint's heap checks (kube.heap): every env value may carry the flags
        # (start scripts splice JAVA_OPTS, KAFKA_HEAP_OPTS...), ranked as the JVM reads them.
        texts = [(COMMAND_RANK, w) for w in words] + [(env_rank(var), value) for var, value in env.items()]
        return read_heap_flags(texts).jvm_ceiling((limit or NODE_MEMORY_MIB) * MiB) / MiB
    if profile.runtime == "node":
        texts = [(COMMAND_RANK, w) for w in words] + [(OTHER_ENV_RANK, env.get("NODE_OPTIONS", ""))]
        node = read_heap_flags(texts).node
        if node is not None:
            return node.size / MiB
        return min(4096.0, (limit or NODE_MEMORY_MIB) * 0.5)
    return None


RUNTIME_OVERHEAD = {"java": 96.0, "node": 48.0}


def sigterm_behaviour(profile: Profile) -> str:
    if profile.on_sigterm:
        return profile.on_sigterm
    # PID 1 ignores signals it has no handler for: interpreters without one are SIGKILLed after the grace period.
    return "ignore" if profile.runtime in ("python", "node", "shell", "ruby") else "exit"


def quantity_text(n: int) -> str:
    if n % MiB == 0:
        return f"{n // MiB}Mi"
    return f"{n // 1024}Ki"
