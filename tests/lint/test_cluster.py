"""`lint --cluster` against `podmortem sim serve` over real HTTP: references resolved against the
live cluster, Secrets read by name only (the requests the simulator logged are inspected), and
RBAC refusals noted rather than fatal. Without --cluster nothing is sent anywhere."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PODMORTEM = [sys.executable, "-m", "podmortem"]

# What the cluster already has: namespace shop with a ConfigMap (two keys), a Secret, a
# ServiceAccount. The manifests below reference them without defining them.
SCENARIO = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-settings
  namespace: shop
data:
  DB_HOST: db.shop.svc
  app.yaml: "port: 8080"
---
apiVersion: v1
kind: Secret
metadata:
  name: shop-db
  namespace: shop
stringData:
  password: hunter2-never-requested
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop-api
  namespace: shop
"""

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-only
data:
  x: "1"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: local-account
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: shop-api
      containers:
        - name: api
          image: registry.example.com/shop/api:1.4.2
          args: ["--config=/etc/shop/app.yaml", "--extra=/etc/shop/extra.yaml"]
          env:
            - name: DB_HOST
              valueFrom:
                configMapKeyRef: {name: shop-settings, key: DB_HOST}
            - name: CACHE_HOST
              valueFrom:
                configMapKeyRef: {name: shop-settings, key: CACHE_HOST}
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: shop-db, key: password}
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {name: api-token, key: token}
          volumeMounts:
            - {name: settings, mountPath: /etc/shop}
      volumes:
        - name: settings
          configMap: {name: shop-settings}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      serviceAccountName: shop-worker
      containers:
        - name: worker
          image: registry.example.com/shop/worker:1.4.2
          envFrom:
            - configMapRef: {name: worker-settings}
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    folder = tmp_path_factory.mktemp("lint-cluster")
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO)
    kubeconfig = folder / "kubeconfig"
    log = folder / "requests.log"
    env = {**os.environ, "PODMORTEM_SIM_LOG": "1"}
    with open(log, "w") as err:
        proc = subprocess.Popen([*PODMORTEM, "sim", "serve", "--port", "0", "--scenario", str(scenario),
                                 "--kubeconfig-out", str(kubeconfig)], stdout=subprocess.DEVNULL, stderr=err,
                                text=True, env=env)
        try:
            deadline = time.monotonic() + 60
            while not kubeconfig.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert kubeconfig.exists(), log.read_text()
            yield str(kubeconfig), log, proc
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def lint(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFESTS)
    p = subprocess.run([*PODMORTEM, "lint", str(path), "-o", "json", *args], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "KUBECONFIG": "/nonexistent"})
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr


