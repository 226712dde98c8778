"""Kubernetes resource quantities (`512Mi`, `1G`, `500m`, `1e3`) to numbers and back."""

from __future__ import annotations

import re

_SUFFIX = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
}
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$")


def parse_quantity(text: str | int | float | None) -> float | None:
    """The numeric value of a quantity, or None when it does not parse."""
    if text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    m = _QUANTITY.match(str(text))
    if not m:
        return None
    number, suffix = m.group(1), m.group(2) or ""
    if suffix in ("E",) and "e" in number.lower():
        return None
    return float(number) * _SUFFIX[suffix]


def parse_bytes(text: str | int | float | None) -> int | None:
    value = parse_quantity(text)
    return int(value) if value is not None else None


def format_bytes(n: float) -> str:
    """Bytes as the shortest exact-ish binary quantity a person would write (`768Mi`, `2Gi`)."""
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n >= size and (n % size == 0 or n >= 4 * size):
            return f"{round(n / size)}{suffix}"
    return str(int(n))


# JVM / Node flag sizes: -Xmx1024m, -Xmx2g, --max-old-space-size=4096 (MiB)
_JVM_SIZE = re.compile(r"^(\d+)([kKmMgGtT]?)$")


def parse_jvm_size(text: str) -> int | None:
    m = _JVM_SIZE.match(text.strip())
    if not m:
        return None
    mult = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(m.group(1)) * mult
