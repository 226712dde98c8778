"""Heap advice allows for the runtime's memory outside the heap (lint/memory.py and the heap checks)."""

from __future__ import annotations

from podmortem.lint.loader import Source
from podmortem.lint.memory import MIB, heap_advice, outside_heap_bytes
from podmortem.lint.runner import lint_sources

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: eclipse-temurin:21-jre
      command: ["java", "{flag}", "-jar", "/app.jar"]
      resources:
        limits:
          memory: {limit}
"""


def _fix(flag: str, limit: str, check: str) -> str:
    report = lint_sources([Source("p.yaml", POD.format(flag=flag, limit=limit))])
    [finding] = [f for f in report.findings if f.check == check]
    return finding.fix


def test_outside_heap_comes_from_the_data() -> None:
    assert outside_heap_bytes("jvm") == 89 * MIB
    assert outside_heap_bytes("python") == 0


def test_a_small_limit_is_advised_to_grow_not_the_heap_to_shrink() -> None:
    # 75% of 64Mi would be 48Mi of heap, which with ~89Mi outside the heap cannot fit
    fix = _fix("-Xmx64m", "64Mi", "heap-flag-over-limit")
    assert "48Mi" not in fix and fix.startswith("Raise the memory limit to at least 192Mi")


def test_a_large_limit_keeps_the_75_percent_ceiling() -> None:
    assert _fix("-Xmx2g", "2Gi", "heap-flag-over-limit").startswith("Set the heap to at most 1536Mi")


def test_a_middle_limit_leaves_room_for_what_is_outside_the_heap() -> None:
    advice = heap_advice(256 * MIB, 256 * MIB, "jvm")
    assert advice.heap == (256 - 89) * MIB and advice.limit is None
    assert heap_advice(64 * MIB, None, "jvm").heap is None


def test_far_below_limit_advice_uses_the_same_arithmetic() -> None:
    assert "Raise the heap to about 1536Mi" in _fix("-Xmx128m", "2Gi", "heap-flag-far-below-limit")
