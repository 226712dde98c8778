"""`lint` on the simulator's default scenario finds, before anything runs, every crash loop a manifest reveals.

Each failing workload of the scenario names its intended cause (annotation
`sim.podmortem.dev/expected-cause`); the diagnosis of the running pods is checked against the
same annotation in tests/live/test_sim_e2e.py. Here the manifests alone are linted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml

from podmortem.lint import lint_sources, read_sources
from podmortem.sim.scenario import default_scenario_path

EXPECTED = "sim.podmortem.dev/expected-cause"

# Causes the manifest cannot show: they live in the image or its code, in what the app does at
# run time, or on the node (e.g. a custom image's missing module, an unreachable Service that the
# app dials, a CPU architecture, a tag deleted from the registry, memory growth under a limit).
# Every other failing workload must be caught by a lint finding naming its cause.
NOT_IN_THE_MANIFEST = {
    "Deployment/billing-api": "a custom image requires an env var the manifest cannot know of",
    "Deployment/checkout": "an exception in the app's code",
    "Deployment/edge-proxy": "the image is built for another CPU architecture",
    "Deployment/fraud-detector": "the CSI driver is not installed on the nodes",
    "Deployment/image-resizer": "memory use grows past a limit that is set",
    "Deployment/orders": "the app dials a Service that has no endpoints",
    "Deployment/profile-service": "the app dials a host name that does not resolve",
    "Deployment/recommendations": "the tag does not exist in the registry",
    "Deployment/reports": "the app reads a file the mounted ConfigMap does not hold under that name",
    "Deployment/search-indexer": "the image has no `indexer` executable",
    "Deployment/storefront": "the image lacks a module the code imports",
    "Job/invoice-export": "an exception in the app's code",
    "Pod/cache-warmer": "the node runs out of memory",
    "Pod/thumbnail-backfill": "memory use grows past a limit that is set",
}
# A broken ConfigMap is found on the ConfigMap itself, which the workload mounts.
FOUND_ON = {"Deployment/catalog": "ConfigMap/catalog-config"}


def _expected() -> dict[str, str]:
    out = {}
    for path in sorted(default_scenario_path().glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            meta: dict[str, Any] = doc.get("metadata") or {}
            template = ((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}
            cause = (meta.get("annotations") or {}).get(EXPECTED) or (template.get("annotations") or {}).get(EXPECTED)
            if cause:
                out[f"{doc['kind']}/{meta['name']}"] = cause
    return out


def test_lint_reveals_every_crash_loop_a_manifest_can_show() -> None:
    expected = _expected()
    assert len(expected) >= 20, "the default scenario should have a failing workload per cause id"
    report = lint_sources(read_sources([str(default_scenario_path())]))
    found: dict[str, set[str]] = defaultdict(set)
    for f in report.findings:
        found[f.object].add(f.cause)
    missed = {
        obj: cause for obj, cause in expected.items()
        if obj not in NOT_IN_THE_MANIFEST and cause not in found.get(FOUND_ON.get(obj, obj), set())
    }
    assert not missed, f"lint did not reveal: {missed}"
    stale = set(NOT_IN_THE_MANIFEST) - set(expected)
    assert not stale, f"no longer failing workloads in the scenario: {stale}"


def test_healthy_workloads_of_the_scenario_get_no_error() -> None:
    expected = _expected()
    report = lint_sources(read_sources([str(default_scenario_path())]))
    errors = {f.object for f in report.findings if f.severity == "error"}
    targets = set(expected) | set(FOUND_ON.values())
    assert errors <= targets, f"errors on workloads the scenario says are healthy: {errors - targets}"
