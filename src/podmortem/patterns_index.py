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

from podmortem.kube.typedjson import msgspec
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
    elif depth < 4 and isinstance(value, msgspec.Struct):  # the model's types (model/evidence.py)
        for name in value.__struct_fields__:
            yield from _walk(getattr(value, name, None), depth + 1)


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


def lazy_patterns() -> list[LazyPattern]:
    """Every lazy pattern the modules above create when imported (the engine's too), found in the
    heap rather than by name: a pattern in a closure or a class is one as well. In a fresh process:
    elsewhere a test's own `lazy(...)` counts too, and objects `gc.freeze` moved (commandline does,
    for a command in a process of its own) are not found at all."""
    import gc

    for _ in _modules():
        pass
    importlib.import_module("podmortem.engine")
    return [o for o in gc.get_objects() if type(o) is LazyPattern]


NEEDLE_TABLE = "needletable.py"  # beside this module


def needle_table_source() -> str:
    """The text of podmortem/needletable.py: each lazy pattern's needles, derived (lazyre.needles)."""
    from podmortem.lazyre import needles

    table: dict[tuple[str, int], tuple[tuple[str, ...], bool] | None] = {}
    for p in lazy_patterns():
        key = (p.pattern, p.flags_given)
        if key not in table:
            found = needles(*key)
            table[key] = None if found is None else (found.words, found.fold)
    lines = [f"    {key!r}: {value!r}," for key, value in sorted(table.items())]
    return (
        '"""Made by `make needles` (podmortem.patterns_index.needle_table_source): each lazy pattern\'s\n'
        "needles, as podmortem.lazyre.needles derives them, so that a process does not derive them again\n"
        "(about 9 ms for the 57 a big list's failing pods need; tests/core/test_needle_table.py checks\n"
        'that this is current). A pattern not here has its needles derived when first searched."""\n\n'
        "TABLE: dict[tuple[str, int], tuple[tuple[str, ...], bool] | None] = {\n"
        + "\n".join(lines) + "\n}\n"
    )


def write_needle_table() -> None:
    import os

    path = os.path.join(os.path.dirname(__file__), NEEDLE_TABLE)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(needle_table_source())
