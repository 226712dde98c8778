"""Offline inputs -> evidence: every input read by the one manifest reader into one bundle.

Positional inputs may be Kubernetes objects (JSON or YAML: Pod, PodList, List, EventList,
ConfigMap, Secret, ReplicaSet...), pasted `kubectl describe` text, or a folder holding such files
plus logs named `<pod>_<container>.log` / `<pod>_<container>.previous.log`. `-` reads standard
input. As with kubectl's `-f`, objects from every input form one bundle: the events of
`events.yaml` attach to the pods of `pods.yaml` whatever the order, and a ConfigMap or Secret
(key names only) from any file is checked against what the pods reference.
A log passed positionally is refused with a hint to use --logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from podmortem.errors import EmptyInput, InputError, UnknownInputKind
from podmortem.kube.typedjson import msgspec
from podmortem.sources.healthy import PlainPod, plain_pod
from podmortem.sources.reader import (
    STDIN_NAME,
    decode_text,
    looks_binary,
    looks_like_json,
    os_input_error,
    parse_documents,
    read_bytes,
    walk_files,
)

if TYPE_CHECKING:
    # Not imported to run until a pod's evidence is built: a big list's failing pods are built in
    # explain's workers, and the model and the log reader take about 26 ms to import.
    from podmortem.model import Event, LogText, PodEvidence

_JSON_OBJECT = re.compile(r"[ \t\r\n]*\{")
_JSON_OBJECT_BYTES = re.compile(rb"[ \t\r\n]*\{")
_LOG_NAME = re.compile(r"^(?P<pod>[^_]+)_(?P<container>[^_.]+)(?P<prev>\.previous)?\.log$")
_OBJECT_SUFFIXES = (".json", ".yaml", ".yml")


def read_log_file(path: str, previous: bool = True, *, allow_empty: bool = False) -> LogText:
    """A log file (sources.logs reads it bounded); a missing or unreadable one is one line, exit 2."""
    if path != "-" and os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not a log file",
                         "pass one log file per --logs, or the folder itself as an input")
    from podmortem.sources.logs import read_log_file as read

    try:
        return read(path, previous, allow_empty=allow_empty)
    except OSError as exc:
        raise os_input_error(path, exc) from None


@dataclass
class Inputs:
    """What the user gave: positional paths, describe files, log files, an optional container."""

    paths: list[str] = field(default_factory=list)
    describe: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    container: str | None = None


def _kube_docs(docs: list[Any], path: str) -> list[Any]:
    ok = [d for d in docs if isinstance(d, dict) and (d.get("kind") or isinstance(d.get("items"), list))]
    if not ok:
        raise UnknownInputKind(f"{path}: not a Kubernetes object (no `kind`)",
                               "pass `kubectl get pod NAME -o yaml` output, describe text, or a log with --logs")
    return ok


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 1 us a pod more
class _Kept:
    """A pod of a streamed list whose evidence is not built yet: where its object is in the input
    (shared, not copied: the text and an offset, or the view msgspec read it as), and for a plainly
    healthy pod its summary (its evidence is built only if something turns up about it)."""

    plain: PlainPod | None
    text: Any  # str (with start), or a msgspec.Raw of sources/listview.py
    start: int
    name: str  # the input, for a message

    def evidence(self) -> PodEvidence:
        from podmortem.sources.objects import pod_evidence

        if isinstance(self.text, str):
            from podmortem.sources.jsonstream import decode_at

            return pod_evidence(decode_at(self.text, self.start))
        from podmortem.sources.listview import whole

        try:
            obj = whole(self.text)
        except ValueError as exc:  # a field the view skipped holds what json.loads refuses
            raise _invalid_json(self.name, exc) from None
        return pod_evidence(obj)


def _invalid_json(path: str, exc: Exception) -> InputError:
    return InputError(f"{path}: truncated or invalid JSON ({exc})",
                      "pass the complete output of `kubectl get pods -o json`")


class PendingPod(msgspec.Struct, frozen=True):
    """A pod whose evidence is built when asked (`Bundle.pods_pending`), with the events and logs of
    every input: `explain` builds a big list's failing pods in its forked workers (live/parallel.py)."""

    kept: _Kept
    grouped: Mapping[tuple[str | None, str], list[Event]] | None
    logs: Mapping[tuple[str, str], tuple[LogText, ...]]

    def evidence(self) -> PodEvidence:
        from podmortem.sources.objects import attach_events

        p = self.kept.evidence()
        if self.grouped is not None:
            p = attach_events(p, self.grouped)
        if self.logs:
            p = _with_logs_by_name(p, self.logs)
        return p


