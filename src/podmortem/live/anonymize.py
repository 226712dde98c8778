"""`snapshot --anonymize`: the names of a collection replaced consistently, so a snapshot can be shared.

Like k8sgpt's `--anonymize`, object names are masked before the evidence leaves the machine, but
here the mapping is never written: a name becomes `<kind>-<n>` (`namespace-1`, `pod-3`,
`deployment-2`, `replicaset-2`, `node-1`, `configmap-1`, `secret-1`, `serviceaccount-1`, ...)
the same way everywhere it appears: object fields, labels, event messages, notes, log lines and
log file names. Replaced: namespaces (but `default` and the `kube-*` system namespaces), pod
names, owner names (ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs),
node names, referenced ConfigMaps, Secrets and PersistentVolumeClaims, service accounts, the
server address and the context. Kept, because the diagnosis reads them: container names, images,
env variable names, exit codes and messages other than the names in them.

A name is replaced as a whole token (not inside a longer name: `web` is not replaced inside
`web-7c9b`, which has its own alias), longest first, in one pass per string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from podmortem.live.collect import Collection, LogCapture, MissingRbac

KEPT_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_OWNER_KINDS = ("ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController")


class Names:
    """Original name -> alias, one counter per kind."""

    def __init__(self) -> None:
        self.alias: dict[str, str] = {}
        self._count: dict[str, int] = {}

    def add(self, kind: str, name: Any) -> None:
        if not isinstance(name, str) or not name or name in self.alias:
            return
        if kind == "namespace" and name in KEPT_NAMESPACES:
            return
        self._count[kind] = self._count.get(kind, 0) + 1
        self.alias[name] = f"{kind}-{self._count[kind]}"

    def compile(self) -> re.Pattern[str] | None:
        if not self.alias:
            return None
        names = sorted(self.alias, key=len, reverse=True)
        # A token: not preceded or followed by a character that names are made of (dots separate).
        return re.compile(r"(?<![A-Za-z0-9_-])(?:" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_-])")


def _spec_names(names: Names, spec: dict[str, Any]) -> None:
    names.add("node", spec.get("nodeName"))
    names.add("serviceaccount", spec.get("serviceAccountName") or spec.get("serviceAccount"))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if not isinstance(c, dict):
                continue
            for e in c.get("env") or []:
                vf = (e or {}).get("valueFrom") or {}
                names.add("configmap", (vf.get("configMapKeyRef") or {}).get("name"))
                names.add("secret", (vf.get("secretKeyRef") or {}).get("name"))
            for e in c.get("envFrom") or []:
                names.add("configmap", ((e or {}).get("configMapRef") or {}).get("name"))
                names.add("secret", ((e or {}).get("secretRef") or {}).get("name"))
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        names.add("configmap", (v.get("configMap") or {}).get("name"))
        names.add("secret", (v.get("secret") or {}).get("secretName"))
        names.add("pvc", (v.get("persistentVolumeClaim") or {}).get("claimName"))


def _object_names(names: Names, objects: Iterable[dict[str, Any]], own_kind: str) -> None:
    for obj in objects:
        meta = obj.get("metadata") or {}
        names.add("namespace", meta.get("namespace"))
        names.add(own_kind, meta.get("name"))
        for ref in meta.get("ownerReferences") or []:
            kind = str((ref or {}).get("kind") or "")
            names.add(kind.lower() if kind in _OWNER_KINDS else "owner", (ref or {}).get("name"))
        spec = obj.get("spec") or {}
        _spec_names(names, spec)
        _spec_names(names, ((spec.get("template") or {}).get("spec")) or {})


def anonymize(col: Collection, server: str | None, context: str | None) -> tuple[Collection, str | None, str | None]:
    """A copy of the collection with every name replaced consistently (see the module's docstring)."""
    names = Names()
    _object_names(names, col.pods, "pod")
    _object_names(names, col.replicasets.values(), "replicaset")
    for kind, ns, name in col.config_refs:
        names.add("namespace", ns)
        names.add(kind, name)
    pattern = names.compile()

    def s(text: str) -> str:
        return pattern.sub(lambda m: names.alias[m.group(0)], text) if pattern is not None else text

    def deep(value: Any) -> Any:
        if isinstance(value, str):
            return s(value)
        if isinstance(value, dict):
            return {k: deep(v) for k, v in value.items()}  # keys (field names, label keys) are kept
        if isinstance(value, list):
            return [deep(v) for v in value]
        return value

    def key2(k: tuple[str, str]) -> tuple[str, str]:
        return s(k[0]), s(k[1])

    out = Collection()
    out.pods = [deep(p) for p in col.pods]
    out.failing = {key2(k) for k in col.failing}
    out.events = {key2(k): [deep(e) for e in v] for k, v in col.events.items()}
    out.logs = {(s(ns), s(pod), c): LogCapture(s(cap.text), cap.previous, cap.truncated, s(cap.request))
                for (ns, pod, c), cap in col.logs.items()}
    out.log_samples = {key2(k): key2(v) for k, v in col.log_samples.items()}
    out.config_refs = {(kind, s(ns), s(name)): replace(ref, namespace=s(ref.namespace), name=s(ref.name),
                                                       why_unknown=s(ref.why_unknown) if ref.why_unknown else None)
                       for (kind, ns, name), ref in col.config_refs.items()}
    out.replicasets = {key2(k): deep(v) for k, v in col.replicasets.items()}
    out.missing_rbac = [MissingRbac(m.verb, m.resource, s(m.namespace) if m.namespace else None, m.weakens)
                        for m in col.missing_rbac]
    for k, notes in col.pod_notes.items():
        for n in notes:
            out.note(key2(k), s(n))
    out.warnings = [s(w) for w in col.warnings]
    out.listed_at = col.listed_at
    return out, ("https://anonymized" if server else None), ("anonymized" if context else None)

