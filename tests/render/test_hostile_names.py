"""One corpus of hostile names and messages through every renderer of every command.

Names, images and messages are chosen by whoever controls a workload or a server. Whatever the
format, the output must hold nothing active: no terminal control (title, clear, OSC 8 links,
OSC 52 clipboard writes, C1 CSI, carriage returns), no bidi or zero-width character, no HTML
that a Markdown viewer would render (the gate's summary goes to $GITHUB_STEP_SUMMARY), no
forged Markdown heading; JSON, YAML, SARIF and JUnit still parse, and JSON keeps the exact value.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "live"))  # fakeapi, as tests/live/conftest.py does

from clirun import run
from fakeapi import FakeCluster, FakeServer, Fault, crashlooping, event, pod

from podmortem.render.escape import has_unsafe

CORPUS = {
    "title": "\x1b]0;pwned\x07",
    "clear": "\x1b[2J\x1b[H",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "c1-csi": "\x9b31m",
    "bidi": "gnp.\u202eexe",
    "isolate": "\u2066ltr\u2069",
    "zero-width": "a\u200bb\ufeff",
    "line-sep": "x\u2028y",
    "cr": "ok\rFORGED",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "backticks": "``` `x` ``",
    "pipe": "a | b",
    "heading": "web\n## FORGED HEADING",
}
HOSTILE = "".join(CORPUS.values())
SHORT = "w" + CORPUS["title"] + CORPUS["bidi"] + CORPUS["html"] + CORPUS["backticks"] + CORPUS["pipe"]


def check_output(fmt: str, out: str, *, colour: bool = False) -> None:
    assert out.strip(), "no output"
    assert not has_unsafe(out, keep_colour=colour), [ln for ln in out.splitlines() if has_unsafe(ln, keep_colour=colour)][:3]
    assert "\r" not in out
    if fmt in ("json", "sarif"):
        doc = json.loads(out)
        assert any(CORPUS["bidi"] in s or CORPUS["title"] in s for s in strings(doc)), \
            "JSON escapes characters; it must not change the values"
    elif fmt == "yaml":
        yaml.safe_load(out)
    elif fmt == "junit":
        ET.fromstring(out)
    elif fmt == "markdown":
        check_markdown(out)


def check_markdown(out: str) -> None:
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(out)
    assert "<script" not in html and "<img" not in html, "a name became HTML"
    assert not re.search(r"<h\d>\s*FORGED", html), "a name forged a heading"


def strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)




def hostile_pod(ns: str = "shop") -> dict[str, Any]:
    p = pod("web-" + SHORT, ns, owner=("ReplicaSet", "web-" + HOSTILE),
            containers=[{"name": "app" + SHORT, "image": "registry.example/web:" + HOSTILE}],
            statuses=[crashlooping("app" + SHORT, exit_code=1)], ready=False)
    st = p["status"]["containerStatuses"][0]
    st["image"] = "registry.example/web:" + HOSTILE
    st["lastState"]["terminated"]["message"] = "fatal: " + HOSTILE
    return p


# -- explain ---------------------------------------------------------------------------------------


@pytest.fixture
def pod_file(tmp_path: Path) -> Path:
    p = hostile_pod()
    ev = event(p, "BackOff", "Back-off restarting failed container " + HOSTILE, count=5)
    path = tmp_path / "pod.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [p, ev]}))
    return path


@pytest.mark.parametrize("fmt", ["text", "wide", "json", "yaml", "markdown"])
def test_explain(fmt: str, pod_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "app.log"
    logs.write_text("starting\npanic: " + HOSTILE + "\n")
    code, out, err = run(["explain", str(pod_file), "--logs", str(logs), "-o", fmt, "--no-color"], capsys)
    assert code == 1, err
    check_output(fmt, out)
    assert not has_unsafe(err)


def test_explain_in_colour_keeps_only_colour(pod_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", str(pod_file), "--color"], capsys)
    assert code == 1 and "\x1b[" in out
    check_output("text", out, colour=True)


# -- diagnose (over HTTP, with a hostile API error too) ---------------------------------------------


@pytest.fixture
def hostile_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    c = FakeCluster()
    p = hostile_pod()
    c.pods.append(p)
    c.events.append(event(p, "BackOff", "Back-off " + HOSTILE, count=3))
    c.faults.append(Fault(r"/log$", code=400, times=100, message="container not found: " + HOSTILE))
    monkeypatch.setenv("HOME", str(tmp_path))
    with FakeServer(c) as srv:
        yield srv.kubeconfig(tmp_path / "kubeconfig", namespace="shop")


@pytest.mark.parametrize("fmt", ["text", "wide", "json", "yaml", "markdown"])
def test_diagnose(fmt: str, hostile_kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["diagnose", "--kubeconfig", str(hostile_kubeconfig), "-o", fmt, "--no-color"], capsys)
    assert code == 1, err
    check_output(fmt, out)
    assert not has_unsafe(err)


def test_api_error_line_is_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    c = FakeCluster()
    c.faults.append(Fault(r"/pods$", code=403, times=100, message="forbidden: " + HOSTILE))
    monkeypatch.setenv("HOME", str(tmp_path))
    with FakeServer(c) as srv:
        kc = srv.kubeconfig(tmp_path / "kubeconfig", namespace="shop")
        code, _out, err = run(["diagnose", "--kubeconfig", str(kc)], capsys)
    assert code == 3
    assert len(err.splitlines()) == 1 and not has_unsafe(err), err
    assert "\\x1b]0;pwned\\x07" in err and "\\u202e" in err  # shown, not hidden


# -- gate ------------------------------------------------------------------------------------------


def hostile_gate_reports() -> list[Any]:
    from podmortem.gate.diagnosis import Diagnosis
    from podmortem.gate.report import GateReport
    from podmortem.gate.run import Outcome, TargetState
    from podmortem.gate.verdict import PodState
    from podmortem.live.collect import Collection
    from podmortem.live.fleet import group_diagnoses
    from podmortem.live.report import LiveResult
    from podmortem.model import Citation, Command, Finding, PodDiagnosis, Remedy

    name = "web-" + SHORT
    failing = PodState("shop", name, "uid-1", "CrashLoopBackOff" + CORPUS["clear"], "0/1", 3, "failed",
                       "container app is crash-looping: " + HOSTILE, "app" + SHORT, False, "crash-loop")
    target = TargetState("deployment/" + SHORT, "Deployment", SHORT, False, "rollout: " + HOSTILE, [failing],
                         [name + "-old"], revision="7", replicaset="web-" + SHORT)
    finding = Finding(rule="crash", cause="app.crash", category="application", detail=HOSTILE, container="app" + SHORT,
                      init=False, confidence=0.8, summary="It crashes: " + HOSTILE,
                      evidence=(Citation("logs", "panic: " + HOSTILE),),
                      remedy=Remedy("Fix " + HOSTILE, {"spec": HOSTILE}, (Command(("kubectl", "logs", HOSTILE)),)))
    d = PodDiagnosis("shop", name, "CrashLoopBackOff", (finding,), owner="ReplicaSet/" + HOSTILE,
                     notes=("note " + HOSTILE,))
    result = LiveResult([d], group_diagnoses([d], {("shop", name): "deployment/" + HOSTILE}), Collection())
    events = {f"Pod/{name}": "Warning BackOff: " + HOSTILE}
    failed = Outcome("failed", f"pod {name}: {failing.why}", "shop" + SHORT, 3.0, 60.0, [target], [failing],
                     ["notice " + HOSTILE])
    timeout = Outcome("timeout", "waiting: " + HOSTILE, "shop", 60.0, 60.0, [target], [])
    return [GateReport(failed, Diagnosis(result, events, ["diag note " + HOSTILE]), "https://x", HOSTILE, "t"),
            GateReport(timeout, Diagnosis(None, events), "https://x", None, "t")]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_gate(fmt: str) -> None:
    from podmortem.gate.command import _render
    from podmortem.render.escape import neutralise

    for report in hostile_gate_reports():
        # What the gate's CLI prints: its renderer, then emit's last guard. Each layer is checked:
        # the renderer alone must already be inert for the formats with structure (Markdown, JUnit).
        rendered = _render(report, fmt, False)
        if fmt in ("markdown", "junit"):
            check_output(fmt, rendered)
        check_output(fmt, neutralise(rendered))


# -- lint ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_lint(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web" + SHORT, "namespace": "shop"},
                "spec": {"selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}},
                                      "spec": {"containers": [{"name": "app" + SHORT,
                                                               "image": "registry.example/web:" + HOSTILE,
                                                               "command": [HOSTILE]}]}}}}
    path = tmp_path / "web" / "deploy.json"
    path.parent.mkdir()
    path.write_text(json.dumps(manifest))
    code, out, err = run(["lint", str(path), "-o", fmt, "--no-color", "--fail-on", "never"], capsys)
    assert code == 0, err
    check_output(fmt, out)
    assert not has_unsafe(err)
