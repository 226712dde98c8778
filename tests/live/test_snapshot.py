"""The snapshot is a format: write_snapshot / read_snapshot round-trip, `explain DIR` equals the
`diagnose` of the same moment field by field, names never become paths, symlinks never lead out."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
from clirun import run
from fakeapi import FakeCluster, FakeServer, crashlooping, event, pod
from hypothesis import given
from hypothesis import strategies as st

from podmortem.live.snapshot import (
    FORMAT_VERSION,
    decode_name,
    encode_name,
    log_file_name,
    parse_log_file_name,
    read_snapshot,
    write_snapshot,
)
from podmortem.redact import redact

# -- names ------------------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_name_encoding_is_reversible_and_safe(name: str) -> None:
    enc = encode_name(name)
    assert decode_name(enc) == name
    # only [a-z0-9-] and %XX: no "/", no "_" (the separator), no ".", so never "." or ".."
    assert re.fullmatch(r"(?:[a-z0-9-]|%[0-9A-F]{2})*", enc)


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40), st.booleans())
def test_log_file_names_are_one_component_and_parse_back(ns: str, pod_name: str, container: str, prev: bool) -> None:
    name = log_file_name(ns, pod_name, container, prev)
    assert "/" not in name and "\0" not in name and not name.startswith(".") and len(name.encode()) <= 220
    parsed = parse_log_file_name(name)
    assert (parsed is None and name.startswith("h-")) or parsed == (ns, pod_name, container, prev)


def test_kubernetes_names_stay_readable() -> None:
    assert log_file_name("shop", "web-7c9b-bbbb0", "app", True) == "shop_web-7c9b-bbbb0_app.previous.log"
    assert encode_name("../../etc") == "%2E%2E%2F%2E%2E%2Fetc"


# -- the codec ------------------------------------------------------------------------------------------


def test_round_trip(kubeconfig: Path, tmp_path: Path) -> None:
    from podmortem.live.client import connect
    from podmortem.live.collect import Collector, Scope

    col = Collector(connect(str(kubeconfig)), sample=False).collect(Scope("shop"))
    col.pod_notes[("shop", "api-0")].append("a note")
    col.warnings.append("a warning")
    write_snapshot(col, str(tmp_path / "s"), server="https://k", context="ctx", keep_env_values=True)
    index = json.loads((tmp_path / "s" / "snapshot.json").read_text())
    assert index["version"] == FORMAT_VERSION
    back = read_snapshot(str(tmp_path / "s"))
    got = back.collection
    assert (back.server, back.context, back.env_values) == ("https://k", "ctx", "kept")
    assert got.pods == col.pods
    assert got.failing == col.failing
    assert got.events == col.events
    assert got.log_samples == col.log_samples
    assert got.config_refs == col.config_refs
    assert got.replicasets == col.replicasets
    assert got.missing_rbac == col.missing_rbac
    assert dict(got.pod_notes) == {k: v for k, v in col.pod_notes.items() if v}
    assert got.warnings == col.warnings
    assert got.listed_at == col.listed_at
    assert set(got.logs) == set(col.logs)
    for key, cap in col.logs.items():
        redacted = "".join(redact(line) for line in cap.text.splitlines(keepends=True))
        assert (got.logs[key].text, got.logs[key].previous, got.logs[key].truncated, got.logs[key].request) == \
            (redacted, cap.previous, cap.truncated, cap.request)


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc["source"] = {k: v for k, v in doc["source"].items() if k != "requests"}  # API calls: none offline
    return doc


class _FrozenClock(datetime):
    """The collector's clock, stopped: the snapshot and the diagnose run it is compared with are the same moment."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenClock:
        return cls(2026, 1, 15, 10, 30, 0, 123456, tzinfo=tz or UTC)


