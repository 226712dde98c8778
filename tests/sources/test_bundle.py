"""One manifest reader, one bundle: objects from every input are pooled, whatever the order or format.

`explain pods.yaml events.yaml` must give what the same objects in one file give. The demo's
pods and events are the fixture; the single-file forms are built from them here.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from podmortem.cli import cli

DEMO = Path(str(files("podmortem") / "examples" / "demo"))
NOW = "2026-01-15T10:30:00Z"


def _docs(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((DEMO / name).read_text())
    assert isinstance(doc, dict)
    return doc


def explain(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["explain", *map(str, paths), "--now", NOW, "-o", "json", *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def summary(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must not depend on how the objects were split into files: findings, evidence, notes."""
    return [(p["namespace"], p["name"], json.dumps(p["findings"], sort_keys=True), tuple(p.get("notes", ())))
            for p in doc["pods"]]


def write(path: Path, doc: Any, fmt: str) -> Path:
    path.write_text(json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def single_file_form(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    pods, events = _docs("pods.yaml"), _docs("events.yaml")
    one = tmp_path_factory.mktemp("one") / "all.yaml"
    one.write_text(yaml.safe_dump(pods) + "---\n" + yaml.safe_dump(events))
    _, doc = explain(one)
    return summary(doc)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("order", ["pods-first", "events-first"])
def test_pods_and_events_in_two_files(tmp_path: Path, fmt: str, order: str,
                                      single_file_form: list[tuple[Any, ...]]) -> None:
    pods = write(tmp_path / f"pods.{fmt}", _docs("pods.yaml"), fmt)
    events = write(tmp_path / f"events.{fmt}", _docs("events.yaml"), fmt)
    code, doc = explain(*((pods, events) if order == "pods-first" else (events, pods)))
    assert code == 1
    assert summary(doc) == single_file_form
    # the events really are attached: the demo's probe failure is only known from events
    cited = json.dumps(doc["pods"])
    assert '"events"' in cited and "Liveness probe failed" in cited


def test_one_json_list_equals_two_files(tmp_path: Path, single_file_form: list[tuple[Any, ...]]) -> None:
    pods, events = _docs("pods.yaml"), _docs("events.yaml")
    both = {"apiVersion": "v1", "kind": "List", "items": [*pods["items"], *events["items"]]}
    _, doc = explain(write(tmp_path / "all.json", both, "json"))
    assert summary(doc) == single_file_form


def test_without_the_events_file_the_findings_differ(tmp_path: Path,
                                                     single_file_form: list[tuple[Any, ...]]) -> None:
    """The comparisons above can fail: the events change what is found and cited."""
    _, doc = explain(write(tmp_path / "pods.json", _docs("pods.yaml"), "json"))
    assert summary(doc) != single_file_form


CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "payments-config", "namespace": "shop"},
             "data": {"DB_URL": "postgres://db", "LOG_LEVEL": "info"}}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("order", ["configmap-first", "configmap-last", "configmap-middle"])
def test_a_configmap_file_is_checked_against_the_pods(tmp_path: Path, fmt: str, order: str,
                                                      single_file_form: list[tuple[Any, ...]]) -> None:
    pods = write(tmp_path / f"pods.{fmt}", _docs("pods.yaml"), fmt)
    events = write(tmp_path / f"events.{fmt}", _docs("events.yaml"), fmt)
    cm = write(tmp_path / f"cm.{fmt}", CONFIGMAP, fmt)
    paths = {"configmap-first": (cm, pods, events), "configmap-last": (pods, events, cm),
             "configmap-middle": (events, cm, pods)}[order]
    _, doc = explain(*paths)
    by_name = {p["name"]: p for p in doc["pods"]}
    notes = by_name["payments-5f8d7c6b9-7hjqw"]["notes"]
    assert any("ConfigMap shop/payments-config has no key DATABASE_URL (its keys: DB_URL, LOG_LEVEL" in n
               for n in notes), notes
    # the findings are the single-file form's; only the note is added
    assert [(s[0], s[1], s[2]) for s in summary(doc)] == [(s[0], s[1], s[2]) for s in single_file_form]


def test_a_secret_contributes_key_names_only(tmp_path: Path) -> None:
    pods = write(tmp_path / "pods.yaml", _docs("pods.yaml"), "yaml")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "payments-stripe", "namespace": "shop"},
              "data": {"other-key": "c2VjcmV0LXZhbHVl"}}
    result = CliRunner().invoke(cli, ["explain", str(pods), str(write(tmp_path / "s.json", secret, "json")),
                                      "--now", NOW])
    assert "Secret shop/payments-stripe has no key api-key (its keys: other-key" in result.stdout
    assert "c2VjcmV0LXZhbHVl" not in result.stdout


def test_events_alone_still_say_the_pod_is_missing(tmp_path: Path) -> None:
    events = write(tmp_path / "events.yaml", _docs("events.yaml"), "yaml")
    result = CliRunner().invoke(cli, ["explain", str(events)])
    assert result.exit_code == 2 or "events but no pod" in str(result.exception)
