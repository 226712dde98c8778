"""`rules explain` takes a rule id or the cause id every output shows."""

from __future__ import annotations

from click.testing import CliRunner

from podmortem.cli import cli
from podmortem.rules import ALL_RULES, for_cause


def test_cause_id_shows_every_rule_of_that_cause() -> None:
    result = CliRunner().invoke(cli, ["rules", "explain", "probes.liveness", "--no-color"])
    assert result.exit_code == 0, result.output
    for r in for_cause("probes.liveness"):
        assert f"# `{r.id}`" in result.output
    assert "cause: `probes.liveness`" in result.output


def test_rule_id_still_works_and_every_cause_resolves() -> None:
    runner = CliRunner()
    first = ALL_RULES[0]
    assert runner.invoke(cli, ["rules", "explain", first.id, "--no-color"]).exit_code == 0
    for cause in sorted({r.cause for r in ALL_RULES}):
        assert runner.invoke(cli, ["rules", "explain", cause, "--no-color"]).exit_code == 0, cause


def test_colour_renders_markdown_not_raw_markup() -> None:
    result = CliRunner().invoke(cli, ["rules", "explain", "probes.liveness", "--color"])
    assert result.exit_code == 0
    assert "\x1b[" in result.output
    assert "## What it detects" not in result.output  # headings rendered, not printed as markup
    assert "What it detects" in result.output


def test_unknown_id_is_a_usage_error_naming_the_family() -> None:
    result = CliRunner().invoke(cli, ["rules", "explain", "probes.nope"], standalone_mode=False)
    assert result.exception is not None
    assert "probes.liveness" in str(result.exception)
