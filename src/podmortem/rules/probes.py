"""Rules for the probes family: the kubelet kills a container because its liveness or startup probe fails.

The kill is announced by a `Killing` event (`Container app failed liveness probe, will be
restarted`), preceded by one `Unhealthy` event per failed attempt (`Liveness probe failed:
HTTP probe failed with statuscode: 500`). The container then ends with SIGTERM or, if it ignores
it, SIGKILL after the grace period: exit 143 or 137 with reason `Error`, never `OOMKilled`.
Readiness failures never restart anything, so they are not a cause here.

When the spec is known the rules compare the probe's budget (initialDelaySeconds +
failureThreshold x periodSeconds) with how long the killed instance ran, and size the fix from
that: a startupProbe covering the real start time, a longer timeoutSeconds for timeouts, or a
corrected path/port when the endpoint answers 404 or nothing listens there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from podmortem.kube.kubectl import kubectl, object_ref
from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Probe,
    Remedy,
    Step,
)
from podmortem.model.remedy import Value
from podmortem.remedy_math import port_number, start_allowance, typical_start_seconds
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_termination,
    container_named_in,
    events_command,
    main_suspect,
    may_say,
    messages,
    namespace_of,
    pod_arg,
    search_text,
    watch_command,
)
from podmortem.rules.facts import PodFacts, says
from podmortem.rules.output import find_output
from podmortem.rules.patch import container_patch
from podmortem.rules.spec import cite_spec
from podmortem.rules.text import who
from podmortem.rules.textindex import may_match

# The kubelet's Killing texts: current (`Container app failed liveness probe, will be restarted`), 1.7-1.9
# (`Killing container with id docker://app:Container failed liveness probe.. Container will be killed and
# recreated.`) and 1.5-1.6 (`pod "..." container "app" is unhealthy, it will be killed and re-created.`).
_KILL = lazy(
    r"failed (?P<kind>liveness|startup) probe|(?P<unhealthy>is unhealthy, it will be killed and re-created)", re.I)
_DOCKER_ID_NAME = lazy(r"docker://(?P<name>[a-z0-9][-a-z0-9.]*):")
_UNHEALTHY = lazy(
    r"(?P<kind>Liveness|Readiness|Startup) probe (?:failed|errored(?: and resulted in \w+ state)?):\s*(?P<output>.*)",
    re.S)
# 2015-era kubelets: every kill was `Killing <docker id>`, whatever its reason.
_LEGACY_KILL = lazy(r"\bKilling (?:container with (?:docker )?id )?(?:docker://)?(?P<id>[0-9a-f]{12,64})\b")

_TIMEOUT = lazy(
    r"Client\.Timeout exceeded|context deadline exceeded|i/o timeout|timed out|timeout: health rpc|request canceled",
    re.I)
_REFUSED = lazy(r"connection refused|no route to host|connection reset|EOF\b", re.I)
_STATUS = lazy(r"statuscode: (?P<code>\d{3})")
_GRPC = lazy(r"NOT_SERVING|does not implement the grpc health protocol", re.I)
_PROBE_CMD_MISSING = lazy(r"executable file not found|: not found|No such file or directory", re.I)
# the runtime's own words for an exec probe whose program is absent, whatever the spec says
_RUNTIME_CMD_MISSING = lazy(r"executable file not found in \$PATH|OCI runtime exec failed: .*not found")

# Start-up completion lines that give the app's real start time (Spring Boot, Quarkus, Micronaut).
_STARTED_IN = lazy(
    r"Started \S+ in (?P<s>\d+(?:\.\d+)?) seconds|started in (?P<s2>\d+(?:\.\d+)?)s\b|Startup completed in (?P<ms>\d+)ms")


@dataclass
class ProbeTrail:
    """The probe evidence about one container."""

    container: ContainerEvidence | None
    kills: list[Message] = field(default_factory=list)
    failures: list[Message] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def failure_count(self) -> int:
        return sum(m.event.count if m.event is not None else 1 for m in self.failures)


# Exit codes of a probe kill: the kubelet stops the container with SIGTERM, then SIGKILL; an app that
# handles SIGTERM may also end with 0.
_KILL_EXITS = frozenset({0, 137, 143})


def _may_kill_liveness(facts: PodFacts) -> bool:
    # liveness_probe_kill: a kill or probe-failure wording in a message (its trails), else a container
    # killed with 137/143 (reason Error or none) that has a liveness probe
    return may_match(facts.said, _KILL, _UNHEALTHY) or any(
        (t := c.last_termination) is not None and t.exit_code in (137, 143) and t.reason in (None, "Error")
        and c.spec is not None and c.spec.liveness is not None for c in facts.pod.containers)


def _exited_on_its_own(trail: ProbeTrail) -> bool:
    """No Killing event and the last instance ended with an exit code a probe kill does not give:
    the process died by itself (a crash during start-up) and the probe failures only saw it gone."""
    c = trail.container
    if trail.kills or c is None:
        return False
    t = c.last_termination
    return t is not None and t.exit_code is not None and t.exit_code not in _KILL_EXITS and t.reason != "OOMKilled"


def _probe_container(pod: PodEvidence, m: Message, kind: str) -> ContainerEvidence | None:
    if m.container is not None and pod.container(m.container) is not None:
        return pod.container(m.container)
    named = search_text(_DOCKER_ID_NAME, m.text)
    if named and pod.container(named.group("name")) is not None:
        return pod.container(named.group("name"))
    named_c = container_named_in(pod, m.text)
    if named_c is not None:
        return named_c
    with_probe = [c for c in pod.containers if c.spec is not None and _probe_of(c, kind) is not None]
    if len(with_probe) == 1:
        return with_probe[0]
    return main_suspect(pod)


def _probe_of(c: ContainerEvidence | None, kind: str) -> Probe | None:
    if c is None or c.spec is None:
        return None
    return c.spec.liveness if kind == "liveness" else c.spec.startup if kind == "startup" else c.spec.readiness


def _trails(pod: PodEvidence, kind: str) -> dict[str | None, ProbeTrail]:
    """Kills and failures of the given probe kind, grouped by container."""
    trails: dict[str | None, ProbeTrail] = {}
    if not may_say(pod, _KILL, _UNHEALTHY):
        return trails
    for m in messages(pod):
        if m.path and m.path.endswith(".terminated.message"):
            continue
        kill = search_text(_KILL, m.text)
        if kill is not None:
            killed_kind = (kill.group("kind") or "liveness").lower()
            if killed_kind == kind:
                c = _probe_container(pod, m, kind)
                trail = trails.setdefault(c.name if c is not None else None, ProbeTrail(c))
                trail.kills.append(m)
            continue
        fail = search_text(_UNHEALTHY, m.text)
        if fail is not None and fail.group("kind").lower() == kind:
            c = _probe_container(pod, m, kind)
            trail = trails.setdefault(c.name if c is not None else None, ProbeTrail(c))
            trail.failures.append(m)
            trail.outputs.append(fail.group("output").strip())
    return trails


def _failure_kind(outputs: list[str], probe: Probe | None) -> tuple[str, str | None]:
    """(detail, HTTP status) from what the probe reported."""
    codes = [s.group("code") for s in (_STATUS.search(o) for o in outputs) if s]
    if any(_TIMEOUT.search(o) for o in outputs):
        return "timeout", None
    if codes:
        code = codes[-1]
        return ("wrong-path" if code == "404" else "auth-required" if code in ("401", "403") else "unhealthy-status"), code
    if any(_REFUSED.search(o) for o in outputs):
        return "connection-refused", None
    if any(_GRPC.search(o) for o in outputs):
        return "grpc-not-serving", None
    if any(_RUNTIME_CMD_MISSING.search(o) for o in outputs) or (
            probe is not None and probe.handler == "exec" and any(_PROBE_CMD_MISSING.search(o) for o in outputs)):
        return "probe-command-missing", None
    if (probe is not None and probe.handler == "exec") or any(o for o in outputs):
        return "probe-failed", None
    return "unknown", None


def _handler(probe: Probe) -> dict[str, Any]:
    """The probe's handler as spec YAML, to copy into a startupProbe."""
    port: Any = int(probe.port) if probe.port and probe.port.isdigit() else probe.port
    if probe.handler == "http-get":
        h: dict[str, Any] = {"path": probe.path or "/", "port": port}
        if probe.scheme and probe.scheme.upper() != "HTTP":
            h["scheme"] = probe.scheme.upper()
        return {"httpGet": h}
    if probe.handler == "tcp-socket":
        return {"tcpSocket": {"port": port}}
    if probe.handler == "exec":
        return {"exec": {"command": list(probe.command)}}
    if probe.handler == "grpc":
        return {"grpc": {"port": port}}
    return {}


