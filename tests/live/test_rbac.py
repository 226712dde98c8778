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


@pytest.mark.parametrize("name", ["clusterrole.yaml", "role-namespaced-no-secrets.yaml", "role-gate.yaml",
                                  "clusterrole-secret-keys.yaml"])
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


@pytest.mark.parametrize("name", ["clusterrole.yaml", "role-namespaced-no-secrets.yaml", "role-gate.yaml"])
def test_default_roles_grant_no_secrets(name: str) -> None:
    assert not [r for r in rules(name) if "secrets" in r["resources"]]


@pytest.mark.parametrize("name", ["clusterrole.yaml", "role-namespaced-no-secrets.yaml"])
def test_no_watch_for_commands_that_do_not_watch(name: str) -> None:
    assert not {v for r in rules(name) for v in r["verbs"]} & {"watch"}


def test_secret_keys_role_is_get_secrets_only_and_says_what_it_reads() -> None:
    assert allowed(rules("clusterrole-secret-keys.yaml")) == {("", "secrets", "get")}
    text = (RBAC / "clusterrole-secret-keys.yaml").read_text()
    assert "--secret-keys" in text and "VALUES INCLUDED" in text


def test_default_run_asks_for_no_secret_and_is_covered(kubeconfig: Path, cluster: FakeCluster) -> None:
    client = connect(str(kubeconfig))
    col = Collector(client).collect(Scope(None))
    assert not [c for c in client.calls if c[1] == "secrets"]
    assert not [q for q in cluster.queries if "/secrets/" in q]
    assert {r for _, r, _ in client.calls} >= {"pods", "pods/log", "events", "replicasets"}
    assert client.calls <= allowed(rules("clusterrole.yaml"))
    assert col.config_refs[("secret", "shop", "db")].exists is None  # not checked, and it says so:
    assert any("1 Secret referenced by failing pods not checked (shop/db)" in w for w in col.warnings)


def test_secret_keys_run_is_covered_by_the_opt_in_role(kubeconfig: Path) -> None:
    client = connect(str(kubeconfig))
    col = Collector(client, secret_keys=True).collect(Scope(None))
    assert ("", "secrets", "get") in client.calls
    assert client.calls <= allowed(rules("clusterrole.yaml")) | allowed(rules("clusterrole-secret-keys.yaml"))
    assert col.config_refs[("secret", "shop", "db")].keys == ("pass", "username")


def test_namespaced_role_covers_every_call(kubeconfig: Path, cluster: FakeCluster) -> None:
    client = connect(str(kubeconfig))
    col = Collector(client).collect(Scope("shop"))
    assert col.missing_rbac == []
    assert client.calls <= allowed(rules("role-namespaced-no-secrets.yaml"))


def test_secret_keys_without_the_role_completes_and_says_so(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/secrets/", code=403, times=100))  # what the API answers without the role
    client = connect(str(kubeconfig))
    col = Collector(client, secret_keys=True).collect(Scope("shop"))
    assert [m.resource for m in col.missing_rbac] == ["secrets"]
    assert "clusterrole-secret-keys.yaml" in col.missing_rbac[0].line()
    assert col.config_refs[("secret", "shop", "db")].why_unknown == "missing RBAC: get secrets"


def test_against_the_simulator_with_secrets_forbidden(tmp_path: Path) -> None:
    """The simulator refuses Secrets as the API server does under the default roles (403 with the RBAC
    message): without --secret-keys no Secret is asked for and the report names what was not checked;
    with it the run completes and reports the missing permission. Values never appear."""
    import subprocess
    import sys

    from podmortem.sim.cluster import SimCluster, SimOptions
    from podmortem.sim.faults import parse_fault

    docs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pay"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "pay"},
         "data": {"user": "YWRtaW4="}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ledger", "namespace": "pay"},
         "spec": {"containers": [{"name": "app", "image": "registry.example.com/pay/ledger:3",
                                  "env": [{"name": "DB_PASSWORD",
                                           "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}},
    ]
    with SimCluster(SimOptions(faults=[parse_fault("forbidden:resource=secrets")]), docs=docs) as cluster:
        kc = cluster.write_kubeconfig(tmp_path / "kc", namespace="pay")
        runs = {flag: subprocess.run([sys.executable, "-m", "podmortem", "diagnose", "-n", "pay", "--kubeconfig", kc,
                                      "--no-color", *flag], capture_output=True, text=True, timeout=60)
                for flag in ((), ("--secret-keys",))}
    default, opted = runs[()], runs[("--secret-keys",)]
    for p in (default, opted):
        assert p.returncode == 1, p.stderr
        assert "config.key-missing" in p.stdout  # named from the kubelet's own message either way
        assert "YWRtaW4=" not in p.stdout + p.stderr and "Traceback" not in p.stderr
    # Notes are wrapped at the terminal's width: compare words, not line breaks.
    assert "1 Secret referenced by failing pods not checked (pay/db): pass --secret-keys" in " ".join(
        default.stdout.split())
    assert "missing RBAC" not in default.stdout
    assert "missing RBAC: get secrets in namespace pay" in opted.stdout
