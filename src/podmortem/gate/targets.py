"""What `podmortem gate` waits for, and when a workload's rollout counts as complete.

A target is a workload named as kubectl names it (`deployment/web`, `deploy/web`, `sts/db`,
`daemonset.apps/agent`). Completion follows `kubectl rollout status` (kubectl's
polymorphichelpers/rollout_status.go), so CI logs read the same: for a Deployment the spec is
observed, every desired replica is updated, no old replica is left and every updated one is
available. Which pods belong to the current revision (the only ones whose failures fail the
gate: the old revision's pods are being replaced) is decided here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podmortem.kube.labels import format_label_selector

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
STS_REVISION = "controller-revision-hash"
DS_GENERATION = "pod-template-generation"

_KINDS = {
    "Deployment": ("deployment", "deployments", "deploy"),
    "StatefulSet": ("statefulset", "statefulsets", "sts"),
    "DaemonSet": ("daemonset", "daemonsets", "ds"),
}
_ALIASES = {alias: kind for kind, names in _KINDS.items() for n in names for alias in (n, f"{n}.apps")}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class TargetError(ValueError):
    """A target argument that does not name a workload."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # Deployment | StatefulSet | DaemonSet
    name: str

    @property
    def plural(self) -> str:
        return self.kind.lower() + "s"

    @property
    def label(self) -> str:
        return f"{self.kind.lower()}/{self.name}"

    def collection_path(self, namespace: str) -> str:
        return f"/apis/apps/v1/namespaces/{namespace}/{self.plural}"


def parse_target(text: str) -> Target:
    """`deployment/web` and kubectl's other spellings of it."""
    kind_text, sep, name = text.strip().partition("/")
    if not sep or not name:
        raise TargetError(f"{text!r} is not KIND/NAME: name a workload as deployment/NAME, statefulset/NAME or "
                          "daemonset/NAME, or select pods with -l")
    kind = _ALIASES.get(kind_text.lower())
    if kind is None:
        raise TargetError(f"{text!r}: gate waits for deployments, statefulsets and daemonsets, not {kind_text!r} "
                          "(select other pods with -l)")
    if len(name) > 253 or not _NAME.match(name):
        raise TargetError(f"{text!r}: {name!r} is not a valid object name (lower-case letters, digits, '-' and '.')")
    return Target(kind, name)


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector object as the labelSelector query parameter; "" selects everything."""
    try:
        return format_label_selector(selector)
    except ValueError as exc:
        raise TargetError(str(exc)) from None


# -- small accessors --------------------------------------------------------------------------------


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid") or "") or None
    return None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def generation_observed(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    return _int(meta(obj).get("generation"), 1) <= _int(status.get("observedGeneration"))


# -- completion -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rollout:
    """Where a workload's rollout stands. `failed` is set when it will not complete by waiting."""

    done: bool
    message: str
    failed: str | None = None


def rollout(target: Target, obj: Mapping[str, Any]) -> Rollout:
    if target.kind == "Deployment":
        return deployment_rollout(obj)
    if target.kind == "StatefulSet":
        return statefulset_rollout(obj)
    return daemonset_rollout(obj)


def deployment_rollout(dep: Mapping[str, Any]) -> Rollout:
    name = meta(dep).get("name")
    spec = dep.get("spec") or {}
    st = dep.get("status") or {}
    if not generation_observed(dep):
        return Rollout(False, "Waiting for deployment spec update to be observed...")
    progressing = next((c for c in st.get("conditions") or () if c.get("type") == "Progressing"), None)
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        why = f'deployment "{name}" exceeded its progress deadline'
        return Rollout(False, why, failed=why + (f": {progressing['message']}" if progressing.get("message") else ""))
    want = _int(spec.get("replicas"), 1)
    updated, replicas = _int(st.get("updatedReplicas")), _int(st.get("replicas"))
    available = _int(st.get("availableReplicas"))
    paused = " (the deployment is paused: `kubectl rollout resume` it)" if spec.get("paused") else ""
    head = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < want:
        return Rollout(False, f"{head}{updated} out of {want} new replicas have been updated...{paused}")
    if replicas > updated:
        return Rollout(False, f"{head}{replicas - updated} old replicas are pending termination...{paused}")
    if available < updated:
        return Rollout(False, f"{head}{available} of {updated} updated replicas are available...")
    return Rollout(True, f'deployment "{name}" successfully rolled out')


