"""Every rule case file, through the real normaliser and the engine, against its `expect` block."""

from __future__ import annotations

from pathlib import Path

import pytest

from podmortem.engine import diagnose
from podmortem.render.commands import command_lines, patch_yaml
from podmortem.testing import case_files, load_case

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("path", case_files(CASES), ids=lambda p: str(p.relative_to(CASES)))
def test_case(path: Path) -> None:
    case = load_case(path)
    result = diagnose(case.pod)
    assert result.findings, f"{path.name}: no finding at all"
    top = result.findings[0]
    want = case.expect
    got = [(f.cause, f.rule, f.container) for f in result.findings]
    assert top.cause == want["cause"], f"{case.why}\n findings: {got}"
    if "rule" in want:
        assert top.rule == want["rule"], got
    if "container" in want:
        assert top.container == want["container"], got
    if "init" in want:
        assert top.init is bool(want["init"]), got
    if "detail" in want:
        assert top.detail == want["detail"], (top.rule, top.detail)
    for source in want.get("sources", []):
        assert source in {c.source for c in top.evidence}, [c for c in top.evidence]
    remedy = "\n".join((top.remedy.summary, patch_yaml(top.remedy.patch) or "", *command_lines(top.remedy)))
    for text in want.get("remedy_has", []):
        assert text in remedy, remedy
    assert top.remedy.summary
