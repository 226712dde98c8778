"""Read Kubernetes manifests (YAML or JSON, many documents per file, folders, stdin) with line numbers.

Line numbers are what makes a lint finding useful, and tracking them is the expensive part of
reading YAML. So a file is read in one pass of libyaml's C composer (`compose_all` with
`CSafeLoader`), and dicts are built from its nodes here, which is cheaper than PyYAML's Python
constructor. Each built dict or list is indexed by `id()` to its node; the line of any field is
looked up from that node only when a finding needs it. Documents of kinds no check reads (CRDs,
Services, unknown kinds) are counted but never built. Documents are yielded one at a time so the
nodes of a file can be freed as soon as its objects are checked.

Errors are `podmortem.errors.InputError`s with a one-line message naming the file and line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podmortem.errors import BinaryInput, EmptyInput, InputError

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STDIN_NAME = "<stdin>"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

# Kinds whose objects are built and handed to checks; every other kind is only counted.
POD_TEMPLATE_KINDS = frozenset({
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob", "PodTemplate", "DeploymentConfig", "Rollout",
})
# Objects that provide what pods reference: Secrets can also come from operators' custom
# resources in the same bundle (External Secrets, Sealed Secrets, cert-manager Certificates).
INDEXED_KINDS = frozenset({"ConfigMap", "Secret", "PersistentVolumeClaim", "LimitRange", "Namespace",
                           "ExternalSecret", "SealedSecret", "Certificate"})
BUILT_KINDS = POD_TEMPLATE_KINDS | INDEXED_KINDS

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
# YAML 1.1 booleans, as PyYAML's resolver recognises them (the tag says it is a bool already).
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False, "y": True, "n": False}
_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a display name (the path as given, or <stdin>) and its text."""

    name: str
    text: str


@dataclass(slots=True)
class Manifest:
    """One Kubernetes object read from a file, with the nodes it was built from for line lookups."""

    file: str
    line: int
    kind: str
    name: str
    namespace: str | None
    obj: dict[str, Any]
    positions: dict[int, Node] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"

    def line_of(self, container: Any, key: str | int | None = None) -> int:
        """The 1-based line of `container[key]` (its key for a mapping), or of `container` itself.

        Falls back to the container's own line, then to the object's line, so a finding always
        has a line even for objects read from JSON that libyaml could not parse.
        """
        node = self.positions.get(id(container))
        if node is None:
            return self.line
        if key is not None:
            if isinstance(node, MappingNode):
                for k, _v in node.value:
                    if isinstance(k, ScalarNode) and k.value == key:
                        return int(k.start_mark.line) + 1
            elif isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
                return int(node.value[key].start_mark.line) + 1
        return int(node.start_mark.line) + 1

    def value_line(self, mapping: Any, key: str) -> int | None:
        """The line where the value of `mapping[key]` starts (a block scalar starts on the next line)."""
        node = self.positions.get(id(mapping))
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    line = int(v.start_mark.line) + 1
                    if isinstance(v, ScalarNode) and v.style in ("|", ">"):
                        line += 1
                    return line
        return None


@dataclass(slots=True)
class ReadStats:
    files: int = 0
    objects: int = 0


# --- reading files ------------------------------------------------------------------------------

