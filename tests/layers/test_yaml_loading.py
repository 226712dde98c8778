"""All YAML podmortem reads goes through podmortem.kube.yamldocs (libyaml, go-yaml's alias budget).

A second YAML path is how a 617-byte alias bomb once ran `explain` past 30 s (issue 10): a loader
that expands aliases before anything has measured the graph. Rule, on the AST of every module
outside src/podmortem/kube/yamldocs.py: no call of PyYAML's loading functions (`yaml.load`,
`safe_load`, `compose`... in any variant) and no use of its loader classes (`SafeLoader`,
`CSafeLoader`...). Writing YAML (`safe_dump`) is not reading and stays free.

ALLOWED: sim/messages.py reproduces what a Python app using PyYAML prints for a config file it cannot
parse or construct; it calls `yaml.safe_load` for those words only on text the kube composer has
already found not to be YAML (it fails before anything is constructed) or within go-yaml's alias
budget and depth.
"""

from __future__ import annotations

import ast
from pathlib import Path

import podmortem

ROOT = Path(podmortem.__file__).parent
OWNER = "kube/yamldocs.py"
LOADING = frozenset({"load", "load_all", "safe_load", "safe_load_all", "full_load", "full_load_all", "unsafe_load",
                     "unsafe_load_all", "compose", "compose_all", "parse", "scan"})
LOADERS = frozenset({"Loader", "SafeLoader", "CSafeLoader", "FullLoader", "CFullLoader", "UnsafeLoader",
                     "CUnsafeLoader", "BaseLoader", "CBaseLoader", "CLoader"})
ALLOWED = {("sim/messages.py", "safe_load")}


def findings(root: Path = ROOT) -> list[str]:
    out: list[tuple[str, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == OWNER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                names = {a.name for a in node.names} & (LOADING | LOADERS)
                if names:
                    out.append((rel, node.lineno, f"imports {', '.join(sorted(names))} from yaml"))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                    and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "yaml" \
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value in LOADERS | LOADING:
                out.append((rel, node.lineno, f"reads YAML itself (yaml.{node.args[1].value})"))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml" \
                    and (node.attr in LOADING or node.attr in LOADERS) and (rel, node.attr) not in ALLOWED:
                out.append((rel, node.lineno, f"reads YAML itself (yaml.{node.attr})"))
    return [f"{rel}:{line}: {what}" for rel, line, what in sorted(out)]


def test_yaml_is_read_through_the_vocabulary() -> None:
    assert not findings(), "\n".join(findings())


def test_the_scan_finds_another_yaml_path(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "yamldocs.py").write_text("import yaml\nLoader = yaml.CSafeLoader\n")
    (tmp_path / "sim.py").write_text("import yaml\nfrom yaml import SafeLoader\n"
                                     "a = yaml.safe_load(text)\nb = yaml.load(text, Loader=yaml.CSafeLoader)\n"
                                     "c = yaml.safe_dump(a)\nd = getattr(yaml, 'CSafeLoader', None)\n")
    assert findings(tmp_path) == ["sim.py:2: imports SafeLoader from yaml",
                                  "sim.py:3: reads YAML itself (yaml.safe_load)",
                                  "sim.py:4: reads YAML itself (yaml.CSafeLoader)",
                                  "sim.py:4: reads YAML itself (yaml.load)",
                                  "sim.py:6: reads YAML itself (yaml.CSafeLoader)"]
