"""A small controller manager: Deployments -> ReplicaSets -> Pods, StatefulSets and Jobs.

Enough of the real controllers' behaviour for crash-loop work: a Deployment's template change
creates a new ReplicaSet named `<deployment>-<pod-template-hash>` with the revision annotations
the deployment controller writes, rolls out by the RollingUpdate arithmetic (maxSurge rounded
up, maxUnavailable rounded down, unhealthy old replicas cleaned up first), so a broken revision
leaves the old pods serving beside one crash-looping new pod, and a fixed manifest rolls forward.
StatefulSets create ordinals in order once the previous pod is Ready; Jobs create pods until
completions succeed or failures pass backoffLimit, with the pod-failure back-off between retries.
The cluster (the cluster package) calls `reconcile` whenever a workload or one of its pods changes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import orjson

from podmortem.kube.times import rfc3339_seconds
from podmortem.sim.store import clone
from podmortem.sim.timefmt import rfc3339

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
REVISION = "deployment.kubernetes.io/revision"


class Api(Protocol):
    """What the controllers need from the cluster: objects, pod readiness, writes, events, timers."""

    def objects(self, storage: str, namespace: str | None = None) -> list[dict[str, Any]]: ...
    def owned(self, storage: str, uid: str) -> list[dict[str, Any]]: ...
    def get_object(self, storage: str, namespace: str, name: str) -> dict[str, Any] | None: ...
    def pod_ready(self, namespace: str, name: str, t: float) -> bool: ...
    def pod_phase(self, namespace: str, name: str, t: float) -> str: ...
    def pod_restarts(self, namespace: str, name: str, t: float) -> int: ...
    def create_object(self, storage: str, obj: dict[str, Any], t: float) -> dict[str, Any]: ...
    def write_object(self, storage: str, obj: dict[str, Any]) -> dict[str, Any]: ...
    def delete_object(self, storage: str, namespace: str, name: str, t: float) -> None: ...
    def event(self, obj: Mapping[str, Any], t: float, type_: str, reason: str, message: str, component: str) -> None: ...
    def at(self, t: float, fn: Callable[[float], None]) -> None: ...


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """apimachinery's rand.SafeEncodeString: each byte mapped onto a vowel-free alphabet."""
    return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in text.encode())


def template_hash(template: Mapping[str, Any], collisions: int = 0) -> str:
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS) + str(collisions).encode()
    return safe_encode(str(fnv32a(data)))


def random_suffix(rng: random.Random, n: int = 5) -> str:
    return "".join(rng.choice(SAFE_ALPHABET) for _ in range(n))


