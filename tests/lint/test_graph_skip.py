"""lint skips the alias/depth walk (check_graph) only for text that cannot fail it."""

from __future__ import annotations

import pytest

from podmortem.errors import InputError
from podmortem.kube.yamldocs import MAX_DEPTH, check_graph, compose_unchecked, graph_check_needed


def _block(levels: int, step: int) -> str:
    """Mapping and sequence levels alternating, each sequence at its key's indentation (the tightest form)."""
    lines, indent = [], 0
    for i in range(levels):
        if i % 2 == 0:
            lines.append(" " * indent + "k:")
        else:
            lines.append(" " * indent + "-")
            indent += step
    return "\n".join(lines) + "\n" + " " * indent + "x\n"


CASES = {
    "flow": "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",
    "flow-maps": "a: " + "{b: " * (MAX_DEPTH + 5) + "1" + "}" * (MAX_DEPTH + 5) + "\n",
    "block": _block(MAX_DEPTH + 10, 2),
    "aliases": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_check_graph_refuses_is_never_skipped(name: str) -> None:
    text = CASES[name]
    try:
        nodes = compose_unchecked(name, text)
    except InputError:
        return  # refused earlier anyway
    with pytest.raises(InputError):
        for node in nodes:
            check_graph(name, node)
    assert graph_check_needed(text)


def test_ordinary_manifests_skip_the_walk() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: web\n          args: [--port=8080]\n          env:\n"
            "            - {name: A, value: b}\n")
    assert not graph_check_needed(text)
    assert graph_check_needed(text + "x: &anchor 1\n")
