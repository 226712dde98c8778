"""`lint --cluster`: what exists in the live cluster, read once, read-only, names and key names only.

The same client and RBAC story as `diagnose` (live/client.py): every request is a GET, a refusal
(403) is recorded as a note saying what could not be checked, and the run goes on.

Per namespace the manifests are applied into:
- ConfigMaps: listed (names and keys; values are not kept).
- Secrets: names only, listed as a Table without objects (`Accept: application/json;as=Table;
  g=meta.k8s.io;v=v1`, `includeObject=None`), so the API server never sends a value. Not even
  metadata is asked for: `kubectl apply` keeps a Secret's whole data in its
  kubectl.kubernetes.io/last-applied-configuration annotation. So a Secret's keys are not known
  from the cluster and a Secret key reference is judged only against Secrets in the files.
- PersistentVolumeClaims and ServiceAccounts: names.
- The namespace itself (GET); cluster-wide: StorageClasses (names) and Nodes (architecture and
  labels, from a metadata-only Table as well).
A resource the API does not serve (404 on the list) is noted and not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from podmortem.live.client import ApiCallError, Call, Forbidden, KubeClient, NotFoundError, pages

TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1,application/json;as=Table;g=meta.k8s.io;v=v1beta1"
PAGE_SIZE = 500
ARCH_LABEL = "kubernetes.io/arch"


@dataclass(slots=True)
class ClusterView:
    """What the cluster has, by namespace; a kind missing from `listed` for a namespace was not read."""

    context: str | None
    default_namespace: str
    configmaps: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], frozenset[str] | None] = field(default_factory=dict)
    pvcs: set[tuple[str, str]] = field(default_factory=set)
    service_accounts: set[tuple[str, str]] = field(default_factory=set)
    namespaces: dict[str, bool] = field(default_factory=dict)  # name -> exists
    storage_classes: set[str] | None = None
    nodes: list[tuple[str, dict[str, str]]] | None = None  # (architecture, labels)
    listed: set[tuple[str, str]] = field(default_factory=set)  # (kind, namespace) read completely
    notes: list[str] = field(default_factory=list)

    def knows(self, kind: str, namespace: str | None) -> bool:
        """Whether every object of `kind` in `namespace` was read ("" for cluster-scoped kinds)."""
        return (kind, self.default_namespace if namespace is None else namespace) in self.listed

    def where(self, namespace: str | None) -> str:
        ns = namespace or self.default_namespace
        return f"namespace {ns} of the cluster" + (f" (context {self.context})" if self.context else "")

    def node_architectures(self, selector: dict[str, str]) -> set[str] | None:
        """Architectures of the nodes a nodeSelector can pick, or None when nodes were not read."""
        if self.nodes is None:
            return None
        return {arch for arch, labels in self.nodes if all(labels.get(k) == v for k, v in selector.items())}


def _rows(doc: dict[str, Any], names_only: bool) -> Iterable[dict[str, Any]]:
    """The metadata of each row of a Table, or {"name": ...} from the Name cell when rows carry no object."""
    columns = [str(c.get("name", "")).lower() for c in doc.get("columnDefinitions") or () if isinstance(c, dict)]
    name_at = columns.index("name") if "name" in columns else 0
    for row in doc.get("rows") or ():
        if not isinstance(row, dict):
            continue
        if names_only:
            cells = row.get("cells") or ()
            if isinstance(cells, list) and len(cells) > name_at and cells[name_at]:
                yield {"name": str(cells[name_at])}
            continue
        obj = row.get("object")
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if isinstance(meta, dict) and meta.get("name"):
            yield meta


class ClusterReader:
    """Reads a ClusterView with one KubeClient; each failure becomes a note, never an exception."""

    def __init__(self, client: KubeClient, namespace: str | None = None) -> None:
        self.client = client
        self.view = ClusterView(client.context, namespace or client.namespace)

    def read(self, namespaces: Iterable[str | None], *, nodes: bool = True, storage_classes: bool = True) -> ClusterView:
        """Read what `namespaces` hold (None: objects without a namespace go to the default one)."""
        for ns in sorted({n or self.view.default_namespace for n in namespaces}):
            self._namespace(ns)
        if storage_classes:
            self._storage_classes()
        if nodes:
            self._nodes()
        return self.view

    def _list(self, kind: str, resource: str, path: str, ns: str | None, *,
              table: str | None = None) -> list[dict[str, Any]] | None:
        """Items of a list; with `table` ("Metadata" or "None") the rows' metadata (or names) of a Table."""
        call = Call("list", resource, ns)
        params: list[tuple[str, Any]] = [("includeObject", table)] if table else []
        items: list[dict[str, Any]] = []
        try:
            for doc in pages(self.client, path, params, call, PAGE_SIZE, accept=TABLE if table else None):
                if table:
                    items.extend(_rows(doc, names_only=table == "None"))
                else:
                    items.extend(i for i in doc.get("items") or () if isinstance(i, dict))
        except Forbidden:
            where = f" in namespace {ns}" if ns else " (cluster-wide)"
            self.view.notes.append(f"missing RBAC: list {resource}{where}; {kind} references there are judged "
                                   f"from the files only")
            return None
        except NotFoundError:
            self.view.notes.append(f"the API server does not serve {resource}; {kind} references are judged from "
                                   f"the files only")
            return None
        except ApiCallError as exc:
            self.view.notes.append(f"{resource} not read: {exc.message}")
            return None
        self.view.listed.add((kind, ns or ""))
        return items

    def _namespace(self, ns: str) -> None:
        q = quote(ns, safe="")
        call = Call("get", "namespaces", None, ns)
        try:
            self.client.get_json(f"/api/v1/namespaces/{q}", [], call)
            self.view.namespaces[ns] = True
        except NotFoundError:
            self.view.namespaces[ns] = False
            return  # nothing can be in it
        except Forbidden:
            self.view.notes.append(f"missing RBAC: get namespaces {ns}; assumed to exist")
        except ApiCallError as exc:
            self.view.notes.append(f"namespace {ns} not read: {exc.message}")
        base = f"/api/v1/namespaces/{q}"
        for cm in self._list("ConfigMap", "configmaps", f"{base}/configmaps", ns) or ():
            meta = cm.get("metadata") or {}
            keys = {*(cm.get("data") or {}), *(cm.get("binaryData") or {})}
            self.view.configmaps[(ns, str(meta.get("name")))] = frozenset(str(k) for k in keys)
        for row in self._list("Secret", "secrets", f"{base}/secrets", ns, table="None") or ():
            self.view.secrets[(ns, row["name"])] = None
        for pvc in self._list("PersistentVolumeClaim", "persistentvolumeclaims", f"{base}/persistentvolumeclaims",
                              ns, table="None") or ():
            self.view.pvcs.add((ns, str(pvc["name"])))
        for sa in self._list("ServiceAccount", "serviceaccounts", f"{base}/serviceaccounts", ns, table="None") or ():
            self.view.service_accounts.add((ns, str(sa["name"])))

    def _storage_classes(self) -> None:
        items = self._list("StorageClass", "storageclasses", "/apis/storage.k8s.io/v1/storageclasses", None, table="None")
        if items is not None:
            self.view.storage_classes = {str(m["name"]) for m in items}

    def _nodes(self) -> None:
        items = self._list("Node", "nodes", "/api/v1/nodes", None, table="Metadata")
        if items is None:
            return
        nodes = []
        for meta in items:
            labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
            nodes.append((labels.get(ARCH_LABEL, ""), labels))
        self.view.nodes = nodes


def read_cluster(client: KubeClient, namespaces: Iterable[str | None], namespace: str | None = None) -> ClusterView:
    return ClusterReader(client, namespace).read(namespaces)
