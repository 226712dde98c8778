"""Snapshots: a live run's evidence as a folder, and back (write_snapshot / read_snapshot).

The snapshot is a format, versioned: `podmortem explain DIR` reads back the very Collection that
`diagnose` would have diagnosed, so it gives the same findings, config checks, "what changed" and
back-off figures (computed at the capture time). Layout (docs/live.md):

  snapshot.json      the index: format version, capture time, server and context, failing pods,
                     whose events were read, every log file and what it holds, sampled logs,
                     per-pod notes, missing RBAC, warnings, whether env values were kept
  pods.json          PodList of every listed pod (env values dropped unless --keep-env-values)
  (every name replaced consistently with --anonymize: podmortem.live.anonymize)
  events.json        EventList of the events fetched for failing pods
  replicasets.json   the ReplicaSets of failing pods' namespaces (rollout history)
  references.json    the ConfigMaps and Secrets failing pods reference: existence and key NAMES
  logs/NS_POD_CONTAINER[.previous].log   each part encoded by encode_name (reversible, safe)

Paths never come from names: every name is encoded into one file name component (no `/`, no
`..`, no upper case, no `_`, which separates the parts), files are created with O_EXCL|O_NOFOLLOW
inside DIR and no folder is created but DIR and DIR/logs. Reading refuses any file whose real
path leaves DIR (a symlink planted in a shared snapshot). Secret values never reach the folder:
the collector keeps key names only, and credentials an app printed in its log are redacted.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from podmortem.errors import InputError, SnapshotInvalid
from podmortem.live.collect import Collection, ConfigRef, LogCapture, MissingRbac, PodKey, pod_key
from podmortem.redact import redact, redact_lines

SNAPSHOT_KIND = "PodmortemSnapshot"
FORMAT_VERSION = 2
INDEX = "snapshot.json"
LOGS = "logs"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_MAX_NAME = 200  # file name bytes; longer (hostile) names get a hashed file name, the index says what it holds
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


# -- names -> file names ----------------------------------------------------------------------------


def encode_name(name: str) -> str:
    """A name as one safe file name component: [a-z0-9-] kept, every other byte as %XX.

    Reversible (decode_name), never `.`/`..`, never holding `/` or `_`, the same on case-insensitive
    file systems. A Kubernetes name ([a-z0-9.-]) stays readable: only its dots become %2E.
    """
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in name)


def decode_name(encoded: str) -> str:
    if not re.fullmatch(r"(?:[a-z0-9-]|%[0-9A-F]{2})*", encoded):
        raise ValueError(f"not an encoded name: {encoded!r}")
    return unquote(encoded, errors="strict")


def log_file_name(namespace: str, pod: str, container: str, previous: bool) -> str:
    name = "_".join(encode_name(p) for p in (namespace, pod, container)) + (".previous" if previous else "") + ".log"
    if len(name.encode()) > _MAX_NAME:
        digest = hashlib.sha256("\0".join((namespace, pod, container)).encode()).hexdigest()[:40]
        name = f"h-{digest}{'.previous' if previous else ''}.log"
    return name


def parse_log_file_name(name: str) -> tuple[str, str, str, bool] | None:
    """(namespace, pod, container, previous) of an encoded log file name; None for a hashed one."""
    m = re.fullmatch(r"([^_]*)_([^_]*)_([^_.]*)(\.previous)?\.log", name)
    if not m:
        return None
    return decode_name(m.group(1)), decode_name(m.group(2)), decode_name(m.group(3)), bool(m.group(4))


# -- writing ----------------------------------------------------------------------------------------


def _object_list(kind: str, items: list[Any]) -> dict[str, Any]:
    api = "apps/v1" if kind in ("ReplicaSet", "Deployment") else "v1"
    return {"apiVersion": api, "kind": f"{kind}List", "metadata": {},
            "items": [dict(i, apiVersion=i.get("apiVersion") or api, kind=i.get("kind") or kind) for i in items]}


def drop_env_values(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod (or the pod template of a ReplicaSet) with every literal env `value` removed
    (valueFrom references are kept: they hold no value)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        return dict(obj, spec=dict(spec, template=drop_env_values(template)))
    pod = obj
    new_spec = dict(spec)
    for key in _CONTAINER_LISTS:
        containers = spec.get(key)
        if not isinstance(containers, list):
            continue
        out = []
        for c in containers:
            if isinstance(c, dict) and isinstance(c.get("env"), list):
                c = dict(c, env=[{k: v for k, v in e.items() if k != "value"} if isinstance(e, dict) else e
                                 for e in c["env"]])
            out.append(c)
        new_spec[key] = out
    return dict(pod, spec=new_spec)


def check_folder(folder: str) -> None:
    """Refuse a folder that cannot take a snapshot, before any API call is spent."""
    root = Path(folder)
    if root.is_symlink():
        raise InputError(f"{folder}: is a symlink; give a new or empty folder")
    if root.exists() and not root.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
        raise InputError(f"{folder}: the folder is not empty", "give a new or empty folder")


def _write_new(dir_fd: int, name: str, data: bytes) -> None:
    """Create `name` in the open folder: never through a symlink, never over an existing file."""
    assert "/" not in name and name not in (".", "..")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def redact_strings(doc: Any) -> Any:
    """The object with every string redacted: a snapshot is shared, and termination messages, event
    messages and annotations (kubectl's last-applied record) carry whatever the workload printed."""
    if isinstance(doc, str):
        return redact(doc)
    if isinstance(doc, dict):
        return {k: redact_strings(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [redact_strings(v) for v in doc]
    return doc


def _json(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def write_snapshot(col: Collection, folder: str, *, server: str | None = None, context: str | None = None,
                   keep_env_values: bool = False, anonymize: bool = False, now: datetime | None = None) -> list[str]:
    """Write the folder (created if needed; refused if it holds other files); the file names written.

    anonymize: names replaced consistently first (podmortem.live.anonymize), the mapping kept nowhere.
    """
    if col.healthy_stubs:
        raise ValueError("a collection without healthy pods' whole objects cannot be saved (Collector whole_pods)")
    check_folder(folder)
    if anonymize:
        from podmortem.live.anonymize import anonymize as mask

        col, server, context = mask(col, server, context)
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    written: list[str] = []
    try:
        def dump(name: str, doc: Any) -> None:
            _write_new(root_fd, name, _json(doc))
            written.append(name)

        pods = col.pods if keep_env_values else [drop_env_values(p) for p in col.pods]
        dump("pods.json", _object_list("Pod", [redact_strings(p) for p in pods]))
        events = [redact_strings(e) for key in sorted(col.events) for e in col.events[key]]
        dump("events.json", _object_list("Event", events))
        logs_index = []
        if col.logs:
            os.mkdir(LOGS, 0o755, dir_fd=root_fd)
            logs_fd = os.open(LOGS, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=root_fd)
            try:
                for (ns, pod, container), cap in sorted(col.logs.items()):
                    fname = log_file_name(ns, pod, container, cap.previous)
                    # Logs are for sharing: credentials an app printed are redacted here too, as in every report.
                    text = "\n".join(redact_lines(cap.text.splitlines()))
                    if cap.text.endswith("\n"):
                        text += "\n"
                    _write_new(logs_fd, fname, text.encode("utf-8"))
                    written.append(f"{LOGS}/{fname}")
                    logs_index.append({"namespace": ns, "pod": pod, "container": container, "file": f"{LOGS}/{fname}",
                                       "previous": cap.previous, "truncated": cap.truncated, "request": cap.request})
            finally:
                os.close(logs_fd)
        if col.replicasets:
            rss = list(col.replicasets.values())
            dump("replicasets.json", _object_list("ReplicaSet", [redact_strings(rs) for rs in (
                rss if keep_env_values else [drop_env_values(rs) for rs in rss])]))
        refs = [r.as_dict() for _, r in sorted(col.config_refs.items())]
        dump("references.json", {"apiVersion": "podmortem/v1", "kind": "ConfigReferences",
                                 "note": "key names only; values are never read into the snapshot", "references": refs})
        dump(INDEX, {
            "apiVersion": "podmortem/v1", "kind": SNAPSHOT_KIND, "version": FORMAT_VERSION,
            "created": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
            "listed_at": col.listed_at.isoformat() if col.listed_at else None,
            "server": server, "context": context,
            "pods": len(col.pods),
            "failing": sorted(f"{ns}/{name}" for ns, name in col.failing),
            "events_read": sorted(f"{ns}/{name}" for ns, name in col.events),
            "logs": logs_index,
            "log_samples": {f"{k[0]}/{k[1]}": f"{v[0]}/{v[1]}" for k, v in sorted(col.log_samples.items())},
            "pod_notes": {f"{k[0]}/{k[1]}": list(v) for k, v in sorted(col.pod_notes.items()) if v},
            "missing_rbac": [m.as_dict() for m in col.missing_rbac],
            "warnings": list(col.warnings),
            "env_values": "kept" if keep_env_values else "dropped",
            "anonymized": anonymize,
        })
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the snapshot: {exc.strerror or exc}") from None
    finally:
        os.close(root_fd)
    return written


# -- reading ----------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    collection: Collection
    server: str | None
    context: str | None
    created: datetime | None
    env_values: str


def is_snapshot(folder: str) -> bool:
    """A folder written by `podmortem snapshot` in this format (older folders are read as plain folders)."""
    path = os.path.join(folder, INDEX)
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return SNAPSHOT_KIND.encode() in head and b'"version"' in head


def _inside(root: str, rel: str) -> str:
    """The path of `rel` in the snapshot, refused when it (or a symlink on the way) leaves the folder."""
    if rel.startswith("/") or ".." in rel.split("/"):
        raise SnapshotInvalid(f"{root}: the index names {rel!r}, outside the snapshot folder")
    real_root = os.path.realpath(root)
    path = os.path.join(root, rel)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise SnapshotInvalid(f"{path}: a symlink out of the snapshot folder, refused",
                              "a snapshot folder holds only its own files")
    return path


def _read_json(root: str, rel: str, *, required: bool = True) -> Any:
    from podmortem.sources.reader import decode_text, parse_json, read_bytes

    path = _inside(root, rel)
    if not required and not os.path.lexists(path):
        return None
    return parse_json(path, decode_text(path, read_bytes(path)))


def _key(text: str) -> PodKey:
    ns, _, name = text.partition("/")
    return ns, name


def _items(doc: Any) -> list[dict[str, Any]]:
    items = doc.get("items") if isinstance(doc, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def read_snapshot(folder: str) -> Snapshot:
    """The Collection a snapshot folder holds, as `diagnose` had it when it wrote the folder."""
    from podmortem.kube.times import parse_rfc3339
    from podmortem.sources.objects import event_namespace
    from podmortem.sources.reader import decode_text, read_bytes

    index = _read_json(folder, INDEX)
    if not isinstance(index, dict) or index.get("kind") != SNAPSHOT_KIND:
        raise SnapshotInvalid(f"{folder}: {INDEX} is not a podmortem snapshot index")
    version = index.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SnapshotInvalid(f"{folder}: snapshot format version {version!r} is not one this podmortem reads "
                              f"(up to {FORMAT_VERSION})", "upgrade podmortem")
    col = Collection()
    col.pods = _items(_read_json(folder, "pods.json"))
    col.failing = {_key(k) for k in index.get("failing") or []}
    by_pod: dict[PodKey, list[dict[str, Any]]] = defaultdict(list)
    for e in _items(_read_json(folder, "events.json", required=False)):
        involved = e.get("involvedObject") or e.get("regarding") or {}
        by_pod[(str(event_namespace(e) or ""), str(involved.get("name") or ""))].append(e)
    col.events = {_key(k): by_pod.get(_key(k), []) for k in index.get("events_read") or []}
    for entry in index.get("logs") or []:
        rel = str(entry.get("file") or "")
        path = _inside(folder, rel)
        text = decode_text(path, read_bytes(path))
        col.logs[(str(entry.get("namespace") or ""), str(entry.get("pod") or ""), str(entry.get("container") or ""))] = \
            LogCapture(text, bool(entry.get("previous")), bool(entry.get("truncated")), str(entry.get("request") or ""))
    col.log_samples = {_key(k): _key(v) for k, v in (index.get("log_samples") or {}).items()}
    refs = _read_json(folder, "references.json", required=False) or {}
    for r in refs.get("references") or []:
        ref = ConfigRef(str(r["kind"]), str(r["namespace"]), str(r["name"]), r.get("exists"),
                        tuple(str(k) for k in r.get("keys") or ()), r.get("unknown_because"))
        col.config_refs[(ref.kind, ref.namespace, ref.name)] = ref
    for rs in _items(_read_json(folder, "replicasets.json", required=False)):
        col.replicasets[pod_key(rs)] = rs
    col.missing_rbac = [MissingRbac(str(m["verb"]), str(m["resource"]), m.get("namespace"), str(m["weakens"]))
                        for m in index.get("missing_rbac") or []]
    for k, notes in (index.get("pod_notes") or {}).items():
        for n in notes:
            col.note(_key(k), str(n))
    col.warnings = [str(w) for w in index.get("warnings") or []]
    col.listed_at = parse_rfc3339(index.get("listed_at"))
    return Snapshot(col, index.get("server"), index.get("context"), parse_rfc3339(index.get("created")),
                    str(index.get("env_values") or "kept"))
