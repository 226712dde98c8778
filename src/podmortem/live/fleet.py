"""The fleet view: pods of one owner that fail with the same cause become one group.

"12 pods of deployment/api: resources.oom-killed" reads better than twelve identical reports.
The JSON keeps one entry per pod in `pods` (the `explain` contract) and adds `groups`; the
terminal shows each group once, through one representative pod. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podmortem.model import PodDiagnosis

PodKey = tuple[str, str]


@dataclass
class Group:
    namespace: str
    owner: str  # "deployment/api", "statefulset/db", or "pod/name" for a pod without a controller
    cause: str
    container: str | None
    init: bool
    pods: list[str] = field(default_factory=list)
    representative: PodDiagnosis | None = None
    what_changed: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        where = f" (container {self.container}{', init' if self.init else ''})" if self.container else ""
        if len(self.pods) == 1:
            return f"1 pod of {self.owner}: {self.cause}{where}"
        return f"{len(self.pods)} pods of {self.owner}: {self.cause}{where}"

    def as_dict(self) -> dict[str, Any]:
        rep = self.representative
        top = rep.findings[0] if rep and rep.findings else None
        return {
            "namespace": self.namespace,
            "owner": self.owner,
            "cause": str(self.cause),
            "container": self.container,
            "init": self.init,
            "count": len(self.pods),
            "pods": list(self.pods),
            "summary": self.title,
            "finding": top.summary if top else None,
            "representative": rep.name if rep else None,
            "what_changed": self.what_changed,
        }


def owner_label(kind: str, name: str) -> str:
    return f"{kind.lower()}/{name}"


def group_diagnoses(diagnoses: Sequence[PodDiagnosis], owners: Mapping[PodKey, str],
                    what_changed: Mapping[PodKey, dict[str, Any]] | None = None) -> list[Group]:
    """Groups of failing pods by (namespace, owner, root cause, container), largest first.

    owners maps a pod to its top-level owner label (a Deployment rather than its ReplicaSet).
    """
    what_changed = what_changed or {}
    groups: dict[tuple[str, str, str, str | None, bool], Group] = {}
    for d in diagnoses:
        if not d.findings:
            continue
        key_pod = (d.namespace or "", d.name or "")
        top = d.findings[0]
        owner = owners.get(key_pod) or f"pod/{d.name}"
        gkey = (key_pod[0], owner, top.cause, top.container, top.init)
        g = groups.get(gkey)
        if g is None:
            g = groups[gkey] = Group(key_pod[0], owner, top.cause, top.container, top.init)
            g.representative = d
        g.pods.append(d.name or "")
        if g.what_changed is None and key_pod in what_changed:
            g.what_changed = what_changed[key_pod]
    for g in groups.values():
        g.pods.sort()
    return sorted(groups.values(), key=lambda g: (-len(g.pods), g.namespace, g.owner, g.cause))


def pick_representatives(groups: Sequence[Group], diagnoses: Sequence[PodDiagnosis]) -> None:
    """Make each group's representative the member whose top finding quotes the most evidence."""
    by_name = {(d.namespace or "", d.name or ""): d for d in diagnoses}
    for g in groups:
        best = g.representative
        for name in g.pods:
            d = by_name.get((g.namespace, name))
            if d is None or not d.findings or best is None or not best.findings:
                continue
            if (len(d.findings[0].evidence), d.findings[0].confidence) > (len(best.findings[0].evidence),
                                                                          best.findings[0].confidence):
                best = d
        g.representative = best
