"""Offline inputs -> evidence: detect each input's kind by content and hand it to its parser.

Positional inputs may be Kubernetes objects (JSON or YAML: Pod, PodList, List, EventList),
pasted `kubectl describe` text, or a folder holding such files plus logs named
`<pod>_<container>.log` / `<pod>_<container>.previous.log`. `-` reads standard input.
A log passed positionally is refused with a hint to use --logs.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podmortem.errors import BinaryInput, EmptyInput, InputError, UnknownInputKind
from podmortem.model import LogText, PodEvidence
from podmortem.sources.logs import attach_logs, decode, logs_only_pod, looks_binary, read_log_file

MAX_OBJECT_BYTES = 2 * 1024**3

_JSON_OBJECT = re.compile(rb"[ \t\r\n]*\{")
_LOG_NAME = re.compile(r"^(?P<pod>[^_]+)_(?P<container>[^_.]+)(?P<prev>\.previous)?\.log$")


@dataclass
class Inputs:
    """What the user gave: positional paths, describe files, log files, an optional container."""

    paths: list[str] = field(default_factory=list)
    describe: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    container: str | None = None


def _read(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        if os.path.isdir(path):
            raise InputError(f"{path}: is a folder")
        with open(path, "rb") as fh:
            return fh.read(MAX_OBJECT_BYTES)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _parse_structured(data: bytes, path: str) -> list[Any] | None:
    """JSON or YAML documents, or None when the text is neither (so it may be describe text)."""
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            import orjson

            return [orjson.loads(data)]
        except ValueError as exc:
            raise InputError(f"{path}: truncated or invalid JSON ({exc})",
                             "pass the complete output of `kubectl get pods -o json`") from None
    text = decode(data)
    if not re.search(r"^(apiVersion|kind|items|metadata)\s*:", text, re.M):
        return None
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: invalid YAML{where}") from None


def _kube_docs(docs: list[Any], path: str) -> list[Any]:
    ok = [d for d in docs if isinstance(d, dict) and (d.get("kind") or isinstance(d.get("items"), list))]
    if not ok:
        raise UnknownInputKind(f"{path}: not a Kubernetes object (no `kind`)",
                               "pass `kubectl get pod NAME -o yaml` output, describe text, or a log with --logs")
    return ok


def load_folder(path: str) -> list[PodEvidence]:
    """A snapshot folder: object files (json/yaml), describe files (.txt) and logs by name."""
    from podmortem.sources.describe import looks_like_describe, parse_describe
    from podmortem.sources.objects import pods_from_objects

    docs: list[Any] = []
    logs: dict[tuple[str, str], tuple[LogText, ...]] = {}
    described: list[PodEvidence] = []
    for entry in sorted(Path(path).iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            # `podmortem snapshot` puts logs of a pod name used in several namespaces in <namespace>/.
            for sub in sorted(entry.iterdir()):
                if (m := _LOG_NAME.match(sub.name)) and sub.is_file():
                    key = (f"{entry.name}/{m.group('pod')}", m.group("container"))
                    logs[key] = (*logs.get(key, ()), read_log_file(str(sub), previous=bool(m.group("prev")),
                                                                   allow_empty=True))
            continue
        if entry.is_dir() or entry.name.startswith("."):
            continue
        m = _LOG_NAME.match(entry.name)
        if m:
            text = read_log_file(str(entry), previous=bool(m.group("prev")), allow_empty=True)
            key = (m.group("pod"), m.group("container"))
            logs[key] = (*logs.get(key, ()), text)
            continue
        if entry.suffix in (".json", ".yaml", ".yml"):
            data = _read(str(entry))
            if not data.strip():
                continue
            parsed = _parse_structured(data, str(entry))
            if parsed:
                docs.extend(d for d in parsed if isinstance(d, dict))
        elif entry.suffix == ".txt":
            text = decode(_read(str(entry)))
            if looks_like_describe(text):
                described.extend(parse_describe(text))
    pods = pods_from_objects(docs, logs)
    if not pods and not described:
        raise InputError(f"{path}: the folder holds no pods (expected *.json/*.yaml objects or describe *.txt)")
    return pods + described


def load_path(path: str) -> list[PodEvidence]:
    """One positional input, its kind detected from its content."""
    if path != "-" and os.path.isdir(path):
        return load_folder(path)
    data = _read(path)
    if not data or data.isspace():  # not data.strip(): that copies a whole large file
        raise EmptyInput(f"{path}: the input is empty")
    if looks_binary(data):
        raise BinaryInput(f"{path}: binary data, not Kubernetes objects or describe text")
    if _JSON_OBJECT.match(data):
        # A JSON object, typically a big PodList: read item by item and let go of the bytes, so
        # memory stays near the size of the text (see sources/jsonstream.py).
        text = decode(data)
        del data
        streamed, rest = _stream_json(text, path)
        del text
        return _pods_from_docs(rest, path, streamed)
    docs = _parse_structured(data, path)
    if docs is not None:
        return _pods_from_docs(docs, path)
    from podmortem.sources.describe import looks_like_describe, parse_describe

    text = decode(data)
    if looks_like_describe(text):
        pods = parse_describe(text)
        if pods:
            return pods
    raise UnknownInputKind(f"{path}: neither `kubectl describe` output nor Kubernetes objects",
                           "to diagnose from a container log, pass it with --logs FILE")


def _stream_json(text: str, path: str) -> tuple[list[PodEvidence], list[Any]]:
    """Pods of a JSON object's `items`, normalised as they are parsed, and the rest of the document."""
    from podmortem.sources.jsonstream import StreamError, parse_streaming
    from podmortem.sources.objects import pod_evidence

    streamed: list[PodEvidence] = []

    def take(item: Any, top: dict[str, Any]) -> Any:
        if isinstance(item, dict):
            kind = item.get("kind") or ("Pod" if top.get("kind") == "PodList" else None)
            if kind == "Pod":
                streamed.append(pod_evidence(item))
                return None
        return item  # events, nested lists, kind-less items: handled with the rest of the document

    try:
        doc = parse_streaming(text, take)
    except StreamError as exc:
        raise InputError(f"{path}: truncated or invalid JSON ({exc})",
                         "pass the complete output of `kubectl get pods -o json`") from None
    return streamed, [doc]


