"""What a language runtime does with memory and signals: limits, heap caps, SIGTERM handling.

Pure functions of a container spec and its profile. Imports only `model` from the kubelet package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
