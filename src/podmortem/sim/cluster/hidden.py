"""The simulator's own annotations, kept off the API: profiles, expected causes, node conditions.

A scenario writes `sim.podmortem.dev/...` annotations on ordinary manifests (docs/sim.md). They are
the answer a tool should find by diagnosing, so the API server never serves them: on every write
they are taken off the object (and out of kubectl's last-applied-configuration) into `Hidden`,
keyed by the object's uid, and real pods show `Annotations: <none>` as in a real cluster. A pod
created by a controller inherits what its owner's template carried when it was created, the way
it would have inherited the annotations. Tests and tools that need the answer read it from
`SimCluster.expectations()` or the sim-only `/sim.podmortem.dev/v1/expectations` path.

Imports only `options` from the cluster package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from podmortem.sim.cluster.options import LAST_APPLIED

SIM_PREFIX = "sim.podmortem.dev/"


def take_sim_annotations(meta: dict[str, Any]) -> dict[str, str]:
    """Remove the simulator's annotations from an object's metadata (in place) and return them."""
    ann = meta.get("annotations")
    if not isinstance(ann, dict) or not ann:
        return {}
    sim = {str(k): str(v) for k, v in ann.items() if str(k).startswith(SIM_PREFIX)}
    rest = {k: v for k, v in ann.items() if not str(k).startswith(SIM_PREFIX)}
    last = rest.get(LAST_APPLIED)
    if isinstance(last, str) and SIM_PREFIX in last:
        rest[LAST_APPLIED] = _scrub_last_applied(last)
    if rest:
        meta["annotations"] = rest
    else:
        meta.pop("annotations", None)
    return sim


def _scrub_last_applied(text: str) -> str:
    """kubectl's record of the applied manifest, without the simulator's annotations."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(doc, dict):
        return text
    for meta in (doc.get("metadata"), ((doc.get("spec") or {}).get("template") or {}).get("metadata")):
        if isinstance(meta, dict):
            take_sim_annotations(meta)
    return orjson.dumps(doc).decode() + "\n"


def template_meta(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod template's metadata of a workload, when it has one."""
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    meta = template.get("metadata") if isinstance(template, dict) else None
    return meta if isinstance(meta, dict) else None


class Hidden:
    """The simulator's annotations of each object (by uid) and of each workload's pod template."""

    def __init__(self) -> None:
        self.meta: dict[str, dict[str, str]] = {}
        self.template: dict[str, dict[str, str]] = {}

    def of(self, uid: str) -> dict[str, str]:
        return self.meta.get(uid, {})

    def of_template(self, uid: str | None) -> dict[str, str]:
        return self.template.get(uid, {}) if uid else {}

    def record(self, uid: str, meta: Mapping[str, str] | None, template: Mapping[str, str] | None) -> None:
        """Remember what a write carried; a write without any keeps what an earlier one did (`set image`)."""
        if meta:
            self.meta[uid] = {**self.meta.get(uid, {}), **meta}
        if template:
            self.template[uid] = dict(template)

    def forget(self, uid: str) -> None:
        self.meta.pop(uid, None)
        self.template.pop(uid, None)
