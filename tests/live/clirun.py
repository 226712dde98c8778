"""Run the podmortem CLI in-process and collect its exit code and output (shared by the live,
snapshot and hostile-name tests)."""

from __future__ import annotations

import pytest

from podmortem.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