class PackedPods(msgspec.Struct, frozen=True):
    """Pending pods of a JSON list read through the typed view, made small to send to another process
    (explain's standby worker, explainpods.py): their texts end to end in one bytes object, where
    each ends, and what every one of them shares (the input's name, events and logs), sent once."""

    texts: bytes
    ends: list[int]
    names: list[str]
    grouped: Mapping[tuple[str | None, str], list[Event]] | None
    logs: Mapping[tuple[str, str], tuple[LogText, ...]]

    @classmethod
    def of_texts(cls, texts: list[Any], names: list[str]) -> PackedPods:
        """Pods of list items (msgspec.Raw, or bytes), with no events or logs."""
        ends, at = [], 0
        for raw in texts:
            at += len(raw)
            ends.append(at)
        return cls(b"".join(texts), ends, names, None, {})

    @classmethod
    def of(cls, pods: list[PendingPod]) -> PackedPods | None:
        """None unless every pod is a list item held as its text (msgspec.Raw), all sharing one
        events and one logs mapping."""
        from podmortem.kube.typedjson import msgspec

        if not pods:
            return None
        grouped, logs = pods[0].grouped, pods[0].logs
        raws: list[Any] = []
        for p in pods:
            if p.grouped is not grouped or p.logs is not logs or not isinstance(p.kept.text, msgspec.Raw):
                return None
            raws.append(p.kept.text)
        return msgspec.structs.replace(cls.of_texts(raws, [p.kept.name for p in pods]), grouped=grouped, logs=logs)

    def unpack(self) -> list[PendingPod]:
        """The pods again: each one's evidence() is what the original's gives."""
        view = memoryview(self.texts)
        out, start = [], 0
        for end, name in zip(self.ends, self.names, strict=True):
            out.append(PendingPod(_Kept(None, view[start:end], 0, name), self.grouped, self.logs))
            start = end
        return out


