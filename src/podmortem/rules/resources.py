"""Rules for memory: the kernel's OOM kill at the cgroup limit, and a runtime's own heap exhaustion.

Kept side by side because they are each other's near miss: OOMKilled (exit 137, reason set by
the runtime) is the kernel; java.lang.OutOfMemoryError / "JavaScript heap out of memory" with
exit 1 or 3 and no OOMKilled is the language runtime hitting its own ceiling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.kube.quantity import parse_bytes
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
    Remedy,
    Step,
)
from podmortem.model.remedy import Value
from podmortem.remedy_math import format_mib, memory_limit_advice
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    cite_log,
    cite_message,
    cite_termination,
    find_log_lines,
    find_messages,
    main_suspect,
    namespace_of,
    pod_arg,
    watch_command,
    where,
)
from podmortem.rules.facts import PodFacts, printed
from podmortem.rules.output import by_container, find_output, placed
from podmortem.rules.patch import container_patch
from podmortem.rules.text import first_upper, who
from podmortem.rules.textindex import may_match

# Node-problem-detector / kernel lines and kubelet SystemOOM events that name an OOM kill.
_KERNEL_OOM = lazy(
    r"(Memory cgroup out of memory|Out of memory: Kill(?:ed)? process|System OOM encountered|oom-kill|OOMKill(?:ed|ing))",
    re.I,
)


def _may_be_oom_killed(facts: PodFacts) -> bool:
    # oom_killed_last_state: an OOMKilled termination, or the kernel's OOM wording in a message
    return (any(t.reason == "OOMKilled" for c in facts.pod.containers for t in c.terminations)
            or may_match(facts.said, _KERNEL_OOM))


def _memory_patch(container: str | None, limit: str | None, init: bool) -> tuple[dict[str, Any] | None, str]:
    """A strategic-merge patch raising the limit (remedy_math: never lower), and the new value as text.
    No patch and no number when the current limit is unknown: the remedy then reads it."""
    new = memory_limit_advice(parse_bytes(limit) if limit else None)  # the number lint advises too
    if new is None:
        return None, ("about twice its current limit; the evidence does not show the limit, so read it first "
                      "(command below) and size it from the peak use you measure")
    patch = container_patch(container, init, {"resources": {"limits": {"memory": format_mib(new)}}})
    return patch, f"{format_mib(new)} (twice the current limit {limit}; then size it from the peak use you measure)"


def _limit_command(pod: PodEvidence, name: str | None, init: bool) -> Command:
    key = "initContainers" if init else "containers"
    path = f'{{.spec.{key}[?(@.name=="{name}")].resources.limits.memory}}' if name else \
        f"{{.spec.{key}[*].resources.limits.memory}}"
    return kubectl("get", "pod", pod_arg(pod), "-o", Joined(("jsonpath=", path)), namespace=namespace_of(pod))


def _memory_steps(pod: PodEvidence, patch: dict[str, Any] | None, name: str | None, init: bool) -> tuple[Step, ...]:
    return (APPLY,) if patch is not None else (_limit_command(pod, name, init),)


def _dmesg(pod: PodEvidence) -> Command:
    node: Value = pod.node if pod.node else Placeholder("NODE")
    return kubectl("debug", Joined(("node/", node)), "-it", "--profile=sysadmin", "--image=busybox:1.36", "--",
                   "dmesg", pipe=Command(("grep", "-i", "killed process")))


def _top(pod: PodEvidence) -> Command:
    return kubectl("top", "pod", pod_arg(pod), "--containers", namespace=namespace_of(pod))


@rule(
    "oom-killed-last-state",
    cause="resources.oom-killed",
    title="Container was killed by the kernel at its memory limit",
    needs=("status", "spec"),
    lint_check="memory-limit-missing",
    when=_may_be_oom_killed,
)
def oom_killed_last_state(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose current or last state is `Terminated` with reason `OOMKilled`, or exit
    code 137 together with a kernel/node OOM event.

    ## Why the pod crash-loops
    The container's memory cgroup reached `resources.limits.memory`; the kernel killed the
    process with SIGKILL (exit 137) and the kubelet restarted it with back-off.

    ## Evidence used
    `lastState.terminated.reason: OOMKilled`, the exit code, the memory limit from the spec,
    and node events `OOMKilling` / `SystemOOM` when present.

    ## How to fix
    Raise the memory limit above the process's peak use, or make the app use less (for the JVM
    set `-XX:MaxRAMPercentage` so the heap stays below the limit).

    ## Near misses
    Exit 137 without `OOMKilled` after `Liveness probe failed` events is a liveness kill
    (`probes.liveness`). `java.lang.OutOfMemoryError` with exit 1 is `resources.runtime-oom`.
    """
    for c in pod.containers:
        for t in c.terminations:
            if t.reason == "OOMKilled":
                limit = c.spec.limits.get("memory") if c.spec else None
                evidence = [cite_termination(pod, c, t)]
                if limit:
                    evidence.append(Citation("spec" if pod.origin != "describe" else "describe",
                                             f"Limits: memory: {limit}", f"spec.containers[{c.name}].resources.limits"))
                patch, new = _memory_patch(c.name or None, limit, c.init)
                restarts = f" ({c.restart_count} restarts)" if c.restart_count else ""
                yield Hit(
                    container=c.name or None, init=c.init,
                    summary=(f"Container {c.name or ''} was OOMKilled{restarts}: it reached its memory limit"
                             + (f" of {limit}" if limit else "") + " and the kernel killed it.").replace("  ", " "),
                    evidence=tuple(evidence),
                    remedy=Remedy(
                        f"Raise resources.limits.memory of {c.name or 'the container'} to {new}.",
                        patch,
                        (*_memory_steps(pod, patch, c.name or None, c.init), watch_command(pod)),
                    ),
                    confidence=0.95, strength=3,
                )
                break
    kernel = find_messages(pod, _KERNEL_OOM)
    if kernel:
        m, _ = kernel[0]
        suspect = pod.container(m.container) if m.container else main_suspect(pod)
        if suspect is None or not any(t.reason == "OOMKilled" for t in suspect.terminations):
            name, init = where(pod, suspect)
            yield Hit(
                container=name, init=init,
                summary="The kernel's OOM killer killed a process of this pod.",
                evidence=(cite_message(m),),
                remedy=Remedy("Raise the container's memory limit above its peak use (read the current limit with the "
                              "command below; never lower it), or lower its memory use.",
                              None, (_limit_command(pod, name, init), watch_command(pod))),
                confidence=0.7, strength=2,
            )