@pytest.mark.parametrize("keep", [True, False], ids=["keep-env-values", "env-values-dropped"])
def test_explain_dir_equals_diagnose_field_by_field(kubeconfig: Path, tmp_path: Path, keep: bool,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import podmortem.live.collect

    monkeypatch.setattr(podmortem.live.collect, "datetime", _FrozenClock)
    # A snapshot keeps every failing pod's log; diagnose shares one per owner and way of failing,
    # which would add "logs not read" notes: compared here without sharing, the evidence must match.
    monkeypatch.setattr(podmortem.live.collect, "LOGS_PER_GROUP", 1000)
    snap = tmp_path / "snap"
    code, _, err = run(["snapshot", str(snap), "--secret-keys", *(["--keep-env-values"] if keep else [])], capsys)
    assert code == 0, err
    for fmt in ("json", "text", "wide", "markdown", "yaml"):
        live_code, live, _ = run(["diagnose", "--secret-keys", "-o", fmt, "--no-color"] if fmt != "json" and fmt != "yaml"
                                 else ["diagnose", "--secret-keys", "-o", fmt], capsys)
        off_code, offline, err = run(["explain", str(snap), "-o", fmt, *(["--no-color"] if fmt not in ("json", "yaml")
                                                                         else [])], capsys)
        assert off_code == live_code == 1, err
        if fmt == "json":
            a, b = json.loads(live), json.loads(offline)
            assert a["pods"] and a["groups"]
            for field in ("pods", "groups", "missing_rbac", "warnings"):
                assert b[field] == a[field], field
            assert _comparable(b) == _comparable(a)
            api = next(p for p in b["pods"] if p["name"] == "api-0")
            assert api["config_refs"][0]["missing_keys"] == ["password"]  # the config check survived
            web = next(g for g in b["groups"] if g["owner"] == "deployment/web")
            assert web["what_changed"]["began_with_revision"] == 7  # and "what changed"
        elif fmt != "yaml":
            assert offline == live, fmt


def test_env_values_are_dropped_by_default(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["snapshot", str(tmp_path / "a")], capsys)
    run(["snapshot", str(tmp_path / "b"), "--keep-env-values"], capsys)
    dropped = (tmp_path / "a" / "pods.json").read_text()
    kept = (tmp_path / "b" / "pods.json").read_text()
    assert '"LOG_LEVEL"' in dropped and '"info"' not in dropped
    assert '"value": "info"' in kept
    assert json.loads((tmp_path / "a" / "snapshot.json").read_text())["env_values"] == "dropped"


# -- hostile names and symlinks -------------------------------------------------------------------------


HOSTILE = [("shop", "../../escaped", "../x"), ("shop", "Upper_Case..", "c"), ("shop", "/abs/olute", "%2F")]


def test_hostile_names_stay_inside_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A malicious server (the fake API here) serves names a real API server rejects."""
    cluster = FakeCluster()
    for ns, name, container in HOSTILE:
        cluster.pods.append(pod(name, ns, containers=[{"name": container, "image": "x:1"}],
                                statuses=[crashlooping(container)], ready=False))
        cluster.add_log(ns, name, container, "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in "
                        "<module>\n    host = os.environ['DB_HOST']\nKeyError: 'DB_HOST'\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path))
    with FakeServer(cluster) as srv:
        kc = srv.kubeconfig(tmp_path / "kc")
        code, out, err = run(["snapshot", "a/snap", "-n", "shop", "--kubeconfig", str(kc)], capsys)
        assert code == 0, err
        _, live, _ = run(["diagnose", "-n", "shop", "-o", "json", "--kubeconfig", str(kc)], capsys)
    inside = {str(p.relative_to(work)) for p in work.rglob("*")}
    assert all(p.startswith("a") for p in inside), inside  # nothing next to or above the folder
    assert sorted(os.listdir(tmp_path)) == ["kc", "work"]
    logs = sorted(os.listdir(work / "a" / "snap" / "logs"))
    assert len(logs) == len(HOSTILE)
    assert {parse_log_file_name(n)[:3] for n in logs} == set(HOSTILE)  # type: ignore[index]
    code, out, err = run(["explain", "a/snap", "-o", "json"], capsys)
    assert code == 1, err

    def causes(text: str) -> dict[str, list[str]]:
        return {p["name"]: [f["cause"] for f in p["findings"]] for p in json.loads(text)["pods"]}

    assert causes(out) == causes(live)  # each log found its own pod again
    assert sum(c == ["app.missing-env"] for c in causes(out).values()) >= 2


@pytest.mark.parametrize("target", ["logs", "pods.json", "snapshot-dir"])
def test_explain_refuses_symlinks_out_of_the_folder(kubeconfig: Path, tmp_path: Path, target: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap"
    run(["snapshot", str(snap)], capsys)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret text of another file\n")
    if target == "logs":
        victim = next((snap / "logs").iterdir())
    elif target == "pods.json":
        victim = snap / "pods.json"
        outside.write_text((snap / "pods.json").read_text())
    else:
        victim = snap / "logs"
        (tmp_path / "elsewhere").mkdir()
        for f in (snap / "logs").iterdir():
            (tmp_path / "elsewhere" / f.name).write_text(f.read_text())
        import shutil

        shutil.rmtree(victim)
        victim.symlink_to(tmp_path / "elsewhere")
    if target != "snapshot-dir":
        victim.unlink()
        victim.symlink_to(outside)
    code, out, err = run(["explain", str(snap)], capsys)
    assert code == 2, err
    assert "symlink out of the snapshot folder" in err and err.count("\n") == 1
    assert "secret text" not in out + err


def test_a_newer_format_is_refused(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap"
    run(["snapshot", str(snap)], capsys)
    index = json.loads((snap / "snapshot.json").read_text())
    (snap / "snapshot.json").write_text(json.dumps(dict(index, version=FORMAT_VERSION + 1)))
    code, _, err = run(["explain", str(snap)], capsys)
    assert code == 2 and "format version" in err


# -- --anonymize ----------------------------------------------------------------------------------------


ORIGINAL_NAMES = ("shop", "web-7c9b-bbbb0", "web-7c9b-bbbb1", "web-7c9b", "web-6d8f", "worker-0", "api-0",
                  "cache-0", "node-1", "uid-web")


def test_anonymize_replaces_names_consistently_everywhere(kubeconfig: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import podmortem.live.collect

    monkeypatch.setattr(podmortem.live.collect, "datetime", _FrozenClock)
    # A snapshot keeps every failing pod's log; diagnose shares one per owner and way of failing,
    # which would add "logs not read" notes: compared here without sharing, the evidence must match.
    monkeypatch.setattr(podmortem.live.collect, "LOGS_PER_GROUP", 1000)
    snap = tmp_path / "snap"
    code, _, err = run(["snapshot", str(snap), "--secret-keys", "--anonymize"], capsys)
    assert code == 0, err
    for f in snap.rglob("*"):
        text = f.name + (f.read_text() if f.is_file() else "")
        for name in ORIGINAL_NAMES[:-2]:
            assert not re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", text), (f.name, name)
        assert "127.0.0.1" not in text  # the server address
    index = json.loads((snap / "snapshot.json").read_text())
    assert index["anonymized"] is True and index["failing"]
    pods = json.loads((snap / "pods.json").read_text())["items"]
    aliases = {p["metadata"]["name"] for p in pods}
    assert all(re.fullmatch(r"pod-\d+", a) for a in aliases), aliases
    # consistent: every failing pod of the index is a pod of pods.json, every log names one
    assert {k.split("/")[1] for k in index["failing"]} <= aliases
    assert {entry["pod"] for entry in index["logs"]} <= aliases
    # and the diagnosis is the same, under the new names
    _, live, _ = run(["diagnose", "--secret-keys", "-o", "json"], capsys)
    code, offline, err = run(["explain", str(snap), "-o", "json"], capsys)
    assert code == 1, err

    def shape(text: str) -> list[tuple[str, list[str]]]:
        return sorted((p["status"], [f["cause"] for f in p["findings"]]) for p in json.loads(text)["pods"])

    assert shape(offline) == shape(live)
    web = next(g for g in json.loads(offline)["groups"] if g["count"] == 2)
    assert web["what_changed"]["began_with_revision"] == 7 and re.fullmatch(r"deployment/deployment-\d+", web["owner"])


# -- credentials --------------------------------------------------------------------------------------

PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"


def test_no_credential_reaches_a_snapshot_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Termination and event messages, annotations and multi-line PEM keys in logs: a snapshot is shared."""
    cluster = FakeCluster()
    status = crashlooping("app")
    status["lastState"]["terminated"]["message"] = "dial postgres://app:hunter2pw@db:5432/shop failed"
    p = pod("web-1", "shop", statuses=[status], ready=False)
    p["metadata"]["annotations"] = {"note": "password=annotationpw1"}
    cluster.pods.append(p)
    cluster.events.append(event(p, "BackOff", "restarting: redis://:redispw77@cache:6379 refused"))
    cluster.add_log("shop", "web-1", "app", "loading key\n-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY
                    + "\n-----END RSA PRIVATE KEY-----\npanic: token=ghp_" + "a1" * 15 + "\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    with FakeServer(cluster) as srv:
        kc = srv.kubeconfig(tmp_path / "kc")
        code, _, err = run(["snapshot", str(tmp_path / "snap"), "-n", "shop", "--kubeconfig", str(kc)], capsys)
    assert code == 0, err
    text = "".join(f.read_text() for f in (tmp_path / "snap").rglob("*") if f.is_file())
    for secret in ("hunter2pw", "annotationpw1", "redispw77", PEM_BODY, "a1" * 15):
        assert secret not in text, secret
    assert "postgres://app:[REDACTED]@db" in text  # the rest of the message stays readable