def statefulset_rollout(sts: Mapping[str, Any]) -> Rollout:
    name = meta(sts).get("name")
    spec = sts.get("spec") or {}
    st = sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if _int(st.get("observedGeneration")) == 0 or not generation_observed(sts):
        return Rollout(False, "Waiting for statefulset spec update to be observed...")
    want = _int(spec.get("replicas"), 1)
    ready = _int(st.get("readyReplicas"))
    if ready < want:
        return Rollout(False, f"Waiting for {want - ready} pods to be ready...")
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        # OnDelete: pods change only when someone deletes them; Ready is all there is to wait for.
        return Rollout(True, f'statefulset "{name}": {ready} pods ready (OnDelete: pods update only when deleted)')
    partition = (strategy.get("rollingUpdate") or {}).get("partition")
    updated = _int(st.get("updatedReplicas"))
    if partition is not None:
        if updated < want - _int(partition):
            return Rollout(False, f"Waiting for partitioned roll out to finish: {updated} out of "
                                  f"{want - _int(partition)} new pods have been updated...")
        return Rollout(True, f"partitioned roll out complete: {updated} new pods have been updated...")
    if st.get("updateRevision") != st.get("currentRevision"):
        return Rollout(False, f"waiting for statefulset rolling update to complete {updated} pods at revision "
                              f"{st.get('updateRevision')}...")
    return Rollout(True, f"statefulset rolling update complete {_int(st.get('currentReplicas'))} pods at revision "
                         f"{st.get('currentRevision')}...")


def daemonset_rollout(ds: Mapping[str, Any]) -> Rollout:
    name = meta(ds).get("name")
    spec = ds.get("spec") or {}
    st = ds.get("status") or {}
    if not generation_observed(ds):
        return Rollout(False, "Waiting for daemon set spec update to be observed...")
    desired = _int(st.get("desiredNumberScheduled"))
    available = _int(st.get("numberAvailable"))
    if (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate":
        updated = _int(st.get("updatedNumberScheduled"))
        if updated < desired:
            return Rollout(False, f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
                                  "new pods have been updated...")
    if available < desired:
        return Rollout(False, f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
                              "updated pods are available...")
    return Rollout(True, f'daemon set "{name}" successfully rolled out')


# -- the current revision's pods ----------------------------------------------------------------------


def current_replicaset(dep: Mapping[str, Any], replicasets: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The Deployment's new ReplicaSet: the one carrying the Deployment's revision number.

    None until the controller has observed the Deployment's spec: before that the revision
    annotation still names the previous ReplicaSet, whose pods are the ones being replaced.
    """
    if not generation_observed(dep):
        return None
    uid = meta(dep).get("uid")
    owned = [rs for rs in replicasets if controller_uid(rs) == uid]
    revision = (meta(dep).get("annotations") or {}).get(REVISION)
    if revision is not None:
        return next((rs for rs in owned if (meta(rs).get("annotations") or {}).get(REVISION) == revision), None)
    # A controller that writes no revision annotation: the newest ReplicaSet is the current one.
    return max(owned, key=lambda rs: str(meta(rs).get("creationTimestamp") or ""), default=None)


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool(meta(pod).get("deletionTimestamp"))


def split_pods(target: Target, obj: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]],
               pods: Iterable[Obj]) -> tuple[list[Obj], list[Obj]]:
    """(pods of the current revision, pods of older revisions still running); terminating pods are in neither."""
    uid = meta(obj).get("uid")
    current: list[Obj] = []
    old: list[Obj] = []
    if target.kind == "Deployment":
        rs_uids = {meta(rs).get("uid") for rs in replicasets if controller_uid(rs) == uid}
        new = current_replicaset(obj, replicasets)
        new_uid = meta(new).get("uid") if new is not None else None
        for p in pods:
            owner = controller_uid(p)
            if is_terminating(p) or owner not in rs_uids:
                continue
            (current if owner == new_uid else old).append(p)
        return current, old
    observed = generation_observed(obj)
    if target.kind == "StatefulSet":
        key, want = STS_REVISION, (obj.get("status") or {}).get("updateRevision")
    else:
        key, want = DS_GENERATION, str(meta(obj).get("generation") or "")
    for p in pods:
        if is_terminating(p) or controller_uid(p) != uid:
            continue
        have = (meta(p).get("labels") or {}).get(key)
        if observed and (not want or have is None or have == want):
            current.append(p)
        else:
            old.append(p)
    return current, old


def split_selected(pods: Iterable[Obj], replicasets: Iterable[Mapping[str, Any]]) -> tuple[list[Obj], list[Obj]]:
    """For `-l SELECTOR`: every matching pod, except those of a ReplicaSet its Deployment has superseded.

    Those old-revision pods are on their way out (often they crash-loop: that is why the fix was
    applied), so they count as old, not as failures.
    """
    latest: dict[str, int] = {}  # deployment uid -> newest revision among its ReplicaSets
    revision_of: dict[str, tuple[str, int]] = {}  # replicaset uid -> (deployment uid, revision)
    for rs in replicasets:
        dep_uid = controller_uid(rs)
        rev = _int((meta(rs).get("annotations") or {}).get(REVISION), -1)
        if dep_uid is None or rev < 0:
            continue
        revision_of[str(meta(rs).get("uid"))] = (dep_uid, rev)
        latest[dep_uid] = max(latest.get(dep_uid, rev), rev)
    current: list[Obj] = []
    old: list[Obj] = []
    for p in pods:
        if is_terminating(p):
            continue
        found = revision_of.get(controller_uid(p) or "")
        (old if found is not None and found[1] < latest[found[0]] else current).append(p)
    return current, old
