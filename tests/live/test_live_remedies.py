"""Remedies of `podmortem diagnose` that need more than one pod (issue 9 item 3): `rollout undo
--to-revision` from the revision history the ReplicaSets give, and `--write-patches DIR` with the
groups' representatives naming the written files."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import run

from podmortem.live.report import with_rollback, without_rollback
from podmortem.model import Command, Finding, Remedy, Target
from podmortem.model.evolve import evolve
from podmortem.render.commands import command_lines


def _web(doc: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in doc["pods"] if p["name"] == "web-7c9b-bbbb0")


def test_a_crash_loop_that_began_with_a_revision_offers_undo_to_the_last_good_one(
        kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["diagnose", "-o", "json"], capsys)
    assert code == 1, err
    web = _web(json.loads(out))
    assert web["what_changed"]["began_with_revision"] == 7 and web["what_changed"]["last_good_revision"] == 6
    remedy = web["findings"][0]["remedy"]
    undo = [c for c in remedy["commands"] if "rollout undo" in c]
    assert undo == ["kubectl rollout undo deployment/web -n shop --to-revision=6"]
    assert "revision 7 started the crash loop and revision 6 is the last that ran" in remedy["summary"]
    # other pods (no revision story) are not offered one
    others = [p for p in json.loads(out)["pods"] if p["name"] != "web-7c9b-bbbb0" and not p.get("what_changed")]
    assert not any("rollout undo" in c for p in others for f in p["findings"] for c in f["remedy"]["commands"])
    code, text, _ = run(["diagnose", "--no-color"], capsys)
    assert "kubectl rollout undo deployment/web -n shop --to-revision=6" in text


def test_an_unconfirmed_good_revision_is_labelled_a_guess_and_none_offers_nothing() -> None:
    generic = Command(("kubectl", "rollout", "undo", "deployment/api", "-n", "shop"))
    f = Finding("r", "app.crash", "application", None, "app", False, 0.9, "s", (),
                Remedy("Fix it.", None, (generic,), target=Target("Deployment", "shop", "api")))
    change = {"deployment": "shop/api", "began_with_revision": 4, "last_good_revision": 3,
              "last_good_confirmed": False}
    got = with_rollback(f, change).remedy
    assert "a guess: it is not confirmed that it ran" in got.summary
    assert command_lines(got) == ["kubectl rollout undo deployment/api -n shop --to-revision=3"]
    assert with_rollback(f, {**change, "last_good_revision": None}) is f


def test_a_first_revision_is_offered_no_undo() -> None:
    # kubectl rollout undo on a Deployment with one revision fails ("no rollout history found")
    steps = (Command(("kubectl", "rollout", "history", "deployment/api", "-n", "shop")),
             Command(("kubectl", "rollout", "undo", "deployment/api", "-n", "shop")))
    f = Finding("r", "app.crash", "application", None, "app", False, 0.9, "s", (),
                Remedy("Fix it.", None, steps, target=Target("Deployment", "shop", "api")))
    got = without_rollback(f).remedy
    assert command_lines(got) == ["kubectl rollout history deployment/api -n shop"]
    assert "no earlier revision to roll back to" in got.summary
    plain = evolve(f, remedy=evolve(f.remedy, commands=steps[:1]))
    assert without_rollback(plain) is plain


def test_write_patches_in_diagnose_names_the_files(kubeconfig: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "fixes"
    code, out, err = run(["diagnose", "-o", "json", "--write-patches", str(folder)], capsys)
    assert code == 1, err
    doc = json.loads(out)
    remedies = [f["remedy"] for p in doc["pods"] for f in p["findings"] if f["remedy"]["patch_object"] is not None]
    assert remedies
    for r in remedies:
        path = Path(r["patch_file"])
        assert path.parent == folder and yaml.safe_load(path.read_text()) == r["patch_object"]
        words = next(shlex.split(c) for c in r["commands"] if "--patch-file" in c)
        assert words[words.index("--patch-file") + 1] == str(path)
    code, text, _ = run(["diagnose", "--no-color", "--write-patches", str(folder)], capsys)
    assert "--patch-file" in text and " -p " not in text.replace("\\\n", " ")