# How a parent reports a child that died of SIGKILL: the shells (dash/busybox "Killed" alone on its
# line, bash "script: line 14:    7 Killed    cmd", zsh "zsh: killed"), npm ("npm ERR! signal
# SIGKILL"), yarn and pnpm ('Command failed with signal "SIGKILL"'), Python's subprocess ("died with
# <Signals.SIGKILL: 9>"), Go's os/exec ("signal: killed"), gcc ("Killed signal terminated program
# cc1plus"), make ("*** [target] Killed"), gunicorn ("was sent SIGKILL! Perhaps out of memory?"),
# Celery ("exited prematurely: signal 9 (SIGKILL)"), PyTorch's DataLoader ("is killed by signal:
# Killed") and Airflow ("Negsignal.SIGKILL").
_CHILD_SIGKILLED = lazy(
    r"^(?:\[pod/[^\]]+\] )?(?:\d{4}-\d\d-\d\dT\S+ )?Killed\s*$"
    r"|\bline \d+:\s+\d+ Killed\b|\bzsh: killed\b"
    r"|\bnpm (?:ERR!|error) signal SIGKILL|Command failed with signal \"?SIGKILL"
    r"|died with <Signals\.SIGKILL: 9>|\bsignal: killed\b|Killed signal terminated program"
    r"|\*\*\* \[[^\]]*\] Killed|was sent SIGKILL! Perhaps out of memory|signal 9 \(SIGKILL\)"
    r"|is killed by signal: Killed|Negsignal\.SIGKILL"
)
# The kubelet's own kills (probe failures, a stop): those SIGKILLs are not the kernel's.
_KUBELET_KILL = lazy(r"failed (?:liveness|startup) probe|is unhealthy, it will be killed|Stopping container",
                           re.I)


