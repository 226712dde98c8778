"""YAML as podmortem reads it: libyaml's node graph, checked, then built into plain data.

The one way in for every YAML podmortem reads (manifests for `explain` and `lint`, kustomizations,
simulator scenarios, profiles and request bodies, rule case files, its own data): `compose_yaml`
runs libyaml's C composer (aliases stay shared nodes, so even a "billion laughs" document composes
in microseconds), `check_graph` measures the graph before anything is built, and `build` turns
nodes into dicts and lists (cheaper than PyYAML's Python constructor), optionally indexing each
built collection to its node so lint can look up line numbers. `load_all` and `load_one` are the
three steps in one call; tests/layers/test_yaml_loading.py keeps other YAML loaders from appearing.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podmortem.errors import InputError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS: dict[str, str] = {}  # plain scalar -> its implicit tag (keys and values repeat across manifests)
_SCALAR_TAGS_MAX = 1 << 16


class Loader(_BaseLoader):  # type: ignore[misc]
    """libyaml's composer with the implicit-tag resolver memoised.

    PyYAML resolves every scalar in Python, trying its regexes one by one: that was half of what
    `lint` spends composing. With no path resolvers registered (the safe loader has none), a plain
    scalar's tag depends on its text alone and a quoted one is always a string, so the answer can be
    remembered by text. The table is bounded so hostile input cannot grow it without end.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if not implicit[0]:
                return "tag:yaml.org,2002:str"
            tag = _SCALAR_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_SCALAR_TAGS) < _SCALAR_TAGS_MAX and len(value) <= 64:
                    _SCALAR_TAGS[value] = tag
            return tag
        return "tag:yaml.org,2002:seq" if kind is SequenceNode else "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None  # no path resolvers are registered: nothing to track per level

    def ascend_resolver(self) -> None:
        return None

# Nesting deeper than this is refused: real Kubernetes objects nest fewer than 40 levels, and
# building a deeper document recursively would hit Python's recursion limit.
MAX_DEPTH = 500

# go-yaml's alias budget (what the API server applies to YAML), counted on the composed graph:
# gopkg.in/yaml.v3 decode.go, allowedAliasRatio() and the check in (*decoder).unmarshal. When more
# than 100 values come from alias expansion and more than 1000 are decoded, at most 99% of up to
# 400,000 decoded values may come from aliases, scaling down to 10% at 4,000,000 ("document
# contains excessive aliasing").
_ALIAS_RATIO_LOW = 400_000
_ALIAS_RATIO_HIGH = 4_000_000


def allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def yaml_error(name: str, exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    where = f"{name}:{mark.line + 1}" if mark is not None else name
    return f"{where}: not valid YAML: {problem}"


def yaml_hint(text: str) -> str | None:
    if "{{" in text:
        return "this looks like an unrendered Helm template; use the output of `helm template` instead"
    return None


class YamlSyntaxError(InputError):
    """The text is not YAML at all (as opposed to YAML refused for its aliases or depth)."""


def compose_unchecked(name: str, text: str) -> list[Node]:
    """libyaml's node graph of every document (empty documents left out); call check_graph on each."""
    try:
        return [n for n in yaml.compose_all(text, Loader=Loader) if n is not None]
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(yaml_error(name, exc), hint=yaml_hint(text)) from None
    except RecursionError:  # the pure-Python composer, when libyaml is missing
        raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep, refused") from None


def compose_yaml(name: str, text: str) -> list[Node]:
    """The checked node graph of every document of `text` (empty documents left out)."""
    nodes = compose_unchecked(name, text)
    for node in nodes:
        check_graph(name, node)
    return nodes


def _children(node: Node) -> list[Node]:
    if node.__class__ is MappingNode:
        return [x for kv in node.value for x in kv]
    return list(node.value)


_INDENT = re.compile(r"\n( +)")


def graph_check_needed(text: str) -> bool:
    """False when the text cannot hold what check_graph refuses, so the walk can be skipped.

    Aliases need an anchor (`&`). Block nesting needs indentation: a nested mapping or sequence is
    indented past its parent, except a sequence under a mapping key, so the depth is at most
    2 x (the deepest indentation + 1) + 1, plus one level per flow bracket `[` or `{`. Text
    without `&` whose bound is within MAX_DEPTH needs no walk (lint reads thousands of such files;
    the walk costs a quarter of its time).
    """
    if "&" in text:
        return True
    indent = max(map(len, _INDENT.findall(text)), default=0)
    return 2 * (indent + 1) + 1 + text.count("[") + text.count("{") > MAX_DEPTH


def check_graph(name: str, root: Node) -> None:
    """Refuse a document whose alias expansion is excessive, that contains itself, or nests too deep.

    Counts, building nothing, how many values the document has once every alias is expanded
    (`decoded`) and how many of those come from aliases (`decoded` minus each node's first
    occurrence): one iterative pass over the graph, linear in its size.
    """
    expanded: dict[int, int] = {}  # node -> values in its expansion, itself included
    seen: set[int] = set()
    on_path: set[int] = set()
    direct = 0
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in _children(node))
            continue
        if key in seen:
            # An alias. A node seen but not finished is an ancestor: the anchor contains itself.
            if key in on_path:
                raise InputError(f"{name}: a YAML anchor contains an alias of itself, refused")
            continue
        seen.add(key)
        direct += 1
        if depth > MAX_DEPTH:
            raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep, refused")
        if node.__class__ is ScalarNode:
            expanded[key] = 1
            continue
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node))
    decoded = expanded[id(root)]
    aliased = decoded - direct
    if aliased > 100 and decoded > 1000 and aliased / decoded > allowed_alias_ratio(decoded):
        raise InputError(f"{name}: document contains excessive aliasing ({decoded:,} values once "
                         "its aliases are expanded), refused")


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
# YAML 1.1 booleans, as PyYAML's resolver recognises them (the tag says it is a bool already).
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False, "y": True, "n": False}
_constructor = yaml.constructor.SafeConstructor()


