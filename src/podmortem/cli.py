"""The command line: a thin layer that parses flags, calls the library, and maps errors to exit codes.

Exit codes (docs/cli.md): 0 nothing wrong found, 1 at least one problem diagnosed, 2 bad usage or
unreadable input, 3 cluster unreachable or refused, 4 internal error (a bug: run with --debug).
Subcommands other than `explain`, `rules` and `demo` live in their own modules and are imported
only when used, so `podmortem explain` starts fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from podmortem.commandline import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    backoff_options,
    backoff_settings,
    details_option,
    emit,
    emit_pieces,
    leave,
    output_option,
    own_process,
    parse_now,
    pauses_cyclic_gc,
    say,
    terminal_width,
    use_color,
    write_patches_option,
)
from podmortem.errors import PodmortemError

if TYPE_CHECKING:
    from datetime import datetime

    from podmortem.model import PodEvidence
    from podmortem.sources.loader import Inputs
    from podmortem.standby import Standing

# name -> "module:attribute" of a click command, imported on first use.
LAZY_COMMANDS = {
    "sim": "podmortem.sim.command:sim",
    "diagnose": "podmortem.live.command:diagnose",
    "snapshot": "podmortem.live.command:snapshot",
    "lint": "podmortem.lint.command:lint",
    "gate": "podmortem.gate.command:gate",
    "watch": "podmortem.watch.command:watch",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        import importlib.util  # for find_spec; only `--help` and the kubectl plugin list commands

        names = set(super().list_commands(ctx))
        for name, target in LAZY_COMMANDS.items():
            try:
                found = importlib.util.find_spec(target.split(":")[0]) is not None
            except ModuleNotFoundError:  # the parent package is not there either
                found = False
            if found:
                names.add(name)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in LAZY_COMMANDS:
            return cmd
        module, _, attr = LAZY_COMMANDS[name].partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                return None
            raise
        found = getattr(mod, attr)
        assert isinstance(found, click.Command)
        return found


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "PODMORTEM"})
@click.version_option(package_name="podmortem")
@click.option("--debug", is_flag=True, help="Print the traceback of an error (the exit code stays the same).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """podmortem: why your Kubernetes pods crash-loop, with the evidence and the fix."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--describe", "describe", multiple=True, type=click.Path(allow_dash=True),
              help="Pasted `kubectl describe pod` output.")
@click.option("--logs", "logs", multiple=True, type=click.Path(allow_dash=True),
              help="The crashed container's log (`kubectl logs --previous`).")
@click.option("-c", "--container", default=None, help="The container the --logs belong to.")
@output_option("text", "wide", "json", "yaml", "markdown", "html")
@click.option("--now", default=None, help="Time to compute the back-off against (RFC 3339); default: now.")
@backoff_options
@details_option
@click.option("--color/--no-color", default=None, help="Colour output (default: only on a terminal).")
@write_patches_option
@pauses_cyclic_gc
def explain(
    inputs: tuple[str, ...], describe: tuple[str, ...], logs: tuple[str, ...], container: str | None,
    output: str, now: str | None, reduced_backoff: bool, backoff_max: int | None, details: str,
    color: bool | None, write_patches: str | None,
) -> None:
    """Explain crash-looping pods from files: Kubernetes objects, describe text, logs, or a snapshot folder.

    INPUTS are files or folders; their kind is detected from their content. `-` reads stdin.
    """
    if not inputs and not describe and not logs:
        raise click.UsageError("give a file, a folder, --describe FILE or --logs FILE")
    snapshots = [p for p in inputs if p != "-" and os.path.isdir(p) and _is_snapshot(p)]
    if snapshots:
        if len(inputs) > 1 or describe or logs:
            raise click.UsageError(f"{snapshots[0]} is a snapshot folder: explain it on its own")
        _explain_snapshot(snapshots[0], output, now, reduced_backoff, backoff_max, color, details, write_patches)
        return
    # Plainly healthy pods of a big list stay summaries unless a report needs their evidence:
    # the HTML report shows every pod, --logs attaches to the first, config checks read specs.
    keep_plain = output != "html" and not logs
    rendered = output == "json" and write_patches is None  # the report's pod entries made in the workers
    when, fixed = parse_now(now), now is not None
    # Workers readied for the engine's share, forked before the imports reading needs, or already by the
    # entry point (podmortem/standby.py, podmortem/launch.py).
    from podmortem.standby import dismiss_early, standby_for

    standby = None
    if keep_plain:
        standby = standby_for(inputs, now=when, fixed=fixed, backoff=(reduced_backoff, backoff_max), as_json=rendered)
    else:
        dismiss_early()
    from podmortem.sources.loader import Inputs

    given = Inputs(list(inputs), list(describe), list(logs), container)
    settings = backoff_settings(reduced_backoff, backoff_max)
    try:
        _explain_bundle(given, keep_plain, output, when, fixed, settings, rendered, details, color, write_patches,
                        standby)
    finally:
        if standby is not None:
            standby.dismiss()