def _started_after(pod: PodEvidence, c: ContainerEvidence | None) -> float | None:
    """The app's own start time from its log, when it prints one."""
    for om in find_output(pod, _STARTED_IN, limit=1):
        if c is not None and om.container is not None and om.container.name != c.name:
            continue
        g = om.match.groupdict()
        if g.get("s") or g.get("s2"):
            return float(g.get("s") or g.get("s2") or 0)
        if g.get("ms"):
            return int(g["ms"]) / 1000
    return None


# "Listening on: http://0.0.0.0:8443", "listening on :8080", "Now listening on: http://[::]:5000",
# "Tomcat started on port 8080", "Serving on http://0.0.0.0:9000".
_LISTENING = lazy(r"(?i)(?:listening|serving|started)\s+(?:on|at)(?:\s+port)?:?\s+(?:\w+://)?\S*?:?(?P<port>\d{2,5})\b")


def _listening_ports(pod: PodEvidence, c: ContainerEvidence) -> list[str]:
    """The ports the app's log says it listens on, in order of appearance."""
    ports: list[str] = []
    for om in find_output(pod, _LISTENING, limit=5):
        if om.container is not None and om.container.name != c.name:
            continue
        for m in _LISTENING.finditer(om.line):
            if m.group("port") not in ports:
                ports.append(m.group("port"))
    return ports


