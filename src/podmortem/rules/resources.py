"""Rules for memory: the kernel's OOM kill at the cgroup limit, and a runtime's own heap exhaustion.

Kept side by side because they are each other's near miss: OOMKilled (exit 137, reason set by
the runtime) is the kernel; java.lang.OutOfMemoryError / "JavaScript heap out of memory" with
exit 1 or 3 and no OOMKilled is the language runtime hitting its own ceiling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from podmortem.model import Citation, Hit, PodEvidence, Remedy
from podmortem.quantity import format_bytes, parse_bytes
from podmortem.rules._base import Rule, rule
from podmortem.rules._evidence import (
    cite_log,
    cite_message,
    cite_termination,
    find_log_lines,
    find_messages,
    main_suspect,
    watch_command,
    where,
    workload_ref,
)

# Node-problem-detector / kernel lines and kubelet SystemOOM events that name an OOM kill.
_KERNEL_OOM = re.compile(
    r"(Memory cgroup out of memory|Out of memory: Kill(?:ed)? process|System OOM encountered|oom-kill|OOMKill(?:ed|ing))",
    re.I,
)


def _memory_patch(container: str, limit: str | None, init: bool) -> tuple[str | None, str]:
    """A strategic-merge patch doubling the limit (or setting one), and the new value as text."""
    current = parse_bytes(limit) if limit else None
    if current:
        new = format_bytes(current * 2)
        why = f"doubles the current limit {limit}; then size it from the peak use you measure"
    else:
        new = "512Mi"
        why = "sets a limit to start from; size it from the peak use you measure"
    key = "initContainers" if init else "containers"
    patch = (
        "spec:\n  template:\n    spec:\n"
        f"      {key}:\n      - name: {container}\n        resources:\n"
        f"          limits:\n            memory: {new}\n          requests:\n            memory: {new}\n"
    )
    return patch, f"{new} ({why})"


@rule(
    "oom-killed-last-state",
    cause="resources.oom-killed",
    title="Container was killed by the kernel at its memory limit",
    needs=("status",),
    lint_check="memory-limit-missing",
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
                patch, new = _memory_patch(c.name or "CONTAINER", limit, c.init)
                restarts = f" ({c.restart_count} restarts)" if c.restart_count else ""
                yield Hit(
                    container=c.name or None, init=c.init,
                    summary=(f"Container {c.name or ''} was OOMKilled{restarts}: it reached its memory limit"
                             + (f" of {limit}" if limit else "") + " and the kernel killed it.").replace("  ", " "),
                    evidence=tuple(evidence),
                    remedy=Remedy(
                        f"Raise resources.limits.memory of {c.name or 'the container'} to {new}.",
                        patch,
                        (f"kubectl patch {workload_ref(pod)} --patch-file memory.yaml", watch_command(pod)),
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
                remedy=Remedy("Raise the container's memory limit above its peak use, or lower its memory use.",
                              _memory_patch(name or "CONTAINER", None, init)[0], (watch_command(pod),)),
                confidence=0.7, strength=2,
            )


# Runtime heap exhaustion messages, by runtime (their exact wording as printed by each VM).
_RUNTIME_OOM = re.compile(
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
    needs=("logs",),
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
    The runtime's error line in the crashed container's log; the absence of `OOMKilled`.

    ## How to fix
    Raise the runtime's heap ceiling together with the container limit (JVM
    `-XX:MaxRAMPercentage=75`, Node `NODE_OPTIONS=--max-old-space-size=<MiB>`), or fix the leak.

    ## Near misses
    A container with `OOMKilled` in its last state was killed by the kernel
    (`resources.oom-killed`), even if the log also shows an OutOfMemoryError.
    """
    for lm in find_log_lines(pod, _RUNTIME_OOM, limit=2):
        c = lm.container
        if any(t.reason == "OOMKilled" for t in c.terminations):
            continue
        evidence = [cite_log(lm)]
        t = c.last_termination
        if t is not None:
            evidence.append(cite_termination(pod, c, t))
        text = lm.match.group(1)
        if "JavaScript" in text or "mark-compact" in text or "Allocation failed" in text:
            fix = ("Set NODE_OPTIONS=--max-old-space-size=<MiB> to about 75% of the container's memory limit, "
                   "and raise the limit if the app needs more.")
            detail = "v8-heap"
        elif "java" in text.lower():
            fix = ("Size the JVM heap from the container limit (-XX:MaxRAMPercentage=75 instead of a fixed -Xmx) "
                   "and raise the memory limit if the heap is really needed.")
            detail = "jvm-heap"
        else:
            fix = "Raise the runtime's memory ceiling and the container's memory limit together, or fix the leak."
            detail = None
        name = c.name or None
        yield Hit(
            container=name, init=c.init,
            summary=f"The runtime in {('container ' + name) if name else 'the container'} ran out of heap: {text}.",
            evidence=tuple(evidence),
            remedy=Remedy(fix, None, (watch_command(pod),)),
            confidence=0.9, strength=2, detail=detail,
        )
        return


RULES: tuple[Rule, ...] = (oom_killed_last_state, runtime_heap_exhausted)
