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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podmortem.errors import EmptyInput, InputError
from podmortem.kube.yamldocs import (
    YamlSyntaxError,
    build,
    check_graph,
    compose_unchecked,
    compose_yaml,
    graph_check_needed,
)
from podmortem.sources.reader import STDIN_NAME, decode_text, parse_json, read_bytes, walk_files

__all__ = ["BUILT_KINDS", "INDEXED_KINDS", "MANIFEST_SUFFIXES", "POD_TEMPLATE_KINDS", "STDIN_NAME", "Manifest",
           "ReadStats", "Source", "build", "decode", "load_manifests", "read_sources"]


MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

# Kinds whose objects are built and handed to checks; every other kind is only counted.
POD_TEMPLATE_KINDS = frozenset({
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob", "PodTemplate", "DeploymentConfig", "Rollout",
})
# Objects that provide what pods reference: Secrets can also come from operators' custom
# resources in the same bundle (External Secrets, Sealed Secrets, cert-manager Certificates).
INDEXED_KINDS = frozenset({"ConfigMap", "Secret", "PersistentVolumeClaim", "LimitRange", "Namespace",
                           "ExternalSecret", "SealedSecret", "Certificate", "ServiceAccount", "StorageClass"})
BUILT_KINDS = POD_TEMPLATE_KINDS | INDEXED_KINDS

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
            source = decode(STDIN_NAME, read_bytes("-", stdin=stdin))
            if not source.text.strip():
                raise EmptyInput("stdin is empty", hint="did the command before the pipe print anything?")
            yield source
        elif os.path.isdir(path):
            found = False
            for file in walk_files(path, lambda name: name.lower().endswith(MANIFEST_SUFFIXES)):
                found = True
                source = decode(file, read_bytes(file))
                if source.text.strip():
                    yield source
            if not found:
                raise EmptyInput(f"{path}: no .yaml, .yml or .json files in this folder")
        else:
            source = decode(path, read_bytes(path))
            if not source.text.strip():
                raise EmptyInput(f"{path}: the file is empty")
            yield source


def decode(name: str, data: bytes) -> Source:
    """Bytes to text by the shared reader's decoder (podmortem.sources.reader.decode_text)."""
    return Source(name, decode_text(name, data))


# --- parsing ------------------------------------------------------------------------------------

def load_manifests(source: Source, stats: ReadStats | None = None) -> Iterator[Manifest]:
    """Every object of `source` whose kind a check reads, one at a time, in file order.

    `kind: List` (and `*List` kinds from `kubectl get -o yaml`) are unpacked into their items.
    """
    if stats is not None:
        stats.files += 1
    try:
        nodes = compose_unchecked(source.name, source.text)
    except YamlSyntaxError:
        recovered = _json_fallback(source, stats)
        if recovered is None:
            raise
        yield from recovered
        return
    if graph_check_needed(source.text):
        for node in nodes:
            check_graph(source.name, node)
    for node in nodes:
        if isinstance(node, MappingNode):
            yield from _manifests_of(source.name, node, stats)


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


def _json_fallback(source: Source, stats: ReadStats | None) -> list[Manifest] | None:
    """JSON that libyaml rejects (rare: e.g. without the C loader, tab indentation) still loads, without field lines."""
    text = source.text.lstrip()
    if not text.startswith(("{", "[")):
        return None
    try:
        data = parse_json(source.name, text)
    except InputError:
        return None
    docs = data if isinstance(data, list) else [data]
    found: list[Manifest] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        nodes = compose_yaml(source.name, json.dumps(doc, indent=0))
        node = nodes[0] if nodes else None
        if isinstance(node, MappingNode):
            for m in _manifests_of(source.name, node, stats):
                m.positions = {}
                m.line = 1
                found.append(m)
    return found
