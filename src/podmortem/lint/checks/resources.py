"""Memory checks: a missing limit, a quantity nobody means, and a runtime heap larger than the limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podmortem.kube.heap import COMMAND_RANK, env_rank, read_heap_flags
from podmortem.kube.quantity import format_bytes, parse_quantity
from podmortem.lint.checks.base import check
from podmortem.lint.memory import MIB as _MIB
from podmortem.lint.memory import (
    MIN_HEAP,
    heap_advice,
    outside_heap_bytes,
    outside_heap_text,
    round_up,
    runtime_memory,
)
from podmortem.lint.model import Emit
from podmortem.lint.workloads import ContainerView, Workload, as_dict, as_list, runtime_of
from podmortem.remedy_math import format_mib, memory_limit_advice

MIB = 2**20
# Below this a container cannot even start its runtime: it is OOM-killed at once (the runc/
# containerd floor is about 6 MB; no real process fits in less than a few MiB).
MIN_MEMORY = 4 * MIB


def quantity_bytes(value: Any) -> float | None:
    """A memory quantity as Kubernetes parses it, or None when the API server would reject it."""
    return parse_quantity(value)


def _pod_memory_limit(w: Workload) -> Any:
    """Pod-level resources (`spec.resources`, Kubernetes 1.32+) bound every container together."""
    return as_dict(as_dict(w.pod_spec.get("resources")).get("limits")).get("memory")


@check(
    "memory-limit-missing",
    cause="resources.oom-killed",
    severity="warning",
    title="Container has no memory limit",
    fix="Set resources.limits.memory (and requests.memory) from the peak use you measured, e.g. 512Mi.",
)
def memory_limit_missing(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    An app container (or sidecar) without `resources.limits.memory`, in a pod without a pod-level
    memory limit. A LimitRange with a default memory limit in the same namespace, in the files of
    the run, silences it.

    ## Why the pod fails
    Without a limit the container grows until the node runs short of memory; then the kernel or
    the kubelet kills it (or its neighbours) with no limit to explain why, and the restarts look
    random. A limit makes the failure an `OOMKilled` that names this container.

    ## How to fix
    Measure the peak (`kubectl top pod`, your metrics) and set `limits.memory` a margin above it;
    set `requests.memory` so the scheduler reserves it.

    ## Near misses
    Init containers are not reported (they run alone and finish). A memory limit set by a
    LimitRange default counts only when the LimitRange is in the files given.
    """
    if _pod_memory_limit(w) is not None:
        return
    for c in w.containers:
        if not c.runs_alongside or c.memory_limit() is not None:
            continue
        line = w.line(c.spec, "resources") if "resources" in c.spec else w.line(c.spec)
        yield Emit(line, f"container {c.name} has no memory limit", container=c.name)


