"""deploy/watch: `kubectl apply -k` against the simulator succeeds, and `podmortem lint` finds no error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from podmortem.sim.cluster import SimCluster

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "watch"


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs the real kubectl")
def test_kubectl_apply_k_deploy_watch(sim: tuple[SimCluster, str]) -> None:
    cluster, kubeconfig = sim
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    p = subprocess.run(["kubectl", "apply", "-k", str(DEPLOY)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "deployment.apps/podmortem-watch created" in p.stdout
    [dep] = [d for d in cluster.objects("deployments") if d["metadata"]["name"] == "podmortem-watch"]
    assert dep["metadata"]["namespace"] == "podmortem" and dep["spec"]["replicas"] == 2
    assert "--all-namespaces" in dep["spec"]["template"]["spec"]["containers"][0]["args"]
    [role] = [r for r in cluster.objects("clusterroles") if r["metadata"]["name"] == "podmortem-watch"]
    verbs = {(g, res): set(rule["verbs"]) for rule in role["rules"] for g in rule["apiGroups"] for res in rule["resources"]}
    assert verbs[("", "pods")] == {"get", "list", "watch"}
    assert verbs[("events.k8s.io", "events")] == {"create", "patch", "list"}
    assert ("", "secrets") not in verbs  # least privilege: no Secret is read by default
    again = subprocess.run(["kubectl", "apply", "-k", str(DEPLOY)], capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("folder", ["", "namespaced"])
def test_lint_finds_no_error(folder: str) -> None:
    target = DEPLOY / folder if folder else DEPLOY
    p = subprocess.run([sys.executable, "-m", "podmortem", "lint", str(target)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 0 errors" in p.stdout or "no problems found" in p.stdout
