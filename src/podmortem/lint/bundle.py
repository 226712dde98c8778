"""What all files of one run define and reference, for checks that look across files.

A Deployment in one file may read a ConfigMap from another: references are resolved only after
every file is read. While files stream past, the bundle keeps the names and keys (never the
values: Secret values are not even read into it) of ConfigMaps, Secrets and PVCs, the namespaces
whose LimitRange sets a default memory limit, and every reference a workload makes.

Namespaces: most bundles (`helm template`, `kustomize build`) leave them out and are applied into
one namespace, so a side without a namespace matches any namespace.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from podmortem.lint.cluster import ClusterView
from podmortem.lint.loader import Manifest
from podmortem.lint.suppress import Suppressions
from podmortem.lint.uses import HostPortUse, PathRef, config_path_refs, host_port_uses
from podmortem.lint.workloads import ContainerView, Workload, as_dict, as_list, ignored_by_annotation

# ConfigMaps every namespace gets from the control plane (kube-root-ca.crt since Kubernetes 1.20).
BUILTIN_CONFIGMAPS = frozenset({"kube-root-ca.crt"})


@dataclass(frozen=True, slots=True)
class Site:
    """Where a reference is written, for the finding."""

    file: str
    line: int
    object: str
    namespace: str | None
    container: str | None
    ignored: Suppressions


@dataclass(frozen=True, slots=True)
class Ref:
    kind: str  # ConfigMap, Secret, PersistentVolumeClaim
    name: str
    key: str | None  # None: the whole object (envFrom, a volume without items)
    optional: bool
    via: str  # how it is used, for the message: "env DB_HOST", "envFrom", "volume config"
    site: Site


@dataclass(frozen=True, slots=True)
class EnvNeed:
    """A container whose image refuses to start without one of `any_of` set."""

    any_of: tuple[str, ...]
    image: str
    facts_name: str
    confirmed: bool
    literal: tuple[tuple[str, str | None], ...]  # env name -> value (None: from a ConfigMap/Secret)
    env_from: tuple[tuple[str, str, str, bool], ...]  # (kind, name, prefix, optional)
    site: Site
    maybe_initialised: bool = False  # checked on first start only, and the data may already exist


@dataclass(slots=True)
class Provided:
    namespace: str | None
    keys: frozenset[str] | None  # None: an operator creates it and the keys are not known here
    by: str = ""  # the custom resource that creates it, for messages


# Custom resources whose controller creates a Secret: kind -> (where the Secret's name is, its keys).
def _secret_from_cr(kind: str, obj: dict[str, Any], name: str) -> tuple[str, frozenset[str] | None] | None:
    spec = as_dict(obj.get("spec"))
    if kind == "ExternalSecret":  # external-secrets.io: spec.target.name, default the ExternalSecret's name
        target = as_dict(spec.get("target")).get("name") or name
        keys = {str(d.get("secretKey")) for d in as_list(spec.get("data")) if isinstance(d, dict)}
        return str(target), (frozenset(keys) if keys and not spec.get("dataFrom") else None)
    if kind == "SealedSecret":  # bitnami sealed-secrets: same name, keys of spec.encryptedData
        template = as_dict(as_dict(spec.get("template")).get("metadata")).get("name") or name
        return str(template), frozenset(str(k) for k in as_dict(spec.get("encryptedData")))
    if kind == "Certificate" and spec.get("secretName"):  # cert-manager
        return str(spec["secretName"]), frozenset({"tls.crt", "tls.key", "ca.crt"})
    return None


@dataclass(slots=True)
class Bundle:
    configmaps: dict[str, list[Provided]] = field(default_factory=lambda: defaultdict(list))
    secrets: dict[str, list[Provided]] = field(default_factory=lambda: defaultdict(list))
    pvcs: dict[str, list[Provided]] = field(default_factory=lambda: defaultdict(list))
    namespaces: set[str] = field(default_factory=set)  # Namespaces the files create
    claim_templates: int = 0
    limit_namespaces: list[str | None] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    env_needs: list[EnvNeed] = field(default_factory=list)
    host_ports: list[HostPortUse] = field(default_factory=list)
    path_refs: list[PathRef] = field(default_factory=list)
    service_accounts: dict[str, list[Provided]] = field(default_factory=lambda: defaultdict(list))
    storage_classes: set[str] = field(default_factory=set)
    sa_refs: list[tuple[str, Site]] = field(default_factory=list)  # serviceAccountName, where
    class_refs: list[tuple[str, Site]] = field(default_factory=list)  # storageClassName of a claim, where
    arch_needs: list[tuple[str, tuple[str, ...], dict[str, str], Site]] = field(default_factory=list)
    cluster: ClusterView | None = None  # lint --cluster: what the live cluster has
    _names: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)

    # --- what the files define ------------------------------------------------------------------

    def add_object(self, m: Manifest) -> None:
        obj = m.obj
        if m.kind == "ConfigMap":
            keys = set(as_dict(obj.get("data"))) | set(as_dict(obj.get("binaryData")))
            self.configmaps[m.name].append(Provided(m.namespace, frozenset(str(k) for k in keys)))
        elif m.kind == "Secret":
            keys = set(as_dict(obj.get("data"))) | set(as_dict(obj.get("stringData")))
            self.secrets[m.name].append(Provided(m.namespace, frozenset(str(k) for k in keys)))
        elif m.kind == "Namespace":
            self.namespaces.add(m.name)
        elif m.kind in ("ExternalSecret", "SealedSecret", "Certificate"):
            made = _secret_from_cr(m.kind, obj, m.name)
            if made is not None:
                self.secrets[made[0]].append(Provided(m.namespace, made[1], by=m.label))
        elif m.kind == "PersistentVolumeClaim":
            self.pvcs[m.name].append(Provided(m.namespace, frozenset()))
            self._claim_class(as_dict(obj.get("spec")), m.obj, m, m.label, ignored_by_annotation(m))
        elif m.kind == "ServiceAccount":
            self.service_accounts[m.name].append(Provided(m.namespace, frozenset()))
        elif m.kind == "StorageClass":
            self.storage_classes.add(m.name)
        elif m.kind == "LimitRange":
            for limit in as_list(as_dict(obj.get("spec")).get("limits")):
                if isinstance(limit, dict) and limit.get("type", "Container") == "Container" and (
                        as_dict(limit.get("default")).get("memory") is not None):
                    self.limit_namespaces.append(m.namespace)

    def _claim_class(self, spec: dict[str, Any], where: Any, m: Manifest, label: str, ignored: Suppressions) -> None:
        name = spec.get("storageClassName")
        if isinstance(name, str) and name:  # "" asks for no class (static binding)
            line = m.line_of(spec, "storageClassName")
            self.class_refs.append((name, Site(m.file, line, label, m.namespace, None, ignored)))

    def table(self, kind: str) -> dict[str, list[Provided]]:
        return {"ConfigMap": self.configmaps, "Secret": self.secrets, "PersistentVolumeClaim": self.pvcs,
                "ServiceAccount": self.service_accounts}[kind]

    def lookup(self, kind: str, name: str, namespace: str | None) -> list[Provided]:
        """What defines `name`: the files' objects (applying them replaces the cluster's), else the cluster's."""
        found = [p for p in self.table(kind).get(name, ()) if same_namespace(p.namespace, namespace)]
        if found or self.cluster is None:
            return found
        return self._in_cluster(kind, name, namespace)

    def _in_cluster(self, kind: str, name: str, namespace: str | None) -> list[Provided]:
        view = self.cluster
        assert view is not None
        ns = namespace or view.default_namespace
        keys: frozenset[str] | None
        if kind == "ConfigMap" and (ns, name) in view.configmaps:
            keys = view.configmaps[(ns, name)]
        elif kind == "Secret" and (ns, name) in view.secrets:
            keys = view.secrets[(ns, name)]
        elif (kind == "PersistentVolumeClaim" and (ns, name) in view.pvcs) or (
                kind == "ServiceAccount" and (ns, name) in view.service_accounts):
            keys = frozenset()
        else:
            return []
        return [Provided(ns, keys, by="the cluster")]

    def cluster_knows(self, kind: str, namespace: str | None) -> bool:
        """The cluster was read for this kind in this namespace: what it lacks is missing for sure."""
        return self.cluster is not None and self.cluster.knows(kind, namespace)

    def nowhere(self, kind: str, namespace: str | None) -> str:
        """How to say where an object was looked for, for messages."""
        if self.cluster_knows(kind, namespace):
            assert self.cluster is not None
            return f"neither the files nor {self.cluster.where(namespace)} has"
        return "none of the files defines"

    def names(self, kind: str, namespace: str | None) -> list[str]:
        """Names of one kind visible from `namespace` (for "did you mean"), computed once per namespace."""
        key = (kind, namespace)
        if key not in self._names:
            self._names[key] = [name for name, provided in self.table(kind).items()
                                if any(same_namespace(p.namespace, namespace) for p in provided)]
        return self._names[key]

    def judges(self, kind: str, namespace: str | None) -> bool:
        """Whether the files are evidence of what exists: they define objects of this kind, or they
        create the namespace itself (then nothing else is in it before they are applied)."""
        return (bool(self.table(kind)) or (namespace is not None and namespace in self.namespaces)
                or self.cluster_knows(kind, namespace))

    def has_default_memory_limit(self, namespace: str | None) -> bool:
        return any(same_namespace(ns, namespace) for ns in self.limit_namespaces)

    # --- what workloads reference ---------------------------------------------------------------

    def add_workload(self, w: Workload) -> None:
        m = w.manifest
        self.claim_templates += len(w.claim_templates())

        def site(line: int, container: str | None) -> Site:
            return Site(m.file, line, m.label, m.namespace, container, w.ignored)

        for c in w.containers:
            env = c.spec.get("env")
            for i, e in enumerate(as_list(env)):
                if not isinstance(e, dict):
                    continue
                source = as_dict(e.get("valueFrom"))
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    ref = as_dict(source.get(key))
                    if ref.get("name"):
                        self.refs.append(Ref(kind, str(ref["name"]), str(ref.get("key", "")), ref.get("optional") is True,
                                             f"env {e.get('name')}", site(w.line(env, i), c.name)))
            env_from = c.spec.get("envFrom")
            for i, e in enumerate(as_list(env_from)):
                if not isinstance(e, dict):
                    continue
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    ref = as_dict(e.get(key))
                    if ref.get("name"):
                        self.refs.append(Ref(kind, str(ref["name"]), None, ref.get("optional") is True, "envFrom",
                                             site(w.line(env_from, i), c.name)))
            if c.facts is not None and c.facts.env_any_of and not c.init:
                self.env_needs.append(_env_need(w, c, site))
        volumes = w.pod_spec.get("volumes")
        for i, v in enumerate(as_list(volumes)):
            if not isinstance(v, dict):
                continue
            line = w.line(volumes, i)
            vname = f"volume {v.get('name')}"
            sources: list[tuple[str, dict[str, Any]]] = []
            if isinstance(v.get("configMap"), dict):
                sources.append(("ConfigMap", v["configMap"]))
            if isinstance(v.get("secret"), dict):
                sources.append(("Secret", {**v["secret"], "name": v["secret"].get("secretName")}))
            for projected in as_list(as_dict(v.get("projected")).get("sources")):
                if isinstance(projected, dict):
                    if isinstance(projected.get("configMap"), dict):
                        sources.append(("ConfigMap", projected["configMap"]))
                    if isinstance(projected.get("secret"), dict):
                        sources.append(("Secret", projected["secret"]))
            for kind, spec in sources:
                if not spec.get("name"):
                    continue
                optional = spec.get("optional") is True
                items = [it for it in as_list(spec.get("items")) if isinstance(it, dict) and it.get("key")]
                self.refs.append(Ref(kind, str(spec["name"]), None, optional, vname, site(line, None)))
                for item in items:
                    self.refs.append(Ref(kind, str(spec["name"]), str(item["key"]), optional, f"{vname} item",
                                         site(w.line(item, "key"), None)))
            claim = as_dict(v.get("persistentVolumeClaim")).get("claimName")
            if claim:
                self.refs.append(Ref("PersistentVolumeClaim", str(claim), None, False, vname, site(line, None)))
        self.host_ports.extend(host_port_uses(w, site))
        self.path_refs.extend(config_path_refs(w, site))
        account = w.pod_spec.get("serviceAccountName") or w.pod_spec.get("serviceAccount")
        if isinstance(account, str) and account:
            key = "serviceAccountName" if "serviceAccountName" in w.pod_spec else "serviceAccount"
            self.sa_refs.append((account, site(w.line(w.pod_spec, key), None)))
        if w.kind == "StatefulSet":
            for t in as_list(as_dict(m.obj.get("spec")).get("volumeClaimTemplates")):
                if isinstance(t, dict):
                    self._claim_class(as_dict(t.get("spec")), t, m, m.label, w.ignored)
        selector = {str(k): str(v) for k, v in as_dict(w.pod_spec.get("nodeSelector")).items()}
        for c in w.containers:
            if c.facts is not None and c.facts.platforms:
                self.arch_needs.append((c.image or "", c.facts.platforms, selector, site(w.line(c.spec, "image"), c.name)))


