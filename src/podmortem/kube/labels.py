"""A LabelSelector object (matchLabels + matchExpressions) as the text `labelSelector=` takes.

Shared by the rollout gate (to list a workload's pods) and the simulator (its SELECTOR column);
the text form is apimachinery's FormatLabelSelector, minus its "<none>" for an empty selector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """`app=web,tier in (a,b),!legacy`; "" when the selector selects everything.

    Raises ValueError for an operator other than In, NotIn, Exists and DoesNotExist.
    """
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key") or ""), str(expr.get("operator") or "")
        values = ",".join(sorted(str(v) for v in expr.get("values") or []))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ValueError(f"selector operator {op!r} of key {key!r} is not In, NotIn, Exists or DoesNotExist")
    return ",".join(parts)
