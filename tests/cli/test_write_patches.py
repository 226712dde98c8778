"""`--write-patches DIR` (issue 9 item 3): each patch lands in a file in DIR whose name podmortem builds,
the apply command names that file, and without the flag every patch is inline. A DIR that is a symlink
or a file, or a symlink planted at a file's name, is refused with one line and exit code 2."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from podmortem.model import Remedy, Target
from podmortem.render.patchfiles import slug

PODMORTEM = [sys.executable, "-m", "podmortem"]
DEMO = Path(__file__).parents[2] / "src" / "podmortem" / "examples" / "demo"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMORTEM, *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "NO_COLOR": "1"})


def remedies(out: str) -> list[dict[str, Any]]:
    doc = json.loads(out)
    return [f["remedy"] for p in doc["pods"] for f in p["findings"]]


def test_each_patch_is_written_and_the_command_names_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "fixes"
    done = run("explain", str(DEMO), "-o", "json", "--write-patches", str(folder))
    assert done.returncode == 1, done.stderr
    with_patch = [r for r in remedies(done.stdout) if r["patch_object"] is not None]
    assert with_patch, "the demo has remedies with patches"
    for r in with_patch:
        path = Path(r["patch_file"])
        assert path.parent == folder and path.is_file()
        assert yaml.safe_load(path.read_text()) == r["patch_object"]
        apply = [shlex.split(c) for c in r["commands"] if "--patch-file" in c]
        assert len(apply) == 1 and apply[0][apply[0].index("--patch-file") + 1] == str(path)
        assert apply[0][:2] == ["kubectl", "patch"] and "-p" not in apply[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted({Path(r["patch_file"]).name for r in with_patch})


def test_without_the_flag_patches_are_inline_and_no_file_is_named(tmp_path: Path) -> None:
    done = run("explain", str(DEMO), "-o", "json", cwd=tmp_path)
    for r in remedies(done.stdout):
        assert r["patch_file"] is None
        assert not any("--patch-file" in c for c in r["commands"])
        if r["patch_object"] is not None:
            inline = [shlex.split(c) for c in r["commands"] if c.startswith("kubectl patch")]
            assert inline and json.loads(inline[0][inline[0].index("-p") + 1]) == r["patch_object"]
    assert list(tmp_path.iterdir()) == []


def test_text_output_names_the_file_too(tmp_path: Path) -> None:
    done = run("explain", str(DEMO), "--write-patches", str(tmp_path / "p"), "--details", "all")
    assert "--patch-file" in done.stdout and str(tmp_path / "p" / "01-") in done.stdout.replace("\\\n      ", "")


def test_file_names_never_come_from_raw_names() -> None:
    hostile = Remedy("x", {"spec": {}}, target=Target("Deployment", "ns", "../../etc/passwd\n;rm -rf ~"))
    assert slug(hostile) == "deployment-etc-passwd-rm-rf"
    assert slug(Remedy("x", {"spec": {}})) == "patch"
    assert slug(Remedy("x", {"spec": {}}, target=Target("Pod", None, "Ä" * 80))) == "pod"


def _refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr, lines


def test_a_symlinked_dir_or_a_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    _refused(run("explain", str(DEMO), "--write-patches", str(tmp_path / "link")), "symbolic link")
    assert list(real.iterdir()) == []
    (tmp_path / "file").write_text("x")
    _refused(run("explain", str(DEMO), "--write-patches", str(tmp_path / "file")), "is a file")


def test_a_symlink_planted_at_a_file_name_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "fixes"
    folder.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (folder / "01-deployment-checkout.yaml").symlink_to(victim)
    _refused(run("explain", str(DEMO), "--write-patches", str(folder)), "cannot write")
    assert victim.read_text() == "keep me\n"