@dataclass
class Bundle:
    """Every object of every input, pooled: pods are built once all inputs are read.

    `keep_plain`: plainly healthy pods of a streamed list are kept as summaries (sources.healthy)
    instead of evidence; `pods_or_plain` hands them out as such, `pods` builds their evidence."""

    docs: list[Any] = field(default_factory=list)  # object documents (pods, events, configmaps...)
    streamed: list[PodEvidence | _Kept] = field(default_factory=list)  # pods normalised while a big list was read
    keep_plain: bool = False
    described: list[PodEvidence] = field(default_factory=list)
    logs: dict[tuple[str, str], tuple[LogText, ...]] = field(default_factory=dict)  # (pod, container)
    object_inputs: list[str] = field(default_factory=list)  # inputs that held objects, for messages
    # Told of each pod of a list read through the typed view that is not plainly healthy, as it is
    # read (its text, a msgspec.Raw, and the input's name): explain's standby worker starts on it.
    on_pod: Callable[[Any, str], None] | None = None

    def add_path(self, path: str) -> None:
        """One positional input, its kind detected from its content."""
        if path != "-" and os.path.isdir(path):
            self.add_folder(path)
            return
        name = STDIN_NAME if path == "-" else path
        data = read_bytes(path)
        if not data or data.isspace():  # not data.strip(): that copies a whole large file
            raise EmptyInput(f"{name}: the input is empty")
        if self._add_list_view(name, data):
            return
        text = decode_text(name, data)
        del data
        self.add_text(name, text, strict=True)

    def _add_list_view(self, name: str, data: bytes) -> bool:
        """A JSON list in ASCII read through the typed pod view straight from its bytes: ASCII needs
        no decoding (decode_text gives the same characters), which spares a copy of a big file and
        the time to make it. False when the input is to be read as text (not a JSON object, not
        ASCII, binary, or a list the view declines)."""
        if not self.keep_plain or not _JSON_OBJECT_BYTES.match(data) or not data.isascii() or looks_binary(data):
            return False
        docs = _read_list_view(data, name, self.streamed, self.on_pod)
        if docs is None:
            return False
        self._add_docs(name, docs)
        return True

    def add_text(self, name: str, text: str, *, strict: bool) -> None:
        """Objects or describe text. `strict`: text that is neither is an error (else it is skipped)."""
        if _JSON_OBJECT.match(text):
            # A JSON object, typically a big PodList: read item by item and let go of the text, so
            # memory stays near the size of the text (see sources/jsonstream.py).
            self._add_docs(name, _stream_json(text, name, self.streamed, self.keep_plain))
            return
        if looks_like_json(text) or re.search(r"^(apiVersion|kind|items|metadata)\s*:", text, re.M):
            self._add_docs(name, parse_documents(name, text))
            return
        from podmortem.sources.describe import looks_like_describe, parse_describe

        if looks_like_describe(text):
            pods = parse_describe(text)
            if pods:
                self.described.extend(pods)
                return
        if strict:
            raise UnknownInputKind(f"{name}: neither `kubectl describe` output nor Kubernetes objects",
                                   "to diagnose from a container log, pass it with --logs FILE")

    def _add_docs(self, name: str, docs: list[Any]) -> None:
        self.docs.extend(_kube_docs(docs, name))
        self.object_inputs.append(name)

    def add_folder(self, path: str) -> None:
        """A folder: object files (json/yaml), describe files (.txt) and logs by name, one level of
        <namespace>/ subfolders for logs (what `podmortem snapshot` writes for a name used twice)."""
        before = len(self.docs) + len(self.streamed) + len(self.described)

        def wanted(name: str) -> bool:
            return name.endswith((*_OBJECT_SUFFIXES, ".txt")) or bool(_LOG_NAME.match(name))

        real_root = os.path.realpath(path)
        for file in walk_files(path, wanted):
            real = os.path.realpath(file)
            if os.path.commonpath([real_root, real]) != real_root:
                # A shared folder (a snapshot) must not make podmortem read, and quote, other files.
                raise InputError(f"{file}: a symlink out of the folder {path}, refused",
                                 "a folder given to explain holds only its own files")
            rel = os.path.relpath(file, path)
            parts = rel.split(os.sep)
            base = parts[-1]
            if (m := _LOG_NAME.match(base)) and len(parts) <= 2:
                pod = m.group("pod") if len(parts) == 1 else f"{parts[0]}/{m.group('pod')}"
                log = read_log_file(file, previous=bool(m.group("prev")), allow_empty=True)
                key = (pod, m.group("container"))
                self.logs[key] = (*self.logs.get(key, ()), log)
                continue
            if len(parts) > 1:
                continue  # objects and describe text are read from the folder itself
            data = read_bytes(file)
            if not data.strip():
                continue
            if base.endswith(_OBJECT_SUFFIXES) and self._add_list_view(file, data):
                continue
            text = decode_text(file, data)
            if base.endswith(_OBJECT_SUFFIXES):
                self.add_text(file, text, strict=False)
            else:
                from podmortem.sources.describe import looks_like_describe, parse_describe

                if looks_like_describe(text):
                    self.described.extend(parse_describe(text))
        if len(self.docs) + len(self.streamed) + len(self.described) == before:
            raise InputError(f"{path}: the folder holds no pods (expected *.json/*.yaml objects or describe *.txt)")

    def pods(self) -> list[PodEvidence]:
        """The pods of every input, with the events of every input attached."""
        from podmortem.model import PodEvidence

        return [p for p in self._pods(keep_plain=False) if isinstance(p, PodEvidence)]

    def pods_or_plain(self) -> list[PodEvidence | PlainPod]:
        """`pods`, except that plainly healthy pods of a streamed list that no event or log names
        stay summaries (engine.diagnose_plain diagnoses them as `diagnose` would their evidence)."""
        return [p.evidence() if isinstance(p, PendingPod) else p for p in self._pods(keep_plain=True)]

    def pods_pending(self) -> list[PodEvidence | PlainPod | PendingPod]:
        """`pods_or_plain`, except that the other pods of a streamed list are not built yet: each is a
        PendingPod whose `evidence()` is what `pods_or_plain` would have given in its place."""
        return self._pods(keep_plain=True)

    def _pods(self, *, keep_plain: bool) -> list[PodEvidence | PlainPod | PendingPod]:
        from podmortem.sources.kinds import split_objects

        # The evidence builder (sources/objects.py) is imported only when something needs it: a big
        # list read alone leaves a pending pod or a summary of each of its pods, and no document.
        raw_pods, events, others = split_objects(self.docs)
        pods: list[PodEvidence] = []
        if raw_pods:
            from podmortem.sources.objects import pods_from_objects

            pods = pods_from_objects(self.docs, self.logs)
        streamed: list[PodEvidence | PlainPod | PendingPod] = []
        if self.streamed:
            grouped = None
            if events:
                from podmortem.sources.objects import attach_events, events_about, events_by_pod

                grouped = events_by_pod(events)
            log_pods = {pod for pod, _ in self.logs}
            for p in self.streamed:
                if isinstance(p, _Kept):
                    plain = p.plain
                    if plain is not None:
                        named = ((log_pods and (plain.name in log_pods or f"{plain.namespace}/{plain.name}" in log_pods))
                                 or (grouped is not None and events_about(grouped, plain.namespace, plain.name)))
                        if keep_plain and not named:
                            streamed.append(replace(plain, has_events=True) if grouped is not None else plain)
                            continue
                    if keep_plain:
                        streamed.append(PendingPod(p, grouped, self.logs))
                        continue
                    p = p.evidence()
                if grouped is not None:
                    p = attach_events(p, grouped)
                if self.logs:
                    p = _with_logs_by_name(p, self.logs)
                streamed.append(p)
        found = streamed + pods + self.described
        if not found and self.object_inputs:
            names = ", ".join(self.object_inputs)
            if events:
                raise InputError(f"{names}: events but no pod",
                                 "pass the pod too (`kubectl get pod NAME -o yaml`), in the same or another file")
            kinds = sorted({str(d.get("kind")) for d in others})
            raise UnknownInputKind(f"{names}: no Pod in it (found {', '.join(kinds) or 'nothing'})",
                                   "for workload manifests use `podmortem lint`")
        return found

    def others(self) -> list[Any]:
        """Objects that are neither pods nor events (ConfigMaps, Secrets, ReplicaSets...)."""
        from podmortem.sources.kinds import split_objects

        return split_objects(self.docs)[2]


