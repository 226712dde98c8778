"""Loading a scenario into a SimCluster: manifests applied at their moment in virtual time.

A scenario is ordinary Kubernetes YAML (one file or a folder of them). Each object is applied
`sim.podmortem.dev/created-ago` before "now" (default: the --start-offset), in that order, with
the simulation run in between, so a Deployment that appears twice gets two revisions and a crash
loop is already twenty minutes old when the server starts. Nodes and the kube-system pods are
created with the cluster, 30 days earlier. `--scale N` adds N more pods (about 10% failing).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podmortem.errors import InputError
from podmortem.kube.yamldocs import load_all
from podmortem.sim.profile import CREATED_AGO
from podmortem.sim.resources import resource_for
from podmortem.sim.timefmt import parse_duration

if TYPE_CHECKING:
    from podmortem.sim.cluster import SimCluster

CLUSTER_AGE = 30 * 86400.0


def default_scenario_path() -> Path:
    return Path(str(files("podmortem.sim") / "scenarios"))


def read_documents(path: str | Path) -> list[dict[str, Any]]:
    """Every object in a YAML/JSON file or in the files of a folder (sorted by name); Lists are expanded."""
    p = Path(path)
    if p.is_dir():
        paths = sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml", ".json") and x.is_file())
        if not paths:
            raise InputError(f"{p}: the folder has no .yaml, .yml or .json files")
    elif p.is_file():
        paths = [p]
    else:
        raise InputError(f"{p}: no such scenario file or folder" if not p.exists() else f"{p}: not a regular file or folder")
    docs: list[dict[str, Any]] = []
    for file in paths:
        try:
            loaded = load_all(str(file), file.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{file}: not a text file") from None
        for doc in loaded:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise InputError(f"{file}: every document must be a Kubernetes object (a mapping)")
            if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
                docs.extend(d for d in doc["items"] if isinstance(d, dict))
            else:
                docs.append(doc)
    return docs


def _created_ago(doc: Mapping[str, Any], default: float) -> float:
    ann = ((doc.get("metadata") or {}).get("annotations") or {})
    if CREATED_AGO in ann:
        return parse_duration(str(ann[CREATED_AGO]), f"{CREATED_AGO} of {doc.get('kind')} "
                                                     f"{(doc.get('metadata') or {}).get('name')}")
    return default


def load_scenario(cluster: SimCluster, docs: Iterable[Mapping[str, Any]] | None = None) -> None:
    opts = cluster.options
    now = cluster.clock.now()
    if docs is None:
        docs = read_documents(opts.scenario or default_scenario_path())
    objects = [dict(d) for d in docs]
    for d in objects:
        if resource_for(str(d.get("apiVersion")), str(d.get("kind"))) is None:
            name = (d.get("metadata") or {}).get("name")
            raise InputError(f"{d.get('kind')} {name!r} ({d.get('apiVersion')}): the simulator serves Namespaces, "
                             "Nodes, Pods, ConfigMaps, Secrets, Services, ServiceAccounts, Deployments, ReplicaSets, "
                             "StatefulSets and Jobs")
    birth = now - CLUSTER_AGE
    store = cluster.store
    store.record_history = False
    cluster.sim_time = birth
    nodes = [d for d in objects if d.get("kind") == "Node"]
    others = [d for d in objects if d.get("kind") != "Node"]
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        cluster.apply_manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, birth)
    for node in (nodes or default_nodes()) + load_workers(-(-opts.scale // LOAD_PODS_PER_NODE)):
        _apply(cluster, node)
    if not any(d.get("kind") == "StorageClass" for d in others):
        _apply(cluster, DEFAULT_STORAGE_CLASS)
    for doc in system_pods(sorted(cluster.nodes)):
        _apply(cluster, doc)
    timed = [(now - _created_ago(d, opts.start_offset), i, d) for i, d in enumerate(others)]
    if opts.scale:
        base = len(timed)
        timed += [(now - opts.start_offset, base + i, d) for i, d in enumerate(scale_documents(opts.scale))]
    timed.sort(key=lambda x: (x[0], 0 if x[2].get("kind") == "Namespace" else 1, x[1]))
    for t, _, doc in timed:
        cluster.advance_to(max(t, cluster.sim_time))
        _apply(cluster, doc)
    cluster.advance_to(now)
    cluster.flush()
    store.record_history = True
    store.compact()


def _apply(cluster: SimCluster, doc: Mapping[str, Any]) -> None:
    from podmortem.sim.cluster import ApiError

    try:
        cluster.apply_manifest(doc, cluster.sim_time)
    except ApiError as exc:
        meta = doc.get("metadata") or {}
        where = f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else str(meta.get("name"))
        raise InputError(f"scenario: {doc.get('kind')} {where}: {exc.message}") from None


# kind's default class (local-path-provisioner): claims bind once their first pod is scheduled.
DEFAULT_STORAGE_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
}


LOAD_PODS_PER_NODE = 100  # --scale adds a worker per this many pods (a node takes 110 and 8 CPUs of requests)


def load_workers(n: int) -> list[dict[str, Any]]:
    """The workers --scale adds, so that its pods fit (kube-scheduler counts requests and pod slots)."""
    return [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"sim-load-worker{i + 1:03d}"}} for i in range(n)]


def default_nodes() -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = [{
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "sim-control-plane", "labels": {"node-role.kubernetes.io/control-plane": "",
                                                             "node.kubernetes.io/exclude-from-external-load-balancers": ""}},
        "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
    }]
    for suffix in ("", "2", "3"):
        nodes.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"sim-worker{suffix}"}})
    return nodes


def system_pods(node_names: list[str]) -> list[dict[str, Any]]:
    """The kube-system workloads every cluster has, healthy (CoreDNS, kube-proxy, control-plane pods)."""
    control = next((n for n in node_names if "control-plane" in n), node_names[0] if node_names else None)
    tolerate_all = [{"operator": "Exists"}]
    docs: list[dict[str, Any]] = [{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                 "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                              "spec": {"priorityClassName": "system-cluster-critical",
                                       "tolerations": [{"key": "node-role.kubernetes.io/control-plane",
                                                        "effect": "NoSchedule"}],
                                       "containers": [{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                                                       "args": ["-conf", "/etc/coredns/Corefile"],
                                                       "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                                                 {"containerPort": 53, "name": "dns-tcp"},
                                                                 {"containerPort": 9153, "name": "metrics"}],
                                                       "resources": {"limits": {"memory": "170Mi"},
                                                                     "requests": {"cpu": "100m", "memory": "70Mi"}},
                                                       "livenessProbe": {"httpGet": {"path": "/health", "port": 8080},
                                                                         "initialDelaySeconds": 60, "timeoutSeconds": 5,
                                                                         "failureThreshold": 5},
                                                       "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}}}]}}},
    }, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53},
                           {"name": "metrics", "port": 9153}]},
    }]
    coredns = docs[0]["spec"]["template"]
    coredns.setdefault("metadata", {})["annotations"] = {
        "sim.podmortem.dev/profile.coredns": "listens: [53, 8080, 8181, 9153]\nlogs:\n  - '.:53'\n"
                                             "  - '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc'\n"
                                             "  - CoreDNS-1.11.3\n  - linux/amd64, go1.21.11, a6338e9\n"}
    if control:
        for comp, image in (("etcd", "registry.k8s.io/etcd:3.5.16-0"),
                            ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{'v1.32.4'}"),
                            ("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.32.4"),
                            ("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.32.4")):
            docs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": f"{comp}-{control}", "namespace": "kube-system",
                                      "labels": {"component": comp, "tier": "control-plane"},
                                      "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": control,
                                                           "uid": "00000000-0000-4000-8000-000000000001",
                                                           "controller": True}]},
                         "spec": {"nodeName": control, "hostNetwork": True, "priorityClassName": "system-node-critical",
                                  "tolerations": tolerate_all, "automountServiceAccountToken": False,
                                  "containers": [{"name": comp, "image": image,
                                                  "resources": {"requests": {"cpu": "100m"}}}]}})
    for node in node_names:
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"kube-proxy-{_short(node)}", "namespace": "kube-system",
                                  "labels": {"k8s-app": "kube-proxy", "controller-revision-hash": "7c9c8b7d6b",
                                             "pod-template-generation": "1"},
                                  "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy",
                                                       "uid": "00000000-0000-4000-8000-000000000002",
                                                       "controller": True, "blockOwnerDeletion": True}]},
                     "spec": {"nodeName": node, "hostNetwork": True, "priorityClassName": "system-node-critical",
                              "tolerations": tolerate_all,
                              "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.32.4",
                                              "command": ["/usr/local/bin/kube-proxy",
                                                          "--config=/var/lib/kube-proxy/config.conf",
                                                          "--hostname-override=$(NODE_NAME)"],
                                              "securityContext": {"privileged": True}}]}})
    return docs


def _short(node: str) -> str:
    import hashlib

    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(alphabet[b % len(alphabet)] for b in hashlib.sha1(node.encode()).digest()[:5])


# --- --scale ---------------------------------------------------------------------------------------

_FAILING: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("app.crash", {"image": "registry.example.com/load/worker:2.3.1"},
     {"profile": "runtime: python\nexitAfterSeconds: 4\nexitCode: 1\nexitLogs:\n"
                 "  - 'Traceback (most recent call last):'\n  - '  File \"/app/worker.py\", line 88, in <module>'\n"
                 "  - '    main()'\n  - '  File \"/app/worker.py\", line 61, in main'\n"
                 "  - '    batch = queue.pop()[\"items\"]'\n  - \"TypeError: 'NoneType' object is not subscriptable\"\n"}),
    ("config.ref-missing", {"image": "registry.example.com/load/api:1.9.0",
                            "envFrom": [{"configMapRef": {"name": "load-settings"}}]}, {}),
    ("image.pull", {"image": "registry.example.com/load/web:9.9.9-missing"}, {"profile": "pullError: not-found\n"}),
    ("app.missing-env", {"image": "registry.example.com/load/api:1.9.0"},
     {"profile": "runtime: go\nneedsEnv: [REDIS_URL]\n"}),
    ("resources.oom-killed", {"image": "registry.example.com/load/resizer:0.8.2",
                              "resources": {"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}}},
     {"profile": "runtime: go\nmemoryMiB: 40\nmemoryGrowthMiBPerMinute: 300\n"}),
    ("probes.liveness", {"image": "registry.example.com/load/web:4.0.1", "ports": [{"containerPort": 8080}],
                         "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}},
     {"profile": "runtime: node\nhealth:\n  paths: [/health]\n"}),
]


def scale_documents(n: int, per_deployment: int = 10) -> list[dict[str, Any]]:
    """About n pods in Deployments of `per_deployment` replicas, one Deployment in ten failing."""
    docs: list[dict[str, Any]] = []
    deployments = max(1, (n + per_deployment - 1) // per_deployment)
    remaining = n
    per_ns = 20
    for i in range(deployments):
        ns = f"load-{i // per_ns:03d}"
        if i % per_ns == 0:
            docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        replicas = min(per_deployment, remaining)
        remaining -= replicas
        name = f"svc-{i:04d}"
        container: dict[str, Any] = {"name": "app", "image": "registry.example.com/load/web:4.0.1",
                                     "ports": [{"containerPort": 8080}],
                                     "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                                   "limits": {"memory": "256Mi"}}}
        annotations: dict[str, str] = {}
        labels = {"app": name}
        if i % 10 == 9:
            cause, extra, ann = _FAILING[(i // 10) % len(_FAILING)]
            container = {**container, **copy.deepcopy(extra)}
            if "profile" in ann:
                annotations["sim.podmortem.dev/profile.app"] = ann["profile"]
            annotations["sim.podmortem.dev/expected-cause"] = cause
        else:
            container["readinessProbe"] = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10}
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": name, "namespace": ns, "labels": labels},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                              "template": {"metadata": {"labels": labels, "annotations": annotations},
                                           "spec": {"containers": [container]}}}})
    return docs