@rule(
    "child-sigkilled-oom",
    cause="resources.oom-killed",
    title="A process was killed with SIGKILL, most likely by the OOM killer",
    needs=("logs", "status", "spec"),
    lint_check="memory-limit-missing",
    when=printed,
)
def child_sigkilled_oom(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A parent process reporting that a child died of SIGKILL: a shell's bare `Killed` (dash,
    busybox) or `line 14:  7 Killed  python train.py` (bash), `npm ERR! signal SIGKILL`, yarn's
    `Command failed with signal "SIGKILL"`, Python's `died with <Signals.SIGKILL: 9>`, Go's
    `signal: killed`, gcc's `Killed signal terminated program cc1plus`, gunicorn's `was sent
    SIGKILL! Perhaps out of memory?`.

    ## Why the pod crash-loops
    Inside a container nothing sends SIGKILL unprompted except the kernel's OOM killer when the
    container's memory cgroup reaches its limit (the kubelet's own kills show up as probe or stop
    events). When the killed process is a child rather than the container's main process, the
    runtime does not mark the container `OOMKilled`: the parent prints `Killed` and exits with
    an error, so the diagnosis is inferred, at modest confidence.

    ## Evidence used
    The parent's report in the crashed container's log, the memory limit from the spec, and the
    absence of probe kills for that container (with them it stays a weak hint).

    ## How to fix
    Raise the container's memory limit above the peak use of the step that was killed (model
    loading, a build, a batch), or make that step use less memory; confirm with the node's
    kernel log (`Killed process ... (python)`) or memory metrics.

    ## Near misses
    A container whose status says `OOMKilled` is rule `oom-killed-last-state`. Exit 137 after
    `Liveness probe failed` events is the kubelet's kill (`probes.liveness`). A process that
    prints `Killed` for a job it killed itself (`kill -9`) is not an OOM kill; the log usually
    shows that command.
    """
    for found in by_container(find_output(pod, _CHILD_SIGKILLED, limit=3)).values():
        om = found[0]
        c = om.container
        if c is not None and any(t.reason == "OOMKilled" for t in c.terminations):
            continue  # the status says it outright: rule oom-killed-last-state
        probe_killed = any(c is None or m.container in (None, c.name) for m, _ in find_messages(pod, _KUBELET_KILL))
        t = c.last_termination if c is not None else None
        confidence, strength = placed(om, 0.64)
        if probe_killed or (t is not None and t.exit_code == 0):
            confidence, strength = min(confidence, 0.45), 1
        limit = c.spec.limits.get("memory") if c is not None and c.spec is not None else None
        name, init = where(pod, c)
        evidence = [om.citation]
        if t is not None and c is not None:
            evidence.append(cite_termination(pod, c, t))
        if limit and c is not None:
            evidence.append(Citation("spec" if pod.origin != "describe" else "describe", f"Limits: memory: {limit}",
                                     f"spec.containers[{c.name}].resources.limits"))
        patch, new = _memory_patch(name, limit, init)
        where_text = f"container {name}" if name else "the container"
        yield Hit(
            container=name, init=init,
            summary=(f"A process in {where_text} was killed with SIGKILL; inside a container that is almost always "
                     "the kernel's OOM killer at the memory limit" + (f" of {limit}" if limit else "") + ". "
                     + (f"Inferred: the status says {t.reason or 'Error'} (exit {t.exit_code}), not OOMKilled, "
                        "because the killed process was not the container's main process."
                        if t is not None else "Inferred from the log alone: a killed child process does not make "
                        "the container OOMKilled, and no status was given.")),
            evidence=tuple(evidence),
            remedy=Remedy(
                f"Raise resources.limits.memory of {name or 'the container'} to {new}, or make the killed step use "
                "less memory; the node's kernel log confirms an OOM kill.",
                patch,
                (_dmesg(pod), _top(pod), *_memory_steps(pod, patch, name, init), watch_command(pod)),
            ),
            confidence=confidence, strength=strength, detail="sigkill-inferred",
        )


# Anything that shows the kubelet, not the kernel, ended the container: probe failures and kills, a stop.
_KUBELET_ENDED = lazy(r"(?:Liveness|Startup) probe failed|failed (?:liveness|startup) probe"
                            r"|is unhealthy, it will be killed|Stopping container|definition changed", re.I)


@rule(
    "sigkill-exit-inferred-oom",
    cause="resources.oom-killed",
    title="The main process died of SIGKILL with no probe or stop to explain it",
    needs=("status", "events", "spec"),
    lint_check="memory-limit-missing",
)
def sigkill_exit_inferred_oom(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose last instance ended with exit code 137 (SIGKILL) and reason `Error` (not
    `OOMKilled`), with no liveness or startup probe failures, no Killing/stop event for it and no
    eviction of the pod.

    ## Why the pod crash-loops
    Inside a container only a few things send SIGKILL: the kubelet (after a failed probe or a
    stop, which leaves events) and the kernel's OOM killer. Some runtimes (cgroup v2 with older
    containerd or CRI-O, or a kill of the main process by a node-level OOM) do not set the
    `OOMKilled` reason, so a bare 137 with nothing else to explain it is most likely memory;
    the diagnosis is inferred, at low confidence.

    ## Evidence used
    The last termination (exit 137, reason), the memory limit from the spec, the pod's events
    (the absence of probe and kill events for that container).

    ## How to fix
    Confirm with the node's kernel log (`Memory cgroup out of memory: Killed process`) or memory
    metrics, then raise the container's memory limit above its peak use.

    ## Near misses
    Exit 137 after `Liveness probe failed` events, or with a `Killing` event, is the kubelet's
    kill (`probes.liveness`). A container with a liveness probe and no events at all to read is
    left to the probe rule (the events that would decide it are missing). An evicted pod is
    `node.pressure`.
    """
    if (pod.reason or "").lower() == "evicted":
        return
    for c in pod.containers:
        t = c.last_termination
        if t is None or t.exit_code != 137 or t.reason not in (None, "Error"):
            continue
        if any(x.reason == "OOMKilled" for x in c.terminations):
            continue
        if any(m.container in (None, c.name) for m, _ in find_messages(pod, _KUBELET_ENDED)):
            continue
        probed = c.spec is not None and (c.spec.liveness is not None or c.spec.startup is not None)
        if probed and not pod.has_events:
            continue
        limit = c.spec.limits.get("memory") if c.spec is not None else None
        evidence = [cite_termination(pod, c, t)]
        if limit:
            evidence.append(Citation("spec" if pod.origin != "describe" else "describe", f"Limits: memory: {limit}",
                                     f"spec.containers[{c.name}].resources.limits"))
        patch, new = _memory_patch(c.name or None, limit, c.init)
        name = c.name or None
        yield Hit(
            container=name, init=c.init,
            summary=(f"{first_upper(who(name))} was killed with SIGKILL (exit 137) although its status does not say "
                     "OOMKilled, and no probe failure or stop event explains it; the most likely sender is the "
                     "kernel's OOM killer" + (f" at the memory limit of {limit}" if limit else "") + ". Inferred."),
            evidence=tuple(evidence),
            remedy=Remedy(
                f"Confirm the OOM kill in the node's kernel log, then raise resources.limits.memory of "
                f"{name or 'the container'} to {new}.",
                patch,
                (_dmesg(pod), _top(pod), *_memory_steps(pod, patch, name, c.init), watch_command(pod)),
            ),
            confidence=0.5 if limit else 0.42, strength=1, detail="sigkill-exit-inferred",
        )