@check(
    "memory-quantity-suspicious",
    cause="resources.oom-killed",
    severity="error",
    title="Memory quantity that cannot be meant",
    fix="Write memory in binary units: 512Mi, 2Gi (Mi = mebibytes; a lowercase m means thousandths).",
)
def memory_quantity_suspicious(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A memory limit or request that is not a valid quantity (`512MB`, `1gb`, `2K`), that uses the
    milli suffix (`512m` is 0.512 bytes), or that is below 4Mi (a bare `512` is 512 bytes); and a
    memory request above the limit.

    ## Why the pod fails
    An invalid quantity, or a request above the limit, is rejected by the API server. A limit of a
    few bytes or KiB lets no process start: the container is OOM-killed at once, every time.

    ## How to fix
    Use binary suffixes: `Mi`, `Gi`. `M` and `G` (powers of ten) are valid too.

    ## Near misses
    CPU quantities, where `500m` is normal, are not checked. Values of 4Mi and more are left alone.
    """
    for c in w.containers:
        resources = as_dict(c.spec.get("resources"))
        values: dict[str, float] = {}
        for section in ("limits", "requests"):
            block = resources.get(section)
            if not isinstance(block, dict) or "memory" not in block:
                continue
            raw = block["memory"]
            line = w.line(block, "memory")
            where = f"memory {section[:-1]} of container {c.name}"
            size = quantity_bytes(raw)
            if size is None:
                yield Emit(line, f"{where} is {raw!r}, not a Kubernetes quantity: the API server rejects it",
                           container=c.name, fix=f"Write it as e.g. {_suggest(raw)}.")
                continue
            if size == 0:
                continue  # 0 means "not set" to the kubelet
            values[section] = size
            text = str(raw).strip()
            if text.endswith("m") and not isinstance(raw, int | float):
                yield Emit(line, f"{where} is {text!r}: the m suffix means thousandths, so this is "
                                 f"{size:g} bytes; the container is OOM-killed at start",
                           container=c.name, fix=f"Write {text[:-1]}Mi (mebibytes) or {text[:-1]}M (megabytes).")
            elif size < MIN_MEMORY:
                unit_hint = (f"; a bare number is bytes: write {text}Mi for mebibytes"
                             if re.fullmatch(r"\d+", text) else "")
                yield Emit(line, f"{where} is {text!r} ({size:g} bytes), below 4Mi: no process starts in "
                                 f"that, the container is OOM-killed at start{unit_hint}",
                           container=c.name, fix=f"Write {text}Mi." if re.fullmatch(r"\d+", text) else None)
        plausible = all(v >= MIN_MEMORY for v in values.values())
        if plausible and "limits" in values and "requests" in values and values["requests"] > values["limits"]:
            block = as_dict(resources.get("requests"))
            yield Emit(w.line(block, "memory"),
                       f"memory request of container {c.name} is larger than its limit: the API server rejects it",
                       container=c.name, fix="Make requests.memory at most limits.memory.")


def _suggest(raw: Any) -> str:
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", str(raw))
    if not m:
        return "512Mi"
    unit = m.group(2).lower()
    binary = {"k": "Ki", "kb": "Ki", "kib": "Ki", "ki": "Ki", "m": "Mi", "mb": "Mi", "mib": "Mi", "mi": "Mi",
              "g": "Gi", "gb": "Gi", "gib": "Gi", "gi": "Gi", "t": "Ti", "tb": "Ti", "ti": "Ti"}.get(unit, "Mi")
    return f"{m.group(1)}{binary}"


# --- runtime heaps --------------------------------------------------------------------------------

NEAR_LIMIT = 0.9


def _flag_sources(w: Workload, c: ContainerView) -> Iterator[tuple[int, str, str, int]]:
    """(rank, where, text, line) for every string a heap flag could be in."""
    for key in ("command", "args"):
        items = c.spec.get(key)
        for i, item in enumerate(as_list(items)):
            if isinstance(item, str):
                yield COMMAND_RANK, key, item, w.line(items, i)
    for e in as_list(c.spec.get("env")):
        if isinstance(e, dict) and isinstance(e.get("value"), str):
            name = str(e.get("name"))
            yield env_rank(name), f"env {name}", e["value"], w.line(e, "value")


@check(
    "heap-flag-over-limit",
    cause="resources.oom-killed",
    severity="error",
    title="JVM or Node.js heap flag at or above the memory limit",
    fix="Keep the heap at most ~75% of the limit (e.g. -XX:MaxRAMPercentage=75 instead of -Xmx), or raise the limit.",
)
def heap_flag_over_limit(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    `-Xmx`/`-Xms`, `-XX:MaxRAMPercentage`, `-XX:MaxRAMFraction` (JVM) or `--max-old-space-size`
    (Node.js) in a container's command, args or environment (JAVA_OPTS, JAVA_TOOL_OPTIONS,
    _JAVA_OPTIONS, KAFKA_HEAP_OPTS, ES_JAVA_OPTS, NODE_OPTIONS...) that lets the heap reach the
    container's memory limit. Above 90% of the limit it is a warning; at or above it, an error.

    ## Why the pod fails
    The runtime also needs memory outside the heap (metaspace, thread stacks, code cache, direct
    buffers; V8's young generation and code). A heap allowed to fill the limit is killed by the
    kernel (`OOMKilled`, exit 137) as soon as it grows there, before the runtime's own
    OutOfMemoryError could tell you.

    ## How to fix
    Size the heap from the limit: `-XX:MaxRAMPercentage=75` follows the limit automatically; for
    Node.js set `--max-old-space-size` to about 75% of the limit in MiB.

    ## Near misses
    Containers without a memory limit are not checked (memory-limit-missing covers them). A heap
    below 90% of the limit passes.
    """
    for c, limit, limit_text, heaps in _container_heaps(w):
        for heap in heaps:
            yield from _compare(c, heap, limit, limit_text)


@dataclass(frozen=True, slots=True)
class _Heap:
    size: int
    flag: str
    where: str
    line: int
    what: str
    fixed: bool  # a fixed size (-Xmx, --max-old-space-size), not a share of the limit
    runtime: str  # jvm or node: whose memory outside the heap the advice allows for


def _container_heaps(w: Workload) -> Iterator[tuple[ContainerView, float, str, list[_Heap]]]:
    """For each container with a memory limit: the limit and the heap ceilings its flags set."""
    for c in w.containers:
        limit_raw = c.memory_limit() or _pod_memory_limit(w)
        limit = quantity_bytes(limit_raw) if limit_raw is not None else None
        if not limit or limit < MIN_MEMORY:
            continue
        sources = list(_flag_sources(w, c))
        flags = read_heap_flags((rank, text) for rank, _, text, _ in sources)
        heaps = []
        if flags.jvm is not None:
            _, where, _, line = sources[flags.jvm.source]
            size = flags.jvm.size if flags.jvm.fixed else limit * flags.jvm.size / 100
            heaps.append(_Heap(int(size), flags.jvm.flag, where, line, "JVM heap", flags.jvm.fixed, "jvm"))
        if flags.node is not None:
            _, where, _, line = sources[flags.node.source]
            heaps.append(_Heap(int(flags.node.size), flags.node.flag, where, line, "Node.js old-space heap", True, "node"))
        if heaps:
            yield c, limit, str(limit_raw), heaps


# A fixed heap below this share of the limit leaves most of the container's memory unusable by
# the heap: the runtime throws its own OutOfMemoryError long before the kernel would step in.
FAR_BELOW_LIMIT = 0.25


@check(
    "heap-flag-far-below-limit",
    cause="resources.runtime-oom",
    severity="warning",
    title="JVM or Node.js heap fixed far below the memory limit",
    fix="Size the heap from the limit (-XX:MaxRAMPercentage=75, or --max-old-space-size at ~75% of the limit in MiB).",
)
def heap_flag_far_below_limit(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A fixed `-Xmx` (JVM) or `--max-old-space-size` (Node.js) below a quarter of the container's
    memory limit, in its command, args or environment.

    ## Why the pod fails
    The heap ceiling, not the container, is then the limit the app meets: under load the runtime
    throws `java.lang.OutOfMemoryError` or "JavaScript heap out of memory" and exits, while most of
    the memory the container may use stays idle. Usually the flag was copied from a smaller
    deployment and the limit was raised without it.

    ## How to fix
    Let the heap follow the limit: `-XX:MaxRAMPercentage=75` for the JVM; for Node.js set
    `--max-old-space-size` to about 75% of the limit in MiB.

    ## Near misses
    Percentages of the limit (`MaxRAMPercentage`) are not fixed sizes and pass. A heap above a
    quarter of the limit passes; heap-flag-over-limit covers one that is too large.
    """
    for c, limit, limit_text, heaps in _container_heaps(w):
        for heap in heaps:
            if heap.fixed and heap.size < limit * FAR_BELOW_LIMIT:
                advice = heap_advice(limit, heap.size, heap.runtime)
                raise_to = (f"Raise the heap to about {format_bytes(advice.heap)}" if advice.heap is not None
                            else "Raise the heap")
                yield Emit(heap.line,
                           f"{heap.flag} in {heap.where} of container {c.name} caps the {heap.what} at "
                           f"{format_bytes(heap.size)}, under a quarter of the memory limit {limit_text}: the "
                           f"runtime runs out of heap long before the container's memory",
                           container=c.name,
                           fix=f"{raise_to} (75% of the limit at most, leaving room outside the heap), or size it "
                               f"from the limit with -XX:MaxRAMPercentage=75.")


def _compare(c: ContainerView, heap: _Heap, limit: float, limit_text: str) -> Iterator[Emit]:
    fix = heap_advice(limit, heap.size, heap.runtime).text
    said = f"{heap.flag} in {heap.where} of container {c.name} lets the {heap.what} grow to {format_bytes(heap.size)}"
    if heap.size >= limit:
        yield Emit(heap.line, f"{said}, at or above the memory limit {limit_text}: the kernel OOM-kills the container "
                              f"(exit 137) once the heap fills", container=c.name, fix=fix)
    elif heap.size > limit * NEAR_LIMIT:
        yield Emit(heap.line, f"{said}, over 90% of the memory limit {limit_text}: too little is left for memory "
                              f"outside the heap, so the container is likely OOM-killed under load",
                   container=c.name, severity="warning", fix=fix)


# --- the runtime's floor: heap plus what it needs outside the heap ----------------------------------


@check(
    "memory-below-runtime-floor",
    cause="resources.oom-killed",
    severity="warning",
    title="Memory limit below what the JVM, Node.js or .NET runtime needs (heap plus memory outside it)",
    fix="Raise the memory limit above the heap plus the runtime's memory outside the heap, or lower the heap.",
)
def memory_below_runtime_floor(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container recognised as a JVM, Node.js or .NET app (image facts, the command, JVM-options
    variables such as JAVA_OPTS, JAVA_TOOL_OPTIONS or INSTALL4J_ADD_VM_PARAMS, NODE_OPTIONS, heap
    flags in any variable) whose memory limit is smaller than its heap plus what the runtime needs
    outside the heap. The heap is the fixed ceiling a flag sets (`-Xmx`, `--max-old-space-size`),
    the share `-XX:MaxRAMPercentage` gives, the JVM's default share without flags (25% of the
    limit, 50% below 256Mi), or 16Mi for Node.js and .NET, whose heaps grow with use. Outside the
    heap (image_facts.yaml `runtimes.*.memory`, each part with its source): JVM metaspace, code
    cache, thread stacks and GC structures (about 89Mi for a small service); V8's young
    generation, code and node itself (about 46Mi); the .NET runtime and JIT (about 48Mi).

    ## Why the pod fails
    The kernel counts every page the process touches against the limit, not only the heap. When
    heap and the rest do not fit, the container is OOM-killed (exit 137, `OOMKilled`) at start or
    as soon as the heap fills, often with no Java or Node.js error in the log.

    ## How to fix
    Raise the limit above heap plus the rest, or size the heap from what the limit leaves
    (`-XX:MaxRAMPercentage` with a limit that leaves the parts outside the heap room).

    ## Near misses
    Containers without a memory limit (memory-limit-missing), runtimes podmortem cannot recognise,
    and limits that leave room for the estimate pass. A heap at or above 90% of the limit is
    heap-flag-over-limit's finding, not this one. The parts outside the heap are estimates for a
    small service, so this is a warning.
    """
    heaps = {c.name: hs for c, _limit, _text, hs in _container_heaps(w)}
    for c in w.containers:
        if not c.runs_alongside:
            continue
        runtime = runtime_of(c)
        memory = runtime_memory(runtime)
        if memory is None or not memory.outside_heap:
            continue
        limit_raw = c.memory_limit() or _pod_memory_limit(w)
        limit = quantity_bytes(limit_raw) if limit_raw is not None else None
        if not limit or limit < MIN_MEMORY:
            continue
        own = [h for h in heaps.get(c.name, ()) if h.runtime == runtime]
        if own:
            heap = own[0]
            if heap.size > limit * NEAR_LIMIT:
                continue  # heap-flag-over-limit reports it
            size, how, line = float(heap.size), f"the heap of {format_bytes(heap.size)} that {heap.flag} allows", heap.line
        else:
            share = memory.default_heap_mib(limit / _MIB)
            if share is not None:
                size = share * _MIB
                how = f"the heap the JVM sizes by itself without heap flags ({format_bytes(size)} of {limit_raw})"
            else:
                size = float(MIN_HEAP)
                how = f"a minimal heap of {format_bytes(size)}"
            line = _limit_line(w, c)
        outside = outside_heap_bytes(runtime)
        if size + outside <= limit:
            continue
        need = round_up(size + outside)
        kind = {"jvm": "JVM", "node": "Node.js", "dotnet": ".NET"}.get(runtime, runtime)
        advice = heap_advice(limit, size if own else None, runtime)
        # the number the diagnosis of this container's OOM kill gives (remedy_math), at least the need
        raise_to = memory_limit_advice(limit, need)
        fix = advice.text if own else (f"Raise the memory limit to {format_mib(raise_to or need)} (it needs at "
                                       f"least {format_bytes(need)}; the same advice as diagnose gives after an "
                                       "OOM kill), then size it from the peak use you measure.")
        yield Emit(line, f"container {c.name} runs a {kind} app with a memory limit of {limit_raw}, but "
                         f"{how} plus {outside_heap_text(runtime)} need about {format_bytes(size + outside)}: the "
                         f"container is likely OOM-killed (exit 137) at start or once the heap fills",
                   container=c.name, fix=fix)


def _limit_line(w: Workload, c: ContainerView) -> int:
    limits = as_dict(as_dict(c.spec.get("resources")).get("limits"))
    if "memory" in limits:
        return w.line(limits, "memory")
    pod_limits = as_dict(as_dict(w.pod_spec.get("resources")).get("limits"))
    return w.line(pod_limits, "memory") if "memory" in pod_limits else w.line(c.spec)
