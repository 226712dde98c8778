"""`evolve(obj, **changes)`: a copy of one of the model's frozen structs with some fields changed.

The model's types are msgspec structs (model/evidence.py says why); their copy-with-changes is
msgspec's, in C: a new object with the other fields taken over, without running `__init__` (nor
`__post_init__`: a struct that has one, Placeholder, is refused). Unknown field names are refused,
as `dataclasses.replace` refuses them (tests/core/test_evolve.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from podmortem.kube.typedjson import msgspec

T = TypeVar("T")

_replace = msgspec.structs.replace


def evolve(obj: T, **changes: Any) -> T:
    """A copy of `obj` with `changes`."""
    cls = type(obj)
    if not isinstance(obj, msgspec.Struct) or hasattr(cls, "__post_init__"):
        # a struct that checks its fields in __post_init__ would not be checked: built anew instead
        raise TypeError(f"evolve: {cls.__name__} is not one of the model's structs without __post_init__")
    return _replace(obj, **changes)


__all__ = ["evolve"]
