"""`podmortem explain -o json` starts fast: it must not import what it does not use.

rich is for the text report only, PyYAML for YAML input and patches, the describe parser for
pasted describe text. Start-up time counts in the benchmark (benchmarks/bench_explain.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# At exit: explain in a process of its own leaves through os._exit once the report is written
# (commandline.leave), running the atexit handlers but nothing after main().
PROBE = """
import atexit, sys
from podmortem.cli import main

def report():
    heavy = sorted(m for m in sys.modules
                   if m.split(".")[0] in ("rich", "yaml", "pygments") or m.startswith("podmortem.sources.describe"))
    sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
    rules = sorted(m for m in sys.modules if m.startswith("podmortem.rules") or m == "podmortem.engine")
    sys.stderr.write("RULES=" + ",".join(rules) + "\\n")
    sys.stderr.flush()

atexit.register(report)
sys.argv = ["podmortem", *sys.argv[1:]]
main()
"""

HEALTHY = {
    "apiVersion": "v1", "kind": "List", "metadata": {},
    "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {"containers": [{"name": "web", "image": "web:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0,
                                          "state": {"running": {"startedAt": "2026-01-15T10:00:00Z"}}}]},
    }],
}


def _heavy_modules(*args: str, kind: str = "HEAVY") -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith(f"{kind}=")), None)
    assert line is not None, proc.stderr
    return [m for m in line[len(kind) + 1:].split(",") if m]


@pytest.fixture
def pods_json(tmp_path: Path) -> Path:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(HEALTHY))
    return path


def test_explain_json_imports_no_rich_yaml_or_describe_parser(pods_json: Path) -> None:
    assert _heavy_modules("explain", str(pods_json), "-o", "json") == []


def test_explain_text_does_use_rich(pods_json: Path) -> None:
    # The probe itself must be able to see an import, or the test above proves nothing.
    assert "rich" in _heavy_modules("explain", str(pods_json), "-o", "text")


def test_explain_of_plainly_healthy_pods_loads_no_rules(pods_json: Path, tmp_path: Path) -> None:
    # Their diagnosis needs no evidence (sources.healthy): the ~45 rules and their patterns stay unloaded.
    assert _heavy_modules("explain", str(pods_json), "-o", "json", kind="RULES") == []
    failing = json.loads(json.dumps(HEALTHY))
    failing["items"][0]["status"]["containerStatuses"][0]["restartCount"] = 3
    path = tmp_path / "failing.json"
    path.write_text(json.dumps(failing))
    assert "podmortem.engine" in _heavy_modules("explain", str(path), "-o", "json", kind="RULES")