def same_namespace(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _env_need(w: Workload, c: ContainerView, site: Any) -> EnvNeed:
    literal: list[tuple[str, str | None]] = []
    for e in c.env_entries():
        name = e.get("name")
        if not isinstance(name, str):
            continue
        if "valueFrom" in e:
            literal.append((name, None))
        else:
            value = e.get("value")
            literal.append((name, "" if value is None else str(value)))
    env_from: list[tuple[str, str, str, bool]] = []
    for e in as_list(c.spec.get("envFrom")):
        if not isinstance(e, dict):
            continue
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = as_dict(e.get(key))
            if ref.get("name"):
                env_from.append((kind, str(ref["name"]), str(e.get("prefix") or ""), ref.get("optional") is True))
    assert c.facts is not None
    line = w.line(c.spec, "env") if "env" in c.spec else w.line(c.spec, "image")
    persistent = set(w.claim_templates()) | {n for n, v in w.volumes().items()
                                             if isinstance(v.get("persistentVolumeClaim"), dict)}
    on_storage = any(isinstance(m, dict) and str(m.get("name")) in persistent for m in as_list(c.spec.get("volumeMounts")))
    return EnvNeed(c.facts.env_any_of, c.image or "", c.facts.name, c.facts.confirmed, tuple(literal), tuple(env_from),
                   site(line, c.name), maybe_initialised=c.facts.env_first_start_only and on_storage)


def manifest_ignored(m: Manifest) -> Suppressions:
    return ignored_by_annotation(m)
