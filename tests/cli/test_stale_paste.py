"""An old paste: without --now, back-off figures are computed against the paste's own latest timestamp, and it says so."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from podmortem.cli import cli

POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop"},
    "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:1"}]},
    "status": {"phase": "Running", "containerStatuses": [{
        "name": "api", "restartCount": 6, "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2023-03-01T10:00:00Z",
                                     "finishedAt": "2023-03-01T10:00:05Z"}}}]},
}


def explain(tmp_path: Path, *extra: str) -> dict[str, object]:
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(POD))
    result = CliRunner().invoke(cli, ["explain", str(path), "-o", "json", *extra])
    doc: dict[str, object] = json.loads(result.output)
    return doc


def test_old_paste_is_measured_against_its_own_latest_time(tmp_path: Path) -> None:
    doc = explain(tmp_path)
    pod = doc["pods"][0]  # type: ignore[index]
    assert pod["backoff"]["failing_for_seconds"] < 3600  # type: ignore[index]
    assert any("latest timestamp 2023-03-01T10:00:05Z" in n for n in pod["notes"])  # type: ignore[index]


def test_now_overrides(tmp_path: Path) -> None:
    doc = explain(tmp_path, "--now", "2026-01-01T00:00:00Z")
    pod = doc["pods"][0]  # type: ignore[index]
    assert pod["backoff"]["failing_for_seconds"] > 365 * 86400  # type: ignore[index]
    assert not any("latest timestamp" in n for n in pod["notes"])  # type: ignore[index]


def test_the_note_gives_the_latest_time_in_utc_whatever_offset_the_input_wrote(tmp_path: Path) -> None:
    # RFC 3339 allows any offset; the note ends in `Z`, so it must give the instant in UTC, not the
    # wall time of the offset the paste happened to use.
    path = tmp_path / "pod.json"
    pod = json.loads(json.dumps(POD))
    terminated = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    terminated["startedAt"], terminated["finishedAt"] = "2023-03-01T12:00:00+02:00", "2023-03-01T12:00:05+02:00"
    path.write_text(json.dumps(pod))
    result = CliRunner().invoke(cli, ["explain", str(path), "-o", "json"])
    notes = json.loads(result.output)["pods"][0]["notes"]
    assert any("latest timestamp 2023-03-01T10:00:05Z" in n for n in notes), notes
