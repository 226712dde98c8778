"""The shipped RBAC is read-only, minimal, covers every call podmortem makes, and the no-Secrets role has none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fakeapi import FakeCluster, Fault

from podmortem.live.client import connect
from podmortem.live.collect import Collector, Scope

RBAC = Path(__file__).parents[2] / "deploy" / "rbac"
READ_VERBS = {"get", "list", "watch"}


def rules(name: str) -> list[dict[str, Any]]:
    doc = yaml.safe_load((RBAC / name).read_text())
    return list(doc["rules"])


def allowed(rs: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(g, r, v) for rule in rs for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


@pytest.mark.parametrize("name", ["clusterrole.yaml", "role-namespaced-no-secrets.yaml", "role-gate.yaml"])
def test_read_only_and_explained(name: str) -> None:
    text = (RBAC / name).read_text()
    rs = rules(name)
    assert all(set(r["verbs"]) <= READ_VERBS for r in rs)
    assert all("*" not in r["resources"] + r["verbs"] + r["apiGroups"] for r in rs)
    # a comment saying why precedes every rule
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("- apiGroups:"):
            assert lines[i - 1].strip().startswith("#"), f"rule at line {i + 1} of {name} has no reason"


def test_namespaced_role_grants_no_secrets() -> None:
    doc = yaml.safe_load((RBAC / "role-namespaced-no-secrets.yaml").read_text())
    assert doc["kind"] == "Role"
    assert not any("secrets" in r["resources"] for r in doc["rules"])


def test_cluster_role_covers_every_call_made(kubeconfig: Path) -> None:
    client = connect(str(kubeconfig))
    Collector(client).collect(Scope(None))
    needed = client.calls
    assert {r for _, r, _ in needed} >= {"pods", "pods/log", "events", "secrets", "replicasets"}
    assert needed <= allowed(rules("clusterrole.yaml"))


def test_namespaced_role_covers_every_call_but_secrets(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/secrets/", code=403, times=100))  # what the API answers under that role
    client = connect(str(kubeconfig))
    col = Collector(client).collect(Scope("shop"))
    assert [m.resource for m in col.missing_rbac] == ["secrets"]
    assert {c for c in client.calls if c[1] != "secrets"} <= allowed(rules("role-namespaced-no-secrets.yaml"))
