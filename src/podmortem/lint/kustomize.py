"""`lint -k DIR`: render a kustomization with `kubectl kustomize`, and point findings at the source files.

Rendering is kubectl's job (the same code `kubectl apply -k` runs). Positions are podmortem's:
kustomize's output has no record of where a field came from, so each finding's line in the
rendered text is turned into the field's path (spec.template.spec.containers[name=web].resources
.limits.memory), and that path is looked up in the files the kustomization tree names
(`resources`, `bases`, `components`, `patches`, `patchesStrategicMerge`), in documents of the
same kind whose name the rendered name contains (namePrefix/nameSuffix). The file that holds the
longest part of the path wins; on a tie the outermost kustomization, and its patches before its
resources, because the overlay's value is the one that was rendered. A finding no file matches
keeps the rendered position, under the name `DIR (kustomize output)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podmortem.errors import InputError
from podmortem.kube.yamldocs import compose_yaml, load_one
from podmortem.lint.loader import Source, decode
from podmortem.lint.model import LintFinding

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
RENDER_TIMEOUT = 120.0
MAX_DEPTH = 20  # kustomizations nest a few levels; more is a loop kustomize itself would refuse
# List items are matched by these keys (strategic merge patch keys of the pod spec lists).
_ITEM_KEYS = ("name", "mountPath", "containerPort", "devicePath")

PathStep = str | tuple[str, str]  # a mapping key, or (item key, value) for a list item


def rendered_name(directory: str) -> str:
    return f"{directory} (kustomize output)"


def render(directory: str, kubectl: str | None = None) -> Source:
    """The kustomization in `directory` rendered by `kubectl kustomize`, as one source."""
    if not os.path.isdir(directory):
        raise InputError(f"-k {directory}: not a folder")
    if not any(os.path.isfile(os.path.join(directory, n)) for n in KUSTOMIZATION_FILES):
        raise InputError(f"-k {directory}: no kustomization.yaml in this folder")
    exe = kubectl or shutil.which("kubectl")
    if exe is None:
        raise InputError("lint -k needs kubectl on PATH to render the kustomization (kubectl kustomize)",
                         hint=f"or render it yourself: kustomize build {directory} | podmortem lint -")
    try:
        done = subprocess.run([exe, "kustomize", directory], capture_output=True, timeout=RENDER_TIMEOUT,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InputError(f"-k {directory}: kubectl kustomize did not finish in {RENDER_TIMEOUT:g}s") from None
    except OSError as exc:
        raise InputError(f"-k {directory}: cannot run {exe}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[-1] if message else f"exit code {done.returncode}"
        raise InputError(f"-k {directory}: kubectl kustomize failed: {first[:300]}")
    return decode(rendered_name(directory), done.stdout)


# --- the files of a kustomization tree ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SourceDoc:
    file: str
    rank: int  # lower wins a tie: outer kustomizations first, patches before resources
    kind: str
    name: str
    node: MappingNode


def _kustomization(directory: str) -> dict[str, Any]:
    for name in KUSTOMIZATION_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as fh:
                    doc = load_one(path, fh.read())
            except (OSError, UnicodeDecodeError, InputError):
                return {}
            return doc if isinstance(doc, dict) else {}
    return {}


def _entries(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else ():
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict) and isinstance(item.get("path"), str):
            yield item["path"]


def source_files(directory: str) -> list[tuple[str, int]]:
    """(file, rank) for every local manifest file the kustomization tree names, outermost first."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()

    def walk(folder: str, depth: int) -> None:
        real = os.path.realpath(folder)
        if real in seen or depth > MAX_DEPTH:
            return
        seen.add(real)
        k = _kustomization(folder)
        patches = [*_entries(k.get("patches")), *_entries(k.get("patchesStrategicMerge"))]
        for entry in patches:
            path = os.path.normpath(os.path.join(folder, entry))
            if os.path.isfile(path):
                out.append((path, depth * 2))
        for key in ("resources", "bases", "components"):
            for entry in _entries(k.get(key)):
                if "://" in entry or entry.startswith(("git@", "github.com/")):
                    continue  # remote: rendered by kubectl, not ours to read
                path = os.path.normpath(os.path.join(folder, entry))
                if os.path.isdir(path):
                    walk(path, depth + 1)
                elif os.path.isfile(path):
                    out.append((path, depth * 2 + 1))

    walk(directory, 0)
    return out


def _scalar(node: MappingNode, key: str) -> str | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v.value if isinstance(v, ScalarNode) else None
    return None


def _name_of(node: MappingNode) -> str:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == "metadata" and isinstance(v, MappingNode):
            return _scalar(v, "name") or ""
    return ""


