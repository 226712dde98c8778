"""JSON schemas of the JSON envelopes: explain (../schema.json), diagnose, lint and gate.

`validator(name)` gives a jsonschema validator with every podmortem schema registered, so the
diagnose and gate schemas resolve their references to the explain contract (tests use it;
jsonschema is a test dependency, imported only here).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

NAMES = ("explain", "diagnose", "lint", "gate")


def schema(name: str) -> dict[str, Any]:
    base = files("podmortem")
    text = (base / "schema.json" if name == "explain" else base / "schemas" / f"{name}.schema.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resources(
        (schema(n)["$id"], Resource.from_contents(schema(n))) for n in NAMES)
    return Draft202012Validator(schema(name), registry=registry)