def _budget_text(p: Probe) -> str:
    return (f"{p.budget_seconds}s (initialDelaySeconds {p.initial_delay_seconds} + failureThreshold "
            f"{p.failure_threshold} x periodSeconds {p.period_seconds})")


def _run_seconds(c: ContainerEvidence | None) -> float | None:
    if c is None:
        return None
    for t in c.terminations:
        if t.run_seconds is not None and t.run_seconds >= 0:
            return t.run_seconds
    return None


def _port_undeclared(c: ContainerEvidence | None, p: Probe | None) -> int | None:
    """The only declared port, when the probe targets a numeric port the container does not declare."""
    if c is None or c.spec is None or p is None or not p.port or not p.port.isdigit() or len(c.spec.ports) != 1:
        return None
    declared = c.spec.ports[0].container_port
    return declared if declared != int(p.port) else None


def _allowance(c: ContainerEvidence, period: int, delay: int, run: float | None,
               started: float | None) -> tuple[int, float, str]:
    """(failureThreshold, seconds allowed, why) from remedy_math, the same arithmetic lint uses."""
    image = c.spec.image if c.spec is not None else None
    a = start_allowance(period, delay, typical_seconds=typical_start_seconds(image), started_after=started,
                        killed_after=run)
    return a.threshold, a.seconds, a.reason


def _startup_patch(c: ContainerEvidence, base: Probe, threshold: int, period: int, existing: Probe | None
                   ) -> dict[str, Any]:
    probe: dict[str, Any] = {} if existing is not None else _handler(base)
    probe.update({"periodSeconds": period, "failureThreshold": threshold})
    if existing is None:
        probe["timeoutSeconds"] = max(base.timeout_seconds, 1)
    return container_patch(c.name or None, c.init, {"startupProbe": probe})


def _evidence(pod: PodEvidence, trail: ProbeTrail, probe: Probe | None) -> list[Citation]:
    out: list[Citation] = []
    for m in trail.kills[:1] + trail.failures[-2:]:
        out.append(cite_message(m))
    c = trail.container
    if c is not None:
        t = c.last_termination
        if t is not None:
            out.append(cite_termination(pod, c, t))
        if probe is not None:
            out.append(cite_spec(pod, c, f"{probe.kind}Probe", f"{probe.kind.capitalize()}: {probe.describe()}"))
    return out


