"""sim.messages.config_error: a simulated app reads its config file as PyYAML, json, tomllib or
configparser would, and fails with their words; an alias bomb is never constructed."""

from __future__ import annotations

from podmortem.sim.messages import config_error


def test_yaml_that_is_not_yaml_fails_with_pyyaml_s_words() -> None:
    err = config_error("yaml", "a: b: c\n")
    assert err is not None and err[0] == "yaml.scanner.ScannerError" and err[1] == 1
    assert "mapping values are not allowed here" in err[2]


def test_yaml_that_parses_but_cannot_be_constructed_fails_as_the_app_would() -> None:
    # yaml.safe_load knows no constructor for an application tag: a real app exits with this
    err = config_error("yaml", "server:\n  port: !port 8080\n")
    assert err is not None and err[0] == "yaml.constructor.ConstructorError" and err[1] == 2
    assert "could not determine a constructor for the tag '!port'" in err[2]


def test_valid_yaml_and_an_alias_bomb_parse() -> None:
    assert config_error("yaml", "server:\n  port: 8080\nnames: [a, b]\n") is None
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    assert config_error("yaml", bomb) is None  # beyond the budget: refused by the composer, never built
