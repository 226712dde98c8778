"""What the other objects of a bundle say about a pod: the ConfigMaps and Secrets it references.

Given offline (`explain pod.yaml configmap.yaml`), a ConfigMap or Secret is checked against the
keys the pod's env, envFrom and volumes name, in the wording `diagnose` uses for what it reads
from the API. Only key NAMES are read from a Secret (`data`/`stringData`), never values. An
object that is not among the inputs says nothing: offline, absent does not mean missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from podmortem.model import PodEvidence

_LABEL = {"configmap": "ConfigMap", "secret": "Secret"}
_KIND = {"ConfigMap": "configmap", "Secret": "secret"}


def config_index(objects: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str | None, str], tuple[str, ...]]:
    """(kind, namespace, name) -> key names of every ConfigMap and Secret among the objects."""
    index: dict[tuple[str, str | None, str], tuple[str, ...]] = {}
    for obj in objects:
        kind = _KIND.get(str(obj.get("kind")))
        meta = obj.get("metadata")
        if kind is None or not isinstance(meta, Mapping) or not meta.get("name"):
            continue
        keys: set[str] = set()
        fields = ("data", "binaryData") if kind == "configmap" else ("data", "stringData")
        for f in fields:
            value = obj.get(f)
            if isinstance(value, Mapping):
                keys.update(str(k) for k in value)
        ns = meta.get("namespace")
        index[(kind, str(ns) if ns else None, str(meta["name"]))] = tuple(sorted(keys))
    return index


def referenced_keys(pod: PodEvidence) -> dict[tuple[str, str], set[str] | None]:
    """(kind, name) -> the keys the pod needs from it (None: the whole object, as envFrom reads it).

    Optional references are left out: a missing optional key or object is not a problem.
    """
    refs: dict[tuple[str, str], set[str] | None] = {}

    def want(kind: str, name: str | None, key: str | None) -> None:
        if kind not in _LABEL or not name:
            return
        got = refs.setdefault((kind, name), set())
        if key and got is not None:
            got.add(key)

    for c in pod.containers:
        if c.spec is None:
            continue
        for e in c.spec.env:
            if e.ref_kind and not e.optional:
                want(e.ref_kind, e.ref_name, e.ref_key)
        for ef in c.spec.env_from:
            if not ef.optional:
                want(ef.ref_kind, ef.ref_name, None)
    for v in pod.volumes:
        kind = {"configMap": "configmap", "secret": "secret"}.get(v.kind or "")
        if kind and not v.optional:
            for item in v.items or (None,):
                want(kind, v.ref_name, item)
    return refs


def config_notes(pod: PodEvidence, index: Mapping[tuple[str, str | None, str], tuple[str, ...]]) -> list[str]:
    """Notes for referenced ConfigMaps/Secrets given among the inputs that lack a key the pod needs."""
    notes: list[str] = []
    for (kind, name), keys in sorted(referenced_keys(pod).items()):
        have = index.get((kind, pod.namespace, name))
        if have is None and pod.namespace is not None:
            have = index.get((kind, None, name))
        if have is None and pod.namespace is None:
            have = next((v for (k, _, n), v in index.items() if k == kind and n == name), None)
        if have is None:
            continue
        missing = sorted(k for k in keys or () if k not in have)
        if missing:
            where = f"{pod.namespace}/{name}" if pod.namespace else name
            notes.append(f"{_LABEL[kind]} {where} has no key {', '.join(missing)} "
                         f"(its keys: {', '.join(have) or 'none'}; from the inputs)")
    return notes
