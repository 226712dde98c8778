"""Every compiled regular expression podmortem runs on untrusted text, found by walking its modules.

Used by the ReDoS test (tests/robustness/test_redos.py) and the adversarial benchmark: a pattern
added anywhere in the rules, the redactor, the log normaliser or the parsers is covered without
being listed by hand.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from collections.abc import Iterator

from podmortem.lazyre import LazyPattern

# Packages whose patterns read text a workload or a server controls.
PACKAGES = ("podmortem.rules", "podmortem.logline", "podmortem.sources", "podmortem.kube")
MODULES = ("podmortem.redact", "podmortem.model.suspect")


def _modules() -> Iterator[object]:
    for name in MODULES:
        yield importlib.import_module(name)
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        yield pkg
        for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
            yield importlib.import_module(info.name)


def _walk(value: object, depth: int = 0) -> Iterator[re.Pattern[str]]:
    if isinstance(value, LazyPattern):
        yield value.compiled
    elif isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif depth < 4 and isinstance(value, (tuple, list, frozenset, set)):
        for v in value:
            yield from _walk(v, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for v in value.values():
            yield from _walk(v, depth + 1)
    elif depth < 4 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name, None), depth + 1)


def all_patterns() -> dict[str, re.Pattern[str]]:
    """name -> pattern for every distinct compiled pattern (name: module.GLOBAL[.index])."""
    found: dict[str, re.Pattern[str]] = {}
    seen: set[tuple[str, int]] = set()
    for mod in _modules():
        for attr, value in sorted(vars(mod).items()):
            if attr.startswith("__"):
                continue
            for i, p in enumerate(_walk(value)):
                key = (p.pattern, p.flags)
                if key in seen:
                    continue
                seen.add(key)
                found[f"{mod.__name__}.{attr}" + (f"[{i}]" if i else "")] = p  # type: ignore[attr-defined]
    return found
