"""The API verbs: get, create, replace, patch, delete, `kubectl apply` of a manifest, and the log target.

Each public verb takes the lock and syncs first; the underscore ones run at a given virtual time.
A part of `SimCluster`; uses the `Admission`, `Placement` and `Timeline` it is given.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from podmortem.errors import InputError
from podmortem.sim import serverside
from podmortem.sim.cluster.admission import Admission
from podmortem.sim.cluster.errors import ApiError, not_found
from podmortem.sim.cluster.hidden import take_sim_annotations, template_meta
from podmortem.sim.cluster.nodes import parse_pressure
from podmortem.sim.cluster.options import LAST_APPLIED, WORKLOADS
from podmortem.sim.cluster.placement import Placement
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.controllers import controller_uid
from podmortem.sim.kubelet import PodSim
from podmortem.sim.patch import PatchError, json_patch, merge_patch, strategic_merge
from podmortem.sim.profile import CREATED_AGO, MEMORY_PRESSURE
from podmortem.sim.resources import STORAGE_KEY, ResourceType, by_plural, resource_for
from podmortem.sim.store import clone
from podmortem.sim.timefmt import rfc3339


class Verbs:
    """The operations the HTTP server and the scenario loader call."""

    def __init__(self, state: ClusterState, admission: Admission, placement: Placement, timeline: Timeline) -> None:
        self.state = state
        self.admission = admission
        self.placement = placement
        self.timeline = timeline

    def _uid(self, kind: str, ns: str, name: str) -> str:
        """A random (version 4) UUID as the API server gives, from a seeded generator: runs repeat."""
        n = next(self.state.uid_counter)
        digest = uuid.uuid5(uuid.NAMESPACE_URL, f"podmortem-sim/{self.state.options.seed}/{kind}/{ns}/{name}/{n}").int
        return str(uuid.UUID(int=digest, version=4))

    def _check_namespace(self, rt: ResourceType, ns: str) -> None:
        if rt.namespaced and self.state.store.get("namespaces", "", ns) is None:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})

    def get(self, rt: ResourceType, ns: str, name: str) -> dict[str, Any]:
        obj = self.state.store.get(STORAGE_KEY[rt], ns if rt.namespaced else "", name)
        if obj is None:
            raise not_found(rt, name)
        return obj

    def create(self, rt: ResourceType, ns: str, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        with self.state.lock:
            self.timeline.sync()
            return self.create_at(rt, ns, obj, self.state.sim_time, dry_run)

    def create_at(self, rt: ResourceType, ns: str, obj: dict[str, Any], t: float, dry_run: bool = False) -> dict[str, Any]:
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                                  "sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{''.join(self.state.rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
            else:
                raise ApiError(422, "Invalid", f"{rt.kind} \"\" is invalid: metadata.name: Required value: name or "
                                               "generateName is required",
                               {"kind": rt.kind, "causes": [{"reason": "FieldValueRequired", "message":
                                                             "Required value: name or generateName is required",
                                                             "field": "metadata.name"}]})
        name = meta["name"]
        self._check_namespace(rt, ns)
        storage = STORAGE_KEY[rt]
        if self.state.store.get(storage, ns if rt.namespaced else "", name) is not None:
            raise ApiError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists',
                           {"name": name, "group": rt.group, "kind": rt.plural} if rt.group else
                           {"name": name, "kind": rt.plural})
        meta["uid"] = self._uid(rt.kind, ns, name)
        meta["creationTimestamp"] = rfc3339(t)
        meta.pop("resourceVersion", None)
        meta.pop("deletionTimestamp", None)
        if rt.plural in WORKLOADS:
            meta["generation"] = 1
        sim_meta, sim_template = self._take_hidden(rt, obj)
        self.admission.validate(rt, obj, sim_meta, sim_template)
        self.admission.default(rt, obj, t, sim_meta)
        if dry_run:
            return obj
        self.state.hidden.record(meta["uid"], sim_meta, sim_template)
        if rt.plural == "pods":
            return self.placement.create_pod(obj, t)
        stored = self.state.store.put(storage, obj)
        if rt.plural == "nodes":
            self.placement.node_added(stored, t)
        elif rt.plural == "persistentvolumeclaims":
            self.placement.claim_created(stored, t)
        elif rt.plural == "storageclasses":
            self.timeline.cluster_changed(t)
        elif rt.plural == "namespaces":
            self._namespace_added(stored, t)
        elif rt.plural in WORKLOADS:
            self.timeline.enqueue(rt.plural, ns, name)
            self.timeline.run_reconciles(t)
            stored = self.state.store.get(storage, ns, name) or stored
        return stored

    def _take_hidden(self, rt: ResourceType, obj: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """The simulator's annotations of the object and of its pod template, taken off it (hidden.py).

        An object a controller creates starts with what its owner's template carried.
        """
        sim_meta = take_sim_annotations(obj["metadata"])
        tmeta = template_meta(obj) if rt.plural in WORKLOADS else None
        sim_template = take_sim_annotations(tmeta) if tmeta is not None else {}
        inherited = self.state.hidden.of_template(controller_uid(obj))
        if inherited:
            if rt.plural == "pods":
                sim_meta = {**inherited, **sim_meta}
            elif rt.plural in WORKLOADS:
                sim_template = {**inherited, **sim_template}
        return sim_meta, sim_template

    def _namespace_added(self, ns_obj: Mapping[str, Any], t: float) -> None:
        ns = ns_obj["metadata"]["name"]
        if self.state.store.get("serviceaccounts", ns, "default") is None:
            self.create_at(by_plural("serviceaccounts"), ns, {"metadata": {"name": "default"}}, t)
        if self.state.store.get("configmaps", ns, "kube-root-ca.crt") is None:
            self.create_at(by_plural("configmaps"), ns, {"metadata": {"name": "kube-root-ca.crt", "annotations": {
                "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when "
                                             "using internal endpoints such as the internal service IP or "
                                             "kubernetes.default.svc. No other usage is guaranteed across "
                                             "distributions of Kubernetes clusters."}},
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhr"
                                   "\n-----END CERTIFICATE-----\n"}}, t)

    def replace(self, rt: ResourceType, ns: str, name: str, obj: dict[str, Any], subresource: str | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        with self.state.lock:
            self.timeline.sync()
            current = self.get(rt, ns, name)
            meta = obj.get("metadata") or {}
            if meta.get("name") and meta["name"] != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            rv = meta.get("resourceVersion")
            if rv and rv != current["metadata"].get("resourceVersion"):
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the '
                                                "object has been modified; please apply your changes to the latest "
                                                "version and try again",
                               {"name": name, "group": rt.group, "kind": rt.plural})
            return self._update(rt, current, obj, self.state.sim_time, subresource, dry_run)

    def patch(self, rt: ResourceType, ns: str, name: str, body: bytes, content_type: str,
              subresource: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        with self.state.lock:
            self.timeline.sync()
            current = self.get(rt, ns, name)
            ctype = content_type.split(";")[0].strip()
            if ctype == "application/apply-patch+yaml":
                raise ApiError(415, "UnsupportedMediaType", "server-side apply of a subresource is not supported "
                                                            "by the simulated API server")
            # Every other patch type is JSON: a YAML body is not decoded (no alias expansion to budget).
            try:
                data = orjson.loads(body) if body.strip() else {}
            except orjson.JSONDecodeError as exc:
                raise ApiError(400, "BadRequest", f"error decoding patch: {exc}") from None
            try:
                if ctype == "application/json-patch+json":
                    new = json_patch(current, data)
                elif ctype == "application/merge-patch+json":
                    new = merge_patch(current, data)
                elif ctype == "application/strategic-merge-patch+json":
                    new = strategic_merge(current, data)
                elif ctype == "application/apply-patch+yaml":
                    raise ApiError(415, "UnsupportedMediaType", "server-side apply is not supported by the simulated "
                                                                "API server; use client-side kubectl apply")
                else:
                    raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown format - '
                                                                'accepted media types include: application/json-patch+json, '
                                                                'application/merge-patch+json, '
                                                                'application/strategic-merge-patch+json')
            except PatchError as exc:
                raise ApiError(422, "Invalid", str(exc)) from None
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch did not produce an object")
            rv = (data.get("metadata") or {}).get("resourceVersion") if isinstance(data, dict) else None
            if rv and rv != current["metadata"].get("resourceVersion"):
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the '
                                                "object has been modified; please apply your changes to the latest "
                                                "version and try again")
            return self._update(rt, current, new, self.state.sim_time, subresource, dry_run)

    def server_side_apply(self, rt: ResourceType, ns: str, name: str, applied: dict[str, Any], manager: str | None,
                          dry_run: bool = False) -> tuple[dict[str, Any], bool]:
        """`kubectl apply --server-side` (serverside.py): (the object, whether it was created)."""
        if not manager:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                                           "required for apply patch")
        meta: dict[str, Any] = applied["metadata"] if isinstance(applied.get("metadata"), dict) else {}
        if applied.get("kind") != rt.kind or applied.get("apiVersion") != rt.api_version:
            raise ApiError(400, "BadRequest", f"the API version in the data ({applied.get('apiVersion')}) does not "
                                              f"match the expected API version ({rt.api_version})")
        if meta.get("name") not in (None, name):
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        with self.state.lock:
            self.timeline.sync()
            t = self.state.sim_time
            current = self.state.store.get(STORAGE_KEY[rt], ns if rt.namespaced else "", name)
            applied = {**applied, "metadata": {**meta, "name": name}}
            new = serverside.apply(current, applied, manager, rfc3339(t))
            if current is None:
                return self.create_at(rt, ns, new, t, dry_run), True
            return self._update(rt, current, new, t, None, dry_run), False

    def _update(self, rt: ResourceType, current: dict[str, Any], new: dict[str, Any], t: float,
                subresource: str | None, dry_run: bool) -> dict[str, Any]:
        new = clone(new)
        meta = new.setdefault("metadata", {})
        cur_meta = current["metadata"]
        for k in ("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp",
                  "deletionGracePeriodSeconds"):
            if k in cur_meta:
                meta[k] = cur_meta[k]
            else:
                meta.pop(k, None)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if subresource == "status":
            new = {**current, "status": new.get("status")}
        elif "status" in current:
            new["status"] = current["status"]  # status is the controllers' and the kubelet's to write
        storage = STORAGE_KEY[rt]
        sim_meta: dict[str, str] = {}
        sim_template: dict[str, str] = {}
        if subresource is None:
            sim_meta = take_sim_annotations(meta)
            tmeta = template_meta(new) if rt.plural in WORKLOADS else None
            sim_template = take_sim_annotations(tmeta) if tmeta is not None else {}
        if subresource == "ephemeralcontainers":
            new = self._with_ephemeral(current, new)
        if subresource is None:
            self.admission.default_update(rt, new, current, t)
        if subresource != "ephemeralcontainers" and rt.plural == "pods" and new.get("spec") != current.get("spec"):
            self._check_pod_update(current, new)
        if rt.plural in WORKLOADS and subresource is None:
            self.admission.validate(rt, new, sim_meta, sim_template)
            if new.get("spec") != current.get("spec"):
                meta["generation"] = int(cur_meta.get("generation", 1)) + 1
        if rt.plural == "secrets" and "stringData" in new:
            string = new.pop("stringData") or {}
            data = dict(new.get("data") or {})
            for k, v in string.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            new["data"] = data
        if dry_run:
            return new
        self.state.hidden.record(cur_meta["uid"], sim_meta, sim_template)
        if new == current:
            return current
        stored = self.state.store.put(storage, new)
        ns = cur_meta.get("namespace", "")
        if rt.plural in WORKLOADS:
            self.timeline.enqueue(rt.plural, ns, cur_meta["name"])
            self.timeline.run_reconciles(t)
            stored = self.state.store.get(storage, ns, cur_meta["name"]) or stored
        elif rt.plural == "pods":
            sim = self.state.pods.get((ns, cur_meta["name"]))
            if sim is not None:
                sim.meta = stored["metadata"]
                added = [sim.add_ephemeral(e, t) for e in (stored.get("spec") or {}).get("ephemeralContainers") or []]
                if any(added):
                    self.timeline.queue_pod((ns, cur_meta["name"]))
        if rt.plural in ("nodes", "persistentvolumeclaims", "storageclasses"):
            self.timeline.cluster_changed(t)  # an uncordoned or untainted node, a bound claim: the scheduler looks again
        if rt.plural == "nodes" and MEMORY_PRESSURE in sim_meta:
            pressure = sim_meta[MEMORY_PRESSURE]
            node = self.state.nodes.get(cur_meta["name"])
            if node is not None:
                node.pressure = parse_pressure(pressure, t) if pressure.strip() else None
        self.timeline.flush()
        return stored

    def _with_ephemeral(self, current: dict[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        """The pod with the ephemeral containers of an `ephemeralcontainers` update; the rest of it unchanged.

        As the API server (ValidatePodEphemeralContainersUpdate): existing ones may not change or go away.
        """
        name = current["metadata"]["name"]
        old = list((current.get("spec") or {}).get("ephemeralContainers") or [])
        wanted = list((new.get("spec") or {}).get("ephemeralContainers") or [])
        by_name = {str(e.get("name")): e for e in wanted if isinstance(e, dict)}
        for e in old:
            if by_name.get(str(e.get("name"))) != e:
                raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec.ephemeralContainers: Forbidden: '
                                               "existing ephemeral containers may not be changed")
        for i, e in enumerate(wanted):
            if not isinstance(e, dict) or not e.get("name") or not e.get("image"):
                raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec.ephemeralContainers[{i}]: Required '
                                               "value: name and image are required")
            e.setdefault("terminationMessagePath", "/dev/termination-log")
            e.setdefault("terminationMessagePolicy", "File")
            e.setdefault("imagePullPolicy", "Always" if ":" not in str(e["image"]).rsplit("/", 1)[-1]
                         or str(e["image"]).endswith(":latest") else "IfNotPresent")
        return {**current, "spec": {**(current.get("spec") or {}), "ephemeralContainers": wanted}}

    def _check_pod_update(self, current: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Pod specs are immutable apart from a few fields (images, deadlines, tolerations)."""
        def strip(spec: Mapping[str, Any]) -> dict[str, Any]:
            s = copy.deepcopy(dict(spec))
            for key in ("containers", "initContainers"):
                for c in s.get(key) or []:
                    c.pop("image", None)
            s.pop("activeDeadlineSeconds", None)
            s.pop("tolerations", None)
            return s

        if strip(current.get("spec") or {}) != strip(new.get("spec") or {}):
            name = current["metadata"]["name"]
            raise ApiError(422, "Invalid", f'Pod "{name}" is invalid: spec: Forbidden: pod updates may not change fields '
                                           "other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                                           "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 "
                                           "if it was previously negative)",
                           {"name": name, "kind": "Pod", "causes": [{"reason": "FieldValueForbidden", "field": "spec"}]})
        raise ApiError(422, "Invalid", f'Pod "{current["metadata"]["name"]}" is invalid: spec.containers[*].image: '
                                       "Forbidden: changing the image of a running pod is not supported by the "
                                       "simulated API server; change the workload's template instead")

    def delete(self, rt: ResourceType, ns: str, name: str, grace: float | None = None,
               dry_run: bool = False) -> dict[str, Any]:
        with self.state.lock:
            self.timeline.sync()
            current = self.get(rt, ns, name)
            if dry_run:
                return current
            return self.delete_at(rt, ns, name, self.state.sim_time, grace)

    def delete_at(self, rt: ResourceType, ns: str, name: str, t: float, grace: float | None = None) -> dict[str, Any]:
        storage = STORAGE_KEY[rt]
        key_ns = ns if rt.namespaced else ""
        current = self.state.store.get(storage, key_ns, name)
        if current is None:
            raise not_found(rt, name)
        if rt.plural == "pods":
            sim = self.state.pods.get((ns, name))
            if current["metadata"].get("deletionTimestamp"):
                return current
            g = float(grace if grace is not None else (current.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
            if sim is None or g <= 0 or sim.phase(t) in ("Succeeded", "Failed"):
                self.timeline.remove_pod((ns, name), t)
                self.timeline.flush()
                return {**current, "metadata": {**current["metadata"], "deletionTimestamp": rfc3339(t),
                                                "deletionGracePeriodSeconds": 0}}
            marked = self.state.store.put("pods", {**current, "metadata": {**current["metadata"],
                                                                     "deletionTimestamp": rfc3339(t + g),
                                                                     "deletionGracePeriodSeconds": int(g)}})
            sim.meta = marked["metadata"]
            sim.delete(t, g)
            self.state.dirty.add((ns, name))
            self.timeline.queue_pod((ns, name))
            self.timeline.owner_changed(marked, t)
            self.timeline.run_reconciles(t)
            self.timeline.flush()
            return marked
        if rt.plural == "namespaces":
            for r_storage in ("pods", "deployments", "replicasets", "statefulsets", "jobs", "services", "configmaps",
                              "secrets", "serviceaccounts", "events"):
                for obj in list(self.state.store.items(r_storage, name)):
                    if r_storage == "pods":
                        self.timeline.remove_pod((name, obj["metadata"]["name"]), t)
                    else:
                        self.state.store.remove(r_storage, name, obj["metadata"]["name"])
        gone = self.state.store.remove(storage, key_ns, name)
        if rt.plural == "nodes":
            self.state.nodes.pop(name, None)
            self.state.node_names = []
        # Background cascading deletion: the garbage collector deletes what the object owned.
        uid = current["metadata"]["uid"]
        for dep_storage in ("replicasets", "pods"):
            for obj in list(self.state.store.owned(dep_storage, uid)):
                self.delete_at(by_plural(dep_storage), ns, obj["metadata"]["name"], t)
        self.timeline.flush()
        details: dict[str, Any] = {"name": name, "kind": rt.plural, "uid": uid}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details} \
            if gone is not None else current

    def apply_manifest(self, doc: Mapping[str, Any], t: float) -> dict[str, Any]:
        """Create or update an object as `kubectl apply` would, at virtual time t (scenario loading)."""
        rt = resource_for(str(doc.get("apiVersion")), str(doc.get("kind")))
        if rt is None:
            raise InputError(f"{doc.get('kind')} ({doc.get('apiVersion')}) is not a resource the simulator serves")
        obj = clone(dict(doc))
        meta = obj.setdefault("metadata", {})
        ann = dict(meta.get("annotations") or {})
        ann.pop(CREATED_AGO, None)
        applied = clone(obj)
        applied.pop("status", None)
        applied["metadata"] = {**applied["metadata"], "annotations": ann}
        ann[LAST_APPLIED] = orjson.dumps(applied).decode() + "\n"
        meta["annotations"] = ann
        ns = str(meta.get("namespace") or "default") if rt.namespaced else ""
        if rt.namespaced and self.state.store.get("namespaces", "", ns) is None:
            self.create_at(by_plural("namespaces"), "", {"metadata": {"name": ns}}, t)
        storage = STORAGE_KEY[rt]
        current = self.state.store.get(storage, ns, str(meta.get("name")))
        if current is None:
            return self.create_at(rt, ns, obj, t)
        merged = {**current, **{k: v for k, v in obj.items() if k != "metadata"},
                  "metadata": {**current["metadata"], "labels": meta.get("labels") or current["metadata"].get("labels"),
                               "annotations": ann}}
        return self._update(rt, current, merged, t, None, False)

    def log_target(self, ns: str, name: str, container: str | None, previous: bool) -> tuple[PodSim, Any]:
        """The pod and container instance whose log a /log request reads, or an ApiError."""
        with self.state.lock:
            self.timeline.sync()
            pod = self.state.store.get("pods", ns, name)
            sim = self.state.pods.get((ns, name))
            if pod is None or sim is None:
                raise not_found(by_plural("pods"), name)
            apps = [c.name for c in sim.containers if not c.init]
            inits = [c.name for c in sim.containers if c.init]
            if not container:
                if len(apps) == 1:
                    container = apps[0]
                else:
                    msg = f"a container name must be specified for pod {name}, choose one of: [{' '.join(apps)}]"
                    if inits:
                        msg += f" or one of the init containers: [{' '.join(inits)}]"
                    raise ApiError(400, "BadRequest", msg)
            c = sim.container(container)
            if c is None:
                raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
            inst, err = sim.instance_for_logs(c, previous, self.state.sim_time)
            if err:
                raise ApiError(400, "BadRequest", err)
            return sim, inst
