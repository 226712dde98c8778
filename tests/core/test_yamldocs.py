"""podmortem.kube.yamldocs' one-call loaders, and the YAML paths that now go through them."""

from __future__ import annotations

from pathlib import Path

import pytest

from podmortem.errors import InputError
from podmortem.kube.yamldocs import YamlSyntaxError, compose_one, load_all, load_one, syntax_problem


def laughs(levels: int, width: int = 10) -> str:
    lines = ["a0: &a0 lol"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_load_all_and_load_one_give_plain_data() -> None:
    # times stay text, as the API writes them; an explicit empty document is None, as in safe_load_all
    assert load_all("x", "a: 1\n---\n---\nb: [yes, '2026-01-01T00:00:00Z', 2026-01-01]\n") == \
        [{"a": 1}, None, {"b": [True, "2026-01-01T00:00:00Z", "2026-01-01"]}]
    assert load_all("x", "") == []
    assert load_one("x", "") is None
    assert load_one("x", "k: &v {n: 1}\nj: *v\n") == {"k": {"n": 1}, "j": {"n": 1}}
    with pytest.raises(InputError, match="2 YAML documents where one is expected"):
        load_one("x", "a: 1\n---\nb: 2\n")


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    for load in (load_all, load_one):
        with pytest.raises(InputError, match="excessive aliasing"):
            load("bomb.yaml", laughs(9))


def test_syntax_errors_say_where() -> None:
    with pytest.raises(YamlSyntaxError, match=r"^c.yaml:\d+: not valid YAML"):
        load_one("c.yaml", "a: 1\nb: [\n")
    problem = syntax_problem("a: 1\nb: c: d\n")
    assert problem is not None and problem[1] == 1
    assert syntax_problem(laughs(9)) is None  # composing expands nothing: the bomb is well-formed YAML


def test_compose_one_leaves_the_budget_to_its_caller() -> None:
    node = compose_one(laughs(9).encode())
    assert node is not None and node.tag.endswith(":map")


def test_a_simulator_profile_bomb_is_refused() -> None:
    from podmortem.sim.profile import parse_profile

    with pytest.raises(InputError, match="excessive aliasing"):
        parse_profile(laughs(9), "pod x")


def test_a_kustomization_bomb_is_not_built(tmp_path: Path) -> None:
    from podmortem.lint.kustomize import source_files

    (tmp_path / "kustomization.yaml").write_text(laughs(9) + "resources: [app.yaml]\n")
    (tmp_path / "app.yaml").write_text("kind: ConfigMap\n")
    assert source_files(str(tmp_path)) == []  # refused, so it names nothing (PyYAML would build 10**9 nodes)
