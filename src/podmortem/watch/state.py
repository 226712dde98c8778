"""What a pod's own status says about it: the failing state that starts a diagnosis, readiness, owner.

Pure functions over the raw API object (a dict): the watcher sees every update of every pod, so
building the full evidence model for each one would cost more than the rest of the pipeline.

The failing states and who writes them:
- `CrashLoopBackOff`: the kubelet's back-off error (kubernetes pkg/kubelet/container/sync_result.go,
  `ErrCrashLoopBackOff`), a container's `state.waiting.reason`; for an init container kubectl
  prints `Init:CrashLoopBackOff` (pkg/printers/internalversion/printers.go, printPod).
- `ImagePullBackOff` (pkg/kubelet/images/types.go `ErrImagePullBackOff`); `ErrImagePull` alone is
  the first failed attempt and not yet a state worth an incident.
- `CreateContainerConfigError` (pkg/kubelet/kuberuntime/kuberuntime_container.go
  `ErrCreateContainerConfig`): a missing ConfigMap/Secret or key, runAsNonRoot checks.
- `OOMKilled`: a container's `lastState`/`state.terminated.reason` set by the runtime
  (containerd internal/cri/server: `oomExitReason`; CRI-O sets the same word).
- `StartError`: containerd's `terminated.reason` when the process could not be started
  (internal/cri/server/container_start.go `errorStartReason`).
- `Evicted`: the pod's `status.reason` set by the kubelet's eviction manager
  (pkg/kubelet/eviction/helpers.go `Reason = "Evicted"`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = Mapping[str, Any]

WAITING_FAILURES = ("CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError")
TERMINATED_FAILURES = ("OOMKilled", "StartError")
POD_FAILURES = ("Evicted",)
ALL_STATES = ("CrashLoopBackOff", "Init:CrashLoopBackOff", "ImagePullBackOff", "Init:ImagePullBackOff",
              "CreateContainerConfigError", "Init:CreateContainerConfigError", "OOMKilled", "Init:OOMKilled",
              "StartError", "Init:StartError", "Evicted")


def _container_state(st: Obj) -> str | None:
    state = st.get("state") or {}
    waiting = state.get("waiting") or {}
    if waiting.get("reason") in WAITING_FAILURES:
        return str(waiting["reason"])
    term = state.get("terminated") or {}
    if term.get("reason") in TERMINATED_FAILURES:
        return str(term["reason"])
    last = (st.get("lastState") or {}).get("terminated") or {}
    # An OOM kill or a start error of the last instance counts while the container has not run well
    # since: waiting to restart, or running but not (yet) ready.
    if last.get("reason") in TERMINATED_FAILURES and (waiting or not st.get("ready")):
        return str(last["reason"])
    return None


def failing_state(pod: Obj) -> str | None:
    """The failing state the pod is in now, in kubectl's words, or None."""
    status = pod.get("status") or {}
    if status.get("reason") in POD_FAILURES:
        return str(status["reason"])
    if status.get("phase") == "Succeeded":
        return None
    for st in status.get("initContainerStatuses") or ():
        found = _container_state(st)
        if found is not None:
            return "Init:" + found
    for st in status.get("containerStatuses") or ():
        found = _container_state(st)
        if found is not None:
            return found
    return None


def is_ready(pod: Obj) -> bool:
    """Ready (the Ready condition) or finished successfully: nothing left to resolve."""
    status = pod.get("status") or {}
    if status.get("phase") == "Succeeded":
        return True
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


def controller_ref(pod: Obj) -> tuple[str, str] | None:
    """(kind, name) of the pod's controller (ownerReferences with controller: true, else the first)."""
    chosen = None
    for r in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if r.get("kind") and r.get("name"):
            chosen = (str(r["kind"]), str(r["name"]))
            if r.get("controller"):
                break
    return chosen


def revision_of(pod: Obj) -> str | None:
    """The pod template revision the pod was made from, as its controller labels it.

    Deployments label pods `pod-template-hash` (pkg/controller/deployment/util), StatefulSets and
    DaemonSets `controller-revision-hash` (pkg/controller/history). Jobs have no revision.
    """
    labels = (pod.get("metadata") or {}).get("labels") or {}
    value = labels.get("pod-template-hash") or labels.get("controller-revision-hash")
    return str(value) if value else None


def top_owner_guess(pod: Obj) -> tuple[str, str] | None:
    """The pod's top-level owner from the pod alone, when the controllers' naming makes it certain.

    The Deployment controller names a ReplicaSet `<deployment>-<pod-template-hash>` and labels its
    pods with that hash (pkg/controller/deployment/sync.go), so a pod whose ReplicaSet name is its
    hash label with a prefix belongs to the Deployment named by the prefix. Anything else (a Job's
    CronJob) needs the controller object, which the watcher reads once per controller.
    """
    ctl = controller_ref(pod)
    if ctl is None:
        return None
    kind, name = ctl
    if kind == "ReplicaSet":
        h = ((pod.get("metadata") or {}).get("labels") or {}).get("pod-template-hash")
        if h and name.endswith("-" + str(h)) and len(name) > len(str(h)) + 1:
            return ("Deployment", name[: -len(str(h)) - 1])
        return None
    if kind == "Job":
        return None
    return ctl
