"""Plainly healthy pods, recognised on the raw API object before any evidence is built.

Most pods of a `kubectl get pods -A -o json` are running and ready, and nothing about them needs
the evidence model: the diagnosis of such a pod is its name, owner and "Running". Building the
full evidence (specs, statuses, the redaction boundary) for each one costs more than parsing it,
so the offline and live sources test the raw object first and keep only a `PlainPod` summary.

The test is deliberately narrower than the engine's `looks_healthy`: every container listed in
the spec has a status that is running and ready, never restarted, with no last state; no init
containers; phase Running without a reason; every condition True. Anything else (a restart long
ago, a waiting reason, a sidecar, a pasted fragment) takes the full path. A test compares the two
paths over every fixture and generated pod, so the shortcut cannot change a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from podmortem.kube.owners import controlling_owner, owner_refs
from podmortem.kube.times import parse_rfc3339

if TYPE_CHECKING:  # a big list's reading makes thousands of these without building a diagnosis
    from podmortem.model import PodDiagnosis


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, 0.45 us a pod
# more, and a big list's reading makes one for nine pods in ten (nothing changes one once made).
@dataclass(slots=True)
class PlainPod:
    """What a report says about a plainly healthy pod, taken from its raw object."""

    name: str
    namespace: str | None
    owner: str | None  # "Kind/name" of the controlling owner, as the engine writes it
    times: tuple[datetime, ...] = ()  # container start times (for the input's latest timestamp)
    has_events: bool = False  # events were supplied (none of them about this pod)

    STATUS: ClassVar[str] = "Running"

    @property
    def missing(self) -> tuple[str, ...]:
        """The evidence its report lacks: logs, and events unless some were supplied."""
        return ("logs",) if self.has_events else ("logs", "events")

    def diagnosis(self) -> PodDiagnosis:
        """What engine.diagnose gives for this pod's full evidence: running, nothing found, no
        back-off, logs (and events unless supplied) missing. Here, so that a report of healthy pods
        alone never loads the rules."""
        from podmortem.model import PodDiagnosis

        return PodDiagnosis(self.namespace, self.name, self.STATUS, (), (), self.owner, self.missing)


def is_plainly_healthy(raw_pod: Any) -> bool:
    """True when the raw Pod object shows nothing worth diagnosing: every spec container running,
    ready and never restarted, no last state, no init containers, phase Running without a reason,
    every condition True. Such a pod's diagnosis needs no evidence (see `plain_pod`)."""
    if type(raw_pod) is not dict:
        return False
    meta, spec, status = raw_pod.get("metadata"), raw_pod.get("spec"), raw_pod.get("status")
    if type(meta) is not dict or type(spec) is not dict or type(status) is not dict:
        return False
    if not isinstance(meta.get("name"), str) or not isinstance(meta.get("namespace"), str | None):
        return False
    if status.get("phase") != "Running" or status.get("reason") or spec.get("initContainers") \
            or status.get("initContainerStatuses"):
        return False
    containers, statuses = spec.get("containers"), status.get("containerStatuses")
    if type(containers) is not list or type(statuses) is not list or not containers \
            or len(containers) != len(statuses):
        return False
    names = set()
    for st in statuses:
        if type(st) is not dict or st.get("ready") is not True or st.get("restartCount") != 0 \
                or type(st.get("restartCount")) is not int or st.get("lastState") not in (None, {}):
            return False
        state = st.get("state")
        if type(state) is not dict or len(state) != 1 or type(state.get("running")) is not dict:
            return False
        name = st.get("name")
        if type(name) is not str:  # a workload's object can hold anything; a list would not even hash
            return False
        names.add(name)
    if len(names) != len(statuses) or not all(type(c) is dict and type(c.get("name")) is str and c["name"] in names
                                               for c in containers):
        return False
    conditions = status.get("conditions")
    if conditions is not None:
        if type(conditions) is not list:
            return False
        for c in conditions:
            if type(c) is not dict or c.get("status") != "True":
                return False
    return True


def plain_pod(raw_pod: Any, *, has_events: bool = False, with_times: bool = True) -> PlainPod | None:
    """The summary of a plainly healthy pod; None when the pod needs the full evidence. `with_times`
    False leaves `times` empty, for a caller that knows the moment already (a live cluster's list)."""
    if not is_plainly_healthy(raw_pod):
        return None
    meta = raw_pod["metadata"]
    chosen = controlling_owner(owner_refs(meta.get("ownerReferences")))
    owner = f"{chosen[0]}/{chosen[1]}" if chosen is not None else None
    times = []
    for st in raw_pod["status"]["containerStatuses"] if with_times else ():
        t = parse_rfc3339(st["state"]["running"].get("startedAt"))
        if t is not None:
            times.append(t)
    return PlainPod(meta["name"], meta.get("namespace"), owner, tuple(times), has_events)
