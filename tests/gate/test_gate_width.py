"""Gate's text output fits the terminal: at 80 and 200 columns no line is wider (commands excepted
only when one shell word is longer than the line)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_render import failed_report, passed_report, timeout_report

from podmortem.gate.report import headline, render_text
from podmortem.render.terminal import _breaks


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("make", [failed_report, timeout_report, passed_report])
def test_no_line_wider_than_the_terminal(make: object, columns: int) -> None:
    out = render_text(make(), width=columns, tty=True)  # type: ignore[operator]
    wide = [line for line in out.splitlines()
            if len(line) > columns and _breaks(line.strip().removeprefix("$ ").removesuffix(" \\"))]
    assert wide == []
    assert out.splitlines()[0].startswith("podmortem gate: ")
    piped = render_text(make(), width=columns)  # type: ignore[operator]
    assert piped.splitlines()[0] == headline(make())  # type: ignore[operator]  # one line for CI logs
