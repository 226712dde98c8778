"""Text and JSON output of `podmortem lint` (SARIF is in sarif.py).

Text groups findings by file, in line order, and ends with a one-line summary. JSON is the
contract documented in docs/lint.md: field names are stable; fields may be added, never renamed.
"""

from __future__ import annotations

import json
import textwrap
from itertools import groupby
from typing import Any

import click

from podmortem.lint.model import LintFinding, LintReport

SCHEMA_VERSION = "podmortem/v1"
_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}


def finding_dict(f: LintFinding) -> dict[str, Any]:
    return {
        "check": f.check,
        "cause": str(f.cause),
        "severity": f.severity,
        "file": f.file,
        "line": f.line,
        "object": f.object,
        "namespace": f.namespace,
        "container": f.container,
        "message": f.message,
        "fix": f.fix,
    }


def suppressed_dict(f: LintFinding) -> dict[str, Any]:
    return {**finding_dict(f), "justification": f.suppressed or ""}


def summary_dict(report: LintReport) -> dict[str, int]:
    return {
        "files": report.files,
        "objects": report.objects,
        "workloads": report.workloads,
        "errors": report.count("error"),
        "warnings": report.count("warning"),
        "info": report.count("info"),
        "suppressed": len(report.suppressed),
        "baselined": report.baselined,
    }


def render_json(report: LintReport) -> str:
    doc: dict[str, Any] = {
        "apiVersion": SCHEMA_VERSION,
        "kind": "LintReport",
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [suppressed_dict(f) for f in report.suppressed],
        "summary": summary_dict(report),
    }
    if report.notes:
        doc["notes"] = list(report.notes)
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def summary_line(report: LintReport) -> str:
    read = (f"{_plural(report.files, 'file')}, {_plural(report.objects, 'object')} read, "
            f"{_plural(report.workloads, 'workload')} checked")
    hidden = []
    if report.suppressed:
        hidden.append(f"{len(report.suppressed)} suppressed")
    if report.baselined:
        hidden.append(f"{report.baselined} in the baseline")
    tail = f"; {', '.join(hidden)}" if hidden else ""
    if not report.findings:
        return f"no problems found ({read}{tail})"
    counts = ", ".join(_plural(report.count(s), s) for s in ("error", "warning", "info"))
    return f"{counts} ({read}{tail})"


DEFAULT_WIDTH = 100  # piped output: what the other text renderers use


def _fill(text: str, width: int, first: str, rest: str) -> list[str]:
    """`text` wrapped to `width` after the prefix `first`, continued under `rest` (a hanging indent).

    Words are never split (a path or an image reference stays whole even when longer than a line).
    """
    return textwrap.wrap(text, width=max(width, len(rest) + 20), initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def render_text(report: LintReport, color: bool = False, width: int | None = None) -> str:
    """Findings by file, each wrapped to the terminal's width with hanging indents, then the summary."""
    width = width or DEFAULT_WIDTH

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    body = " " * 9
    lines: list[str] = []
    for file, group in groupby(report.findings, key=lambda f: f.file):
        lines.append(style(file, bold=True))
        for f in group:
            severity = style(f"{f.severity:<7}", fg=_COLORS.get(f.severity), bold=f.severity == "error")
            head = f"  {f.line:>5}  {f.severity:<7}  {f.check}  {f.object}"
            if len(head) <= width:
                lines.append(f"  {f.line:>5}  {severity}  {style(f.check, bold=True)}  {f.object}")
            else:
                lines.append(f"  {f.line:>5}  {severity}  {style(f.check, bold=True)}")
                lines.extend(_fill(f.object, width, body, body))
            lines.extend(_fill(f.message, width, body, body))
            lines.extend(style(line, dim=True) for line in _fill(f"fix: {f.fix}", width, body, body + "     "))
        lines.append("")
    for note in report.notes:
        lines.extend(style(line, dim=True) for line in _fill(f"note: {note}", width, "", "      "))
    lines.extend(_fill(summary_line(report), width, "", "  "))
    return "\n".join(lines)
