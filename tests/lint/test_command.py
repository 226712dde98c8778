"""`podmortem lint` on the command line: formats, exit codes, suppression, stdin, bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from podmortem.cli import main

BAD = """\
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
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          resources:
            limits: {memory: 512m}
"""
WARN_ONLY = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0.0
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: bytes | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = 0
    try:
        main(["lint", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "web.yaml"
    path.write_text(BAD)
    return path


@pytest.fixture
def warn_only(tmp_path: Path) -> Path:
    path = tmp_path / "pod.yaml"
    path.write_text(WARN_ONLY)
    return path


def test_error_exits_1_with_text_grouped_by_file(capsys: pytest.CaptureFixture[str], bad: Path) -> None:
    code, out, _ = run(capsys, str(bad), "--no-color")
    assert code == 1
    assert out.splitlines()[0] == str(bad)
    assert "memory-quantity-suspicious" in out and "1 error" in out.splitlines()[-1]


def test_warnings_pass_by_default_and_fail_with_fail_on(capsys: pytest.CaptureFixture[str], warn_only: Path) -> None:
    assert run(capsys, str(warn_only))[0] == 0
    assert run(capsys, str(warn_only), "--fail-on", "warning")[0] == 1
    assert run(capsys, str(warn_only), "--fail-on", "never")[0] == 0


def test_json_output(capsys: pytest.CaptureFixture[str], bad: Path) -> None:
    code, out, _ = run(capsys, str(bad), "-o", "json")
    doc = json.loads(out)
    assert code == 1
    (error,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert error["check"] == "memory-quantity-suspicious" and error["cause"] == "resources.oom-killed"
    assert error["object"] == "Deployment/web" and error["container"] == "web" and error["line"] == 16
    assert error["file"] == str(bad)


def test_sarif_output(capsys: pytest.CaptureFixture[str], bad: Path) -> None:
    code, out, _ = run(capsys, str(bad), "-o", "sarif")
    doc = json.loads(out)
    assert code == 1 and doc["version"] == "2.1.0"
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"memory-quantity-suspicious"}


def test_ignore_select_flags(capsys: pytest.CaptureFixture[str], bad: Path) -> None:
    assert run(capsys, str(bad), "--ignore", "memory-quantity-suspicious")[0] == 0
    code, out, _ = run(capsys, str(bad), "--select", "memory-limit-missing,image-tag-latest", "-o", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    code, _, err = run(capsys, str(bad), "--ignore", "no-such-check")
    assert code == 2 and "no-such-check" in err


def test_annotation_suppresses_per_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(BAD.replace("  name: web\nspec:", '  name: web\n  annotations:\n'
                                '    podmortem.dev/ignore: "memory-quantity-suspicious, image-tag-latest"\nspec:', 1))
    assert run(capsys, str(path))[0] == 0
    path.write_text(BAD.replace("  name: web\nspec:", '  name: web\n  annotations:\n    podmortem.dev/ignore: all\nspec:', 1))
    code, out, _ = run(capsys, str(path), "-o", "json")
    assert code == 0 and json.loads(out)["findings"] == []


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, "-", "-o", "json", stdin=BAD.encode(), monkeypatch=monkeypatch)
    assert code == 1 and json.loads(out)["findings"][0]["file"] == "<stdin>"


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"", "empty"), (b"\x00\x01binary", "binary"), (b"kind: Pod\nmetadata: [oops\n", "not valid YAML"),
     (b"just: values\nreplicas: 3\n", "no Kubernetes objects")],
    ids=["empty", "binary", "invalid-yaml", "no-objects"],
)
def test_unreadable_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                content: bytes, needle: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file_and_no_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, str(tmp_path / "nope.yaml"))[0] == 2
    assert run(capsys)[0] == 2


def test_list_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--list-checks")
    assert code == 0 and "heap-flag-over-limit" in out and "resources.oom-killed" in out


def test_strict_refs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(WARN_ONLY + "      envFrom:\n        - configMapRef: {name: settings}\n")
    assert run(capsys, str(path))[0] == 0  # no ConfigMap in the files: not judged
    assert run(capsys, str(path), "--strict-refs")[0] == 1
