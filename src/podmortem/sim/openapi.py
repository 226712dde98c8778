"""OpenAPI v3 documents for `kubectl explain`, built from the simulator's own schema knowledge.

The field names and types come from protobuf_schema.py (the `generated.proto` messages of
k8s.io/api v0.32.9 that kubectl 1.32 sends), so `kubectl explain pod.spec.containers` lists the
same fields as a real 1.32 cluster. Status fields are not in that table: each kind's `status` is
an object without listed fields. The descriptions are short ones written for the simulator (not
the upstream API documentation), for the fields people look up while debugging; other fields
show their type only.

The list merge keys (`x-kubernetes-patch-merge-key`/`-strategy`) are the `patchMergeKey` and
`patchStrategy` struct tags of k8s.io/api core/v1 and apps/v1 `types.go` (v0.32): kubectl's
client-side apply reads them from this document to build its strategic merge patch.

Each group/version document carries the PATCH and POST operations with the `fieldValidation`
parameter (kubectl's QueryParamVerifierV3 looks for it) and every schema reachable from its kinds.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from podmortem.sim.protobuf_schema import MESSAGES
from podmortem.sim.resources import GROUPS, RESOURCES, ResourceType

_PACKAGES = {"core": "io.k8s.api.core.v1", "apps": "io.k8s.api.apps.v1", "batch": "io.k8s.api.batch.v1",
             "authorization": "io.k8s.api.authorization.v1", "meta": "io.k8s.apimachinery.pkg.apis.meta.v1"}
_KIND_MESSAGE = {("", "v1"): "core", ("apps", "v1"): "apps", ("batch", "v1"): "batch",
                 ("authorization.k8s.io", "v1"): "authorization"}
# Go structs embedded with `json:",inline"`: their fields appear directly in the parent.
_INLINE = frozenset({"handler", "volumeSource", "localObjectReference", "ephemeralContainerCommon"})
_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"}, "bool": {"type": "boolean"}, "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"}, "double": {"type": "number", "format": "double"},
    "bytes": {"type": "string", "format": "byte"},
}
_NAMED = {"time": ("io.k8s.apimachinery.pkg.apis.meta.v1.Time", {"type": "string", "format": "date-time",
                                                                "description": "A timestamp in RFC 3339 form."}),
          "quantity": ("io.k8s.apimachinery.pkg.api.resource.Quantity",
                       {"type": "string", "description": "A fixed-point number with an optional SI or binary suffix "
                                                         "(500m, 1.5, 256Mi, 2Gi)."}),
          "intorstr": ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                       {"type": "string", "format": "int-or-string",
                        "description": "An integer or a string (a port number or a port name, 25 or \"25%\")."})}
# (message, field) -> (merge key or "" for a list of scalars, patch strategy)
_PATCH = {
    ("core.PodSpec", "containers"): ("name", "merge"), ("core.PodSpec", "initContainers"): ("name", "merge"),
    ("core.PodSpec", "ephemeralContainers"): ("name", "merge"), ("core.PodSpec", "volumes"): ("name", "merge,retainKeys"),
    ("core.PodSpec", "imagePullSecrets"): ("name", "merge"), ("core.PodSpec", "hostAliases"): ("ip", "merge"),
    ("core.PodSpec", "topologySpreadConstraints"): ("topologyKey", "merge"),
    ("core.PodSpec", "resourceClaims"): ("name", "merge,retainKeys"), ("core.PodSpec", "schedulingGates"): ("name", "merge"),
    ("core.Container", "ports"): ("containerPort", "merge"), ("core.Container", "env"): ("name", "merge"),
    ("core.Container", "volumeMounts"): ("mountPath", "merge"), ("core.Container", "volumeDevices"): ("devicePath", "merge"),
    ("core.EphemeralContainerCommon", "env"): ("name", "merge"),
    ("core.EphemeralContainerCommon", "volumeMounts"): ("mountPath", "merge"),
    ("core.EphemeralContainerCommon", "volumeDevices"): ("devicePath", "merge"),
    ("core.ServiceSpec", "ports"): ("port", "merge"), ("core.ServiceAccount", "secrets"): ("name", "merge"),
    ("meta.ObjectMeta", "ownerReferences"): ("uid", "merge"), ("meta.ObjectMeta", "finalizers"): ("", "merge"),
    ("apps.DeploymentSpec", "strategy"): ("", "retainKeys"),
}
_KIND_TEXT = {
    "Pod": "A Pod is a group of containers that run together on one node, sharing its network and volumes. "
           "The kubelet on that node starts, restarts and reports them.",
    "Deployment": "A Deployment keeps a number of identical Pods running from one template and rolls them to a new "
                  "template through ReplicaSets.",
    "ReplicaSet": "A ReplicaSet keeps a number of Pods from one template running.",
    "StatefulSet": "A StatefulSet runs Pods with stable names (NAME-0, NAME-1, ...) and storage, one at a time.",
    "DaemonSet": "A DaemonSet runs one Pod on each (matching) node.",
    "Job": "A Job runs Pods until a number of them succeed, retrying failed ones up to spec.backoffLimit.",
    "CronJob": "A CronJob creates a Job on a schedule.",
    "Service": "A Service gives a set of Pods (its selector) one virtual address and DNS name.",
    "ConfigMap": "A ConfigMap holds non-confidential configuration as key/value pairs.",
    "Secret": "A Secret holds confidential data (passwords, tokens, keys), base64-encoded in data.",
    "Namespace": "A Namespace is a scope for names of namespaced objects.",
    "ServiceAccount": "A ServiceAccount is an identity for processes that run in Pods.",
    "PersistentVolumeClaim": "A PersistentVolumeClaim asks for storage that a Pod can mount.",
}
_FIELD_TEXT = {
    "*.apiVersion": "The versioned schema of this object (v1, apps/v1, ...).",
    "*.kind": "The REST resource this object represents (Pod, Deployment, ...).",
    "*.metadata": "Standard object metadata: name, namespace, labels, annotations, owner references.",
    "*.spec": "The desired state of the object.",
    "*.status": "The most recently observed state of the object, written by the system (read-only). The "
                "simulator's schema does not list its fields.",
    "core.PodSpec.containers": "The containers of the pod. There must be at least one; they run at the same time, "
                               "after the init containers. Cannot be updated.",
    "core.PodSpec.initContainers": "Containers that run to completion one after another before the app containers "
                                   "start. A failing init container is restarted according to restartPolicy.",
    "core.PodSpec.ephemeralContainers": "Containers added to a running pod for debugging (kubectl debug). They are "
                                        "never restarted.",
    "core.PodSpec.restartPolicy": "Always (default), OnFailure or Never: whether the kubelet restarts containers "
                                  "that exit. Restarts are delayed by a back-off (10s doubling to 5m).",
    "core.PodSpec.volumes": "Volumes that containers of the pod can mount.",
    "core.PodSpec.nodeName": "The node the pod is bound to; set by the scheduler.",
    "core.PodSpec.nodeSelector": "Labels a node must have for the pod to be scheduled on it.",
    "core.PodSpec.serviceAccountName": "The ServiceAccount the pod runs as.",
    "core.PodSpec.securityContext": "Security settings for every container of the pod (runAsUser, fsGroup, ...).",
    "core.PodSpec.terminationGracePeriodSeconds": "Seconds between SIGTERM and SIGKILL when the pod is deleted "
                                                  "(default 30).",
    "core.PodSpec.tolerations": "Taints the pod tolerates when it is scheduled.",
    "core.PodSpec.affinity": "Node and pod (anti-)affinity scheduling constraints.",
    "core.PodSpec.hostNetwork": "Use the node's network namespace instead of the pod's own.",
    "core.PodSpec.imagePullSecrets": "Secrets with registry credentials used to pull the images.",
    "core.Container.name": "The container's name, unique within the pod.",
    "core.Container.image": "The container image reference (registry/repository:tag or @digest).",
    "core.Container.command": "The entrypoint, replacing the image's ENTRYPOINT. Not run in a shell.",
    "core.Container.args": "Arguments to the entrypoint, replacing the image's CMD.",
    "core.Container.env": "Environment variables, literal or taken from ConfigMaps, Secrets and pod fields.",
    "core.Container.envFrom": "Sources (ConfigMaps, Secrets) whose keys all become environment variables.",
    "core.Container.ports": "Ports the container listens on (informational).",
    "core.Container.resources": "Compute resources: requests (for scheduling) and limits (enforced; a container "
                                "over its memory limit is OOMKilled).",
    "core.Container.livenessProbe": "A probe whose failures make the kubelet restart the container.",
    "core.Container.readinessProbe": "A probe whose failures take the pod out of Service endpoints.",
    "core.Container.startupProbe": "A probe that must succeed before the liveness and readiness probes start.",
    "core.Container.volumeMounts": "Volumes of the pod mounted into the container's filesystem.",
    "core.Container.securityContext": "Security settings of this container (runAsNonRoot, readOnlyRootFilesystem, "
                                      "capabilities, ...).",
    "core.Container.imagePullPolicy": "Always, IfNotPresent or Never. Default: Always for :latest or no tag, else "
                                      "IfNotPresent.",
    "core.Container.workingDir": "The working directory of the entrypoint.",
    "core.Container.lifecycle": "Actions run after the container starts and before it is stopped.",
    "core.Container.restartPolicy": "Always makes an init container a sidecar that keeps running.",
    "apps.DeploymentSpec.replicas": "The number of pods wanted (default 1).",
    "apps.DeploymentSpec.selector": "Which pods belong to the Deployment; must match the template's labels.",
    "apps.DeploymentSpec.template": "The pod template that new pods are created from. A change rolls out a new "
                                    "ReplicaSet.",
    "apps.DeploymentSpec.strategy": "How pods are replaced: RollingUpdate (default, maxSurge and maxUnavailable) "
                                    "or Recreate.",
    "apps.DeploymentSpec.minReadySeconds": "Seconds a new pod must be ready before it counts as available.",
    "apps.DeploymentSpec.revisionHistoryLimit": "How many old ReplicaSets are kept for rollback (default 10).",
    "apps.DeploymentSpec.paused": "Whether the rollout is paused.",
    "apps.DeploymentSpec.progressDeadlineSeconds": "Seconds without progress before the rollout is reported as "
                                                   "failed, ProgressDeadlineExceeded (default 600).",
    "batch.JobSpec.backoffLimit": "Retries before the Job is marked failed (BackoffLimitExceeded; default 6).",
    "core.Probe.initialDelaySeconds": "Seconds after the container starts before the first probe.",
    "core.Probe.periodSeconds": "Seconds between probes (default 10).",
    "core.Probe.timeoutSeconds": "Seconds a probe may take (default 1).",
    "core.Probe.failureThreshold": "Consecutive failures that count as failed (default 3).",
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_name(message: str) -> str:
    pkg, _, name = message.partition(".")
    return f"{_PACKAGES[pkg]}.{name}"


def _type(kind: str, schemas: dict[str, Any]) -> dict[str, Any]:
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if kind in _NAMED:
        name, schema = _NAMED[kind]
        schemas[name] = schema
        return {"allOf": [_ref(name)]}
    if kind.startswith("map:"):
        return {"type": "object", "additionalProperties": _type(kind[4:], schemas)}
    _add_message(kind, schemas)
    return {"allOf": [_ref(_schema_name(kind))], "default": {}}


def _fields(message: str) -> list[tuple[str, str, bool]]:
    """(json name, type, repeated) of a message, with inline members flattened."""
    out: list[tuple[str, str, bool]] = []
    for field in MESSAGES[message].values():
        name, kind, *rest = field
        repeated = bool(rest and rest[0])
        if name in _INLINE and kind in MESSAGES:
            out += _fields(kind)
        else:
            out.append((name, kind, repeated))
    return out


def _add_message(message: str, schemas: dict[str, Any]) -> None:
    name = _schema_name(message)
    if name in schemas:
        return
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    schemas[name] = schema  # before the fields: messages may refer to themselves
    for field, kind, repeated in _fields(message):
        prop: dict[str, Any]
        if repeated:
            item = _type(kind, schemas)
            item.pop("default", None)
            prop = {"type": "array", "items": item}
        else:
            prop = _type(kind, schemas)
        text = _FIELD_TEXT.get(f"{message}.{field}")
        if text is None and field in ("apiVersion", "kind", "metadata", "spec", "status"):
            text = _FIELD_TEXT.get(f"*.{field}")
        if text:
            prop["description"] = text
        patch = _PATCH.get((message, field))
        if patch is not None:
            key, strategy = patch
            if key:
                prop["x-kubernetes-patch-merge-key"] = key
            prop["x-kubernetes-patch-strategy"] = strategy
            if key and repeated:
                prop["x-kubernetes-list-type"] = "map"
                prop["x-kubernetes-list-map-keys"] = [key]
        schema["properties"][field] = prop
    if message == "core.Container":
        schema["required"] = ["name"]


def _kind_schema(r: ResourceType, schemas: dict[str, Any]) -> str:
    """The schema of a served kind, with apiVersion, kind and status added; returns its name."""
    pkg = _KIND_MESSAGE.get((r.group, r.version))
    message = f"{pkg}.{r.kind}" if pkg else ""
    gvk = [{"group": r.group, "version": r.version, "kind": r.kind}]
    if message in MESSAGES:
        _add_message(message, schemas)
        name = _schema_name(message)
    else:
        # A kind the simulator has no field table for: the common fields only.
        name = f"io.k8s.api.{r.group.split('.')[0] or 'core'}.{r.version}.{r.kind}"
        schemas[name] = {"type": "object", "properties": {"metadata": _type("meta.ObjectMeta", schemas)}}
        schemas[name]["properties"]["metadata"]["description"] = _FIELD_TEXT["*.metadata"]
    schema = schemas[name]
    props = schema["properties"]
    props["apiVersion"] = {"type": "string", "description": _FIELD_TEXT["*.apiVersion"]}
    props["kind"] = {"type": "string", "description": _FIELD_TEXT["*.kind"]}
    if "spec" in props:
        props["status"] = {"type": "object", "description": _FIELD_TEXT["*.status"]}
    schema["description"] = _KIND_TEXT.get(r.kind, f"{r.kind} ({r.api_version}).")
    schema["x-kubernetes-group-version-kind"] = gvk
    return name


@functools.cache
def document(gv_path: str) -> dict[str, Any] | None:
    """The OpenAPI v3 document of one group/version path (`api/v1`, `apis/apps/v1`), or None."""
    parts = gv_path.split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[0] == "apis" and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    members = [r for r in RESOURCES if r.group == group and r.version == version]
    if not members:
        return None
    prefix = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True},
               "description": "fieldValidation instructs the server on how to handle objects in the request "
                              "containing unknown or duplicate fields."}]
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for r in members:
        schema = _kind_schema(r, schemas)
        base = f"{prefix}/namespaces/{{namespace}}/{r.plural}" if r.namespaced else f"{prefix}/{r.plural}"
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        body = {"content": {"application/json": {"schema": _ref(schema)}}}
        ok = {"content": {"application/json": {"schema": _ref(schema)}}}
        paths[f"{base}/{{name}}"] = {
            "patch": {"operationId": f"patch{r.kind}", "x-kubernetes-action": "patch",
                      "x-kubernetes-group-version-kind": gvk, "parameters": params,
                      "responses": {"200": {"description": "OK", **ok}}},
        }
        paths[base] = {
            "post": {"operationId": f"create{r.kind}", "x-kubernetes-action": "post",
                     "x-kubernetes-group-version-kind": gvk, "parameters": params, "requestBody": body,
                     "responses": {"201": {"description": "Created", **ok}}},
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.4"}, "paths": paths,
            "components": {"schemas": schemas}}


@functools.cache
def root() -> dict[str, Any]:
    """/openapi/v3: each group/version's document path, with the hash kubectl caches it by."""
    paths = {}
    for gv in ["api/v1"] + [f"apis/{g}/{v}" for g, versions in GROUPS.items() for v in versions]:
        digest = hashlib.sha512(repr(document(gv)).encode()).hexdigest()[:128].upper()
        paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
    return {"paths": paths}
