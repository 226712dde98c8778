"""`explain` runs with the cyclic garbage collector paused and gives it back as it found it, whatever
the outcome (the suite runs commands in-process: a collector left off would change every later test)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podmortem.cli import cli
from podmortem.commandline import pauses_cyclic_gc

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop"},
       "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:1"}]},
       "status": {"phase": "Running", "containerStatuses": [{"name": "api", "ready": True, "restartCount": 0,
                                                             "state": {"running": {}}}]}}


@pytest.mark.parametrize("enabled", [True, False])
def test_explain_restores_the_collector(tmp_path: Path, enabled: bool) -> None:
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(POD))
    (gc.enable if enabled else gc.disable)()
    try:
        ok = CliRunner().invoke(cli, ["explain", str(path), "-o", "json"])
        assert ok.exit_code == 0 and json.loads(ok.output)["pods"][0]["name"] == "api-0"
        assert gc.isenabled() is enabled
        bad = CliRunner().invoke(cli, ["explain", str(tmp_path / "missing.json")])
        assert bad.exit_code != 0  # an InputError raised through the command (main() maps it to exit 2)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_the_collector_is_paused_while_the_command_runs() -> None:
    seen: list[bool] = []

    @pauses_cyclic_gc
    def command(fail: bool) -> str:
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("boom")
        return "done"

    assert gc.isenabled()
    assert command(False) == "done"
    with pytest.raises(RuntimeError):
        command(True)
    assert seen == [False, False] and gc.isenabled()
