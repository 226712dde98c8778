"""Every pod-template-bearing kind is checked the same way: the same defect found at the same place."""

from __future__ import annotations

import pytest

from podmortem.lint.loader import Source
from podmortem.lint.runner import lint_sources

CONTAINER = """\
- name: app
  image: registry.example.com/app:1.0.0
  command: ["/bin/true"]
  resources:
    limits: {memory: 512m}
"""


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def _template(spaces: int, restart: str | None = None) -> str:
    pad = " " * spaces
    policy = f"{pad}    restartPolicy: {restart}\n" if restart else ""
    return (f"{pad}template:\n{pad}  metadata:\n{pad}    labels: {{app: app}}\n{pad}  spec:\n{policy}"
            f"{pad}    containers:\n" + _indent(CONTAINER, spaces + 6))


KINDS = {
    "Deployment": ("apps/v1", "spec:\n  selector: {matchLabels: {app: app}}\n" + _template(2), True),
    "StatefulSet": ("apps/v1", "spec:\n  serviceName: app\n  selector: {matchLabels: {app: app}}\n" + _template(2), True),
    "DaemonSet": ("apps/v1", "spec:\n  selector: {matchLabels: {app: app}}\n" + _template(2), True),
    "ReplicaSet": ("apps/v1", "spec:\n  selector: {matchLabels: {app: app}}\n" + _template(2), True),
    "ReplicationController": ("v1", "spec:\n  selector: {app: app}\n" + _template(2), True),
    "DeploymentConfig": ("apps.openshift.io/v1", "spec:\n  replicas: 1\n  selector: {app: app}\n" + _template(2), True),
    "Rollout": ("argoproj.io/v1alpha1",
                "spec:\n  selector: {matchLabels: {app: app}}\n  strategy: {canary: {steps: [{setWeight: 20}]}}\n"
                + _template(2), True),
    "Job": ("batch/v1", "spec:\n" + _template(2, "Never"), False),
    "CronJob": ("batch/v1", "spec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n" + _template(6, "OnFailure"),
                False),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_is_checked_like_a_deployment(kind: str) -> None:
    api_version, spec, long_running = KINDS[kind]
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: app\n{spec}"
    report = lint_sources([Source("k.yaml", text)])
    assert report.workloads == 1, text
    lines = text.splitlines()
    by_check = {f.check: f for f in report.findings}
    quantity = by_check["memory-quantity-suspicious"]
    assert "512m" in lines[quantity.line - 1] and quantity.object == f"{kind}/app"
    # a command that ends at once crash-loops only under a controller that restarts it
    assert ("one-shot-command" in by_check) == long_running, [f.check for f in report.findings]


def test_rollout_with_workload_ref_has_no_template_of_its_own() -> None:
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n"
            "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: app}\n")
    report = lint_sources([Source("r.yaml", text)])
    assert report.workloads == 0 and not report.findings
