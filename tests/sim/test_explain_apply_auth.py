"""`kubectl explain`, `kubectl apply --server-side` and `kubectl auth can-i --list` with the real kubectl.

explain reads the OpenAPI v3 documents (openapi.py), server-side apply sends an apply-patch with a
field manager (serverside.py), `can-i --list` posts a SelfSubjectRulesReview (api.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from podmortem.sim import SimCluster, SimOptions
from podmortem.sim.faults import FaultRule

from .conftest import Kubectl, _kubectl_for

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env: [{name: MODE, value: blue}]
"""


@pytest.fixture(scope="module")
def empty(kubectl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    with SimCluster(SimOptions(), docs=[]) as cluster:
        yield _kubectl_for(cluster, kubectl_binary, tmp_path_factory.mktemp("empty"))


def fields_of(text: str) -> dict[str, str]:
    """FIELDS: name -> <type> from explain's output."""
    out = {}
    section = text.split("FIELDS:", 1)[1] if "FIELDS:" in text else ""
    for line in section.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and "\t" in line:
            name, kind = line.strip().split("\t", 1)
            out[name] = kind.split()[0]
    return out


def test_explain_pod_lists_its_top_level_fields_with_descriptions(empty: Kubectl) -> None:
    text = empty.out("explain", "pod")
    assert "KIND:       Pod" in text and "VERSION:    v1" in text
    assert fields_of(text) == {"apiVersion": "<string>", "kind": "<string>", "metadata": "<ObjectMeta>",
                               "spec": "<PodSpec>", "status": "<Object>"}
    assert "A Pod is a group of containers" in text


def test_explain_pod_spec_and_containers(empty: Kubectl) -> None:
    spec = fields_of(empty.out("explain", "pod.spec"))
    assert spec["containers"] == "<[]Container>" and spec["restartPolicy"] == "<string>"
    assert spec["volumes"] == "<[]Volume>" and spec["terminationGracePeriodSeconds"] == "<integer>"
    text = empty.out("explain", "pods.spec.containers")
    assert "FIELD: containers <[]Container>" in text
    containers = fields_of(text)
    assert {"image", "command", "args", "env", "livenessProbe", "resources", "volumeMounts"} <= set(containers)
    assert containers["livenessProbe"] == "<Probe>"
    assert "name\t<string> -required-" in text
    probe = fields_of(empty.out("explain", "pod.spec.containers.livenessProbe"))
    assert {"httpGet", "exec", "tcpSocket", "grpc", "periodSeconds"} <= set(probe)  # the inline handler's fields


def test_explain_deployment_spec(empty: Kubectl) -> None:
    text = empty.out("explain", "deployment.spec")
    assert "GROUP:      apps" in text and "FIELD: spec <DeploymentSpec>" in text
    spec = fields_of(text)
    assert spec["replicas"] == "<integer>" and spec["template"] == "<PodTemplateSpec>"
    assert "progressDeadlineSeconds" in spec and "ProgressDeadlineExceeded" in text


def test_apply_server_side_creates_updates_and_releases_fields(empty: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    assert empty.out("apply", "--server-side", "-f", str(manifest)).strip() == "deployment.apps/web serverside-applied"
    doc = yaml.safe_load(DEPLOYMENT)
    doc["spec"]["replicas"] = 3
    del doc["metadata"]["labels"]
    doc["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "green"}]
    manifest.write_text(yaml.safe_dump(doc))
    empty.out("apply", "--server-side", "-f", str(manifest))
    live = yaml.safe_load(empty.out("get", "deploy", "web", "-o", "yaml", "--show-managed-fields"))
    assert live["spec"]["replicas"] == 3
    assert "tier" not in (live["metadata"].get("labels") or {})  # applied before, not any more: released
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "green"}]
    [entry] = [m for m in live["metadata"]["managedFields"] if m["manager"] == "kubectl"]
    assert entry["operation"] == "Apply"
    containers = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert set(containers) == {'k:{"name":"web"}'}
    dry = empty.run("apply", "--server-side", "--dry-run=server", "-f", str(manifest))
    assert dry.returncode == 0 and "(server dry run)" in dry.stdout


def test_apply_server_side_needs_a_matching_kind(empty: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n")
    empty.out("apply", "--server-side", "-f", str(manifest))
    assert empty.out("get", "cm", "settings", "-o", "jsonpath={.data.a}") == "1"


def test_auth_can_i_list_shows_the_sims_user_may_do_everything(empty: Kubectl) -> None:
    lines = empty.out("auth", "can-i", "--list").splitlines()
    assert lines[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert lines[1].split() == ["*.*", "[]", "[]", "[*]"]


def test_auth_can_i_list_leaves_out_what_a_forbidden_fault_denies(kubectl_binary: str, tmp_path: Path) -> None:
    rule = FaultRule("forbidden", verb="list", resource="secrets")
    with SimCluster(SimOptions(faults=[rule]), docs=[]) as cluster:
        kubectl = _kubectl_for(cluster, kubectl_binary, tmp_path)
        rows = {line.split()[0]: line[line.rindex("[") + 1:line.rindex("]")].split()
                for line in kubectl.out("auth", "can-i", "--list").splitlines()[1:]
                if line.split() and not line.startswith(" ")}
        assert "list" not in rows["secrets"] and "get" in rows["secrets"]
        assert "list" in rows["pods"] and "*.*" not in rows
        assert kubectl.run("auth", "can-i", "list", "secrets", check=False).stdout.startswith("no")
