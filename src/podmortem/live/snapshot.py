"""Snapshots: the evidence of a live run saved as a folder that `podmortem explain DIR` reads.

Layout (docs/live.md):
  pods.json          PodList of every listed pod
  events.json        EventList of the events fetched for failing pods
  <pod>_<container>.log / .previous.log   the log of each failing container's crashed instance
                     (in a <namespace>/ subfolder when the pod's name is used in several namespaces)
  replicasets.json   the owners of failing pods' namespaces, with their revisions (rollout history)
  references.json    the ConfigMaps and Secrets failing pods reference: existence and key NAMES
  snapshot.json      when, from which server, what could not be read (missing RBAC, warnings)
Secret values never reach the folder: the collector keeps key names only, and credentials that
an app printed in its log are redacted as in every report.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from podmortem.errors import InputError
from podmortem.live.collect import Collection, pod_key
from podmortem.redact import redact

SNAPSHOT_KIND = "PodmortemSnapshot"


def _dump(path: Path, doc: Any) -> None:
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def _object_list(kind: str, items: list[Any]) -> dict[str, Any]:
    api = "apps/v1" if kind in ("ReplicaSet", "Deployment") else "v1"
    return {"apiVersion": api, "kind": f"{kind}List", "metadata": {},
            "items": [dict(i, apiVersion=i.get("apiVersion") or api, kind=i.get("kind") or kind) for i in items]}


def check_folder(folder: str) -> None:
    """Refuse a folder that cannot take a snapshot, before any API call is spent."""
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
        raise InputError(f"{folder}: the folder is not empty", "give a new or empty folder")


def write_snapshot(col: Collection, folder: str, *, server: str | None = None, context: str | None = None) -> list[str]:
    """Write the folder (created if needed; refused if it holds other files) and return the file names."""
    check_folder(folder)
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    written: list[str] = []

    def dump(name: str, doc: Any) -> None:
        _dump(root / name, doc)
        written.append(name)

    dump("pods.json", _object_list("Pod", col.pods))
    events = [e for key in sorted(col.events) for e in col.events[key]]
    dump("events.json", _object_list("Event", events))
    names = Counter(name for _, name in (pod_key(p) for p in col.pods))
    for (ns, pod, container), cap in sorted(col.logs.items()):
        fname = f"{pod}_{container}{'.previous' if cap.previous else ''}.log"
        rel = os.path.join(ns, fname) if names[pod] > 1 else fname
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        # Logs are for sharing: credentials an app printed are redacted here too, as in every report.
        (root / rel).write_text("".join(redact(line) for line in cap.text.splitlines(keepends=True)),
                                encoding="utf-8")
        written.append(rel)
    if col.replicasets:
        dump("replicasets.json", _object_list("ReplicaSet", list(col.replicasets.values())))
    refs = [r.as_dict() for _, r in sorted(col.config_refs.items())]
    dump("references.json", {"apiVersion": "podmortem/v1", "kind": "ConfigReferences",
                             "note": "key names only; values are never read into the snapshot", "references": refs})
    dump("snapshot.json", {
        "apiVersion": "podmortem/v1", "kind": SNAPSHOT_KIND,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "listed_at": col.listed_at.isoformat() if col.listed_at else None,
        "server": server, "context": context,
        "pods": len(col.pods), "failing": sorted(f"{ns}/{name}" for ns, name in col.failing),
        "missing_rbac": [m.as_dict() for m in col.missing_rbac],
        "warnings": list(col.warnings),
    })
    return written