def build(node: Node, positions: dict[int, Node] | None = None) -> Any:
    """Python data from a checked node, as yaml.safe_load would give it.

    Differences from safe_load, on purpose: timestamps and binary stay strings (manifests carry
    them as text), and a collection reached twice through an alias is built twice. With
    `positions`, each built dict or list is indexed by id() to its node (lint's line numbers).
    """
    return _build(node, positions)


def _build(node: Node, positions: dict[int, Node] | None) -> Any:
    cls = node.__class__
    if cls is ScalarNode:
        return _scalar(node)
    if cls is MappingNode:
        d: dict[Any, Any] = {}
        if positions is not None:
            positions[id(d)] = node
        merges: list[Node] | None = None
        for k, v in node.value:
            if k.__class__ is ScalarNode and k.tag == _STR:
                key = k.value
            elif k.tag == _MERGE:
                merges = (merges or []) + (list(v.value) if v.__class__ is SequenceNode else [v])
                continue
            else:
                key = _build(k, positions)
                if isinstance(key, list | dict):
                    key = str(key)
            if v.__class__ is ScalarNode:
                d[key] = v.value if v.tag == _STR else _scalar(v)
            else:
                d[key] = _build(v, positions)
        if merges:
            for m in merges:
                merged = _build(m, positions)
                if isinstance(merged, dict):
                    for mk, mv in merged.items():
                        d.setdefault(mk, mv)
        return d
    items: list[Any] = []
    if positions is not None:
        positions[id(items)] = node
    for v in node.value:
        if v.__class__ is ScalarNode:
            items.append(v.value if v.tag == _STR else _scalar(v))
        else:
            items.append(_build(v, positions))
    return items


def _scalar(node: Node) -> Any:
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    if tag == _INT:
        try:
            return int(value)
        except ValueError:  # 0x1F, 0o17, 1_000, 1:30 (YAML 1.1 forms)
            return _constructor.construct_yaml_int(node)  # type: ignore[arg-type]  # only scalars get here
    if tag == _BOOL:
        return _BOOLS.get(value.lower(), bool(value))
    if tag == _NULL:
        return None
    if tag == _FLOAT:
        return _constructor.construct_yaml_float(node)  # type: ignore[arg-type]
    return value


def load_all(name: str, text: str) -> list[Any]:
    """Every document of a YAML text as plain data (an explicit empty one, `---` alone, is None), through
    the checks of compose_yaml: InputError beyond the alias budget or MAX_DEPTH, YamlSyntaxError when it is not YAML."""
    return [build(node) for node in compose_yaml(name, text)]


def load_one(name: str, text: str) -> Any:
    """The one document of a YAML text as plain data, None when it has none; more than one is refused."""
    nodes = compose_yaml(name, text)
    if len(nodes) > 1:
        raise InputError(f"{name}: holds {len(nodes)} YAML documents where one is expected")
    return build(nodes[0]) if nodes else None


def compose_one(raw: str | bytes) -> Node | None:
    """The node graph of a single-document YAML text or body (libyaml detects a body's encoding), not
    checked: for a caller that applies its own budget (the simulated API server counts as go-yaml
    does) before it builds. yaml.YAMLError when it is not one YAML document."""
    loader = Loader(raw)
    try:
        node: Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def syntax_problem(text: str) -> tuple[str, int | None] | None:
    """(problem, 0-based line) when the text is not YAML, else None; composes only (aliases stay
    shared nodes, so nothing is expanded): for checks that only ask whether a value parses."""
    try:
        for _ in yaml.compose_all(text, Loader=Loader):
            pass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return str(problem), (mark.line if mark is not None else None)
    except RecursionError:
        return f"nested more than {MAX_DEPTH} levels deep", None
    return None
