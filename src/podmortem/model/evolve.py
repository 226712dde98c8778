"""`evolve(obj, **changes)`: `dataclasses.replace` for the model's frozen, slotted dataclasses, cheaper.

`replace` walks the class's field objects and calls `__init__` with every field by keyword; on a
PodEvidence (24 fields) that is most of the cost of attaching a pod's events, and the engine copies
a Remedy or a Finding for nearly every finding. The model's classes set their fields in `__init__`
and do nothing else (no `__post_init__`, no `init=False` field), so a new object whose slots are
copied from the old one, with the changes, is what `replace` gives (tests/core/test_evolve.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def _fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    found = _FIELDS.get(cls)
    if found is None:
        params = getattr(cls, "__dataclass_params__", None)
        names = tuple(getattr(cls, "__dataclass_fields__", {}))
        if (params is None or not params.frozen or "__post_init__" in vars(cls)
                or tuple(getattr(cls, "__slots__", ())) != names
                or any(not f.init for f in cls.__dataclass_fields__.values())):  # type: ignore[attr-defined]
            raise TypeError(f"evolve: {cls.__name__} is not a frozen, slotted dataclass without __post_init__")
        found = _FIELDS[cls] = (names, frozenset(names))
    return found


def evolve(obj: T, **changes: Any) -> T:
    """A copy of `obj` with `changes`, as `dataclasses.replace(obj, **changes)` makes it."""
    cls = type(obj)
    names, known = _fields(cls)
    if not changes.keys() <= known:
        raise TypeError(f"evolve: {cls.__name__} has no field {sorted(changes.keys() - known)[0]!r}")
    new = object.__new__(cls)
    set_field = object.__setattr__
    for name in names:
        set_field(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


__all__ = ["evolve"]
