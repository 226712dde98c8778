"""Summary first: text output with pods of several owners and causes leads with one row per owner and
cause, then the top groups in full (--details); no line wider than the terminal (80 and 200 columns)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from podmortem.model.evolve import evolve
from podmortem.render.summary import summarise, summary_table

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "src" / "podmortem" / "examples" / "demo"
PODMORTEM = [sys.executable, "-m", "podmortem"]


def run(*args: str, columns: int = 100) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    p = subprocess.run([*PODMORTEM, *args], capture_output=True, text=True, timeout=300, env=env)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, p.stdout


@pytest.fixture(scope="module")
def default_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("podmortem.sim.cluster")
    from podmortem.sim.cluster import SimCluster, SimOptions

    with SimCluster(SimOptions()) as cluster:
        yield cluster.write_kubeconfig(tmp_path_factory.mktemp("sim") / "kubeconfig")


def too_wide(out: str, columns: int) -> list[str]:
    """Lines wider than the terminal. The one exception: a single shell word longer than the width
    (a jsonpath, an image reference), which cannot be folded without changing the command."""
    from podmortem.render.terminal import _breaks

    wide = []
    for line in out.splitlines():
        if len(line) <= columns:
            continue
        word = line.strip().removeprefix("$ ").removesuffix(" \\")
        if _breaks(word):
            wide.append(line)
    return wide


def table_rows(out: str) -> list[str]:
    lines = out.splitlines()
    assert lines[0].startswith("NAMESPACE  ") and "CAUSE" in lines[0] and "PODS" in lines[0], lines[:3]
    rows = []
    for line in lines[1:]:
        if not line.strip() or line.startswith("..."):
            break
        rows.append(line)
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 200])
def test_diagnose_leads_with_the_table_and_fits(default_scenario: str, columns: int) -> None:
    code, out = run("diagnose", "-A", "--kubeconfig", default_scenario, columns=columns)
    assert code == 1
    rows = table_rows(out)
    keys = [tuple(r.split()[:3]) for r in rows]
    assert len(keys) == len(set(keys))  # at most one row per namespace, owner and cause
    _, doc = run("diagnose", "-A", "-o", "json", "--kubeconfig", default_scenario)
    import json

    causes = {p["findings"][0]["cause"] for p in json.loads(doc)["pods"] if p["findings"]}
    head = "\n".join(out.splitlines()[:50])
    assert all(c in head for c in causes), sorted(c for c in causes if c not in head)
    assert too_wide(out, columns) == []


@pytest.mark.slow
def test_details_chooses_how_many_groups(default_scenario: str) -> None:
    _, none = run("diagnose", "-A", "--kubeconfig", default_scenario, "--details", "none")
    _, two = run("diagnose", "-A", "--kubeconfig", default_scenario, "--details", "2")
    _, every = run("diagnose", "-A", "--kubeconfig", default_scenario, "--details", "all")
    assert none.count("▶") == 0 and "fix" not in none.split("\n\n", 1)[1].split("pods checked")[0]
    assert len(none) < len(two) < len(every)
    assert "--details all" in two and "--details all" not in every
    code, _ = run("diagnose", "-A", "--kubeconfig", default_scenario, "--details", "lots")
    assert code == 2


@pytest.mark.parametrize("columns", [80, 200])
def test_explain_many_pods_fits(columns: int) -> None:
    code, out = run("explain", str(DEMO), "--now", "2026-01-15T10:30:00Z", "--details", "all", columns=columns)
    assert code == 1
    assert table_rows(out)
    assert too_wide(out, columns) == []


def test_table_orders_each_cause_first_and_cuts_the_summary() -> None:
    from test_html import T0, crashing_pod

    from podmortem.engine import diagnose

    pods = [crashing_pod(3, name=f"a-{i}", reason="OOMKilled") for i in range(5)]
    pods.append(crashing_pod(3, name="b-0", exit_code=1))
    ds = [diagnose(p, now=T0) for p in pods]
    rows = summarise(ds)
    lines = summary_table(rows, now=T0, width=60)
    assert all(len(line) <= 60 for line in lines)
    assert len(lines) == 1 + len(rows)


def test_back_off_line_never_shows_an_empty_container_name() -> None:

    from test_html import T0, crashing_pod

    from podmortem.engine import diagnose
    from podmortem.render.terminal import render_terminal

    d = diagnose(crashing_pod(133), now=T0)
    d = evolve(d, backoff=tuple(evolve(b, container="") for b in d.backoff))
    out = render_terminal([d], color=False)
    line = next(x for x in out.splitlines() if "back-off" in x)
    assert " : " not in line and "restart 134" in line


@pytest.mark.parametrize("columns", [80, 200])
def test_lint_fits(columns: int) -> None:
    cases = ROOT / "tests" / "lint" / "cases"
    code, out = run("lint", str(cases), "--fail-on", "never", columns=columns)
    assert code == 0
    assert out.count("fix:") > 20  # findings were printed, wrapped, not dropped
    assert too_wide(out, columns) == []