def _with_logs_by_name(pod: PodEvidence, logs: Mapping[tuple[str, str], tuple[LogText, ...]]) -> PodEvidence:
    """A folder's logs (keyed by pod or namespace/pod, then container) added to a pod read earlier."""
    names = (pod.name or "", f"{pod.namespace}/{pod.name}")
    if not any((n, c.name) in logs for n in names for c in pod.containers):
        return pod
    from podmortem.model.evolve import evolve  # not at the top: explain's parent never imports the model

    containers = []
    for c in pod.containers:
        found = logs.get((names[1], c.name)) or logs.get((names[0], c.name))
        containers.append(evolve(c, logs=(*c.logs, *found)) if found else c)
    return evolve(pod, containers=tuple(containers))


# msgspec reads a str through its UTF-8 form, which Python builds (and keeps) beside a text that is
# not ASCII: past this many characters such a text is read by jsonstream, whose peak memory is lower.
VIEW_MAX_NON_ASCII = 32 * 1024 * 1024


def _stream_json(text: str, path: str, streamed: list[PodEvidence | _Kept], keep_plain: bool = False) -> list[Any]:
    """Pods of a JSON object's `items`, normalised as they are parsed, and the rest of the document."""
    if keep_plain and (text.isascii() or len(text) <= VIEW_MAX_NON_ASCII):
        docs = _read_list_view(text, path, streamed)
        if docs is not None:
            return docs
    return _read_jsonstream(text, path, streamed, keep_plain)


