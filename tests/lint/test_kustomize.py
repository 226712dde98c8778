"""`lint -k DIR`: the real kubectl renders a two-overlay kustomization (tests/lint/kustomize), and
findings point at the overlay's patch file and line where the overlay set the field, at the base
where it did not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from podmortem.cli import main

TREE = Path(__file__).parent / "kustomize"
KUBECTL = os.environ.get("PODMORTEM_KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture(scope="module", autouse=True)
def _kubectl() -> None:
    if not (os.path.isfile(KUBECTL) and os.access(KUBECTL, os.X_OK)):
        pytest.fail(f"the real kubectl is required at {KUBECTL} (or set PODMORTEM_KUBECTL)", pytrace=False)


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, Any, str]:
    monkeypatch.chdir(TREE)
    monkeypatch.setenv("PATH", f"{os.path.dirname(KUBECTL)}{os.pathsep}{os.environ.get('PATH', '')}")
    try:
        main(["lint", *argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith("{") else out, err


def test_two_overlays_report_the_overlay_file_and_line(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code, doc, err = run(capsys, monkeypatch, "-k", "overlays/prod", "-k", "overlays/staging", "-o", "json")
    assert code == 1, err
    where = {(f["check"], f["object"]): (f["file"], f["line"]) for f in doc["findings"]}
    # set by the prod overlay's patch: its file and line
    assert where[("memory-quantity-suspicious", "Deployment/prod-shop")] == (
        "overlays/prod/memory.yaml", _line_of(TREE / "overlays/prod/memory.yaml", "memory: 512m"))
    # set by the staging overlay's patch
    assert where[("probe-port-undeclared", "Deployment/staging-shop")] == (
        "overlays/staging/probes.yaml", _line_of(TREE / "overlays/staging/probes.yaml", "port: http"))
    # the port the base declares, clashing with the listen flag the prod overlay adds: the base's line
    assert where[("duplicate-container-port", "Deployment/prod-shop")] == (
        "base/deployment.yaml", _line_of(TREE / "base/deployment.yaml", "containerPort: 9090"))
    # the base alone is clean: nothing is reported for the staging overlay's memory
    assert ("memory-quantity-suspicious", "Deployment/staging-shop") not in where


def test_sarif_and_text_name_the_source_files(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, text, _ = run(capsys, monkeypatch, "-k", "overlays/prod")
    assert text.startswith("base/deployment.yaml\n") and "overlays/prod/memory.yaml" in text
    _, sarif, _ = run(capsys, monkeypatch, "-k", "overlays/prod", "-o", "sarif")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"overlays/prod/memory.yaml", "base/deployment.yaml"}


def test_kubectl_missing_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no kubectl anywhere on PATH
    p = subprocess.run([sys.executable, "-m", "podmortem", "lint", "-k", "overlays/prod"], cwd=TREE, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "lint -k needs kubectl on PATH" in p.stderr and "Traceback" not in p.stderr
    assert "kustomize build overlays/prod | podmortem lint -" in p.stderr


@pytest.mark.parametrize(("folder", "message"), [
    ("base/deployment.yaml", "is a file"), ("overlays", "no kustomization.yaml in this folder"),
])
def test_bad_folders(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, folder: str,
                     message: str) -> None:
    code, _, err = run(capsys, monkeypatch, "-k", folder)
    assert code == 2 and message in err


def test_kubectl_errors_are_reported(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    code, _, err = run(capsys, monkeypatch, "-k", str(tmp_path))
    assert code == 2 and "kubectl kustomize failed" in err and "missing.yaml" in err
