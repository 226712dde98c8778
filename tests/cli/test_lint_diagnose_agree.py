"""`lint` and the diagnosis give the same number for the same probe problem (issue 9 acceptance 2).

The same manifest goes through `podmortem lint -o json` and, as a pod built from its template with the
failure it causes (liveness kills at start, or startup-probe kills), through `podmortem explain -o json`:
both real command paths, as subprocesses. The startupProbe failureThreshold lint advises must be the
one the diagnosis's patch sets, and both must be sure to cover the time they claim
(initialDelaySeconds + (failureThreshold - 1) x periodSeconds, the kubelet's guarantee).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from podmortem.remedy_math import guaranteed_start_seconds

PODMORTEM = [sys.executable, "-m", "podmortem"]


def run(*args: str) -> Any:
    done = subprocess.run([*PODMORTEM, *args, "-o", "json"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def deployment(image: str, probes: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "auth", "namespace": "idp"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "auth"}}, "template": {
                "metadata": {"labels": {"app": "auth"}},
                "spec": {"containers": [{"name": "auth", "image": image,
                                         "ports": [{"containerPort": 8080, "name": "http"}],
                                         "resources": {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}},
                                         **probes}]}}}}


def failing_pod(manifest: dict[str, Any], kind: str, ran_seconds: int) -> list[dict[str, Any]]:
    """The pod the Deployment's template makes, in the crash loop the probe causes, and its events."""
    spec = copy.deepcopy(manifest["spec"]["template"]["spec"])
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "auth-7d9f8c6b5-x2kqz", "namespace": "idp", "labels": {"app": "auth"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "auth-7d9f8c6b5",
                                             "controller": True}]},
           "spec": {**spec, "nodeName": "node-1", "restartPolicy": "Always"},
           "status": {"phase": "Running", "containerStatuses": [{
               "name": "auth", "image": spec["containers"][0]["image"], "ready": False, "restartCount": 6,
               "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed "
                                                                             "container=auth"}},
               "lastState": {"terminated": {"reason": "Error", "exitCode": 143,
                                            "startedAt": "2026-01-15T10:00:00Z",
                                            "finishedAt": f"2026-01-15T10:00:{ran_seconds:02d}Z"}}}]}}
    involved = {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": "idp",
                "fieldPath": "spec.containers{auth}"}

    def event(reason: str, message: str, type_: str = "Warning") -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"e-{reason}", "namespace": "idp"},
                "involvedObject": involved, "reason": reason, "message": message, "type": type_, "count": 6,
                "lastTimestamp": "2026-01-15T10:01:00Z"}

    probe = "Liveness" if kind == "liveness" else "Startup"
    return [pod,
            event("Unhealthy", f'{probe} probe failed: Get "http://10.1.2.3:8080/health": dial tcp 10.1.2.3:8080: '
                               "connect: connection refused"),
            event("Killing", f"Container auth failed {kind} probe, will be restarted", "Normal")]


def lint_threshold(path: Path, check: str) -> int:
    doc = run("lint", str(path))
    fixes = [f["fix"] for f in doc["findings"] if f["check"] == check]
    assert len(fixes) == 1, doc["findings"]
    m = re.search(r"failureThreshold(?::| to) (\d+)", fixes[0])
    assert m, fixes[0]
    return int(m.group(1))


def diagnosed_startup_probe(path: Path) -> dict[str, Any]:
    doc = run("explain", str(path))
    top = doc["pods"][0]["findings"][0]
    assert top["cause"] in ("probes.liveness", "probes.startup"), top["cause"]
    patch = top["remedy"]["patch_object"]
    assert patch is not None, top["remedy"]
    probe: dict[str, Any] = patch["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    return probe


@pytest.mark.parametrize("image", ["quay.io/keycloak/keycloak:24.0", "eclipse-temurin:21-jre"])
def test_liveness_without_startup_probe_same_threshold(tmp_path: Path, image: str) -> None:
    liveness = {"livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10,
                                  "failureThreshold": 3}}
    manifest = deployment(image, liveness)
    (tmp_path / "deploy.yaml").write_text(yaml.safe_dump(manifest))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump_all(failing_pod(manifest, "liveness", 30)))
    linted = lint_threshold(tmp_path / "deploy.yaml", "liveness-without-startup")
    probe = diagnosed_startup_probe(tmp_path / "pod.yaml")
    assert probe["failureThreshold"] == linted
    assert guaranteed_start_seconds(0, linted, probe["periodSeconds"]) >= 2 * 60  # twice a JVM's typical start


def test_short_startup_probe_same_threshold(tmp_path: Path) -> None:
    probes = {"startupProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 5,
                               "failureThreshold": 6},
              "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10}}
    manifest = deployment("quay.io/keycloak/keycloak:24.0", probes)
    (tmp_path / "deploy.yaml").write_text(yaml.safe_dump(manifest))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump_all(failing_pod(manifest, "startup", 30)))
    linted = lint_threshold(tmp_path / "deploy.yaml", "startup-budget-short")
    probe = diagnosed_startup_probe(tmp_path / "pod.yaml")
    assert probe["failureThreshold"] == linted
    assert guaranteed_start_seconds(0, linted, 5) >= 2 * 90  # twice Keycloak's typical start (image_facts.yaml)


def test_memory_limit_same_number(tmp_path: Path) -> None:
    manifest = deployment("eclipse-temurin:21-jre", {})
    manifest["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "128Mi"},
                                                                          "requests": {"memory": "128Mi"}}
    (tmp_path / "deploy.yaml").write_text(yaml.safe_dump(manifest))
    docs = failing_pod(manifest, "liveness", 20)[:1]
    status = docs[0]["status"]["containerStatuses"][0]
    status["lastState"]["terminated"].update({"reason": "OOMKilled", "exitCode": 137})
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump_all(docs))
    lint = run("lint", str(tmp_path / "deploy.yaml"))
    fixes = [f["fix"] for f in lint["findings"] if f["check"] == "memory-below-runtime-floor"]
    assert len(fixes) == 1, lint["findings"]
    linted = re.search(r"Raise the memory limit to (\d+(?:Mi|Gi))", fixes[0])
    assert linted, fixes[0]
    top = run("explain", str(tmp_path / "pod.yaml"))["pods"][0]["findings"][0]
    assert top["cause"] == "resources.oom-killed"
    patched = top["remedy"]["patch_object"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert patched["memory"] == linted.group(1) == "256Mi"  # twice 128Mi, above the JVM's floor
