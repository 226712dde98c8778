"""Every kubectl command podmortem prints is built by podmortem.kube.kubectl, nowhere else.

The builder is where `-n` is placed, where an unknown namespace becomes NAMESPACE and where values
are kept apart from the text so they are shell-quoted (podmortem.shell). Rule, on the AST of every
module outside src/podmortem/kube/kubectl.py:

- no tuple or list whose first item is "kubectl" (an argv built by hand: `Command(("kubectl", ...))`);
- no string that is a kubectl command line (`"kubectl get pods ..."`, also after a `$ ` prompt);
- no f-string that interpolates a value after the word `kubectl ` (a command with an unquoted value).

Prose that names a kubectl command without values stays prose: "(`kubectl rollout resume` it)",
"kubectl kustomize failed: ...". Running kubectl (lint -k runs `kubectl kustomize`) takes its
executable's path from PATH as a variable, not the literal. ALLOWED lists what is left on purpose.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import podmortem

ROOT = Path(podmortem.__file__).parent
BUILDER = "kube/kubectl.py"
# (module, source text fragment) left on purpose, each with why.
ALLOWED = {
    ("cli.py", '"kubectl podmortem"'),  # the plugin's name as kubectl runs it, not a command line
    ("sim/api.py", '"kubectl exec and kubectl cp"'),  # the simulator's refusal names the kubectl commands
    ("sim/api.py", '"kubectl attach (and run -i)"'),  # it cannot serve (no values: prose)
    ("sim/api.py", '"kubectl port-forward"'),
    ("lint/kustomize.py", "kubectl kustomize did not finish"),  # kubectl's exit, reported: the values
    ("lint/kustomize.py", "kubectl kustomize failed"),  # are a timeout and kubectl's own first line
}
_COMMAND_TEXT = re.compile(r"^\s*(?:\$ )?kubectl [a-z]")
# Where a command quoted inside prose ends: its closing backtick or parenthesis, or the sentence.
_COMMAND_END = re.compile(r"[`)]|[.;:] ")


def _is_kubectl(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "kubectl"


def findings(root: Path = ROOT) -> list[str]:
    out: list[tuple[str, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == BUILDER:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        in_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        compared = {id(c) for n in ast.walk(tree) if isinstance(n, ast.Compare) for c in (n.left, *n.comparators)}
        for node in ast.walk(tree):
            problem = None
            if isinstance(node, ast.Tuple | ast.List) and node.elts and _is_kubectl(node.elts[0]) \
                    and id(node) not in compared:
                problem = "builds a kubectl argv by hand"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and id(node) not in in_fstring and _COMMAND_TEXT.match(node.value):
                problem = "writes a kubectl command as text"
            elif isinstance(node, ast.JoinedStr):
                seen = False
                for part in node.values:
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        if "kubectl " in part.value:
                            seen = not _COMMAND_END.search(part.value.rsplit("kubectl ", 1)[1])
                        elif seen and _COMMAND_END.search(part.value):
                            seen = False
                    elif isinstance(part, ast.FormattedValue) and seen:
                        problem = "interpolates a value into a kubectl command (unquoted)"
                        break
            if problem and not any(rel == m and frag in (ast.get_source_segment(text, node) or "")
                                   for m, frag in ALLOWED):
                out.append((rel, node.lineno, problem))
    return [f"{rel}:{line}: {problem}" for rel, line, problem in sorted(out)]


def test_kubectl_commands_come_from_the_builder() -> None:
    assert not findings(), "\n".join(findings())


def test_the_scan_finds_a_command_built_by_hand(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "kubectl.py").write_text('def kubectl(*a):\n    return ("kubectl", *a)\n')
    (tmp_path / "rules.py").write_text(
        '"""kubectl get pods, in a docstring, is prose."""\n'
        'a = Command(("kubectl", "get", "pods"))\n'
        'b = "kubectl get pod " + name\n'
        'c = f"run `kubectl logs {pod}`"\n'
        'd = "the deployment is paused: `kubectl rollout resume` it"\n'
        'e = f"{name}: kubectl kustomize failed"\n'
        'f = f"(kubectl get nodes -L arch) pin it to {arch}"\n'
        'g = words[:1] == ["kubectl"]\n')
    assert findings(tmp_path) == ["rules.py:2: builds a kubectl argv by hand",
                                  "rules.py:3: writes a kubectl command as text",
                                  "rules.py:4: interpolates a value into a kubectl command (unquoted)"]
