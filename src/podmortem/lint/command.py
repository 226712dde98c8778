"""`podmortem lint`: check Kubernetes manifests for crash-loop causes before they are applied.

Exit codes: 0 no finding at or above --fail-on, 1 at least one, 2 unreadable input or bad usage
(raised as podmortem.errors.InputError / click.UsageError; cli.main maps them).
"""

from __future__ import annotations

import sys

import click

from podmortem.lint.checks import ALL_CHECKS, CHECKS_BY_ID
from podmortem.lint.model import SEVERITY_RANK

FAIL_ON = ("error", "warning", "info", "never")


def _check_ids(values: tuple[str, ...], option: str) -> frozenset[str]:
    ids = frozenset(part.strip() for v in values for part in v.split(",") if part.strip())
    unknown = sorted(ids - set(CHECKS_BY_ID))
    if unknown:
        raise click.UsageError(f"{option}: unknown check {', '.join(unknown)}; see `podmortem lint --list-checks`")
    return ids


def _list_checks() -> str:
    width = max(len(c.id) for c in ALL_CHECKS)
    cwidth = max(len(c.cause) for c in ALL_CHECKS)
    return "\n".join(f"{c.id:<{width}}  {c.severity:<7}  {c.cause:<{cwidth}}  {c.title}" for c in ALL_CHECKS)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("-o", "--output", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit 1 when a finding of this severity or worse exists.")
@click.option("--select", "select", multiple=True, metavar="CHECK",
              help="Run only these checks (repeatable, or comma-separated).")
@click.option("--ignore", "ignore", multiple=True, metavar="CHECK",
              help="Skip these checks (repeatable, or comma-separated).")
@click.option("--strict-refs", is_flag=True,
              help="The files are the whole bundle: every ConfigMap, Secret and PVC they reference must be in them.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Report only findings that are not in FILE, an earlier `podmortem lint -o json` report.")
@click.option("--list-checks", is_flag=True, help="List the checks with severity and cause id, and exit.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: only on a terminal).")
def lint(paths: tuple[str, ...], output: str, fail_on: str, select: tuple[str, ...], ignore: tuple[str, ...],
         strict_refs: bool, baseline: str | None, list_checks: bool, color: bool | None) -> None:
    """Check Kubernetes manifests for what makes pods crash-loop, before they are applied.

    PATHS are YAML or JSON files (many documents each) or folders; `-` reads stdin, e.g.
    `helm template . | podmortem lint -` or `kustomize build | podmortem lint -`.
    Silence a check for one object, with a reason, by the annotation
    podmortem.dev/ignore: "check-id=reason, other-check=reason".
    """
    from podmortem.cli import emit, use_color
    from podmortem.lint.loader import read_sources
    from podmortem.lint.render import render_json, render_text
    from podmortem.lint.runner import LintOptions, lint_sources
    from podmortem.lint.sarif import render_sarif
    from podmortem.lint.suppress import read_baseline

    if list_checks:
        emit(_list_checks())
        return
    options = LintOptions(
        select=_check_ids(select, "--select") or None,
        ignore=_check_ids(ignore, "--ignore"),
        strict_refs=strict_refs,
        baseline=read_baseline(baseline) if baseline else None,
    )
    report = lint_sources(read_sources(paths), options)
    if output == "json":
        emit(render_json(report))
    elif output == "sarif":
        emit(render_sarif(report))
    else:
        emit(render_text(report, color=use_color(color)))
    worst = report.worst()
    failed = fail_on != "never" and worst is not None and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]
    sys.exit(1 if failed else 0)
