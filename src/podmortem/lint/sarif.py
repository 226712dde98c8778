"""SARIF 2.1.0 output of `podmortem lint`, for GitHub code scanning and other SARIF consumers.

`tool.driver.rules` is built from the check catalogue (id, title, description, fix, default
level, cause id); each result names its rule, level, message, file and line, and carries the
cause id in `properties.cause`. Valid against the OASIS SARIF 2.1.0 JSON schema (tested).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from podmortem.causes import CAUSES
from podmortem.lint.checks import ALL_CHECKS, Check
from podmortem.lint.loader import STDIN_NAME
from podmortem.lint.model import LintFinding, LintReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("podmortem")
    except Exception:  # not installed (running from a source tree): SARIF needs only a string
        return "0.0.0"


def artifact_uri(path: str) -> str:
    """A relative path stays relative (GitHub resolves it against the repository root)."""
    if path == STDIN_NAME:
        return "stdin"
    posix = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(posix, safe="/:")
    return quote(posix.removeprefix("./"), safe="/")


def rule_dict(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": "".join(part.capitalize() for part in check.id.split("-")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.summary or check.title},
        "help": {"text": check.fix, "markdown": check.doc},
        "defaultConfiguration": {"level": _LEVEL[check.severity]},
        "properties": {
            "cause": str(check.cause),
            "category": CAUSES[check.cause].category,
            "tags": ["kubernetes", "crash-loop", CAUSES[check.cause].category],
        },
    }


def result_dict(f: LintFinding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {"cause": str(f.cause), "object": f.object, "fix": f.fix}
    if f.container:
        properties["container"] = f.container
    if f.namespace:
        properties["namespace"] = f.namespace
    return {
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} Fix: {f.fix}"},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(f.file)},
                "region": {"startLine": max(1, f.line)},
            },
            "logicalLocations": [{"name": f.object, "kind": "object"}],
        }],
        "properties": properties,
    }


def _suppressed(f: LintFinding, rule_index: int) -> dict[str, Any]:
    """A finding silenced in the source: SARIF §3.35 suppression of kind inSource, with its reason."""
    result = result_dict(f, rule_index)
    suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
    if f.suppressed:
        suppression["justification"] = f.suppressed
    result["suppressions"] = [suppression]
    return result


def render_sarif(report: LintReport) -> str:
    index = {c.id: i for i, c in enumerate(ALL_CHECKS)}
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "podmortem",
                "version": _version(),
                "rules": [rule_dict(c) for c in ALL_CHECKS],
            }},
            "invocations": [{"executionSuccessful": True}],
            "results": [result_dict(f, index[f.check]) for f in report.findings]
            + [_suppressed(f, index[f.check]) for f in report.suppressed],
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
