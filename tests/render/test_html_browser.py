"""The HTML report opened in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run).

For each report (explain of the bundled demo folder, explain of a hand-built pod, diagnose -A of the
simulator's default scenario, gate of a crash-looping rollout: tests/gate/test_gate_html.py): the page loads with no console
message and no script error, its script ran, and every timeline lane has one restart mark per
restart the evidence counts. Screenshots are saved under test-artifacts/html (or
$PODMORTEM_ARTIFACTS/html) for a reviewer or a CI artifact upload.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from browser import assert_one_mark_per_restart, open_report
from test_html import PROBE_EVENTS, T0, crashing_pod

from podmortem.engine import diagnose
from podmortem.render.html import render_html

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "src" / "podmortem" / "examples" / "demo"
pytestmark = pytest.mark.slow  # headless Chromium, twice per report: first in the run (tests/conftest.py)

PODMORTEM = [sys.executable, "-m", "podmortem"]


def test_explain_demo_folder(tmp_path: Path) -> None:
    p = subprocess.run([*PODMORTEM, "explain", str(DEMO), "--now", "2026-01-15T10:30:00Z", "-o", "html"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    dom = open_report(p.stdout, "explain-demo", tmp_path)
    found = assert_one_mark_per_restart(dom)
    # Each lane's count is the restartCount the pods file says (not a number the renderer made up).
    counts: dict[str, int] = {}
    for doc in yaml.safe_load_all((DEMO / "pods.yaml").read_text()):
        for item in (doc or {}).get("items", [doc] if doc else []):
            status = item.get("status") or {}
            for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
                counts[cs["name"]] = int(cs.get("restartCount") or 0)
    assert {c: r for c, r, _ in found} == {c: counts[c] for c, _, _ in found}
    assert any(r > 0 for _, r, _ in found)
    assert "<mark>" in dom  # quoted evidence highlighted


def test_explain_hand_built_pods(tmp_path: Path) -> None:
    now = T0 + timedelta(seconds=400)
    items = []
    for i, (restarts, reason) in enumerate([(5, "Error"), (2, "OOMKilled"), (12, "Error")]):
        ev = crashing_pod(restarts, name=f"orders-{i}", reason=reason, events=PROBE_EVENTS)
        items.append((diagnose(ev, now=now), ev))
    dom = open_report(render_html(items, now=now), "explain-built", tmp_path)
    assert sorted(r for _, r, _ in assert_one_mark_per_restart(dom)) == [2, 5, 12]
    assert 'class="copy"' in dom


@pytest.fixture(scope="module")
def default_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("podmortem.sim.cluster")
    from podmortem.sim.cluster import SimCluster, SimOptions

    with SimCluster(SimOptions()) as cluster:
        yield cluster.write_kubeconfig(tmp_path_factory.mktemp("sim") / "kubeconfig")


def test_diagnose_default_scenario(default_scenario: str, tmp_path: Path) -> None:
    p = subprocess.run([*PODMORTEM, "diagnose", "-A", "-o", "html", "--kubeconfig", default_scenario],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 1, p.stderr
    dom = open_report(p.stdout, "diagnose-default", tmp_path)
    assert_one_mark_per_restart(dom)
    assert 'id="fleet"' in dom and 'id="f-cause"' in dom  # many pods: the table with filters