def _explain_bundle(given: Inputs, keep_plain: bool, output: str, now: datetime, fixed: bool, settings: Any,
                    rendered: bool, details: str, color: bool | None, write_patches: str | None,
                    standby: Standing | None) -> None:
    # What reading and a JSON report need only: with standby workers, this process never builds a
    # pod's evidence or diagnosis, so the model and the renderers are imported where they are used.
    from podmortem.explainpods import explain_pods
    from podmortem.render.jsonparts import json_report_pieces
    from podmortem.sources.healthy import PlainPod
    from podmortem.sources.loader import PendingPod, read_bundle, with_logs

    bundle = read_bundle(given, keep_plain=keep_plain, on_pod=None if standby is None else standby.feed)
    others = bundle.others()
    index = None
    if others:
        from podmortem.sources.related import config_index

        index = config_index(others)
    pods: list[PodEvidence | PlainPod | PendingPod] = []
    if bundle.keep_plain and not index:
        pods = bundle.pods_pending()  # failing pods are built in the chain below, in its workers
    if not pods:
        pods = list(with_logs(bundle.pods(), given))
    # Each pod's chain (evidence, diagnosis, notes, and for JSON its entry of the report) runs in forked
    # workers when there are many (explainpods.py); the diagnoses themselves come back only when
    # something here still needs them.
    done = explain_pods(pods, now=now, fixed=fixed, settings=settings, index=index, as_json=rendered,
                        standby=standby)
    if done.diagnoses is None:
        emit_pieces(json_report_pieces(done.entries))
        leave(EXIT_PROBLEM if done.problem else EXIT_OK)
    results = done.diagnoses
    when = done.moment.when
    if write_patches is not None:
        from podmortem.render.patchfiles import write_patches as write

        results = write(results, write_patches)
    if output == "html":
        from podmortem.model import PodEvidence
        from podmortem.render.html import render_html

        full = [p for p in pods if isinstance(p, PodEvidence)]  # all of them: no summaries for HTML
        emit(render_html(list(zip(results, full, strict=True)), now=when, settings=settings))
    else:
        from podmortem.render import render

        emit(render(results, output, color=use_color(color), width=terminal_width(), details=details, now=when))
    leave(EXIT_PROBLEM if any(r.findings for r in results) else EXIT_OK)  # without freeing the heap (commandline)


def _is_snapshot(folder: str) -> bool:
    try:
        from podmortem.live.snapshot import is_snapshot
    except ModuleNotFoundError:  # a build without the live commands reads snapshots as plain folders
        return False
    return is_snapshot(folder)


def _explain_snapshot(folder: str, output: str, now: str | None, reduced_backoff: bool, backoff_max: int | None,
                      color: bool | None, details: str = "auto", write_patches: str | None = None) -> None:
    """A `podmortem snapshot` folder: the collection read back and diagnosed as `diagnose` did, at the
    capture time unless --now says otherwise, so the report is the one `diagnose` gave then."""
    from podmortem.live.report import diagnose_collection, render_live
    from podmortem.live.snapshot import read_snapshot

    snap = read_snapshot(folder)
    col = snap.collection
    when = parse_now(now) if now else (col.listed_at or snap.created or parse_now(None))
    result = diagnose_collection(col, now=when, backoff=backoff_settings(reduced_backoff, backoff_max))
    result.server, result.context = snap.server, snap.context
    if write_patches is not None:
        from podmortem.live.report import with_patch_files

        with_patch_files(result, write_patches)
    emit(render_live(result, output, color=use_color(color), details=details, width=terminal_width()))
    sys.exit(EXIT_PROBLEM if result.problem else EXIT_OK)


@cli.group()
def rules() -> None:
    """The rule catalogue."""


@rules.command("list")
@output_option("text", "json")
def rules_list(output: str) -> None:
    """List every rule with its cause id."""
    from podmortem.rules import ALL_RULES

    if output == "json":
        import json

        emit(json.dumps([{"id": r.id, "cause": r.cause, "title": r.title, "needs": sorted(r.needs),
                          "stage": r.stage, "lint_check": r.lint_check} for r in ALL_RULES], indent=2))
        return
    width = max(len(r.id) for r in ALL_RULES)
    cwidth = max(len(r.cause) for r in ALL_RULES)
    for r in ALL_RULES:
        emit(f"{r.id:<{width}}  {r.cause:<{cwidth}}  {r.title}")