def _read_jsonstream(text: str, path: str, streamed: list[PodEvidence | _Kept], keep_plain: bool) -> list[Any]:
    """`_stream_json` by the standard library, item by item (sources/jsonstream.py): the reference
    reading, for any JSON object."""
    from podmortem.sources.jsonstream import StreamError, parse_streaming_spans
    from podmortem.sources.objects import pod_evidence

    def take(item: Any, top: dict[str, Any], start: int, _end: int) -> Any:
        if isinstance(item, dict):
            kind = item.get("kind") or ("Pod" if top.get("kind") == "PodList" else None)
            if kind == "Pod":
                # Kept as a place in the text unless every pod is built now: a failing pod's evidence
                # is built when asked (Bundle.pods_pending), in explain's workers.
                streamed.append(_Kept(plain_pod(item), text, start, path) if keep_plain else pod_evidence(item))
                return None
        return item  # events, nested lists, kind-less items: handled with the rest of the document

    try:
        doc = parse_streaming_spans(text, take)
    except StreamError as exc:
        raise _invalid_json(path, exc) from None
    return _rest(doc, streamed)


def _rest(doc: Any, streamed: list[PodEvidence | _Kept]) -> list[Any]:
    if isinstance(doc, dict) and not doc.get("kind") and doc.get("items") == [] and streamed:
        return []  # a kind-less list whose items were all streamed pods
    return [doc]


def _read_list_view(text: str | bytes, path: str, streamed: list[PodEvidence | _Kept],
                    on_pod: Callable[[Any, str], None] | None = None) -> list[Any] | None:
    """`_stream_json` for a JSON list, through the typed pod view (sources/listview.py); None when
    the list is to be read by jsonstream after all (and nothing was added, though `on_pod` may have
    been told of some of its pods)."""
    from podmortem.sources.listview import PLAIN, POD, Declined, read_list

    pods: list[PodEvidence | _Kept] = []
    kept: list[Any] = []
    try:
        head, items = read_list(text)
        for what, value, raw in items:
            if what == PLAIN:
                pods.append(_Kept(value, raw, 0, path))
            elif what == POD:  # as jsonstream's: built when asked (Bundle.pods_pending)
                pods.append(_Kept(None, raw, 0, path))
                if on_pod is not None:
                    on_pod(raw, path)
            elif value is not None:  # as jsonstream: a null item is dropped
                kept.append(value)
    except Declined:
        return None
    streamed.extend(pods)
    return _rest({**head.fields, "items": kept}, streamed)


def load_folder(path: str) -> list[PodEvidence]:
    """A folder of objects, describe files and logs (the demo; a `podmortem snapshot` folder)."""
    bundle = Bundle()
    bundle.add_folder(path)
    return bundle.pods()


def load_path(path: str) -> list[PodEvidence]:
    """One positional input, its kind detected from its content."""
    bundle = Bundle()
    bundle.add_path(path)
    return bundle.pods()


def read_bundle(inputs: Inputs, *, keep_plain: bool = False, on_pod: Callable[[Any, str], None] | None = None) -> Bundle:
    """Every positional input and --describe file in one bundle (`keep_plain`, `on_pod`: see Bundle)."""
    bundle = Bundle(keep_plain=keep_plain, on_pod=on_pod)
    for path in inputs.paths:
        bundle.add_path(path)
    for path in inputs.describe:
        from podmortem.sources.describe import parse_describe  # only when asked: it is a big module

        name = STDIN_NAME if path == "-" else path
        data = read_bytes(path)
        if not data.strip():
            raise EmptyInput(f"{name}: the describe file is empty")
        parsed = parse_describe(decode_text(name, data))
        if not parsed:
            raise UnknownInputKind(f"{name}: no `kubectl describe pod` output found in it")
        bundle.described.extend(parsed)
    return bundle


def with_logs(pods: list[PodEvidence], inputs: Inputs) -> list[PodEvidence]:
    """--logs attached to the failing container (or a pod made of logs alone)."""
    from podmortem.sources.logs import attach_logs, logs_only_pod

    logs = [read_log_file(p) for p in inputs.logs]
    if not pods:
        if not logs:
            raise InputError("nothing to explain", "give a file, --describe FILE or --logs FILE")
        return [logs_only_pod(logs, inputs.container)]
    if logs:
        pods = list(pods)
        if len(pods) > 1 and not inputs.container:
            pods[0] = attach_logs(pods[0], logs)
        else:
            pods[0] = attach_logs(pods[0], logs, inputs.container)
    return pods


def load(inputs: Inputs) -> list[PodEvidence]:
    """All pods from all inputs, with --logs attached to the failing container."""
    return with_logs(read_bundle(inputs).pods(), inputs)