def _by_check(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        out.setdefault(f["check"], []).append(f)
    return out


def test_offline_the_cluster_objects_are_missing(tmp_path: Path) -> None:
    _, doc, _ = lint(tmp_path)
    found = _by_check(doc)
    names = " ".join(f["message"] for f in found["config-ref-missing"])
    assert "'shop-settings'" in names and "'worker-settings'" in names
    assert {f["severity"] for f in found["config-ref-missing"]} == {"warning"}
    assert "service-account-missing" in found  # shop-api and shop-worker are not in the files


def test_cluster_resolves_what_exists_and_reports_what_does_not(sim: tuple[str, Path, Any], tmp_path: Path) -> None:
    kubeconfig, _, _ = sim
    code, doc, err = lint(tmp_path, "--cluster", "--kubeconfig", kubeconfig, "-n", "shop")
    assert code == 1, err
    found = _by_check(doc)
    refs = {re.search(r"(ConfigMap|Secret) '([^']+)'", f["message"]).group(2): f  # type: ignore[union-attr]
            for f in found.get("config-ref-missing", [])}
    # shop-settings and shop-db exist only in the cluster: no longer reported
    assert "shop-settings" not in refs and "shop-db" not in refs
    # worker-settings and api-token exist nowhere: reported, now as errors, saying where it looked
    assert set(refs) == {"worker-settings", "api-token"}
    assert all(f["severity"] == "error" and "namespace shop of the cluster" in f["message"] for f in refs.values())
    # a key the cluster's ConfigMap lacks is reported; the one it has is not
    keys = found["config-key-missing"]
    assert [k["message"].split("'")[1] for k in keys] == ["CACHE_HOST"]
    assert "DB_HOST" in keys[0]["message"] and "app.yaml" in keys[0]["message"]
    # a path into the mounted ConfigMap of the cluster: the missing file is found, the present one not
    [path] = found["config-path-key-missing"]
    assert "/etc/shop/extra.yaml" in path["message"]
    # ServiceAccounts: the cluster's shop-api exists, shop-worker does not
    [account] = found["service-account-missing"]
    assert "'shop-worker'" in account["message"] and account["severity"] == "error"
    # Secret key names are not read from the cluster: its password key is not judged either way
    assert not any("shop-db" in f["message"] for f in found.get("config-key-missing", []))
    # the simulator serves claims and StorageClasses (kind's default class): nothing to note as unreadable
    assert not any("persistentvolumeclaims" in n or "storageclasses" in n for n in doc.get("notes", [])), doc.get("notes")


def test_secret_values_are_never_requested(sim: tuple[str, Path, Any], tmp_path: Path) -> None:
    kubeconfig, log, _ = sim
    before = log.read_text()
    lint(tmp_path, "--cluster", "--kubeconfig", kubeconfig, "-n", "shop")
    requests = [line for line in log.read_text()[len(before):].splitlines() if '"GET ' in line]
    assert requests, "the simulator logged no request"
    assert all('"GET ' in line for line in requests)
    secrets = [line for line in requests if "/secrets" in line]
    assert secrets, requests
    for line in secrets:
        # a list of the namespace's Secrets as a Table without objects: names only, never an object
        assert re.search(r'"GET /api/v1/namespaces/shop/secrets\?[^ ]*includeObject=None', line), line
        assert "/secrets/" not in line  # never one Secret by name


def test_missing_rbac_is_a_note_not_a_failure(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen([*PODMORTEM, "sim", "serve", "--port", "0", "--scenario", str(scenario),
                             "--kubeconfig-out", str(kubeconfig), "--fault", "forbidden:verb=list,resource=secrets"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not kubeconfig.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        code, doc, err = lint(tmp_path, "--cluster", "--kubeconfig", str(kubeconfig), "-n", "shop")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert code == 1, err
    assert any("missing RBAC: list secrets in namespace shop" in n for n in doc["notes"])
    refs = [f for f in doc["findings"] if f["check"] == "config-ref-missing"]
    # Secrets are judged from the files only, as offline (which define none: not judged at all);
    # ConfigMaps still from the cluster
    assert not any("Secret" in f["message"] for f in refs)
    assert not any("shop-settings" in f["message"] for f in refs)
    assert any("worker-settings" in f["message"] and f["severity"] == "error" for f in refs)


@pytest.mark.parametrize(("args", "message"), [
    (["--context", "x"], "--context: only with --cluster"),
    (["--cluster", "--kubeconfig", "/no/such/kubeconfig"], "no such file"),
])
def test_bad_cluster_flags_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = lint(tmp_path, *args)
    assert code == 2 and message in err, err


def test_node_architectures_against_image_platforms() -> None:
    from podmortem.lint.cluster import ClusterView
    from podmortem.lint.loader import Source
    from podmortem.lint.runner import LintOptions, lint_sources

    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n{selector}  containers:\n"
           "    - name: db\n      image: mcr.microsoft.com/mssql/server:2022-latest\n")

    def run(nodes: list[tuple[str, dict[str, str]]], selector: str = "") -> list[tuple[str, str]]:
        view = ClusterView(None, "default", nodes=nodes)
        report = lint_sources([Source("p.yaml", pod.format(selector=selector))],
                              LintOptions(select=frozenset({"image-architecture-mismatch"}),
                                          cluster=lambda _ns: view))
        return [(f.severity, f.message) for f in report.findings]

    arm = ("arm64", {"kubernetes.io/arch": "arm64", "pool": "arm"})
    amd = ("amd64", {"kubernetes.io/arch": "amd64", "pool": "x86"})
    [(severity, message)] = run([arm])
    assert severity == "error" and "arm64" in message
    [(severity, message)] = run([arm, amd])
    assert severity == "warning" and "some nodes" in message
    assert run([amd]) == []
    assert run([arm, amd], "  nodeSelector: {pool: x86}\n") == []
    assert run([]) == []
