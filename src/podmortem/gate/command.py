"""`podmortem gate`: the click command. Flags in, exit code out; the work is in run.py and diagnosis.py.

Exit codes: 0 every target rolled out and its pods are Ready; 1 a pod failed (the diagnosis is
printed) or the timeout passed (what is not Ready, and why, is printed); 2 bad usage; 3 the
cluster cannot be reached or refuses. Progress goes to stderr, the report to stdout, so that
`-o junit > gate.xml` keeps a clean file and the CI log still shows what the gate waits for.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

import click

from podmortem.commandline import EXIT_OK, EXIT_PROBLEM, emit, use_color
from podmortem.kube import durations

REPORT_RESERVE = 5.0  # at most this much of --timeout is kept for the diagnosis after the watch


def parse_duration(value: str, option: str) -> float:
    """Seconds from a Go-style duration ("5m", "1h30m", "90s", "500ms") or a plain number of seconds."""
    seconds = durations.parse_duration(value)
    if seconds is None:
        raise click.BadParameter(f"{value!r} is not a duration such as 90s, 5m or 1h30m", param_hint=option)
    return seconds


def _duration(option: str) -> Any:
    def convert(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
        return parse_duration(value, option)

    return convert


class Progress:
    """Progress on stderr, prefixed with the time since the gate started.

    On a terminal it is one status line rewritten in place (kubectl rollout status prints a line
    per change; a CI log wants that, a person wants the current state); otherwise plain lines.
    """

    def __init__(self, quiet: bool, *, stream: TextIO | None = None, tty: bool | None = None,
                 width: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.clock = clock
        self.start = clock()
        self.live = False  # a status line is on screen without its newline

    def __call__(self, text: str) -> None:
        if self.quiet:
            return
        from podmortem.render.escape import one_line

        line = one_line(f"podmortem gate [{self.clock() - self.start:6.1f}s] {text}")
        if not self.tty:
            self.stream.write(line + "\n")
        else:
            width = self.width or shutil.get_terminal_size((100, 24)).columns
            if len(line) >= width:
                line = line[: max(width - 2, 10)] + "…"
            self.stream.write("\r\x1b[2K" + line)  # back to column 0, clear the line, rewrite it
            self.live = True
        self.stream.flush()

    def end(self) -> None:
        """Leave the status line on screen and move below it (before the report or an error)."""
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
            self.live = False


@click.command()
@click.argument("targets", nargs=-1, metavar="[deployment/NAME | statefulset/NAME | daemonset/NAME]...")
@click.option("-n", "--namespace", default=None, help="The namespace (default: the context's).")
@click.option("-l", "--selector", default=None, help="Wait for every pod matching this label selector instead.")
@click.option("--timeout", default="5m", show_default=True, callback=_duration("--timeout"), metavar="DURATION",
              help="Give up, and fail, after this long; bounds the whole run, diagnosis and report included.")
@click.option("--restart-budget", type=click.IntRange(0, 1000), default=2, show_default=True,
              help="Restarts a container may have during the rollout; one more fails the gate.")
@click.option("--start-grace", default="30s", show_default=True, callback=_duration("--start-grace"), metavar="DURATION",
              help="How long a container may fail to start (config, create or image-pull errors, which the kubelet "
                   "retries) before that fails the gate.")
@click.option("--settle", default="10s", show_default=True, callback=_duration("--settle"), metavar="DURATION",
              help="How long everything must stay Ready before the gate passes (catches a crash right after start).")
@click.option("--poll-interval", default="3s", show_default=True, callback=_duration("--poll-interval"), metavar="DURATION",
              help="Listing interval when the server does not allow watching.")
@click.option("--context", default=None, help="The kubeconfig context to use.")
@click.option("--kubeconfig", default=None, type=click.Path(dir_okay=False),
              help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).")
@click.option("--request-timeout", default="30s", show_default=True, callback=_duration("--request-timeout"), metavar="DURATION",
              help="Longest wait for each whole API answer (not each read).")
@click.option("-o", "--output", type=click.Choice(["text", "json", "markdown", "junit", "html"]), default="text",
              show_default=True, help="Report format (junit: a test report CI systems display).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@click.option("--color/--no-color", default=None, help="Colour output (default: only on a terminal).")
def gate(targets: tuple[str, ...], namespace: str | None, selector: str | None, timeout: float, restart_budget: int,
         start_grace: float, settle: float, poll_interval: float, context: str | None, kubeconfig: str | None,
         request_timeout: float, output: str, quiet: bool, color: bool | None) -> None:
    """Wait for a rollout to become Ready after `kubectl apply`; fail it with the diagnosis if it crash-loops.

    Name the workloads (deployment/web statefulset/db daemonset/agent) or select pods with -l.
    The gate fails at once when a container of the new revision crash-loops, restarts more than
    --restart-budget times, or cannot start for --start-grace, and prints why (the same diagnosis
    as `podmortem diagnose`). It passes when every rollout is complete and its pods have stayed
    Ready for --settle. Exit codes: 0 passed, 1 failed or timed out, 2 bad usage, 3 cluster unreachable.
    """
    from podmortem.gate.diagnosis import Diagnosis, diagnose_pods, last_events
    from podmortem.gate.report import GateReport
    from podmortem.gate.run import Gate, Settings
    from podmortem.gate.targets import TargetError, parse_target
    from podmortem.gate.verdict import Policy
    from podmortem.live.client import connect

    if targets and selector:
        raise click.UsageError("name workloads or give -l SELECTOR, not both")
    if not targets and not selector:
        raise click.UsageError("name a workload (e.g. deployment/web) or select pods with -l SELECTOR")
    try:
        parsed = list(dict.fromkeys(parse_target(t) for t in targets))
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    if timeout <= 0:
        raise click.BadParameter("must be more than 0", param_hint="--timeout")
    streams = 3 * len(parsed) + 2
    client = connect(kubeconfig, context, timeout=request_timeout or 30.0, concurrency=max(8, streams + 2))
    # --timeout bounds the whole run: every request, the watch, and the diagnosis after it.
    client.set_deadline(timeout, f"--timeout {_shown(timeout)}")
    ns = namespace or client.namespace
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    settings = Settings(timeout, Policy(restart_budget, start_grace), settle, max(0.5, poll_interval),
                        report_reserve=min(REPORT_RESERVE, timeout / 4))
    progress = Progress(quiet)
    try:
        outcome = Gate(client, ns, parsed, selector, settings, say=progress).run()
    finally:
        progress.end()

    diagnosis = Diagnosis()
    failed = [p for p in outcome.failing if p.state == "failed"]
    if failed:
        diagnosis = diagnose_pods(client, ns, [p.name for p in failed])
    elif outcome.result != "passed" and outcome.not_ready:  # a timeout, or a rollout past its deadline
        diagnosis = diagnose_pods(client, ns, [p.name for p in outcome.not_ready], stuck=True)
    if outcome.result != "passed":
        wanted = [("Pod", p.name) for p in (*outcome.failing, *outcome.not_ready)]
        for t in outcome.targets:
            if t.name is not None:
                wanted.append((t.kind, t.name))
            if t.replicaset:
                wanted.append(("ReplicaSet", t.replicaset))
        diagnosis.last_events, note = last_events(client, ns, wanted)
        if note:
            diagnosis.notes.append(note)
    report = GateReport(outcome, diagnosis, client.host, client.context, started_at, dict(client.requests))
    emit(_render(report, output, use_color(color)))
    sys.exit(EXIT_OK if outcome.result == "passed" else EXIT_PROBLEM)


def _shown(seconds: float) -> str:
    return f"{seconds:g}s"


def _render(report: Any, output: str, color: bool) -> str:
    from podmortem.gate import junit
    from podmortem.gate import report as text_report

    if output == "json":
        return text_report.render_json(report)
    if output == "markdown":
        return text_report.render_markdown(report)
    if output == "junit":
        return junit.render_junit(report)
    if output == "html":
        return text_report.render_html(report)
    from podmortem.commandline import terminal_width

    return text_report.render_text(report, color=color, width=terminal_width(), tty=sys.stdout.isatty())
