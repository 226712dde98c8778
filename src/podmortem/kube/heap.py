"""Heap flags of the JVM and Node.js: their grammar, which setting wins, and the ceiling they give.

Read by lint (heap-flag-over-limit, heap-far-below-limit) and by the simulator's runtime model, so
the two agree on what a container's heap may grow to. Sources: OpenJDK's arguments.cpp
(-Xmx/-Xms sizes with k/m/g/t suffixes; MaxRAMPercentage, default 25; the deprecated
MaxRAMFraction, the heap being 1/N of the memory), the JDK launcher's option order (JDK_JAVA_OPTIONS
and JAVA_TOOL_OPTIONS are read before the command line, _JAVA_OPTIONS after it, and a later flag
overrides an earlier one), and Node.js/V8's --max-old-space-size (MiB; V8 accepts `-` or `_`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from podmortem.kube.quantity import parse_jvm_size

XMX = re.compile(r"(?<![\w-])-Xm([xs])(\d+[kKmMgGtT]?)(?![\w.])")
MAX_RAM_PERCENTAGE = re.compile(r"-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)")
MAX_RAM_FRACTION = re.compile(r"-XX:MaxRAMFraction=(\d+)")
NODE_OLD_SPACE = re.compile(r"--max[-_]old[-_]space[-_]size[= ](\d+)")
JVM_DEFAULT_PERCENTAGE = 25.0

# Where a heap flag was read, lowest precedence first: the JVM reads JAVA_TOOL_OPTIONS and
# JDK_JAVA_OPTIONS before its command line (where start scripts splice JAVA_OPTS, KAFKA_HEAP_OPTS,
# ES_JAVA_OPTS...), and _JAVA_OPTIONS after it.
ENV_RANK = {"_JAVA_OPTIONS": 4, "JAVA_TOOL_OPTIONS": 0, "JDK_JAVA_OPTIONS": 1}
COMMAND_RANK = 3
OTHER_ENV_RANK = 2


def env_rank(name: str) -> int:
    return ENV_RANK.get(name, OTHER_ENV_RANK)


@dataclass(frozen=True, slots=True)
class HeapFlag:
    size: float  # bytes for a fixed size; percent of the limit otherwise
    flag: str  # the flag as written
    source: int  # index of the text it was read from
    fixed: bool


@dataclass(frozen=True, slots=True)
class HeapFlags:
    jvm: HeapFlag | None  # the -Xmx/-Xms that wins, else the MaxRAMPercentage/Fraction share
    node: HeapFlag | None  # the last --max-old-space-size

    def jvm_ceiling(self, limit_bytes: float) -> float:
        """The JVM's maximum heap for a container of this memory: the winning flag, else 25%."""
        if self.jvm is None:
            return limit_bytes * JVM_DEFAULT_PERCENTAGE / 100
        return self.jvm.size if self.jvm.fixed else limit_bytes * self.jvm.size / 100


def read_heap_flags(texts: Iterable[tuple[int, str]]) -> HeapFlags:
    """The settings in (rank, text) sources, in the order a reader meets them."""
    best: tuple[tuple[int, int], HeapFlag] | None = None
    share: HeapFlag | None = None
    node: HeapFlag | None = None
    position = 0
    for i, (rank, text) in enumerate(texts):
        for m in XMX.finditer(text):
            position += 1
            size = parse_jvm_size(m.group(2))
            if size and (best is None or (rank, position) >= best[0]):
                best = ((rank, position), HeapFlag(size, f"-Xm{m.group(1)}{m.group(2)}", i, True))
        for m in MAX_RAM_PERCENTAGE.finditer(text):
            share = HeapFlag(float(m.group(1)), m.group(0), i, False)
        for m in MAX_RAM_FRACTION.finditer(text):
            if int(m.group(1)) > 0:
                share = HeapFlag(100.0 / int(m.group(1)), m.group(0), i, False)
        for m in NODE_OLD_SPACE.finditer(text):
            node = HeapFlag(int(m.group(1)) * 2**20, m.group(0), i, True)
    return HeapFlags(best[1] if best is not None else share, node)
