"""Probe checks: a liveness probe that fires before the app can start, a startup probe that gives up
too early, liveness identical to readiness, and a probe aimed at a port the container does not have.

The time a probe allows before the first kill is initialDelaySeconds + failureThreshold x
periodSeconds (API defaults 0, 3 and 10: 30 s). How long an app needs depends on what it is;
those numbers live in image_facts.yaml (`runtimes`), each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from podmortem.kube.images import runtimes
from podmortem.lint.checks.base import check
from podmortem.lint.model import Emit
from podmortem.lint.workloads import ContainerView, Workload, as_dict, as_list, iter_probes, runtime_of
from podmortem.remedy_math import start_allowance

_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _seconds(probe: dict[str, Any], key: str, default: int) -> int:
    value = probe.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def budget(probe: dict[str, Any]) -> tuple[int, str]:
    """Seconds before the first kill, and the sum written out."""
    delay = _seconds(probe, "initialDelaySeconds", 0)
    threshold = _seconds(probe, "failureThreshold", 3) or 3
    period = _seconds(probe, "periodSeconds", 10) or 10
    return delay + threshold * period, (f"initialDelaySeconds {delay} + failureThreshold {threshold} "
                                        f"x periodSeconds {period}")


def needed_seconds(c: ContainerView) -> tuple[int, str, str]:
    """How long this container's app needs to start: (seconds, kind of app, reason)."""
    kind = runtime_of(c)
    table = runtimes()
    runtime = table.get(kind) or table["unknown"]
    seconds = runtime.start_seconds
    reason = runtime.reason
    if c.facts and c.facts.start_seconds and c.facts.start_seconds > seconds:
        seconds = c.facts.start_seconds
        reason = f"{c.facts.name} typically needs about {seconds} s to start ({reason})"
    return seconds, kind, reason


def _threshold(probe: dict[str, Any], need: int) -> int:
    """failureThreshold that allows twice the typical start: the kubelet guarantees only
    initialDelaySeconds + (failureThreshold - 1) x periodSeconds (remedy_math)."""
    allowance = start_allowance(_seconds(probe, "periodSeconds", 10) or 10, _seconds(probe, "initialDelaySeconds", 0),
                                typical_seconds=need)
    return allowance.threshold


def _allowed(probe: dict[str, Any], need: int) -> int:
    """The seconds the advised failureThreshold is sure to give (initialDelay + (threshold - 1) x period)."""
    allowance = start_allowance(_seconds(probe, "periodSeconds", 10) or 10, _seconds(probe, "initialDelaySeconds", 0),
                                typical_seconds=need)
    return int(allowance.seconds)


def _describe(kind: str) -> str:
    return {"jvm": "a JVM app", "node": "a Node.js app", "python": "a Python app", "ruby": "a Ruby app",
            "dotnet": "a .NET app", "php": "a PHP app", "database": "a database", "native": "a compiled app",
            }.get(kind, "an app of unknown kind")