def _pods_from_docs(docs: list[Any], path: str, streamed: list[PodEvidence] | None = None) -> list[PodEvidence]:
    """The pods in parsed documents (plus pods already streamed out of them), events attached."""
    from podmortem.sources.objects import pods_from_objects, split_objects, with_events

    kube = _kube_docs(docs, path)
    pods = pods_from_objects(kube)
    if streamed:
        _, events, _ = split_objects(kube)
        pods = (with_events(streamed, events) if events else streamed) + pods
    if not pods:
        _, events, _ = split_objects(kube)
        if events:
            raise InputError(f"{path}: holds events but no pod",
                             "pass the pod too (`kubectl get pod NAME -o yaml`) in another file")
        kinds = sorted({str(d.get("kind")) for d in kube})
        raise UnknownInputKind(f"{path}: no Pod in it (found {', '.join(kinds)})",
                               "for workload manifests use `podmortem lint`")
    return pods


def load(inputs: Inputs) -> list[PodEvidence]:
    """All pods from all inputs, with --logs attached to the failing container."""
    pods: list[PodEvidence] = []
    for path in inputs.paths:
        pods.extend(load_path(path))
    for path in inputs.describe:
        from podmortem.sources.describe import parse_describe  # only when asked: it is a big module

        data = _read(path)
        if not data.strip():
            raise EmptyInput(f"{path}: the describe file is empty")
        if looks_binary(data):
            raise BinaryInput(f"{path}: binary data, not `kubectl describe` output")
        parsed = parse_describe(decode(data))
        if not parsed:
            raise UnknownInputKind(f"{path}: no `kubectl describe pod` output found in it")
        pods.extend(parsed)
    logs = [read_log_file(p) for p in inputs.logs]
    if not pods:
        if not logs:
            raise InputError("nothing to explain", "give a file, --describe FILE or --logs FILE")
        return [logs_only_pod(logs, inputs.container)]
    if logs:
        if len(pods) > 1 and not inputs.container:
            pods[0] = attach_logs(pods[0], logs)
        else:
            pods[0] = attach_logs(pods[0], logs, inputs.container)
    return pods
