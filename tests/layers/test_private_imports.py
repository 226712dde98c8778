"""No module of podmortem reaches into another module's private names.

The rule, checked on the AST of every module under src/podmortem:

A name whose last dotted part starts with one underscore (`_x`, not a dunder such as `__init__`)
is private to the module that defines it, and a module so named is private to nobody but itself.
So no module may
  - import a module any part of whose dotted path is private (`import podmortem.rules._x`,
    `from podmortem.rules._x import y`, `from podmortem.rules import _x`, relative forms alike);
  - import a private symbol from another module (`from podmortem.sim.kubelet.images import digest_of`);
  - read a private attribute of a podmortem module it imported (`images.digest_of(...)`).
`from __future__ import ...` is not a module import and is excluded. Binding a public name to a
private local alias (`import x as _x`) is allowed: the alias is the importer's own.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import podmortem

PACKAGE_ROOT = Path(podmortem.__file__).parent


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _module_name(root: Path, path: Path) -> str:
    parts = ["podmortem", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


@dataclass(frozen=True)
class Violation:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def violations(path: Path, root: Path = PACKAGE_ROOT) -> list[Violation]:
    module = _module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Violation] = []
    module_aliases: set[str] = set()  # local names bound to podmortem modules

    def bad(node: ast.AST, what: str) -> None:
        found.append(Violation(f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}", what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(_private(p) for p in alias.name.split(".")):
                    bad(node, f"imports private module {alias.name}")
                if alias.name.startswith("podmortem"):
                    module_aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if any(_private(p) for p in target.split(".")):
                bad(node, f"imports from private module {target}")
                continue
            for alias in node.names:
                if _private(alias.name):
                    kind = "module" if _is_module(root, f"{target}.{alias.name}") else "name"
                    bad(node, f"imports private {kind} {alias.name} from {target}")
                elif target.startswith("podmortem") and _is_module(root, f"{target}.{alias.name}"):
                    module_aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in module_aliases and base.id not in ("self", "cls"):
                bad(node, f"reads private attribute {ast.unparse(node)}")
    return found


@pytest.mark.slow
def test_no_module_imports_another_modules_private_names() -> None:
    found = [v for path in sorted(PACKAGE_ROOT.rglob("*.py")) for v in violations(path)]
    assert not found, "cross-module private names (give them a public name):\n" + "\n".join(map(str, found))


def test_the_scan_sees_each_form(tmp_path: Path) -> None:
    root = tmp_path / "podmortem"
    for sub in ("", "sim", "sim/kubelet"):
        (root / sub).mkdir(exist_ok=True)
        (root / sub / "__init__.py").touch()
    (root / "sim" / "kubelet" / "images.py").touch()
    probe = root / "sim" / "kubelet" / "probe.py"
    probe.write_text(
        "from __future__ import annotations\n"
        "import podmortem.rules.patterns as ok\n"
        "import podmortem.sim._hidden\n"
        "from podmortem.sim._hidden import thing\n"
        "from podmortem.sim.kubelet.images import _secret, normalize_image as _fine\n"
        "from podmortem.sim.kubelet import _private_module\n"
        "from . import images\n"
        "from .._hidden import other\n"
        "x = images._secret()\n"
        "y = ok.__name__\n"
        "z = self._own\n"
    )
    assert sorted(v.what for v in violations(probe, root)) == sorted([
        "imports private module podmortem.sim._hidden",
        "imports from private module podmortem.sim._hidden",
        "imports private name _secret from podmortem.sim.kubelet.images",
        "imports private name _private_module from podmortem.sim.kubelet",
        "imports from private module podmortem.sim._hidden",
        "reads private attribute images._secret",
    ])