@check(
    "liveness-without-startup",
    cause="probes.liveness",
    severity="warning",
    title="Liveness probe without startupProbe fires before the app can start",
    fix="Add a startupProbe on the same endpoint whose failureThreshold x periodSeconds covers the slowest start.",
)
def liveness_without_startup(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container with a livenessProbe, no startupProbe, and a liveness budget (initialDelaySeconds
    + failureThreshold x periodSeconds) shorter than the app needs to start: 60 s for JVM apps,
    30 s for databases and Ruby, 15 s for Node.js and Python, 5 s otherwise (image_facts.yaml,
    `runtimes`, each with its reason; known slow images such as Keycloak or MySQL have their own).

    ## Why the pod fails
    The kubelet starts probing liveness after initialDelaySeconds; an app that is not listening
    yet fails every check and is killed after failureThreshold failures, starts again, is killed
    again: a crash loop of a healthy app (events "Liveness probe failed", "failed liveness probe,
    will be restarted", exit 137 or 143).

    ## How to fix
    Add a startupProbe (liveness waits until it succeeds once) with a generous
    failureThreshold x periodSeconds; keep the liveness probe fast.

    ## Near misses
    A container with a startupProbe is judged by startup-budget-short instead. How long an app
    needs is a typical value, so this is a warning, not an error.
    """
    for c in w.containers:
        liveness = c.spec.get("livenessProbe")
        if not isinstance(liveness, dict) or isinstance(c.spec.get("startupProbe"), dict):
            continue
        have, sum_text = budget(liveness)
        need, kind, reason = needed_seconds(c)
        if have < need:
            # the startupProbe diagnose adds for a liveness kill at start, by the same arithmetic
            # (rules/probes.py: period min(liveness period, 10), no initial delay, killed after the budget)
            a = start_allowance(min(_seconds(liveness, "periodSeconds", 10), 10) or 10, 0, typical_seconds=need,
                                killed_after=have)
            yield Emit(
                w.line(c.spec, "livenessProbe"),
                f"liveness probe of container {c.name} allows {have} s before the first kill ({sum_text}) and "
                f"there is no startupProbe; {_describe(kind)} needs about {need} s: {reason}",
                container=c.name,
                fix=(f"Add a startupProbe on the liveness endpoint with periodSeconds: {a.period} and failureThreshold: "
                     f"{a.threshold} (sure to allow {a.seconds:.0f} s, twice the start time; the same arithmetic as "
                     f"diagnose, podmortem.remedy_math), or raise initialDelaySeconds to {need}."),
            )


@check(
    "startup-budget-short",
    cause="probes.startup",
    severity="warning",
    title="Startup probe gives up before the app can start",
    fix="Raise the startupProbe's failureThreshold so failureThreshold x periodSeconds covers the slowest start.",
)
def startup_budget_short(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A startupProbe whose initialDelaySeconds + failureThreshold x periodSeconds is shorter than the
    app needs to start (the same per-kind times as liveness-without-startup).

    ## Why the pod fails
    When the startup probe fails failureThreshold times in a row the kubelet kills the container
    ("failed startup probe, will be restarted") and the next start has the same budget.

    ## How to fix
    A startup probe exists to be generous: failureThreshold 30 x periodSeconds 10 (5 minutes) is
    common and costs nothing once the app is up.

    ## Near misses
    Liveness probes without a startup probe are liveness-without-startup.
    """
    for c in w.containers:
        startup = c.spec.get("startupProbe")
        if not isinstance(startup, dict):
            continue
        have, sum_text = budget(startup)
        need, kind, reason = needed_seconds(c)
        if have < need:
            period = _seconds(startup, "periodSeconds", 10) or 10
            yield Emit(
                w.line(c.spec, "startupProbe"),
                f"startup probe of container {c.name} gives up after {have} s ({sum_text}); {_describe(kind)} "
                f"needs about {need} s: {reason}",
                container=c.name,
                fix=(f"Raise failureThreshold to {_threshold(startup, need)} (sure to allow "
                     f"{_allowed(startup, need)} s at periodSeconds {period}, twice the start time; the same "
                     f"arithmetic as diagnose, podmortem.remedy_math)."),
            )


def _handler(probe: dict[str, Any]) -> tuple[str, Any] | None:
    for key in _HANDLERS:
        if isinstance(probe.get(key), dict):
            h = dict(probe[key])
            if key == "httpGet":
                h.setdefault("path", "/")
                h.setdefault("scheme", "HTTP")
                h["path"] = str(h["path"]) or "/"
            return key, sorted((str(k), repr(v)) for k, v in h.items())
    return None


@check(
    "liveness-equals-readiness",
    cause="probes.liveness",
    severity="warning",
    title="Liveness probe is the same check as the readiness probe",
    fix="Point liveness at a cheap endpoint that only says the process is alive; keep dependency checks in readiness.",
)
def liveness_equals_readiness(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container whose livenessProbe and readinessProbe run the same check (same handler, path,
    port, command).

    ## Why the pod fails
    Readiness answers "can I take traffic now", liveness "must I be restarted". With one check for
    both, every moment of overload or of a dependency outage that makes the app unready also gets
    it killed, and the restart makes the overload worse: a crash loop out of a brief slowdown.

    ## How to fix
    Give liveness its own endpoint that checks only the process (or drop it), or at least a much
    larger failureThreshold than readiness.

    ## Near misses
    Same endpoint but a liveness failureThreshold at least twice readiness's is not reported:
    readiness then acts long before liveness does.
    """
    for c in w.containers:
        liveness, readiness = c.spec.get("livenessProbe"), c.spec.get("readinessProbe")
        if not isinstance(liveness, dict) or not isinstance(readiness, dict):
            continue
        h = _handler(liveness)
        if h is None or h != _handler(readiness):
            continue
        if _seconds(liveness, "failureThreshold", 3) >= 2 * max(1, _seconds(readiness, "failureThreshold", 3)):
            continue
        yield Emit(w.line(c.spec, "livenessProbe"),
                   f"liveness and readiness probes of container {c.name} run the same {h[0]} check: whenever the "
                   f"app is unready it is also restarted", container=c.name)


@check(
    "probe-port-undeclared",
    cause="probes.liveness",
    severity="error",
    title="Probe targets a port the container does not declare",
    fix="Use the name or number of a port listed in the container's ports.",
)
def probe_port_undeclared(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A probe whose port is a name that none of the container's `ports` has (error for liveness
    and startup probes: the check can never pass), or a number that the container does not list
    while it lists others (warning: often a typo or a stale port).

    ## Why the pod fails
    The kubelet resolves a named port from the container's own ports; a missing name fails every
    probe. A liveness or startup probe that always fails kills the container again and again.

    ## How to fix
    Name the port in `ports` (`- name: http, containerPort: 8080`) and use the same name in the
    probe, or use the number the app really listens on.

    ## Near misses
    A number is not reported when the container lists no ports at all (listing ports is optional)
    or when another container of the pod lists it. A readiness probe is only a warning: it keeps
    the pod out of the Service but does not restart it.
    """
    pod_numbers = {p.get("containerPort") for c in w.containers for p in as_list(c.spec.get("ports"))
                   if isinstance(p, dict)}
    for c in w.containers:
        ports = [p for p in as_list(c.spec.get("ports")) if isinstance(p, dict)]
        names = {p.get("name") for p in ports if p.get("name")}
        numbers = {p.get("containerPort") for p in ports}
        for key, probe in iter_probes(c):
            for handler in ("httpGet", "tcpSocket", "grpc"):
                target = as_dict(probe.get(handler))
                if "port" not in target:
                    continue
                port = target["port"]
                kind = key.removesuffix("Probe")
                cause = "probes.startup" if kind == "startup" else "probes.liveness"
                line = w.line(target, "port")
                if isinstance(port, str) and not port.isdigit():
                    if port in names:
                        continue
                    known = ", ".join(sorted(str(n) for n in names)) or "none"
                    yield Emit(line, f"{kind} probe of container {c.name} uses port name {port!r}, which the "
                                     f"container does not declare (its port names: {known}); the probe can never succeed",
                               container=c.name, cause=cause,
                               severity="warning" if kind == "readiness" else None)
                else:
                    number = int(port) if isinstance(port, str) else port
                    if not numbers or number in pod_numbers:
                        continue
                    declared = ", ".join(str(n) for n in sorted(n for n in numbers if isinstance(n, int)))
                    yield Emit(line, f"{kind} probe of container {c.name} checks port {number}, which is not among "
                                     f"the ports the container declares ({declared})",
                               container=c.name, cause=cause, severity="warning")