def owner_ref(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _int_or_percent(value: Any, total: int, round_up: bool, default: str) -> int:
    value = default if value is None else value
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        pct = float(text[:-1]) / 100 * total
        return math.ceil(pct) if round_up else math.floor(pct)
    return int(text)


def _strip_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    t: dict[str, Any] = clone(dict(template))
    labels = dict((t.get("metadata") or {}).get("labels") or {})
    labels.pop("pod-template-hash", None)
    meta = {k: v for k, v in (t.get("metadata") or {}).items() if not (k == "creationTimestamp" and v is None)}
    t["metadata"] = {**meta, "labels": labels}
    return t


def _meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    return dict(obj.get("metadata") or {})


class Controllers:
    def __init__(self, api: Api, seed: int = 0) -> None:
        self.api = api
        self.rng = random.Random(seed)
        self._job_failures: dict[str, tuple[int, float]] = {}  # job uid -> (failed count, when noticed)
        self._deadline_checks: set[tuple[str, float]] = set()
        self._sts_templates: dict[str, dict[str, dict[str, Any]]] = {}  # uid -> revision -> template

    # --- helpers ---------------------------------------------------------------------------------

    def _owned(self, storage: str, owner: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.api.owned(storage, owner["metadata"]["uid"])

    def _active_pods(self, owner: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [p for p in self._owned("pods", owner) if not p["metadata"].get("deletionTimestamp")]

    def _ready(self, pod: Mapping[str, Any], t: float) -> bool:
        m = pod["metadata"]
        return self.api.pod_ready(m["namespace"], m["name"], t)

    def _phase(self, pod: Mapping[str, Any], t: float) -> str:
        m = pod["metadata"]
        return self.api.pod_phase(m["namespace"], m["name"], t)

    def _pod_from_template(self, owner: Mapping[str, Any], template: Mapping[str, Any], name: str | None,
                           generate: str | None, extra_labels: Mapping[str, str], t: float) -> dict[str, Any]:
        tmeta = dict(template.get("metadata") or {})
        meta: dict[str, Any] = {"namespace": owner["metadata"]["namespace"],
                                "labels": {**(tmeta.get("labels") or {}), **extra_labels},
                                "ownerReferences": [owner_ref(owner)]}
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        if name:
            meta["name"] = name
        else:
            meta["generateName"] = generate
            meta["name"] = f"{generate}{random_suffix(self.rng)}"
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": clone(template.get("spec") or {})}
        return self.api.create_object("pods", pod, t)

    def _set_status(self, storage: str, obj: Mapping[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        if obj.get("status") == status:
            return dict(obj)
        return self.api.write_object(storage, {**obj, "status": status})

    # --- entry point -----------------------------------------------------------------------------

    def reconcile(self, storage: str, namespace: str, name: str, t: float) -> None:
        obj = self.api.get_object(storage, namespace, name)
        if obj is None:
            return
        if obj["metadata"].get("deletionTimestamp"):
            return
        if storage == "deployments":
            self.deployment(obj, t)
        elif storage == "replicasets":
            self.replicaset(obj, t)
        elif storage == "statefulsets":
            self.statefulset(obj, t)
        elif storage == "jobs":
            self.job(obj, t)

    # --- ReplicaSet --------------------------------------------------------------------------------

    def replicaset(self, rs: dict[str, Any], t: float) -> None:
        want = int(rs.get("spec", {}).get("replicas", 1))
        pods = self._active_pods(rs)
        alive = [p for p in pods if self._phase(p, t) not in ("Failed", "Succeeded")]
        name = rs["metadata"]["name"]
        if len(alive) < want:
            template = rs["spec"].get("template") or {}
            for _ in range(want - len(alive)):
                pod = self._pod_from_template(rs, template, None, f"{name}-", {}, t)
                self.api.event(rs, t, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                               "replicaset-controller")
        elif len(alive) > want:
            # Delete the least useful pods first: not ready before ready, newest first.
            ranked = sorted(alive, key=lambda p: (self._ready(p, t), -_created(p)))
            for pod in ranked[: len(alive) - want]:
                self.api.delete_object("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], t)
                self.api.event(rs, t, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                               "replicaset-controller")
        pods = [p for p in self._active_pods(rs) if self._phase(p, t) not in ("Failed", "Succeeded")]
        ready = sum(1 for p in pods if self._ready(p, t))
        status: dict[str, Any] = {"replicas": len(pods), "fullyLabeledReplicas": len(pods),
                                  "observedGeneration": rs["metadata"].get("generation", 1)}
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        self._set_status("replicasets", rs, status)

    # --- Deployment -------------------------------------------------------------------------------

    def deployment(self, dep: dict[str, Any], t: float) -> None:
        spec = dep.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        owned = sorted(self._owned("replicasets", dep), key=_created)
        want_template = _strip_hash(template)
        new_rs = next((rs for rs in owned if _strip_hash(rs["spec"].get("template") or {}) == want_template), None)
        revisions = [int(_meta(rs).get("annotations", {}).get(REVISION, "0") or 0) for rs in owned]
        max_rev = max(revisions, default=0)
        strategy = spec.get("strategy") or {}
        ru = strategy.get("rollingUpdate") or {}
        max_surge = _int_or_percent(ru.get("maxSurge"), replicas, True, "25%")
        max_unavailable = _int_or_percent(ru.get("maxUnavailable"), replicas, False, "25%")
        if max_surge == 0 and max_unavailable == 0:
            max_unavailable = 1
        dname = dep["metadata"]["name"]
        if new_rs is None:
            h = template_hash(want_template)
            same_name = next((rs for rs in owned if rs["metadata"]["name"] == f"{dname}-{h}"), None)
            if same_name is not None:
                new_rs = same_name  # written by an earlier pass with an equivalent template
        if new_rs is None:
            labels = {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": h}
            rs_template = clone(template)
            rs_template.setdefault("metadata", {})["labels"] = labels
            selector = clone(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = h
            rs_obj = {
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": f"{dname}-{h}", "namespace": dep["metadata"]["namespace"], "labels": labels,
                             "annotations": {REVISION: str(max_rev + 1),
                                             "deployment.kubernetes.io/desired-replicas": str(replicas),
                                             "deployment.kubernetes.io/max-replicas": str(replicas + max_surge)},
                             "ownerReferences": [owner_ref(dep)]},
                "spec": {"replicas": 0, "selector": selector, "template": rs_template},
            }
            new_rs = self.api.create_object("replicasets", rs_obj, t)
            owned.append(new_rs)
        elif int(_meta(new_rs).get("annotations", {}).get(REVISION, "0") or 0) < max_rev:
            # A rollback to an earlier template: that ReplicaSet becomes the newest revision again.
            ann = {**_meta(new_rs).get("annotations", {}), REVISION: str(max_rev + 1)}
            new_rs = self.api.write_object("replicasets", {**new_rs, "metadata": {**new_rs["metadata"], "annotations": ann}})
            owned = [new_rs if o["metadata"]["uid"] == new_rs["metadata"]["uid"] else o for o in owned]
        new_uid = new_rs["metadata"]["uid"]
        old = [rs for rs in owned if rs["metadata"]["uid"] != new_uid]
        rev = _meta(new_rs).get("annotations", {}).get(REVISION, "1")
        if _meta(dep).get("annotations", {}).get(REVISION) != rev:
            ann = {**(_meta(dep).get("annotations") or {}), REVISION: rev}
            dep = self.api.write_object("deployments", {**dep, "metadata": {**dep["metadata"], "annotations": ann}})

        def available(rs: Mapping[str, Any]) -> int:
            return sum(1 for p in self._active_pods(rs) if self._ready(p, t))

        def scale(rs: dict[str, Any], n: int) -> dict[str, Any]:
            cur = int(rs["spec"].get("replicas", 0))
            if n == cur:
                return rs
            ann = {**(_meta(rs).get("annotations") or {}), "deployment.kubernetes.io/desired-replicas": str(replicas),
                   "deployment.kubernetes.io/max-replicas": str(replicas + max_surge)}
            rs = self.api.write_object("replicasets", {**rs, "metadata": {**rs["metadata"], "annotations": ann},
                                                       "spec": {**rs["spec"], "replicas": n}})
            verb = "up" if n > cur else "down"
            self.api.event(dep, t, "Normal", "ScalingReplicaSet",
                           f"Scaled {verb} replica set {rs['metadata']['name']} from {cur} to {n}", "deployment-controller")
            self.replicaset(rs, t)
            return rs

        if strategy.get("type") == "Recreate":
            for rs in old:
                scale(rs, 0)
            if not any(self._active_pods(rs) for rs in old):
                new_rs = scale(new_rs, replicas)
        else:
            total = sum(int(rs["spec"].get("replicas", 0)) for rs in owned)
            cur_new = int(new_rs["spec"].get("replicas", 0))
            if cur_new > replicas:
                new_rs = scale(new_rs, replicas)
            elif cur_new < replicas:
                up = min(replicas + max_surge - total, replicas - cur_new)
                if up > 0:
                    new_rs = scale(new_rs, cur_new + up)
            # Old replica sets: clean up unhealthy replicas first, then scale down by the available surplus.
            old = [rs for rs in self._owned("replicasets", dep) if rs["metadata"]["uid"] != new_uid]
            old.sort(key=_created)
            all_pods = sum(int(rs["spec"].get("replicas", 0)) for rs in old) + int(new_rs["spec"].get("replicas", 0))
            min_available = replicas - max_unavailable
            new_unavailable = int(new_rs["spec"].get("replicas", 0)) - available(new_rs)
            max_down = all_pods - min_available - new_unavailable
            if max_down > 0:
                cleaned = 0
                for i, rs in enumerate(old):
                    n = int(rs["spec"].get("replicas", 0))
                    avail = available(rs)
                    if n == 0 or n == avail or cleaned >= max_down:
                        continue
                    down = min(max_down - cleaned, n - avail)
                    old[i] = scale(rs, n - down)
                    cleaned += down
                avail_all = sum(available(rs) for rs in old) + available(new_rs)
                surplus = avail_all - min_available
                for i, rs in enumerate(old):
                    if surplus <= 0:
                        break
                    n = int(rs["spec"].get("replicas", 0))
                    if n == 0:
                        continue
                    down = min(n, surplus)
                    old[i] = scale(rs, n - down)
                    surplus -= down
        self.replicaset(new_rs, t)
        self._deployment_status(dep, t, replicas)

    def _deployment_status(self, dep: dict[str, Any], t: float, replicas: int) -> None:
        owned = self._owned("replicasets", dep)
        rev = _meta(dep).get("annotations", {}).get(REVISION)
        new = [rs for rs in owned if _meta(rs).get("annotations", {}).get(REVISION) == rev]
        pods = [p for rs in owned for p in self._active_pods(rs) if self._phase(p, t) not in ("Failed", "Succeeded")]
        ready = sum(1 for p in pods if self._ready(p, t))
        updated = sum(1 for rs in new for p in self._active_pods(rs) if self._phase(p, t) not in ("Failed", "Succeeded"))
        new_ready = sum(1 for rs in new for p in self._active_pods(rs) if self._ready(p, t))
        old_status = dep.get("status") or {}
        conds = {c["type"]: c for c in old_status.get("conditions") or []}
        ts = rfc3339(t)
        avail_ok = ready >= replicas - _int_or_percent(
            ((dep["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable"), replicas, False, "25%")
        want_avail = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.") if avail_ok else \
            ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        new_name = new[0]["metadata"]["name"] if new else ""
        deadline = int(dep["spec"].get("progressDeadlineSeconds", 600))
        prog = conds.get("Progressing")
        progress_since = t  # when the current rollout last made progress
        if prog and prog.get("reason") == "ReplicaSetUpdated":
            progress_since = rfc3339_seconds(str(prog.get("lastUpdateTime") or "")) or t
        if new_ready >= replicas and updated >= replicas and len(pods) == replicas:
            want_prog = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{new_name}" has successfully progressed.')
        elif (prog and prog.get("reason") == "ProgressDeadlineExceeded"
              and prog.get("message") == f'ReplicaSet "{new_name}" has timed out progressing.') \
                or t - progress_since > deadline:
            want_prog = ("False", "ProgressDeadlineExceeded", f'ReplicaSet "{new_name}" has timed out progressing.')
        else:
            want_prog = ("True", "ReplicaSetUpdated", f'ReplicaSet "{new_name}" is progressing.')
            # The real controller re-queues the Deployment to notice when the deadline passes.
            due = progress_since + deadline + 1
            key = (dep["metadata"]["uid"], due)
            if key not in self._deadline_checks:
                self._deadline_checks.add(key)
                ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
                self.api.at(due, lambda when: self.reconcile("deployments", ns, name, when))
        new_conds = []
        for ctype, (cstatus, reason, message) in (("Available", want_avail), ("Progressing", want_prog)):
            old = conds.get(ctype)
            if old and old.get("status") == cstatus and old.get("reason") == reason and old.get("message") == message:
                new_conds.append(old)
                continue
            transition = old["lastTransitionTime"] if old and old.get("status") == cstatus else ts
            new_conds.append({"type": ctype, "status": cstatus, "lastUpdateTime": ts,
                              "lastTransitionTime": transition, "reason": reason, "message": message})
        status: dict[str, Any] = {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": len(pods),
                                  "updatedReplicas": updated, "conditions": new_conds}
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        if len(pods) - ready > 0:
            status["unavailableReplicas"] = len(pods) - ready
        self._set_status("deployments", dep, status)

    # --- StatefulSet ------------------------------------------------------------------------------

    def statefulset(self, sts: dict[str, Any], t: float) -> None:
        """OrderedReady/Parallel creation, RollingUpdate from the highest ordinal, and the forced-rollback trap.

        pkg/controller/statefulset/stateful_set_control.go (v1.32) updateStatefulSet: with OrderedReady,
        a pod that is not Running and Ready stops the pass before the rolling update is reached, so a
        crash-looping pod of a bad revision is never replaced after the template is fixed: it stays
        until someone deletes it ("Forced rollback", concepts/workloads/controllers/statefulset). A
        missing ordinal is recreated at the current revision while it is below status.currentReplicas
        (isCurrentRevisionNeeded), else at the update revision; a terminating pod counts for neither.
        """
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        name = sts["metadata"]["name"]
        uid = sts["metadata"]["uid"]
        template = spec.get("template") or {}
        update_revision = f"{name}-{template_hash(_strip_hash(template))}"
        revisions = self._sts_templates.setdefault(uid, {})
        revisions[update_revision] = clone(template)
        old_status = sts.get("status") or {}
        current_revision = str(old_status.get("currentRevision") or update_revision)
        if current_revision not in revisions:
            current_revision = update_revision
        rolling = ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"
        partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition") or 0)
        current_replicas_before = int(old_status.get("currentReplicas") or 0)
        parallel = spec.get("podManagementPolicy") == "Parallel"
        owned = self._owned("pods", sts)
        pods = {p["metadata"]["name"]: p for p in owned}

        def revision_of(pod: Mapping[str, Any]) -> str:
            return str((pod["metadata"].get("labels") or {}).get("controller-revision-hash") or "")

        for i in range(replicas):
            pname = f"{name}-{i}"
            pod = pods.get(pname)
            if pod is None:
                wanted = update_revision
                if rolling and current_revision != update_revision and (
                        i < max(partition, current_replicas_before)):
                    wanted = current_revision
                labels = {"controller-revision-hash": wanted, "statefulset.kubernetes.io/pod-name": pname,
                          "apps.kubernetes.io/pod-index": str(i)}
                self._pod_from_template(sts, self._with_claims(sts, revisions[wanted], pname, t), pname, None,
                                        labels, t)
                self.api.event(sts, t, "Normal", "SuccessfulCreate",
                               f"create Pod {pname} in StatefulSet {name} successful", "statefulset-controller")
                if not parallel:
                    break
                continue
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            if not terminating and self._phase(pod, t) in ("Failed", "Succeeded"):
                failed = self._phase(pod, t) == "Failed"
                self.api.event(sts, t, "Warning", "RecreatingFailedPod" if failed else "RecreatingTerminatedPod",
                               f"StatefulSet {sts['metadata']['namespace']}/{name} is recreating "
                               f"{'failed' if failed else 'terminated'} Pod {pname}", "statefulset-controller")
                self.api.delete_object("pods", pod["metadata"]["namespace"], pname, t)
                self.api.event(sts, t, "Normal", "SuccessfulDelete",
                               f"delete Pod {pname} in StatefulSet {name} successful", "statefulset-controller")
                if not parallel:
                    break
                continue
            if not parallel and (terminating or not self._ready(pod, t)):
                break  # OrderedReady: wait for this ordinal to be Running and Ready; nothing later happens
        for pname, pod in pods.items():
            idx = pname.rsplit("-", 1)[-1]
            if idx.isdigit() and int(idx) >= replicas and not pod["metadata"].get("deletionTimestamp"):
                self.api.delete_object("pods", pod["metadata"]["namespace"], pname, t)
        # Rolling update: the highest ordinal with an old revision goes first once every pod is Running and Ready.
        current = {p["metadata"]["name"]: p for p in self._active_pods(sts)}
        if rolling and len(current) == replicas and all(self._ready(p, t) for p in current.values()):
            for i in reversed(range(partition, replicas)):
                pod = current.get(f"{name}-{i}")
                if pod and revision_of(pod) != update_revision:
                    self.api.delete_object("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], t)
                    self.api.event(sts, t, "Normal", "SuccessfulDelete",
                                   f"delete Pod {pod['metadata']['name']} in StatefulSet {name} successful",
                                   "statefulset-controller")
                    break
        live = self._active_pods(sts)
        ready = sum(1 for p in live if self._ready(p, t))
        updated = sum(1 for p in live if revision_of(p) == update_revision)
        current_count = sum(1 for p in live if revision_of(p) == current_revision)
        if updated == replicas and ready == replicas and len(live) == replicas:
            current_revision, current_count = update_revision, updated  # completeRollingUpdate
        status: dict[str, Any] = {"observedGeneration": sts["metadata"].get("generation", 1),
                                  "replicas": len(live), "currentReplicas": current_count,
                                  "updatedReplicas": updated, "currentRevision": current_revision,
                                  "updateRevision": update_revision, "collisionCount": 0, "availableReplicas": ready}
        if ready:
            status["readyReplicas"] = ready
        for key in ("currentReplicas", "updatedReplicas"):
            if not status[key]:
                del status[key]  # omitempty, as the API server serves them
        self._set_status("statefulsets", sts, status)

    def _with_claims(self, sts: Mapping[str, Any], template: Mapping[str, Any], pod_name: str,
                     t: float) -> dict[str, Any]:
        """The pod template with a claim per volumeClaimTemplate, each created first if missing.

        stateful_pod_control.go (v1.32) createPersistentVolumeClaims: the claim of template T for pod
        P is named T-P, labelled with the selector's labels, and created (event "create Claim T-P Pod P
        in StatefulSet S success") before the pod, whose volume T then refers to it. With the default
        retention policy (Retain) the claims have no owner and outlive the pods.
        """
        claims = list((sts.get("spec") or {}).get("volumeClaimTemplates") or [])
        if not claims:
            return dict(template)
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        labels = dict(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        volumes = [v for v in ((template.get("spec") or {}).get("volumes") or [])
                   if v.get("name") not in {(c.get("metadata") or {}).get("name") for c in claims}]
        for claim in claims:
            tname = str((claim.get("metadata") or {}).get("name"))
            cname = f"{tname}-{pod_name}"
            if self.api.get_object("persistentvolumeclaims", ns, cname) is None:
                obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {**clone(dict(claim.get("metadata") or {})), "name": cname, "namespace": ns,
                                    "labels": {**((claim.get("metadata") or {}).get("labels") or {}), **labels}},
                       "spec": clone(dict(claim.get("spec") or {}))}
                self.api.create_object("persistentvolumeclaims", obj, t)
                self.api.event(sts, t, "Normal", "SuccessfulCreate",
                               f"create Claim {cname} Pod {pod_name} in StatefulSet {name} success",
                               "statefulset-controller")
            volumes.append({"name": tname, "persistentVolumeClaim": {"claimName": cname}})
        out: dict[str, Any] = clone(dict(template))
        out.setdefault("spec", {})["volumes"] = volumes
        return out

    # --- Job -----------------------------------------------------------------------------------------

    def job(self, job: dict[str, Any], t: float) -> None:
        spec = job.get("spec") or {}
        status = dict(job.get("status") or {})
        conds = list(status.get("conditions") or [])
        if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conds):
            return
        name = job["metadata"]["name"]
        uid = job["metadata"]["uid"]
        completions = int(spec.get("completions", 1) or 1)
        parallelism = int(spec.get("parallelism", 1) or 1)
        backoff_limit = int(spec.get("backoffLimit", 6))
        pods = self._owned("pods", job)
        phases = {p["metadata"]["name"]: self._phase(p, t) for p in pods}
        succeeded = sum(1 for ph in phases.values() if ph == "Succeeded")
        failed = sum(1 for ph in phases.values() if ph == "Failed")
        active = [p for p in pods if phases[p["metadata"]["name"]] not in ("Succeeded", "Failed")
                  and not p["metadata"].get("deletionTimestamp")]
        ts = rfc3339(t)
        status.setdefault("startTime", ts)
        if succeeded >= completions:
            conds += [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": ts, "lastTransitionTime": ts},
                      {"type": "Complete", "status": "True", "lastProbeTime": ts, "lastTransitionTime": ts}]
            status.update(conditions=conds, completionTime=ts, succeeded=succeeded, active=0, ready=0)
            if failed:
                status["failed"] = failed
            status.pop("active", None)
            self._set_status("jobs", job, status)
            self.api.event(job, t, "Normal", "Completed", "Job completed", "job-controller")
            return
        # restartPolicy OnFailure: the containers' restarts of pending and running pods count as failures
        # (pastBackoffLimitOnFailure, pkg/controller/job/job_controller.go v1.32); the pods are deleted.
        on_failure = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") == "OnFailure"
        restarts = sum(self.api.pod_restarts(p["metadata"]["namespace"], p["metadata"]["name"], t) for p in active
                       if phases[p["metadata"]["name"]] in ("Pending", "Running")) if on_failure else 0
        past_on_failure = on_failure and (restarts > 0 if backoff_limit == 0 else restarts >= backoff_limit)
        if failed > backoff_limit or past_on_failure:
            msg = "Job has reached the specified backoff limit"
            conds += [{"type": "FailureTarget", "status": "True", "lastProbeTime": ts, "lastTransitionTime": ts,
                       "reason": "BackoffLimitExceeded", "message": msg},
                      {"type": "Failed", "status": "True", "lastProbeTime": ts, "lastTransitionTime": ts,
                       "reason": "BackoffLimitExceeded", "message": msg}]
            status.update(conditions=conds, failed=failed, ready=0, terminating=0)
            status.pop("active", None)
            if succeeded:
                status["succeeded"] = succeeded
            self._set_status("jobs", job, status)  # before the deletions, whose reconciles must see it Failed
            for p in active:
                self.api.delete_object("pods", p["metadata"]["namespace"], p["metadata"]["name"], t)
            self.api.event(job, t, "Warning", "BackoffLimitExceeded", msg, "job-controller")
            return
        want_active = min(parallelism, completions - succeeded)
        if len(active) < want_active:
            # Pod failure back-off: 10 s doubling per failure, capped at 6 minutes, from the last failure.
            seen = self._job_failures.get(uid)
            if seen is None or seen[0] != failed:
                seen = (failed, t)  # the failure was noticed now
                self._job_failures[uid] = seen
            delay = min(10.0 * 2 ** (failed - 1), 360.0) if failed else 0.0
            not_before = seen[1] + delay if failed else t
            if not_before > t + 1e-6:
                self.api.at(not_before, lambda when: self.reconcile("jobs", job["metadata"]["namespace"], name, when))
            else:
                labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                          "controller-uid": uid, "job-name": name}
                template = spec.get("template") or {}
                for _ in range(want_active - len(active)):
                    pod = self._pod_from_template(job, template, None, f"{name}-", labels, t)
                    self.api.event(job, t, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                   "job-controller")
                active = [p for p in self._owned("pods", job) if self._phase(p, t) not in ("Succeeded", "Failed")]
        if on_failure and active:
            # A crash-looping pod keeps its phase: look again at the restart counts a little later.
            self.api.at(t + 10.0, lambda when: self.reconcile("jobs", job["metadata"]["namespace"], name, when))
        status.update(active=len(active), ready=sum(1 for p in active if self._ready(p, t)), terminating=0,
                      uncountedTerminatedPods={})
        if failed:
            status["failed"] = failed
        if succeeded:
            status["succeeded"] = succeeded
        if not status.get("active"):
            status.pop("active", None)
        self._set_status("jobs", job, status)


def _created(obj: Mapping[str, Any]) -> float:
    return rfc3339_seconds(str(obj["metadata"].get("creationTimestamp") or "")) or 0.0
