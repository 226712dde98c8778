"""Remedy arithmetic, computed in one place for `lint` and the rules alike: probe budgets, memory and
heap sizes, and which numbers in a log line are ports.

Probe timing follows the kubelet's prober (kubernetes pkg/kubelet/prober/worker.go, v1.31): the
worker probes on a ticker of periodSeconds and skips ticks until initialDelaySeconds have passed
since the container started, so the first counted probe lands between initialDelaySeconds and
initialDelaySeconds + periodSeconds, and the kill comes at the failureThreshold-th consecutive
failure. An app is therefore only sure to be given initialDelaySeconds + (failureThreshold - 1) x
periodSeconds to start: 12 x 10 s guarantees 110 s, not 120 s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy

MiB = 1024 * 1024

# A startup probe costs nothing once the app is up, so its allowance is generous: twice the start time
# a reader can expect (Kubernetes' own example for slow starts allows 30 x 10 s = 300 s).
START_MARGIN = 2.0
# When the app said how long it took, one and a half times that covers a slower node.
MEASURED_MARGIN = 1.5


def guaranteed_start_seconds(initial_delay: int, failure_threshold: int, period: int) -> int:
    """Seconds a probe is sure to give the app before it can kill it."""
    return initial_delay + max(failure_threshold - 1, 0) * period


def failure_threshold_for(need_seconds: float, period: int, initial_delay: int = 0) -> int:
    """The smallest failureThreshold (at least 3, the API default) whose guaranteed time covers need."""
    period = period or 10
    return max(3, math.ceil(max(need_seconds - initial_delay, 0) / period) + 1)


class StartAllowance(msgspec.Struct, frozen=True):
    seconds: float  # the start time the probe should allow
    threshold: int  # failureThreshold at the given period
    period: int
    measured: bool  # True when the app's own log said how long it took
    reason: str  # how the allowance was reached, for the remedy text


def start_allowance(period: int, initial_delay: int = 0, *, typical_seconds: int | None = None,
                    started_after: float | None = None, killed_after: float | None = None) -> StartAllowance:
    """How long a startup probe should allow, from the best evidence at hand.

    A start time the app logged wins (x1.5). Otherwise the typical start of this kind of app (the
    table lint uses, image_facts.yaml) or the time it was seen to run without starting, whichever is
    longer, doubled: a guess, and the reason says so."""
    period = period or 10
    if started_after is not None and started_after > 0:
        need = max(started_after * MEASURED_MARGIN, 30.0)
        reason = f"the app's log says it started after {started_after:.0f}s; this allows 1.5 times that"
        measured = True
    else:
        base = max(float(typical_seconds or 0), float(killed_after or 0), 30.0)
        need = base * START_MARGIN
        parts = []
        if typical_seconds:
            parts.append(f"apps of this kind typically need about {typical_seconds}s")
        if killed_after:
            parts.append(f"it was killed after {killed_after:.0f}s without having started")
        reason = ("a guess: the log does not say how long the app needs to start; "
                  + ("; ".join(parts) + ", and " if parts else "") + "this allows twice that")
        measured = False
    threshold = failure_threshold_for(need, period, initial_delay)
    return StartAllowance(float(guaranteed_start_seconds(initial_delay, threshold, period)), threshold, period,
                          measured, reason)


# --- memory ----------------------------------------------------------------------------------------

HEAP_SHARE = 0.75  # of the container limit: the runtime needs the rest outside its heap


def round_up_mib(n_bytes: float, step_mib: int = 64) -> int:
    """Bytes rounded up to a multiple of step_mib MiB (a value people write in manifests)."""
    step = step_mib * MiB
    return int(math.ceil(max(n_bytes, 1) / step) * step)


def raised_memory_limit(limit_bytes: float | None, peak_bytes: float | None = None) -> int | None:
    """A memory limit above what was hit: twice the current limit, or 1.5 times the observed peak if
    that is more. None when the current limit is unknown (then the remedy reads it instead of
    guessing a number that might lower it). Never lower than the current limit."""
    if not limit_bytes:
        return None
    want = max(limit_bytes * 2, (peak_bytes or 0) * 1.5)
    return max(round_up_mib(want), int(limit_bytes))


def memory_limit_advice(limit_bytes: float | None, floor_bytes: float | None = None,
                        peak_bytes: float | None = None) -> int | None:
    """The memory limit both lint and the OOM diagnosis advise: raised_memory_limit (twice the current one,
    or 1.5 x the observed peak), and never below a floor the runtime is known to need (heap plus the
    memory outside it, when lint can tell). None when the current limit is unknown."""
    raised = raised_memory_limit(limit_bytes, peak_bytes)
    if raised is None:
        return None
    return max(raised, round_up_mib(floor_bytes)) if floor_bytes else raised


def format_mib(n_bytes: float) -> str:
    """A quantity as Kubernetes writes it: Gi when whole, else Mi."""
    mib = math.ceil(n_bytes / MiB)
    return f"{mib // 1024}Gi" if mib >= 1024 and mib % 1024 == 0 else f"{mib}Mi"


# --- ports -----------------------------------------------------------------------------------------

# A port is only read where the text says it is one: an address in a listen/bind/dial context
# (`listen tcp :9100`, `bind 0.0.0.0:8080`, `EADDRINUSE: address already in use :::3000`), a URL's
# authority, a wildcard `*:N`, a Python `(host, N)` tuple or a `port N` phrase. `main.go:197` (a klog
# header's source line) is never a port. Compiled on first use (lazyre): 4 ms, in every process that
# imports this module (explain's workers do, before their first pod), for the few logs that name a port.
_PORT_CONTEXT = lazy(
    r"(?:"
    r"\b(?:listen|bind|dial|serve|address|addr|listening\s+on|accepting\s+on)\b[^\n]{0,40}?"
    r"(?:\[[0-9a-fA-F:.]*\]|(?<![\w.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}|::|localhost|0\.0\.0\.0|[a-z][-a-z0-9.]*)?"
    # `:9100: bind` and `:8080.` end a port; in an unbracketed IPv6 address (`fe80::1:2:3`) no group is one
    r"(?<!:[0-9a-f])(?<!:[0-9a-f]{2})(?<!:[0-9a-f]{3})(?<!:[0-9a-f]{4})"
    r":(?P<a>[0-9]{1,5})(?![0-9]|\.[0-9]|:\w)"
    r"|[a-z][a-z0-9+.-]*://[^/\s:]+:(?P<u>[0-9]{1,5})(?![0-9])"
    r"|\bport[= :]+(?P<p>[0-9]{1,5})(?![0-9.])"
    # a wildcard listen address (Redis: `Could not create server TCP listening socket *:6379`) and a
    # Python socket address tuple (gunicorn: `Connection in use: ('0.0.0.0', 8000)`)
    r"|(?<![\w*])\*:(?P<w>[0-9]{1,5})(?![0-9.])"
    r"|\('[^'\n]{0,64}',\s?(?P<t>[0-9]{1,5})\)"
    r")",
    re.I,
)


def ports_in(text: str) -> list[int]:
    """TCP/UDP ports a line names in a listen/bind/URL context, in order, without repeats."""
    out: list[int] = []
    for m in _PORT_CONTEXT.finditer(text[:4096]):
        raw = m.group("a") or m.group("u") or m.group("p") or m.group("w") or m.group("t")
        n = int(raw)
        if 0 < n < 65536 and n not in out:
            out.append(n)
    return out


def numeric_port(value: object) -> int | None:
    """A probe or container port usable in a URL: numbers only (a named port like `http` is not one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 65536 else None
    if isinstance(value, str) and value.isdigit():
        n = int(value)
        return n if 0 < n < 65536 else None
    return None


def port_number(value: object, named: Mapping[str, int]) -> int | None:
    """A probe's port as a number for a URL: the number itself, or the one a container port of that name
    declares (`named`: name -> containerPort). None when the name is not declared."""
    n = numeric_port(value)
    if n is not None:
        return n
    return numeric_port(named.get(value)) if isinstance(value, str) else None


__all__ = ["HEAP_SHARE", "ImageWrite", "MiB", "StartAllowance", "failure_threshold_for", "file_capabilities", "format_mib",
           "guaranteed_start_seconds", "image_writes", "memory_limit_advice", "numeric_port", "port_number", "ports_in", "raised_memory_limit",
           "round_up_mib", "start_allowance", "typical_start_seconds"]


def typical_start_seconds(image: str | None, runtime: str | None = None) -> int | None:
    """How long an app of this image (or runtime kind) typically needs to start, from the table lint
    uses (kube/image_facts.yaml): the image's own figure, else its runtime's. None when unknown."""
    from podmortem.kube.images import facts_for, runtimes  # data tables; loaded only when a remedy needs them

    table = runtimes()
    facts = facts_for(image) if image else None
    kind = (facts.runtime if facts and facts.runtime else None) or runtime
    seconds = table[kind].start_seconds if kind in table else None
    if facts and facts.start_seconds and facts.start_seconds > (seconds or 0):
        seconds = facts.start_seconds
    return seconds


def file_capabilities(image: str) -> tuple[str, ...]:
    """Capabilities the image's main binary carries as file capabilities (setcap), from lint's image table;
    empty when unknown. Only these reach a non-root process when added to capabilities.add."""
    from podmortem.kube.images import facts_for

    facts = facts_for(image)
    return facts.file_capabilities if facts is not None else ()


# --- writable paths ------------------------------------------------------------------------------


class ImageWrite(msgspec.Struct, frozen=True):
    path: str  # where the image writes at start, after the env variable that moves it (PGDATA)
    error: str  # what it dies with when it cannot
    config: str | None  # a config file that can move the path (mounting over it makes the path uncertain)
    data: str | None  # what data the path holds (podmortem.datadirs), None for scratch


def image_writes(image: str | None, env: Mapping[str, str | None]) -> list[ImageWrite]:
    """Every path the image writes at start (lint/image_facts.yaml `writes`, the one list lint's
    read-only-root check and the read-only-fs remedy both read), env overrides applied."""
    from podmortem.datadirs import data_dir
    from podmortem.kube.images import facts_for

    facts = facts_for(image) if image else None
    if facts is None:
        return []
    out = []
    for w in facts.writes:
        path = (env.get(w.env) if w.env else None) or w.path
        out.append(ImageWrite(path, w.error, w.config, data_dir(path, image)))
    return out
