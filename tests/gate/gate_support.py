"""Helpers for the gate tests: a simulated cluster handle, a gate run's result, and manifests.

The simulator runs SPEED virtual seconds per wall second, so a rollout whose pods need a minute to
turn Ready takes two seconds of a test, while the gate measures its timeout, grace and settle
times on the wall clock as it does in CI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podmortem.sim import SimCluster

SPEED = 30.0  # virtual seconds per wall second


@dataclass
class GateRun:
    code: int
    out: str
    err: str
    seconds: float

    def json(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.out)
        return doc


@dataclass
class Sim:
    cluster: SimCluster
    kubeconfig: str

    def apply(self, *docs: Mapping[str, Any]) -> None:
        """Create or update objects now, as `kubectl apply` would."""
        c = self.cluster
        with c.lock:
            c.sync()
            for doc in docs:
                c.apply_manifest(doc, c.sim_time)
            c.flush()


# -- manifests ----------------------------------------------------------------------------------------


def profile(**fields: Any) -> str:
    """A container behaviour profile (docs/sim.md) as the annotation's YAML."""
    import yaml

    return str(yaml.safe_dump(fields, sort_keys=False))


def deployment(name: str = "web", *, replicas: int = 2, profiles: Mapping[str, str] | None = None,
               container: Mapping[str, Any] | None = None, init: Mapping[str, Any] | None = None,
               labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    labels = dict(labels or {"app": name})
    app: dict[str, Any] = {"name": "app", "image": f"registry.example.com/shop/{name}:1.0",
                           "ports": [{"containerPort": 8080}]}
    app.update(container or {})
    spec: dict[str, Any] = {"containers": [app]}
    if init is not None:
        spec["initContainers"] = [dict(init)]
    annotations = {f"sim.podmortem.dev/profile.{c}": p for c, p in (profiles or {}).items()}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}}}


READINESS = {"readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}}