@rules.command("explain")
@click.argument("rule_id", metavar="RULE_OR_CAUSE")
@click.option("--color/--no-color", default=None, help="Render the Markdown as rich text (default: only on a terminal).")
def rules_explain(rule_id: str, color: bool | None) -> None:
    """Show a rule's documentation, by rule id or by cause id (every rule of that cause)."""
    from podmortem.docgen import rule_markdown
    from podmortem.rules import ALL_RULES, by_id, for_cause

    try:
        found: tuple[Any, ...] = (by_id(rule_id),)
    except KeyError:
        # A cause id is what every output shows (`probes.liveness`); the rule id only -o wide does.
        found = for_cause(rule_id)
    if not found:
        causes = sorted({r.cause for r in ALL_RULES if r.cause.startswith(rule_id.split(".")[0] + ".")})
        hint = f" (causes in that family: {', '.join(causes)})" if causes else ""
        raise click.UsageError(f"no rule or cause {rule_id!r}{hint}; see `podmortem rules list`")
    text = "\n\n".join(rule_markdown(r).rstrip("\n") for r in found) + "\n"
    if use_color(color):
        from rich.console import Console
        from rich.markdown import Markdown

        console = Console(force_terminal=True, highlight=False)
        with console.capture() as cap:
            console.print(Markdown(text))
        emit(cap.get())
        return
    emit(text)


@cli.command()
@output_option("text", "wide", "json", "markdown")
@click.option("--color/--no-color", default=None)
def demo(output: str, color: bool | None) -> None:
    """Diagnose the bundled demo: the simulated cluster when available, else bundled example pods."""
    run_demo: Callable[..., int] | None
    try:
        import podmortem.sim.cluster  # noqa: F401  (the live demo runs the simulated cluster)
        from podmortem.demo import run_demo as live_demo

        run_demo = live_demo
    except ModuleNotFoundError:
        run_demo = None
    if run_demo is not None:
        sys.exit(run_demo(output=output, color=use_color(color)))
    from importlib.resources import files

    from podmortem.engine import diagnose
    from podmortem.render import render
    from podmortem.sources.loader import load_folder

    folder = files("podmortem") / "examples" / "demo"
    pods = load_folder(str(folder))
    when = parse_now("2026-01-15T10:30:00Z")  # the examples were captured at this time
    results = [diagnose(p, now=when) for p in pods]
    emit(render(results, output, color=use_color(color)))


def collect_less_often() -> None:
    """Run the cyclic garbage collector every 50,000 allocations instead of 700.

    A big PodList becomes many small objects without cycles (frozen evidence, findings, output
    dicts); at the default pace the collector re-scans them again and again, about 8% of an
    `explain` of 10,000 pods (benchmarks/bench_explain.py). Collection still happens.
    """
    import gc

    gc.set_threshold(50_000, 20, 20)


def main(argv: list[str] | None = None) -> None:
    """Entry point of `podmortem` and `kubectl-podmortem`: the only place errors become exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    if argv is None:  # a process of its own, not a caller inside another program
        collect_less_often()
        own_process()
    if argv is None and _prog_name() == "kubectl podmortem":
        argv = _plugin_args(sys.argv[1:])
    try:
        cli.main(args=argv, prog_name=_prog_name(), standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.stderr.write("podmortem: aborted\n")
        sys.exit(130)
    except click.UsageError as exc:
        # One line, like every other error: click's usage block buries the message under the synopsis.
        command = exc.ctx.command_path if exc.ctx is not None else _prog_name()
        say(f"podmortem: error: {exc.format_message()} (see `{command} --help`)")
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code in (1, 2) else exc.exit_code)
    except PodmortemError as exc:
        if debug:
            _print_traceback()
        say(f"podmortem: error: {exc.one_line()}")
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        if debug:  # the traceback, then the same line and exit code as without --debug
            _print_traceback()
        say(f"podmortem: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(EXIT_INTERNAL)


def _print_traceback() -> None:
    import traceback  # only with --debug: traceback loads linecache, tokenize and textwrap

    traceback.print_exc()


def _plugin_args(args: list[str]) -> list[str]:
    """`kubectl podmortem -A` means `podmortem diagnose -A`: a kubectl plugin diagnoses the cluster by default."""
    rest = [a for a in args if a != "--debug"]
    first = rest[0] if rest else None
    if first in ("-h", "--help", "--version") or (first is not None and first in cli.list_commands(click.Context(cli))):
        return args
    return [*(["--debug"] if "--debug" in args else []), "diagnose", *rest]


def _prog_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv else "podmortem"
    return "kubectl podmortem" if name.startswith("kubectl-") else "podmortem"
