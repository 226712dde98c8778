"""One Kubernetes vocabulary: times, durations, quantities and label selectors live in podmortem.kube.

Rule, on the AST of every module outside src/podmortem/kube: no call of `datetime.fromisoformat`
or `strptime` (the way to a second RFC 3339 parser), and no function definition named like one of
the vocabulary's parsers and formatters (parse_rfc3339, parse_time, parse_quantity, parse_bytes,
format_bytes, format_duration, format_label_selector, parse_duration). Allowed: the wrappers that
add a command's own error to the kube parser (sim's and gate's `parse_duration`), and describe's
`parse_time`, which reads kubectl describe's RFC 1123 layout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import podmortem

ROOT = Path(podmortem.__file__).parent
VOCABULARY = frozenset({"parse_rfc3339", "parse_time", "parse_quantity", "parse_bytes", "format_bytes",
                        "format_duration", "format_label_selector", "parse_duration", "format_rfc3339"})
ALLOWED = {("sim/timefmt.py", "parse_duration"), ("gate/command.py", "parse_duration"),
           ("sources/describe/times.py", "parse_time")}


def findings(root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("kube/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("fromisoformat", "strptime"):
                out.append(f"{rel}:{node.lineno}: parses a time itself ({node.func.attr})")
            if isinstance(node, ast.FunctionDef) and node.name in VOCABULARY and (rel, node.name) not in ALLOWED:
                out.append(f"{rel}:{node.lineno}: defines {node.name} outside podmortem.kube")
    return out


@pytest.mark.slow
def test_the_vocabulary_is_defined_once() -> None:
    assert not findings(), "\n".join(findings())


def test_the_scan_finds_a_second_parser(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "times.py").write_text("def parse_rfc3339(v):\n    return datetime.fromisoformat(v)\n")
    (tmp_path / "rules.py").write_text("def parse_rfc3339(v):\n    return datetime.fromisoformat(v)\n")
    assert sorted(findings(tmp_path)) == ["rules.py:1: defines parse_rfc3339 outside podmortem.kube",
                                          "rules.py:2: parses a time itself (fromisoformat)"]