def read_sources(paths: Sequence[str], stdin: BinaryIO | None = None) -> Iterator[Source]:
    """The inputs named on the command line, folders expanded (sorted, recursive, hidden entries skipped)."""
    if not paths:
        raise InputError("give a file, a folder, or - for stdin", hint="podmortem lint k8s/ or helm template . | podmortem lint -")
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            source = decode(STDIN_NAME, stream.read())
            if not source.text.strip():
                raise EmptyInput("stdin is empty", hint="did the command before the pipe print anything?")
            yield source
        elif os.path.isdir(path):
            found = False
            for file in _walk(path):
                found = True
                source = decode(file, _read_bytes(file))
                if source.text.strip():
                    yield source
            if not found:
                raise EmptyInput(f"{path}: no .yaml, .yml or .json files in this folder")
        else:
            source = decode(path, _read_bytes(path))
            if not source.text.strip():
                raise EmptyInput(f"{path}: the file is empty")
            yield source


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(MANIFEST_SUFFIXES):
                yield os.path.join(root, name)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def decode(name: str, data: bytes) -> Source:
    """Bytes to text: UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Source(name, data.decode("utf-16"))
        except UnicodeDecodeError:
            raise BinaryInput(f"{name}: not valid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise BinaryInput(f"{name}: binary file, not YAML or JSON")
    try:
        return Source(name, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise BinaryInput(f"{name}: not UTF-8 text (byte {exc.start})") from None


# --- parsing ------------------------------------------------------------------------------------

def load_manifests(source: Source, stats: ReadStats | None = None) -> Iterator[Manifest]:
    """Every object of `source` whose kind a check reads, one at a time, in file order.

    `kind: List` (and `*List` kinds from `kubectl get -o yaml`) are unpacked into their items.
    """
    if stats is not None:
        stats.files += 1
    try:
        for node in yaml.compose_all(source.text, Loader=_Loader):
            if isinstance(node, MappingNode):
                yield from _manifests_of(source.name, node, stats)
    except yaml.YAMLError as exc:
        recovered = _json_fallback(source, stats)
        if recovered is None:
            raise InputError(_yaml_error(source.name, exc), hint=_hint_for(source.text)) from None
        yield from recovered


def _manifests_of(file: str, node: MappingNode, stats: ReadStats | None) -> Iterator[Manifest]:
    kind = _scalar_field(node, "kind")
    if not kind:
        return
    if kind.endswith("List"):
        items = _field(node, "items")
        if isinstance(items, SequenceNode):
            for item in items.value:
                if isinstance(item, MappingNode):
                    yield from _manifests_of(file, item, stats)
            return
    if stats is not None:
        stats.objects += 1
    if kind not in BUILT_KINDS:
        return
    positions: dict[int, Node] = {}
    obj = build(node, positions)
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") or meta.get("generateName") or "<unnamed>"
    namespace = meta.get("namespace")
    yield Manifest(
        file=file,
        line=int(node.start_mark.line) + 1,
        kind=kind,
        name=str(name),
        namespace=str(namespace) if namespace else None,
        obj=obj,
        positions=positions,
    )


def _field(node: MappingNode, key: str) -> Node | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def _scalar_field(node: MappingNode, key: str) -> str | None:
    v = _field(node, key)
    return v.value if isinstance(v, ScalarNode) and isinstance(v.value, str) else None


def build(node: Node, positions: dict[int, Node]) -> Any:
    """Python data from a composed node, as yaml.safe_load would give it, indexing collections.

    Differences from safe_load, on purpose: timestamps and binary stay strings (manifests carry
    them as text), and a collection reached twice through an alias is built twice (each copy
    indexed to the same node). A node budget bounds alias expansion so a "billion laughs" document
    cannot exhaust memory.
    """
    budget = [_MAX_NODES]
    return _build(node, positions, budget)


_MAX_NODES = 2_000_000


def _build(node: Node, positions: dict[int, Node], budget: list[int]) -> Any:
    cls = node.__class__
    if cls is ScalarNode:
        return _scalar(node)
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError("document too large or expands too many aliases")
    if cls is MappingNode:
        d: dict[Any, Any] = {}
        positions[id(d)] = node
        merges: list[Node] | None = None
        for k, v in node.value:
            if k.__class__ is ScalarNode and k.tag == _STR:
                key = k.value
            elif k.tag == _MERGE:
                merges = (merges or []) + (list(v.value) if v.__class__ is SequenceNode else [v])
                continue
            else:
                key = _build(k, positions, budget)
                if isinstance(key, list | dict):
                    key = str(key)
            if v.__class__ is ScalarNode:
                d[key] = v.value if v.tag == _STR else _scalar(v)
            else:
                d[key] = _build(v, positions, budget)
        if merges:
            for m in merges:
                merged = _build(m, positions, budget)
                if isinstance(merged, dict):
                    for mk, mv in merged.items():
                        d.setdefault(mk, mv)
        return d
    items: list[Any] = []
    positions[id(items)] = node
    for v in node.value:
        if v.__class__ is ScalarNode:
            items.append(v.value if v.tag == _STR else _scalar(v))
        else:
            items.append(_build(v, positions, budget))
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


def _json_fallback(source: Source, stats: ReadStats | None) -> list[Manifest] | None:
    """JSON that libyaml rejects (rare: e.g. without the C loader, tab indentation) still loads, without field lines."""
    text = source.text.lstrip()
    if not text.startswith(("{", "[")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    docs = data if isinstance(data, list) else [data]
    found: list[Manifest] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        node = yaml.compose(json.dumps(doc, indent=0), Loader=_Loader)
        if isinstance(node, MappingNode):
            for m in _manifests_of(source.name, node, stats):
                m.positions = {}
                m.line = 1
                found.append(m)
    return found


def _yaml_error(name: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    where = f"{name}:{mark.line + 1}" if mark is not None else name
    return f"{where}: not valid YAML: {problem}"


def _hint_for(text: str) -> str | None:
    if "{{" in text:
        return "this looks like an unrendered Helm template; lint the output of `helm template` instead"
    return None
