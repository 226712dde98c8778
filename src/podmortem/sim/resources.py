"""The resource types the simulated API server serves, and the discovery documents built from them.

Discovery comes in two shapes (kubernetes-facts.md section 6): the legacy APIVersions /
APIGroupList / APIResourceList documents, and the aggregated APIGroupDiscoveryList (apidiscovery
v2) that kubectl asks for first. Both are derived from the one table below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = ()  # name, group, version, kind, verbs

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_resource(self) -> str:
        """`pods`, `deployments.apps`: how Status messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_STATUS = ("get", "patch", "update")
_SCALE = ("scale", "autoscaling", "v1", "Scale", ("get", "patch", "update"))

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "namespaces", "Namespace", False, ("ns",),
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                 subresources=(("status", "", "v1", "Namespace", _STATUS),)),
    ResourceType("", "v1", "nodes", "Node", False, ("no",), subresources=(("status", "", "v1", "Node", _STATUS),)),
    ResourceType("", "v1", "pods", "Pod", True, ("po",), ("all",),
                 subresources=(("attach", "", "v1", "PodAttachOptions", ("create", "get")),
                               ("ephemeralcontainers", "", "v1", "Pod", _STATUS),
                               ("exec", "", "v1", "PodExecOptions", ("create", "get")),
                               ("log", "", "v1", "Pod", ("get",)),
                               ("portforward", "", "v1", "PodPortForwardOptions", ("create", "get")),
                               ("status", "", "v1", "Pod", _STATUS))),
    ResourceType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",),
                 subresources=(("status", "", "v1", "PersistentVolumeClaim", _STATUS),)),
    ResourceType("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",),
                 subresources=(("status", "", "v1", "PersistentVolume", _STATUS),)),
    ResourceType("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    ResourceType("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    ResourceType("", "v1", "events", "Event", True, ("ev",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "services", "Service", True, ("svc",), ("all",),
                 verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                 subresources=(("status", "", "v1", "Service", _STATUS),)),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",),
                 subresources=(_SCALE, ("status", "apps", "v1", "Deployment", _STATUS))),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",),
                 subresources=(_SCALE, ("status", "apps", "v1", "ReplicaSet", _STATUS))),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",),
                 subresources=(_SCALE, ("status", "apps", "v1", "StatefulSet", _STATUS))),
    ResourceType("batch", "v1", "jobs", "Job", True, (), ("all",),
                 subresources=(("status", "batch", "v1", "Job", _STATUS),)),
    ResourceType("batch", "v1", "cronjobs", "CronJob", True, ("cj",), ("all",),
                 subresources=(("status", "batch", "v1", "CronJob", _STATUS),)),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",),
                 subresources=(("status", "apps", "v1", "DaemonSet", _STATUS),)),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
                 verbs=("create",)),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False,
                 verbs=("create",)),
    ResourceType("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    # What `podmortem watch` and its deploy/watch kustomize base need (issue 13): leader election, RBAC.
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
)

BY_PATH: dict[tuple[str, str, str], ResourceType] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND: dict[tuple[str, str], ResourceType] = {}
for _r in RESOURCES:
    BY_KIND.setdefault((_r.api_version, _r.kind), _r)
GROUPS: dict[str, list[str]] = {}
for _r in RESOURCES:
    if _r.group and _r.version not in GROUPS.setdefault(_r.group, []):
        GROUPS[_r.group].append(_r.version)

# Where objects of each kind are stored: both Event APIs read the core/v1 events.
STORAGE_KEY: dict[ResourceType, str] = {r: ("events" if r.plural == "events" else r.plural) for r in RESOURCES}


def resource_for(api_version: str, kind: str) -> ResourceType | None:
    return BY_KIND.get((api_version, kind))


def core(plural: str) -> ResourceType:
    return BY_PATH[("", "v1", plural)]


def by_plural(plural: str) -> ResourceType:
    for r in RESOURCES:
        if r.plural == plural and r.group != "events.k8s.io":
            return r
    raise KeyError(plural)


# --- legacy discovery ---------------------------------------------------------------------------

def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list() -> dict[str, Any]:
    groups = []
    for group, versions in GROUPS.items():
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    versions = GROUPS.get(group)
    if not versions:
        return None
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    members = [r for r in RESOURCES if r.group == group and r.version == version]
    if not members:
        return None
    items: list[dict[str, Any]] = []
    for r in members:
        entry: dict[str, Any] = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                                 "kind": r.kind, "verbs": list(r.verbs)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        items.append(entry)
        for sub, sgroup, sversion, skind, sverbs in r.subresources:
            sub_entry: dict[str, Any] = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                                         "kind": skind, "verbs": list(sverbs)}
            if sgroup != r.group or sversion != r.version:
                sub_entry.update(group=sgroup, version=sversion)
            items.append(sub_entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": items}


# --- aggregated discovery (apidiscovery.k8s.io/v2) ---------------------------------------------

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def _discovery_resource(r: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": r.plural,
        "responseKind": {"group": "", "version": "", "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r.categories:
        entry["categories"] = list(r.categories)
    if r.subresources:
        entry["subresources"] = [
            {"subresource": sub, "responseKind": {"group": sgroup, "version": sversion, "kind": skind}, "verbs": list(sverbs)}
            for sub, sgroup, sversion, skind, sverbs in r.subresources
        ]
    return entry


def aggregated(core_group: bool, api_version: str = "apidiscovery.k8s.io/v2") -> dict[str, Any]:
    """/api (core_group) or /apis as an APIGroupDiscoveryList."""
    items = []
    groups = [""] if core_group else list(GROUPS)
    for group in groups:
        versions = ["v1"] if group == "" else GROUPS[group]
        items.append({
            "metadata": {"name": group, "creationTimestamp": None},
            "versions": [
                {"version": v, "resources": [_discovery_resource(r) for r in RESOURCES if r.group == group and r.version == v],
                 "freshness": "Current"}
                for v in versions
            ],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}


# --- OpenAPI v3 (only what kubectl reads: which PATCH operations accept fieldValidation) ----------
