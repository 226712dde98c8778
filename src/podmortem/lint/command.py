"""`podmortem lint`: check Kubernetes manifests for crash-loop causes before they are applied.

Exit codes: 0 no finding at or above --fail-on, 1 at least one, 2 unreadable input or bad usage
(raised as podmortem.errors.InputError / click.UsageError; cli.main maps them).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from podmortem.lint.checks import ALL_CHECKS, CHECKS_BY_ID
from podmortem.lint.model import SEVERITY_RANK

if TYPE_CHECKING:
    from podmortem.lint.loader import Source

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


def _cluster_reader(kubeconfig: str | None, context: str | None, namespace: str | None,
                    request_timeout: str) -> Any:
    """Connects now (a bad kubeconfig or context fails before any file is read); reads after the files."""
    from podmortem.kube.durations import parse_duration
    from podmortem.lint.cluster import read_cluster
    from podmortem.live.client import connect

    seconds = parse_duration(request_timeout)
    if seconds is None:
        raise click.BadParameter(f"{request_timeout!r} is not a duration such as 30s or 1m",
                                 param_hint="--request-timeout")
    client = connect(kubeconfig, context, timeout=seconds or 30.0)
    return lambda namespaces: read_cluster(client, namespaces, namespace)


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
@click.option("-k", "--kustomize", "kustomize_dirs", multiple=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Render the kustomization in DIR with `kubectl kustomize` and lint it; findings point at the "
                   "source files (repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Report only findings that are not in FILE, an earlier `podmortem lint -o json` report.")
@click.option("--cluster", "use_cluster", is_flag=True,
              help="Resolve references against the live cluster, read-only: ConfigMaps and their keys, Secrets "
                   "(names only, never values), PVCs, StorageClasses, ServiceAccounts, namespaces, node architectures.")
@click.option("--context", default=None, help="With --cluster: the kubeconfig context to use.")
@click.option("--kubeconfig", default=None, type=click.Path(dir_okay=False),
              help="With --cluster: the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).")
@click.option("-n", "--namespace", default=None,
              help="With --cluster: the namespace objects without one are applied into (default: the context's).")
@click.option("--request-timeout", default="30s", show_default=True,
              help="With --cluster: timeout of each API request.")
@click.option("--list-checks", is_flag=True, help="List the checks with severity and cause id, and exit.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: only on a terminal).")
def lint(paths: tuple[str, ...], output: str, fail_on: str, select: tuple[str, ...], ignore: tuple[str, ...],
         strict_refs: bool, kustomize_dirs: tuple[str, ...], baseline: str | None, use_cluster: bool, context: str | None, kubeconfig: str | None,
         namespace: str | None, request_timeout: str, list_checks: bool, color: bool | None) -> None:
    """Check Kubernetes manifests for what makes pods crash-loop, before they are applied.

    PATHS are YAML or JSON files (many documents each) or folders; `-` reads stdin, e.g.
    `helm template . | podmortem lint -`. `-k DIR` renders a kustomization with kubectl.
    Silence a check for one object, with a reason, by the annotation
    podmortem.dev/ignore: "check-id=reason, other-check=reason".
    """
    from podmortem.commandline import emit, terminal_width, use_color
    from podmortem.lint.loader import read_sources
    from podmortem.lint.render import render_json, render_text
    from podmortem.lint.runner import LintOptions, lint_sources
    from podmortem.lint.sarif import render_sarif
    from podmortem.lint.suppress import read_baseline

    if list_checks:
        emit(_list_checks())
        return
    sources: Iterable[Source] = read_sources(paths) if paths or not kustomize_dirs else ()
    relocate = None
    if kustomize_dirs:
        from podmortem.lint.kustomize import SourceMap, relocator, render

        rendered = [(d, render(d)) for d in kustomize_dirs]
        maps = {source.name: SourceMap.build(d, source) for d, source in rendered}
        relocate = relocator(maps)
        sources = itertools.chain([s for _d, s in rendered], sources)
    if not use_cluster:
        given = [flag for flag, value in (("--context", context), ("--kubeconfig", kubeconfig),
                                          ("--namespace", namespace)) if value]
        if given:
            raise click.UsageError(f"{', '.join(given)}: only with --cluster")
    options = LintOptions(
        select=_check_ids(select, "--select") or None,
        ignore=_check_ids(ignore, "--ignore"),
        strict_refs=strict_refs,
        baseline=read_baseline(baseline) if baseline else None,
        cluster=_cluster_reader(kubeconfig, context, namespace, request_timeout) if use_cluster else None,
        relocate=relocate,
    )
    report = lint_sources(sources, options)
    if output == "json":
        emit(render_json(report))
    elif output == "sarif":
        emit(render_sarif(report))
    else:
        emit(render_text(report, color=use_color(color), width=terminal_width()))
    worst = report.worst()
    failed = fail_on != "never" and worst is not None and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]
    sys.exit(1 if failed else 0)