def _timing(c: ContainerEvidence | None, p: Probe | None) -> tuple[float | None, str]:
    """How long the killed instance ran, said against the probe's budget when the spec is known."""
    run = _run_seconds(c)
    if p is None:
        return run, f" after running {run:.0f}s" if run is not None else ""
    if run is None:
        return None, f"; the probe allows {_budget_text(p)}"
    if run > p.budget_seconds + 2 * p.period_seconds:
        return run, (f": killed after running {run:.0f}s, long past the probe's start-up budget of "
                     f"{p.budget_seconds}s, so the app was up and then stopped answering")
    return run, f": killed after {run:.0f}s, the probe allows {_budget_text(p)}"


@rule(
    "liveness-probe-kill",
    cause="probes.liveness",
    title="The kubelet kills the container because its liveness probe fails",
    needs=("events", "spec", "status", "logs"),
    lint_check="liveness-without-startup",
    when=_may_kill_liveness,
)
def liveness_probe_kill(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `Killing` events `Container app failed liveness probe, will be restarted` (and the older
    `Container failed liveness probe.. Container will be killed and recreated` / `is unhealthy,
    it will be killed and re-created`), `Unhealthy` events `Liveness probe failed: ...` (HTTP
    status codes, `connection refused`, `Client.Timeout exceeded while awaiting headers`,
    `context deadline exceeded`, exec output, gRPC NOT_SERVING), and as a weak fallback an exit
    137/143 with reason `Error` on a container that has a liveness probe.

    ## Why the pod crash-loops
    After failureThreshold consecutive failures the kubelet stops the container (SIGTERM, then
    SIGKILL: exit 143 or 137) and restarts it with the usual back-off, so an app that is slow to
    start, slow to answer or probed at the wrong path/port is killed over and over.

    ## Evidence used
    Killing and Unhealthy events (with counts), the last termination (exit code, how long it
    ran), the liveness and startup probes from the spec and the declared ports.

    ## How to fix
    Compare "killed after N s" with the probe budget (initialDelaySeconds + failureThreshold x
    periodSeconds). Killed at the first chance with connection refused or timeouts: add a
    startupProbe whose failureThreshold x periodSeconds covers the real start time (patch).
    Timeouts on a running app: raise timeoutSeconds (patch) and keep the health endpoint cheap.
    404 or a port nothing listens on: fix path/port. 500: the app reports itself unhealthy; a
    liveness check should not depend on databases or other services.

    ## Near misses
    Readiness probe failures never restart the container. `OOMKilled` with liveness failures is
    `resources.oom-killed` (the engine's chain puts it first). A process that exits on its own
    with no Killing event is not a probe kill.
    """
    trails = _trails(pod, "liveness")
    for trail in trails.values():
        if not trail.kills and not trail.failures:
            continue
        c = trail.container
        yield _liveness_hit(pod, trail, c)
    if trails or _trails(pod, "startup"):
        return
    # fallback: a SIGTERM/SIGKILL exit without OOM on a container with a liveness probe, no events to say why
    for c in pod.containers:
        t = c.last_termination
        if (t is not None and t.exit_code in (137, 143) and t.reason in (None, "Error")
                and c.spec is not None and c.spec.liveness is not None):
            p = c.spec.liveness
            _, timing = _timing(c, p)
            yield Hit(
                container=c.name or None, init=c.init,
                summary=f"Container {c.name} was killed (exit {t.exit_code}, not OOMKilled) and has a liveness probe"
                        f"{timing}.",
                evidence=(cite_termination(pod, c, t), cite_spec(pod, c, "livenessProbe", f"Liveness: {p.describe()}")),
                remedy=Remedy("Check the pod's events for Unhealthy/Killing; if the liveness probe kills it, give it a "
                              "startupProbe or a longer timeout.", None,
                              (events_command(pod, ",reason=Unhealthy"), watch_command(pod))),
                confidence=0.45, strength=1, detail="exit-code-only",
            )


def _liveness_hit(pod: PodEvidence, trail: ProbeTrail, c: ContainerEvidence | None) -> Hit:
    p = _probe_of(c, "liveness")
    startup = _probe_of(c, "startup")
    detail, code = _failure_kind(trail.outputs, p)
    run, timing = _timing(c, p if startup is None else None)
    name = (c.name or None) if c is not None else None
    init = c.init if c is not None else False
    restarted = c is not None and (c.restart_count > 0 or c.last_termination is not None)
    if trail.kills:
        confidence, strength = 0.95, 3
    elif _exited_on_its_own(trail):
        confidence, strength = 0.5, 1
    elif restarted:
        confidence, strength = 0.9, 3
    else:
        confidence, strength = 0.85, 2
    fails = trail.failure_count
    what = {"timeout": "times out", "connection-refused": "finds nothing listening", "wrong-path": "gets 404",
            "auth-required": f"gets {code}", "unhealthy-status": f"gets HTTP {code}",
            "grpc-not-serving": "gets NOT_SERVING", "probe-command-missing": "cannot run its command",
            }.get(detail, "fails")
    summary = (f"The liveness probe of {who(name)} {what}"
               + (f" ({fails} failures)" if fails > 1 else "") + " and the kubelet kills it" + timing + ".")
    if _exited_on_its_own(trail):
        summary = (f"The liveness probe of {who(name)} {what}"
                   + (f" ({fails} failures)" if fails > 1 else "")
                   + f", but no Killing event shows a probe kill and the process ended with exit "
                   f"{c.last_termination.exit_code if c and c.last_termination else '?'}: it probably died by itself "
                   "and the probe only found it gone; read its log.")
    patch = None
    early = p is not None and run is not None and run <= p.budget_seconds + 2 * p.period_seconds
    undeclared = _port_undeclared(c, p)
    if detail == "wrong-path":
        fix = f"The probe path {p.path if p and p.path else ''} returns 404: point the liveness probe at the health " \
              "endpoint the app really serves."
    elif detail == "probe-command-missing":
        fix = "The exec probe's command is not in the image: use a command the image has, or an httpGet/tcpSocket probe."
    elif detail == "auth-required":
        fix = f"The health endpoint answers {code}: probes send no credentials, so expose an unauthenticated health path."
    elif detail == "connection-refused" and undeclared is not None and c is not None and p is not None:
        fix = (f"The probe targets port {p.port} but the container declares {undeclared}: nothing listens on "
               f"{p.port}. Probe the port the app listens on (patch).")
        patch = container_patch(name, init, {"livenessProbe": {_handler_key(p): {"port": undeclared}}})
        detail = "wrong-port"
    elif (detail == "connection-refused" and p is not None and c is not None
          and (started := _started_after(pod, c)) is not None and started < p.budget_seconds):
        ports = _listening_ports(pod, c)
        where_text = f" (its log says it listens on {', '.join(ports)})" if ports else ""
        fix = (f"The app reports it started after {started:.0f}s, inside the probe's budget of {p.budget_seconds}s, "
               f"yet nothing accepts connections on port {p.port}{where_text}: point the liveness probe at the port "
               "and path the app really serves.")
        detail = "wrong-port"
    elif detail == "timeout" and (not early or (p is not None and p.timeout_seconds <= 2)) and p is not None:
        new_timeout = max(5, p.timeout_seconds * 2)
        fix = (f"The app answers slower than timeoutSeconds={p.timeout_seconds}: raise it (patch: {new_timeout}s) and "
               "keep the health endpoint cheap (no database calls) so a busy app is not killed.")
        patch = container_patch(name, init, {"livenessProbe": {"timeoutSeconds": new_timeout,
                                                               "failureThreshold": max(p.failure_threshold, 3)}})
    elif (detail in ("connection-refused", "timeout") or early) and p is not None and c is not None:
        period = (startup.period_seconds if startup else None) or min(p.period_seconds, 10) or 10
        delay = startup.initial_delay_seconds if startup else 0
        threshold, allowed, why = _allowance(c, period, delay, max(run or 0, p.budget_seconds) or None,
                                             _started_after(pod, c))
        fix = (f"The app is not ready to answer within the probe's budget of {p.budget_seconds}s"
               + (f" (killed after {run:.0f}s)" if run is not None else "")
               + f". Add a startupProbe with failureThreshold {threshold} x periodSeconds {period}, which is sure to "
               f"allow {allowed:.0f}s to start ({why}); the liveness probe only starts after it succeeds (patch).")
        patch = _startup_patch(c, p, threshold, period, startup)
        detail = "slow-start" if detail != "timeout" else "timeout-at-start"
    elif detail == "timeout":
        fix = "The probe times out: raise timeoutSeconds and keep the health endpoint cheap."
    elif detail == "unhealthy-status":
        fix = (f"The app's health endpoint reports {code}: read its log for why; a liveness endpoint should not fail "
               "because a database or other service is down (that belongs in readiness).")
    else:
        fix = ("The liveness probe keeps failing: check the probe's path, port and command against what the app "
               "serves, and give a slow-starting app a startupProbe.")
    commands: list[Step] = []
    if p is not None and p.handler == "http-get" and c is not None and p.port:
        # a named port (`http`) is not a URL port: the number the container declares under that name,
        # else the PORT placeholder, and the text says what to fill in
        named = {q.name: q.container_port for q in (c.spec.ports if c.spec is not None else ()) if q.name}
        port = port_number(p.port, named)
        shown: Value = str(port) if port is not None else Placeholder("PORT")
        if port is None:
            fix += (f" (PORT below: the number of the container's port named {p.port!r}, which the evidence does "
                    "not give.)")
        commands.append(kubectl("port-forward", object_ref("pod", pod_arg(pod)), shown, namespace=namespace_of(pod),
                                flags_after=2, background=True))
        commands.append(Command(("curl", "-sv", Joined(("http://127.0.0.1:", shown, p.path or "/")))))
    if patch is not None:
        commands.append(APPLY)
    commands.append(watch_command(pod))
    return Hit(container=name, init=init, summary=summary, evidence=tuple(_evidence(pod, trail, p)),
               remedy=Remedy(fix, patch, tuple(commands)), confidence=confidence, strength=strength, detail=detail)


def _handler_key(p: Probe) -> str:
    return {"http-get": "httpGet", "tcp-socket": "tcpSocket", "grpc": "grpc"}.get(p.handler or "", "httpGet")


@rule(
    "legacy-kill-loop",
    cause="probes.liveness",
    title="Old-kubelet events show the container killed again and again (a liveness kill)",
    needs=("events", "spec"),
    when=says(_LEGACY_KILL),
)
def legacy_kill_loop(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    2015-era kubelet events that do not give the kill's reason: `killing` events with the
    message `Killing <docker id>`, repeated for successive container ids, between `created` /
    `started` events, with no other failure in sight.

    ## Why the pod crash-loops
    Those kubelets killed and recreated a container whose liveness probe failed without saying
    so; a kill every ~30 s of a container that was never reported as failing by itself is that
    loop.

    ## Evidence used
    Killing events and the number of distinct container ids killed; the liveness probe from the
    spec when known.

    ## How to fix
    Fix the liveness probe (path, port, initialDelaySeconds); upgrade the cluster to get
    `Unhealthy` events that say what fails.

    ## Near misses
    A single kill is a normal stop (deletion, rollout). Any stronger finding (OOM, an app error)
    outranks this one.
    """
    killed: dict[str | None, set[str]] = {}
    cites: dict[str | None, list[Citation]] = {}
    for m in messages(pod):
        hit = search_text(_LEGACY_KILL, m.text)
        if hit is None or "probe" in m.text:
            continue
        c = pod.container(m.container) if m.container else None
        key = c.name if c is not None else None
        killed.setdefault(key, set()).add(hit.group("id"))
        if m.event is not None and m.event.count > 1:
            killed[key].add(f"{hit.group('id')}#{m.event.count}")
        cites.setdefault(key, []).append(cite_message(m))
    for key, ids in killed.items():
        if len(ids) < 2:
            continue
        c = pod.container(key) if key is not None else main_suspect(pod)
        p = _probe_of(c, "liveness")
        evidence = cites[key][:3]
        if c is not None and p is not None:
            evidence.append(cite_spec(pod, c, "livenessProbe", f"Liveness: {p.describe()}"))
        name = (c.name or None) if c is not None else None
        yield Hit(
            container=name, init=c.init if c is not None else False,
            summary=f"The kubelet killed {who(name)} {len(ids)} times with no "
                    "other failure reported: old kubelets did this for a failing liveness probe.",
            evidence=tuple(evidence),
            remedy=Remedy("Fix the liveness probe (path, port, initialDelaySeconds) so a healthy container passes it.",
                          None, (watch_command(pod),)),
            confidence=0.8 if p is not None else 0.7, strength=2, detail="legacy-kill-events",
        )


@rule(
    "startup-probe-kill",
    cause="probes.startup",
    title="The kubelet kills the container because its startup probe gives up",
    needs=("events", "spec", "status", "logs"),
    lint_check="startup-budget-short",
    when=says(_KILL, _UNHEALTHY),
)
def startup_probe_kill(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `Killing` events `Container app failed startup probe, will be restarted` and `Unhealthy`
    events `Startup probe failed: ...`.

    ## Why the pod crash-loops
    The startup probe allows failureThreshold x periodSeconds (plus initialDelaySeconds) for the
    app to come up; an app that needs longer, or a probe aimed at the wrong endpoint, is killed
    at the end of that budget on every attempt and never gets to run.

    ## Evidence used
    Killing and Unhealthy events, the startup probe from the spec, how long the killed instance
    ran, and a start-up line in the log (`Started App in 95.3 seconds`) when the app prints one.

    ## How to fix
    Raise the startup probe's failureThreshold so failureThreshold x periodSeconds covers the
    real start time with margin (patch). If the app starts within the budget and the probe still
    fails (404, connection refused), fix the probe's path or port instead.

    ## Near misses
    Liveness kills after the app has started are `probes.liveness`. An app that crashes on its
    own during start-up shows its error in the log and exits without a Killing event.
    """
    for trail in _trails(pod, "startup").values():
        c = trail.container
        p = _probe_of(c, "startup")
        detail, code = _failure_kind(trail.outputs, p)
        run = _run_seconds(c)
        started = _started_after(pod, c)
        name = (c.name or None) if c is not None else None
        init = c.init if c is not None else False
        restarted = c is not None and (c.restart_count > 0 or c.last_termination is not None)
        confidence, strength = (0.95, 3) if trail.kills else (0.5, 1) if _exited_on_its_own(trail) \
            else (0.9, 3) if restarted else (0.8, 2)
        patch = None
        subject = who(name)
        if p is not None and started is not None and started < p.budget_seconds:
            fix = (f"The app reports it started after {started:.0f}s, inside the probe's budget of "
                   f"{p.budget_seconds}s, yet the probe failed"
                   + (f" ({code})" if code else "") + ": point the startup probe at the right path/port.")
            detail = "wrong-endpoint"
        elif detail == "wrong-path":
            fix = "The startup probe's path returns 404: point it at an endpoint the app serves."
        elif p is not None and c is not None:
            period = p.period_seconds or 10
            threshold, allowed, why = _allowance(c, period, p.initial_delay_seconds, run, started)
            fix = (f"The startup probe allows {_budget_text(p)}"
                   + (f"; the app needs {started:.0f}s" if started else
                      f"; the container was killed after {run:.0f}s" if run is not None else "")
                   + f". Raise failureThreshold to {threshold}, which is sure to allow {allowed:.0f}s at "
                   f"periodSeconds {period} ({why}) (patch).")
            patch = container_patch(name, init, {"startupProbe": {"failureThreshold": threshold,
                                                                  "periodSeconds": period}})
            detail = "budget-too-short" if detail in ("connection-refused", "timeout", "probe-failed", "unknown") \
                else detail
        else:
            fix = ("Raise the startup probe's failureThreshold so failureThreshold x periodSeconds covers the app's real "
                   "start time, or fix its path/port if the app is up and the probe still fails.")
        timing = f" after {run:.0f}s" if run is not None else ""
        budget = f" (budget {p.budget_seconds}s)" if p is not None else ""
        summary = f"The startup probe of {subject} gave up{timing}{budget} and the kubelet killed it before it started."
        if _exited_on_its_own(trail) and c is not None and c.last_termination is not None:
            summary = (f"The startup probe of {subject} fails, but no Killing event shows a probe kill and the process "
                       f"ended with exit {c.last_termination.exit_code}: it probably crashed during start-up and the "
                       "probe only found it gone; read its log.")
        yield Hit(
            container=name, init=init,
            summary=summary,
            evidence=tuple(_evidence(pod, trail, p)),
            remedy=Remedy(fix, patch, ((APPLY,) if patch is not None else ()) + (watch_command(pod),)),
            confidence=confidence, strength=strength, detail=detail,
        )


def hair_trigger(p: Probe | None) -> bool:
    """A liveness probe one slow answer can fail: a single failure kills, or an exec probe gets 1s."""
    return p is not None and (p.failure_threshold <= 1 or (p.handler == "exec" and p.timeout_seconds <= 1))


def hair_trigger_exec(p: Probe | None) -> bool:
    """Both at once: an exec probe (a process started in the container) with 1s, killed on one failure."""
    return p is not None and p.handler == "exec" and p.timeout_seconds <= 1 and p.failure_threshold <= 1


def probe_kill_reported(pod: PodEvidence, name: str | None) -> bool:
    return any((m.container in (None, name)) and (search_text(_KILL, m.text) or search_text(_UNHEALTHY, m.text))
               for m in messages(pod))


@rule(
    "exit-zero-under-hair-trigger-probe",
    cause="probes.liveness",
    title="A clean exit (0) under a liveness probe that one slow answer fails: maybe a probe kill",
    needs=("status", "spec", "events"),
)
def exit_zero_under_hair_trigger_probe(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose last instance ended `Completed` with exit code 0 while its liveness probe
    kills on one failure (`#failure=1`) or is an exec probe with `timeout=1s`, and the paste holds
    no probe events either way (describe output often lacks them once they age out).

    ## Why the pod crash-loops
    An app that handles SIGTERM exits 0 when the kubelet kills it for a failed probe, which looks
    exactly like a process that finished by itself. This rule is the other reading beside
    `main-process-exited-zero`; neither is sure. An exec probe with a 1s timeout that kills on its
    first failure ranks first (starting a process in a busy container often takes longer than 1s);
    either condition alone ranks second.

    ## Evidence used
    The termination (Completed, exit 0), the probe's timeout and failure threshold, and the
    absence of `Liveness probe failed` / `failed liveness probe` events.

    ## How to fix
    `kubectl get events --field-selector involvedObject.name=POD` while it restarts separates the
    two: probe failures mean raise `timeoutSeconds` and `failureThreshold`; none mean the process
    really exits.

    ## Near misses
    With `Liveness probe failed` events, rule `liveness-probe-kill` decides. Exit 0 under
    restartPolicy Always with a lenient probe is `app.exit-zero`.
    """
    for c in pod.containers:
        t = c.last_termination
        probe = c.spec.liveness if c.spec is not None else None
        if t is None or t.exit_code != 0 or (t.reason not in (None, "", "Completed")) or not hair_trigger(probe):
            continue
        if (c.init and not c.is_sidecar) or probe_kill_reported(pod, c.name or None):
            continue
        assert probe is not None
        shown = (f"{probe.handler or 'liveness'} probe timeout={probe.timeout_seconds}s "
                 f"#failure={probe.failure_threshold}")
        yield Hit(
            container=c.name or None, init=c.init,
            summary=(f"{who(c.name or None)} ended with exit code 0, and its liveness probe ({shown}) kills it after one "
                     "slow or failed answer; an app that exits cleanly on SIGTERM looks the same, so this may be a "
                     "probe kill rather than a process that finishes by itself. Probe events (Liveness probe failed) "
                     "would settle it."),
            evidence=(cite_termination(pod, c, t), cite_spec(pod, c, "livenessProbe", f"Liveness: {shown}")),
            remedy=Remedy(
                "Watch the events while it restarts: if the liveness probe fails, raise its timeoutSeconds and "
                "failureThreshold; if it does not, the main process exits by itself (see app.exit-zero).", None,
                (kubectl("get", "events", "--field-selector",
                         Joined(("involvedObject.name=", pod_arg(pod))), "-w", namespace=namespace_of(pod)),
                 watch_command(pod))),
            confidence=0.62 if hair_trigger_exec(probe) else 0.5, strength=2, detail="exit-zero-hair-trigger-probe",
        )


RULES: tuple[Rule, ...] = (liveness_probe_kill, legacy_kill_loop, startup_probe_kill, exit_zero_under_hair_trigger_probe)
