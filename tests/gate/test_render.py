"""Golden tests for the gate's reports (text, Markdown, JSON, JUnit) over hand-built outcomes.

The outcomes and diagnoses are built here, not by a cluster or the rules, so only a change in
the gate's renderers changes these files. Rewrite them with PODMORTEM_UPDATE_GOLDEN=1 after
checking the new output. JUnit is also parsed back and checked for structure.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from podmortem.gate.diagnosis import Diagnosis
from podmortem.gate.junit import render_junit, xml_text
from podmortem.gate.report import GateReport, render_json, render_markdown, render_text
from podmortem.gate.run import Outcome, TargetState
from podmortem.gate.verdict import PodState
from podmortem.live.collect import Collection
from podmortem.live.fleet import group_diagnoses
from podmortem.live.report import LiveResult
from podmortem.model import Citation, Command, Finding, Joined, Placeholder, PodDiagnosis, Remedy, Target
from podmortem.testing import check_golden

GOLDEN = Path(__file__).parent / "golden"
SERVER = "https://203.0.113.7:6443"


def _pod(name: str, state: str, status: str, why: str, ready: str = "0/1", restarts: int = 0,
         failure: str | None = None) -> PodState:
    return PodState("shop", name, f"uid-{name}", status, ready, restarts, state, why, "app", False, failure)


def _diagnosis(name: str) -> PodDiagnosis:
    finding = Finding(
        rule="env-var-missing", cause="app.missing-env", category="application", detail="python-environ-keyerror",
        container="app", init=False, confidence=0.91,
        summary="Container app exits because the environment variable DB_HOST is missing: \"KeyError: 'DB_HOST'\".",
        evidence=(Citation("logs", "KeyError: 'DB_HOST'"),
                  Citation("logs", "\x1b[31mERROR\x1b[0m <config> & \"env\" \x00 \ufffe"),
                  Citation("status", "Last State: Terminated, Reason: Error, Exit Code: 1")),
        remedy=Remedy("Add DB_HOST to the container's env.",
                      {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                          {"name": "DB_HOST", "value": "VALUE"}]}]}}}},
                      (Command(("kubectl", "set", "env", "deployment/web", "-n", "shop", "-c", "app",
                                Joined(("DB_HOST=", Placeholder("VALUE"))))),),
                      target=Target("Deployment", "shop", "web", "app")),
        lint_check="env-var-missing")
    return PodDiagnosis("shop", name, "CrashLoopBackOff", (finding,), owner="ReplicaSet/web-5d9f",
                        notes=("what changed: revision 7 removed env DB_HOST",))


def failed_report() -> GateReport:
    crashing = _pod("web-5d9f-aaaaa", "failed", "CrashLoopBackOff",
                    "container app is crash-looping (CrashLoopBackOff, restarted twice): last exit: Error, exit code 1",
                    restarts=2, failure="crash-loop")
    starting = _pod("web-5d9f-bbbbb", "waiting", "ContainerCreating", "container app is waiting: ContainerCreating")
    target = TargetState("deployment/web", "Deployment", "web", False,
                         'Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...',
                         [crashing, starting], ["web-6c1a-zzzzz"], revision="7", replicaset="web-5d9f")
    outcome = Outcome("failed", f"pod {crashing.name} (deployment/web): {crashing.why}", "shop", 14.2, 300.0,
                      [target], [crashing])
    d = _diagnosis(crashing.name)
    result = LiveResult([d], group_diagnoses([d], {("shop", crashing.name): "deployment/web"}), Collection())
    result.server, result.context = SERVER, "prod"
    events = {f"Pod/{crashing.name}": "Warning BackOff (x3): Back-off restarting failed container app"}
    return GateReport(outcome, Diagnosis(result, events), SERVER, "prod", "2026-01-15T10:30:00Z")


def timeout_report() -> GateReport:
    slow = _pod("web-5d9f-ccccc", "waiting", "Running",
                "container app is running but not Ready: its readiness probe has not succeeded yet")
    ready = _pod("web-5d9f-ddddd", "ready", "Running", "Ready", ready="1/1")
    web = TargetState("deployment/web", "Deployment", "web", False,
                      'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...',
                      [ready, slow], revision="7", replicaset="web-5d9f")
    db = TargetState("statefulset/db", "StatefulSet", "db", True,
                     "partitioned roll out complete: 1 new pods have been updated...",
                     [_pod("db-0", "ready", "Running", "Ready", ready="1/1")])
    outcome = Outcome("timeout", web.message, "shop", 300.4, 300.0, [web, db], [],
                      ["watching pods is not possible: the server refused to watch (403: forbidden); listing every "
                       "3s instead"])
    events = {f"Pod/{slow.name}": "Warning Unhealthy (x30): Readiness probe failed: HTTP probe failed with "
                                  "statuscode: 503"}
    return GateReport(outcome, Diagnosis(None, events), SERVER, "prod", "2026-01-15T10:30:00Z")


def passed_report() -> GateReport:
    pods = [_pod(f"web-5d9f-{c * 5}", "ready", "Running", "Ready", ready="1/1") for c in "ef"]
    target = TargetState("deployment/web", "Deployment", "web", True, 'deployment "web" successfully rolled out', pods,
                         revision="7", replicaset="web-5d9f")
    outcome = Outcome("passed", target.message, "shop", 42.0, 300.0, [target], [])
    return GateReport(outcome, Diagnosis(), SERVER, "prod", "2026-01-15T10:30:00Z")


REPORTS = {"failed": failed_report, "timeout": timeout_report, "passed": passed_report}
FORMATS = {"text": ("txt", render_text), "markdown": ("md", render_markdown), "json": ("json", render_json),
           "junit": ("xml", render_junit)}


def _check_golden(name: str, got: str) -> None:
    check_golden(GOLDEN / name, got)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("outcome", REPORTS)
def test_golden(outcome: str, fmt: str) -> None:
    ext, render = FORMATS[fmt]
    _check_golden(f"{outcome}.{fmt}.{ext}", render(REPORTS[outcome]()))


def test_json_keeps_the_explain_contract_in_pods() -> None:
    doc = json.loads(render_json(failed_report()))
    assert doc["apiVersion"] == "podmortem/v1" and doc["kind"] == "GateResult"
    assert doc["gate"]["result"] == "failed" and doc["gate"]["failing"][0]["failure"] == "crash-loop"
    (pod,) = doc["pods"]
    assert pod["findings"][0]["cause"] == "app.missing-env" and pod["findings"][0]["lint_check"] == "env-var-missing"
    assert doc["groups"][0]["owner"] == "deployment/web"


def test_junit_structure_of_a_failure() -> None:
    root = ET.fromstring(render_junit(failed_report()))
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("deployment/web", "rollout"), ("deployment/web", "pod web-5d9f-aaaaa"), ("deployment/web", "pod web-5d9f-bbbbb")]
    rollout, crashing, starting = cases
    failure = crashing.find("failure")
    assert failure is not None and failure.get("type") == "app.missing-env"
    body = failure.text or ""
    assert "cause: app.missing-env (container app), confidence 0.91" in body
    assert "[logs] \\x1b[31mERROR\\x1b[0m <config> & \"env\" \\x00 " in body  # control characters made visible
    assert "fix: Add DB_HOST to the container's env." in body and "kubectl set env deployment/web" in body
    assert "caught before deploying by: podmortem lint (check env-var-missing)" in body
    assert "what changed: revision 7 removed env DB_HOST" in body
    skipped = starting.find("skipped")
    assert skipped is not None and "not Ready when the gate stopped" in (skipped.get("message") or "")
    assert rollout.find("failure") is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "1")
    assert suite.get("timestamp") == "2026-01-15T10:30:00"


def test_junit_structure_of_a_timeout() -> None:
    root = ET.fromstring(render_junit(timeout_report()))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    web = cases[("deployment/web", "rollout")].find("failure")
    assert web is not None and web.get("type") == "timeout"
    assert "not complete after 5m0s: " in (web.get("message") or "")
    slow = cases[("deployment/web", "pod web-5d9f-ccccc")].find("failure")
    assert slow is not None and slow.get("type") == "not-ready"
    assert "last event: Warning Unhealthy (x30)" in (slow.text or "")
    assert cases[("deployment/web", "pod web-5d9f-ddddd")].find("failure") is None
    assert cases[("statefulset/db", "rollout")].find("failure") is None


def test_xml_text_survives_anything() -> None:
    nasty = "".join(chr(c) for c in range(0, 0x250)) + "\ud800\ufffe\uffff]]>"
    el = ET.Element("failure", message=xml_text(nasty))
    el.text = xml_text(nasty)
    back = ET.fromstring(ET.tostring(el, encoding="unicode"))
    assert back.text is not None and back.text.endswith("]]>") and "\\x1b" in back.text