# Runtime heap exhaustion messages, by runtime (their exact wording as printed by each VM).
_RUNTIME_OOM = lazy(
    r"(java\.lang\.OutOfMemoryError"                        # JVM: "Java heap space", "GC overhead limit exceeded", "Metaspace"
    r"|JavaScript heap out of memory"                          # Node/V8: "FATAL ERROR: ... JavaScript heap out of memory"
    r"|Allocation failed - process out of memory"              # older V8
    r"|Ineffective mark-compacts near heap limit"
    r"|System\.OutOfMemoryException"                           # .NET
    r"|\bMemoryError\b(?!:\s*$)"                               # Python
    r"|fatal error: runtime: out of memory"                    # Go runtime
    r"|failed to allocate memory \(NoMemoryError\)|\bNoMemoryError\b"  # Ruby
    r"|Allowed memory size of \d+ bytes exhausted)",          # PHP memory_limit
)


@rule(
    "runtime-heap-exhausted",
    cause="resources.runtime-oom",
    title="The language runtime ran out of its own heap",
    needs=("logs", "status"),
    lint_check="heap-flag-far-below-limit",
    when=printed,
)
def runtime_heap_exhausted(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which a language runtime reports exhausting its heap: the JVM's
    `java.lang.OutOfMemoryError`, V8's `JavaScript heap out of memory`, .NET's
    `System.OutOfMemoryException`, Python's `MemoryError`, Go's `runtime: out of memory`,
    PHP's `Allowed memory size ... exhausted`.

    ## Why the pod crash-loops
    The runtime's own ceiling (`-Xmx`, `--max-old-space-size`, `memory_limit`) is lower than the
    memory the app needs, so the process dies (exit 1, 3 or 134) before the cgroup limit is reached.

    ## Evidence used
    The runtime's error line in the crashed container's log, or in its termination message (the
    log tail kept with terminationMessagePolicy FallbackToLogsOnError); the absence of `OOMKilled`.

    ## How to fix
    Raise the runtime's heap ceiling together with the container limit (JVM
    `-XX:MaxRAMPercentage=75`, Node `NODE_OPTIONS=--max-old-space-size=<MiB>`), or fix the leak.

    ## Near misses
    A container with `OOMKilled` in its last state was killed by the kernel
    (`resources.oom-killed`), even if the log also shows an OutOfMemoryError.
    """
    found: list[tuple[ContainerEvidence, Citation, str]] = [
        (lm.container, cite_log(lm), lm.match.group(1)) for lm in find_log_lines(pod, _RUNTIME_OOM, limit=2)]
    # Without a log, the termination message (the log tail kept by terminationMessagePolicy
    # FallbackToLogsOnError) is the crashed instance's last words.
    for m, hit in find_messages(pod, _RUNTIME_OOM):
        mc = pod.container(m.container) if m.container else None
        if mc is not None and not mc.logs and (m.path or "").endswith(".terminated.message"):
            found.append((mc, cite_message(m), hit.group(1)))
    for c, cited, text in found:
        if any(t.reason == "OOMKilled" for t in c.terminations):
            continue
        patch: dict[str, Any] | None = None
        evidence = [cited]
        t = c.last_termination
        if t is not None:
            evidence.append(cite_termination(pod, c, t))
        if "JavaScript" in text or "mark-compact" in text or "Allocation failed" in text:
            fix = ("Set NODE_OPTIONS=--max-old-space-size=<MiB> to about 75% of the container's memory limit, "
                   "and raise the limit if the app needs more.")
            detail = "v8-heap"
        elif "java" in text.lower():
            fix = ("Size the JVM heap from the container limit (-XX:MaxRAMPercentage=75 instead of a fixed -Xmx) "
                   "and raise the memory limit if the heap is really needed.")
            detail = "jvm-heap"
            env_fix = _jvm_heap_env(c)
            if env_fix is not None:
                var, value, limit = env_fix
                fix = (f"Size the JVM heap from the container limit: {var} sets a fixed -Xmx; the patch replaces it "
                       f"with -XX:MaxRAMPercentage=75 (a heap of about {limit} x 75%), keeping its other options.")
                patch = container_patch(c.name or None, c.init, {"env": [{"name": var, "value": value}]})
        else:
            fix = "Raise the runtime's memory ceiling and the container's memory limit together, or fix the leak."
            detail = None
        name = c.name or None
        outside = (None if patch is not None else
                   "the heap ceiling is set where the evidence does not show it (the image's entrypoint, a config "
                   "file, or an env the spec does not carry)")
        yield Hit(
            container=name, init=c.init,
            summary=f"The runtime in {('container ' + name) if name else 'the container'} ran out of heap: {text}.",
            evidence=tuple(evidence),
            remedy=Remedy(fix, patch, (watch_command(pod),), outside_spec=outside),
            confidence=0.9, strength=2, detail=detail,
        )
        return


# Env variables the JVM reads options from: JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS by the JVM itself
# (hotspot arguments.cpp prints "Picked up %s: %s" for them), *_JAVA_OPTS / JAVA_OPTS by launch scripts.
_JVM_OPTION_VARS = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_OPTS")
_XMX = lazy(r"(?<!\S)-Xmx\d+[kKmMgGtT]?(?!\S)")
_XMS = lazy(r"(?<!\S)-Xms(\d+)([kKmMgGtT]?)(?!\S)")
_JVM_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def _initial_heap_fits(options: str, limit_bytes: int) -> bool:
    """Whether every -Xms in the options is at most the 75% of the limit the new maximum heap will be: the
    JVM refuses to start when the initial heap is larger than the maximum."""
    return all(int(n) * _JVM_UNITS[unit.lower()] <= limit_bytes * 0.75 for n, unit in _XMS.findall(options))


def _jvm_heap_env(c: ContainerEvidence) -> tuple[str, str, str] | None:
    """(variable, its value with -Xmx replaced by -XX:MaxRAMPercentage=75, the memory limit) when the spec's
    own env sets a fixed heap and the container has a memory limit to take 75% of; else None."""
    spec = c.spec
    limit = spec.limits.get("memory") if spec is not None else None
    limit_bytes = parse_bytes(limit) if limit else None
    if spec is None or not limit or not limit_bytes:
        return None
    for var in spec.env:
        if var.value is None or var.ref_kind is not None or not (var.name in _JVM_OPTION_VARS
                                                                  or var.name.endswith("_JAVA_OPTS")):
            continue
        if (len(_XMX.findall(var.value)) == 1 and "MaxRAMPercentage" not in var.value
                and _initial_heap_fits(var.value, limit_bytes)):
            return var.name, _XMX.sub("-XX:MaxRAMPercentage=75", var.value), limit
    return None


RULES: tuple[Rule, ...] = (oom_killed_last_state, child_sigkilled_oom, sigkill_exit_inferred_oom, runtime_heap_exhausted)
