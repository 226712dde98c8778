"""`explain` in a process of its own exits without freeing its heap (commandline.leave): the report is
written whole (stdout and patch files), the exit code is the diagnosis', atexit handlers still run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "src" / "podmortem" / "examples" / "demo"


def test_explain_leaves_fast_but_whole(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    patches = tmp_path / "patches"
    script = ("import atexit, sys\n"
              f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
              "from podmortem.cli import main\n"
              f"sys.argv = ['podmortem', 'explain', {str(DEMO / 'pods.yaml')!r}, {str(DEMO / 'events.yaml')!r},\n"
              f"            '-o', 'json', '--write-patches', {str(patches)!r}]\n"
              "main()\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    written = [f["remedy"]["patch_file"] for pod in doc["pods"] for f in pod["findings"] if f["remedy"]["patch_file"]]
    assert len(doc["pods"]) > 1 and written
    assert all(Path(w).is_file() and Path(w).read_text() for w in written)
    assert marker.exists()
