"""The command line of `podmortem gate`: usage errors exit 2, an unreachable cluster exits 3, in one line."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import yaml
from gate_support import GateRun, Sim, deployment

from podmortem.gate.command import parse_duration

Gate = Callable[..., GateRun]


def _refusing_socket() -> socket.socket:
    """Bound, never listening: connections are refused, and no parallel test is handed the port."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def _kubeconfig(tmp_path: Path, server: str) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ci",
        "clusters": [{"name": "ci", "cluster": {"server": server}}],
        "users": [{"name": "ci", "user": {"token": "t"}}],
        "contexts": [{"name": "ci", "context": {"cluster": "ci", "user": "ci", "namespace": "shop"}}]}))
    return str(path)


@pytest.mark.parametrize("target", [["deployment/web"], ["-l", "app=web"]])
def test_unreachable_cluster_exits_3_in_one_line(tmp_path: Path, target: list[str]) -> None:
    with _refusing_socket() as refusing:
        kubeconfig = _kubeconfig(tmp_path, f"http://127.0.0.1:{refusing.getsockname()[1]}")

        p = subprocess.run([sys.executable, "-m", "podmortem", "gate", *target, "--kubeconfig", kubeconfig,
                            "--timeout", "1m", "-o", "junit"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 3, p.stderr
    # Reported at once: waiting for the 1m --timeout would have hit subprocess's 60s timeout above.
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("podmortem: error: cannot reach the Kubernetes API at http://127.0.0.1:")
    assert "connection refused" in lines[0]


@pytest.mark.parametrize(("args", "says"), [
    ([], "name a workload"),
    (["deployment/web", "-l", "app=web"], "not both"),
    (["pod/web"], "not 'pod'"),
    (["web"], "is not KIND/NAME"),
    (["deployment/web", "--timeout", "soon"], "is not a duration"),
    (["deployment/web", "--timeout", "0"], "must be more than 0"),
    (["deployment/web", "--restart-budget", "-1"], "restart-budget"),
    (["deployment/web", "-o", "xml"], "'xml' is not one of"),
])
def test_usage_errors_exit_2(gate: Gate, args: list[str], says: str) -> None:
    run = gate(*args)
    assert run.code == 2, run.err
    assert says in run.err and run.out == ""


def test_unknown_workload_exits_2(sim: Callable[..., Sim], gate: Gate) -> None:
    s = sim(deployment("web", replicas=1))
    run = gate("deployment/api", "--kubeconfig", s.kubeconfig, "--timeout", "10s")
    assert run.code == 2
    assert run.err.strip() == ('podmortem: error: deployment "api" not found in namespace "shop" '
                               "(hint: check the name and -n NAMESPACE)")


def test_bad_selector_exits_2(sim: Callable[..., Sim], gate: Gate) -> None:
    s = sim()
    run = gate("-l", "app in (web", "--kubeconfig", s.kubeconfig, "--timeout", "10s", "-q")
    assert run.code == 2, run.err
    assert run.err.startswith("podmortem: error: the Kubernetes API rejected the query: unable to parse requirement")


def test_missing_kubeconfig_exits_2(gate: Gate, tmp_path: Path) -> None:
    run = gate("deployment/web", "--kubeconfig", str(tmp_path / "nope"))
    assert run.code == 2 and "no such file" in run.err


@pytest.mark.parametrize(("text", "seconds"), [
    ("5m", 300), ("90", 90), ("90s", 90), ("1h30m", 5400), ("1m30s", 90), ("500ms", 0.5), ("0.5s", 0.5), ("0", 0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--timeout") == seconds


@pytest.mark.parametrize("text", ["", "m", "5x", "-5s", "5m 3s", "1.2.3s", "nan"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_duration(text, "--timeout")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    from podmortem.cli import main

    main(["--help"])
    assert "gate      Wait for a rollout" in capsys.readouterr().out
    main(["gate", "--help"])
    out = capsys.readouterr().out
    for option in ("--timeout", "--restart-budget", "--start-grace", "--settle", "-o, --output"):
        assert option in out


def test_progress_is_one_live_line_on_a_terminal_and_plain_lines_otherwise() -> None:
    import io

    from podmortem.gate.command import Progress

    ticks = iter([0.0, 1.5, 3.0, 4.5])
    tty = io.StringIO()
    live = Progress(False, stream=tty, tty=True, width=40, clock=lambda: next(ticks))
    live("waiting for deployment/web: 1 of 3 updated replicas are available")
    live("pod web-1 \x1b]52;c;aGk=\x07 is Ready")
    live.end()
    out = tty.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n")  # one line, rewritten in place, ended once
    frames = out.rstrip("\n").split("\r\x1b[2K")[1:]
    assert len(frames) == 2 and all(len(f) <= 40 for f in frames)
    assert "\x07" not in out and "\x1b]" not in out  # a name's escapes stay inert: only ours pass

    ticks = iter([0.0, 1.0, 2.0])
    plain = io.StringIO()
    lines = Progress(False, stream=plain, tty=False, clock=lambda: next(ticks))
    lines("first")
    lines("second")
    lines.end()
    assert plain.getvalue().splitlines() == ["podmortem gate [   1.0s] first", "podmortem gate [   2.0s] second"]
