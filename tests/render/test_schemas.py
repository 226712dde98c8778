"""Every JSON envelope has a schema (src/podmortem/schemas) and real output validates against it:
diagnose against the simulator, lint over the lint cases, explain over the bundled demo; gate in
tests/gate/test_gate_schema.py. A mutated document must fail, so the schemas are not vacuous."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from podmortem.schemas import NAMES, schema, validator

ROOT = Path(__file__).parents[2]
PODMORTEM = [sys.executable, "-m", "podmortem"]


def run_json(*args: str) -> dict[str, object]:
    p = subprocess.run([*PODMORTEM, *args, "-o", "json"], capture_output=True, text=True, timeout=300)
    assert p.returncode in (0, 1), p.stderr
    doc: dict[str, object] = json.loads(p.stdout)
    return doc


@pytest.mark.parametrize("name", NAMES)
def test_schemas_are_valid_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(schema(name))


def test_explain_output_validates() -> None:
    doc = run_json("explain", str(ROOT / "src" / "podmortem" / "examples" / "demo"), "--now", "2026-01-15T10:30:00Z")
    validator("explain").validate(doc)


def test_lint_output_validates_and_a_broken_document_does_not() -> None:
    doc = run_json("lint", *sorted(str(p) for p in (ROOT / "tests" / "lint" / "cases").iterdir() if p.is_dir()))
    v = validator("lint")
    v.validate(doc)
    broken = copy.deepcopy(doc)
    broken["findings"][0]["severity"] = "fatal"  # type: ignore[index]
    assert not v.is_valid(broken)


def test_diagnose_output_validates(tmp_path: Path) -> None:
    pytest.importorskip("podmortem.sim.cluster")
    from podmortem.sim.cluster import SimCluster, SimOptions

    with SimCluster(SimOptions()) as cluster:
        doc = run_json("diagnose", "-A", "--kubeconfig", cluster.write_kubeconfig(tmp_path / "kubeconfig"))
    v = validator("diagnose")
    v.validate(doc)
    assert doc["groups"]
    broken = copy.deepcopy(doc)
    del broken["pods"][0]["findings"]  # type: ignore[index]
    assert not v.is_valid(broken)
    broken = copy.deepcopy(doc)
    broken["groups"][0]["count"] = "many"  # type: ignore[index]
    assert not v.is_valid(broken)
