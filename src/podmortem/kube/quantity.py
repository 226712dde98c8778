"""Kubernetes resource quantities (`512Mi`, `1G`, `500m`, `1e3`) to numbers and back."""

from __future__ import annotations

import re

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "n": 1e-9, "u": 1e-6,
           "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
# resource.Quantity: a decimal number, then either one suffix or a decimal exponent (never both,
# never a space between).
_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$")


def parse_quantity(value: object) -> float | None:
    """A quantity's value as Kubernetes parses it, or None when the API server would reject it."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _QUANTITY.match(str(value).strip())
    if not m:
        return None
    number = float(m.group(1))
    if m.group(2):
        return number * float(_SUFFIX[m.group(2)])
    if m.group(3):
        return number * 10.0 ** int(m.group(3))
    return number


def parse_bytes(text: object) -> int | None:
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
