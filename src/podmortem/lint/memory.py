"""How much memory a language runtime needs beside its heap, and the heap or limit to advise.

The parts outside the heap (JVM metaspace, code cache, thread stacks, GC structures; V8's young
generation and code; the .NET runtime and JIT) are data in image_facts.yaml (`runtimes.*.memory`),
each with its source, and are estimates for a small service: messages say so. A heap ceiling is
advised as the smaller of 75% of the limit and what the limit leaves beside the parts outside
the heap; when that is too small for any heap, the limit is what has to grow.
"""

from __future__ import annotations

from dataclasses import dataclass

from podmortem.kube.images import RuntimeMemory, runtimes
from podmortem.kube.quantity import format_bytes
from podmortem.remedy_math import HEAP_SHARE, round_up_mib

MIB = 2**20
MIN_HEAP = 16 * MIB  # below this no service's heap is worth advising: raise the limit instead


def runtime_memory(runtime: str) -> RuntimeMemory | None:
    rt = runtimes().get(runtime)
    return rt.memory if rt is not None else None


def round_up(n_bytes: float) -> int:
    """Bytes rounded up to a multiple of 64Mi, as the diagnosis rounds the limits it advises."""
    return round_up_mib(n_bytes)


@dataclass(frozen=True, slots=True)
class HeapAdvice:
    heap: int | None  # the heap ceiling to set, or None when the limit must grow
    limit: int | None  # the limit to raise to, when the heap does not fit
    text: str


def outside_heap_bytes(runtime: str) -> int:
    memory = runtime_memory(runtime)
    return memory.outside_heap_mib * MIB if memory is not None else 0


def outside_heap_text(runtime: str) -> str:
    """`~89Mi estimated (metaspace 43Mi, code cache 16Mi, ...)` for messages."""
    memory = runtime_memory(runtime)
    if memory is None:
        return "the memory outside the heap"
    parts = ", ".join(f"{p.part} {p.mib}Mi" for p in memory.outside_heap)
    return f"about {memory.outside_heap_mib}Mi outside the heap, an estimate ({parts})"


def heap_advice(limit: float, heap: float | None, runtime: str) -> HeapAdvice:
    """What to set so heap and the rest fit in `limit`: a heap ceiling, or a larger limit."""
    outside = outside_heap_bytes(runtime)
    ceiling = min(limit * HEAP_SHARE, limit - outside)
    if ceiling >= MIN_HEAP:
        ceiling = ceiling // MIB * MIB
        return HeapAdvice(int(ceiling), None,
                          f"Set the heap to at most {format_bytes(ceiling)} (what the limit {format_bytes(limit)} leaves "
                          f"beside about {format_bytes(outside)} outside the heap), or raise the limit.")
    wanted_heap = max(heap or 0, MIN_HEAP * 4)
    new_limit = round_up(wanted_heap + outside)
    return HeapAdvice(None, new_limit,
                      f"Raise the memory limit to at least {format_bytes(new_limit)} ({format_bytes(wanted_heap)} of "
                      f"heap plus about {format_bytes(outside)} outside it); the limit {format_bytes(limit)} leaves no "
                      f"room for a useful heap.")