def load_source_docs(directory: str) -> list[SourceDoc]:
    docs: list[SourceDoc] = []
    for file, rank in source_files(directory):
        try:
            with open(file, encoding="utf-8-sig") as fh:
                text = fh.read()
            nodes = compose_yaml(file, text)
        except (OSError, UnicodeDecodeError, InputError):
            continue  # kubectl rendered it or said why; a file we cannot read just maps nothing
        for node in nodes:
            if isinstance(node, MappingNode):
                kind = _scalar(node, "kind")
                if kind:
                    docs.append(SourceDoc(file, rank, kind, _name_of(node), node))
    return docs


# --- from a rendered line to a field path, and from a path to a source line ---------------------------

def _step_of_item(item: Node, index: int) -> PathStep:
    if isinstance(item, MappingNode):
        for key in _ITEM_KEYS:
            value = _scalar(item, key)
            if value is not None:
                return (key, value)
    return ("#", str(index))


def paths_by_line(node: MappingNode) -> dict[int, tuple[PathStep, ...]]:
    """For each 0-based line of a rendered document, the path of the deepest field starting on it."""
    out: dict[int, tuple[PathStep, ...]] = {}

    def walk(n: Node, path: tuple[PathStep, ...]) -> None:
        if isinstance(n, MappingNode):
            for k, v in n.value:
                if not isinstance(k, ScalarNode):
                    continue
                here = (*path, str(k.value))
                out[int(k.start_mark.line)] = here
                walk(v, here)
        elif isinstance(n, SequenceNode):
            for i, item in enumerate(n.value):
                here = (*path, _step_of_item(item, i))
                out.setdefault(int(item.start_mark.line), here)
                walk(item, here)

    walk(node, ())
    return out


def locate(node: MappingNode, path: tuple[PathStep, ...]) -> tuple[int, int]:
    """(steps of `path` found in `node`, 1-based line of the deepest one found)."""
    current: Node = node
    line = int(node.start_mark.line) + 1
    found = 0
    for step in path:
        nxt: Node | None = None
        key_line = line
        if isinstance(step, str) and isinstance(current, MappingNode):
            for k, v in current.value:
                if isinstance(k, ScalarNode) and k.value == step:
                    nxt, key_line = v, int(k.start_mark.line) + 1
                    break
        elif isinstance(step, tuple) and isinstance(current, SequenceNode):
            key, value = step
            for i, item in enumerate(current.value):
                if (key == "#" and str(i) == value) or (isinstance(item, MappingNode) and _scalar(item, key) == value):
                    nxt, key_line = item, int(item.start_mark.line) + 1
                    break
        if nxt is None:
            break
        current, line, found = nxt, key_line, found + 1
    return found, line


@dataclass(slots=True)
class SourceMap:
    directory: str
    rendered: list[tuple[int, str, str, MappingNode]]  # (start line, kind, name, node) of each rendered document
    docs: list[SourceDoc]

    @classmethod
    def build(cls, directory: str, source: Source) -> SourceMap:
        rendered = []
        for node in compose_yaml(source.name, source.text):
            if isinstance(node, MappingNode):
                rendered.append((int(node.start_mark.line), _scalar(node, "kind") or "", _name_of(node), node))
        return cls(directory, rendered, load_source_docs(directory))

    def position(self, line: int) -> tuple[str, int] | None:
        """The source file and line of the rendered 1-based `line`, or None when no file matches."""
        doc = None
        for start, kind, name, node in self.rendered:
            if start <= line - 1:
                doc = (kind, name, node)
            else:
                break
        if doc is None:
            return None
        kind, name, node = doc
        path = paths_by_line(node).get(line - 1, ())
        candidates = [d for d in self.docs if d.kind == kind and d.name and d.name in name]
        exact = [d for d in candidates if d.name == name]
        best: tuple[int, int, int, str] | None = None  # (-found, not defining, rank), file, line
        for d in exact or candidates:
            found, at = locate(d.node, path)
            key = (-found, d.rank)
            if best is None or key < (best[0], best[1]):
                best = (key[0], key[1], at, d.file)
        if best is None:
            return None
        return best[3], best[2]


def relocator(maps: dict[str, SourceMap]) -> Callable[[LintFinding], LintFinding]:
    """Moves a finding in rendered kustomize output to its source file and line (others unchanged)."""
    def move(f: LintFinding) -> LintFinding:
        source_map = maps.get(f.file)
        if source_map is None:
            return f
        where = source_map.position(f.line)
        return replace(f, file=where[0], line=where[1]) if where is not None else f

    return move
