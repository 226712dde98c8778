"""`podmortem sim serve`: run the simulated cluster on loopback until interrupted."""

from __future__ import annotations

import signal
import sys
import threading
import time

import click

from podmortem.backoff import BackoffSettings
from podmortem.errors import InputError
from podmortem.sim.faults import parse_fault
from podmortem.sim.timefmt import parse_duration


@click.group()
def sim() -> None:
    """A simulated Kubernetes cluster that the real kubectl accepts (see docs/sim.md)."""


@sim.command()
@click.option("--scenario", type=click.Path(exists=True), default=None,
              help="A manifest file or folder (default: the bundled scenario, one workload per cause).")
@click.option("--port", type=click.IntRange(0, 65535), default=6443, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--kubeconfig-out", type=click.Path(dir_okay=False), default=None,
              help="Write a kubeconfig for the server here (use with KUBECONFIG=...).")
@click.option("--scale", type=click.IntRange(0, 200_000), default=0, help="Add about N pods (10% failing).")
@click.option("--start-offset", default="20m", show_default=True,
              help="How long before now the scenario was applied (crash loops are that old at start).")
@click.option("--speed", type=click.FloatRange(0.01, 10_000), default=1.0, show_default=True,
              help="Virtual seconds per wall-clock second.")
@click.option("--fault", "faults", multiple=True,
              help="Inject a fault, e.g. 'forbidden:verb=list,resource=secrets', 'error:rate=0.1', "
                   "'throttle:retry-after=2', 'slow:delay=1', 'drop-watch:after=5', 'expire-continue'.")
@click.option("--reduced-backoff", is_flag=True, help="Kubelet gate ReduceDefaultCrashLoopBackOffDecay (1s -> 60s).")
@click.option("--backoff-max", type=click.IntRange(1, 300), default=None,
              help="The kubelet's crashLoopBackOff.maxContainerRestartPeriod in seconds.")
@click.option("--token", default=None,
              help="Answer 401 to requests without 'Authorization: Bearer TOKEN' (the kubeconfig written carries it).")
def serve(scenario: str | None, port: int, kubeconfig_out: str | None, scale: int, start_offset: str, speed: float,
          faults: tuple[str, ...], reduced_backoff: bool, backoff_max: int | None, token: str | None) -> None:
    """Serve the Kubernetes API of a simulated cluster on 127.0.0.1 until Ctrl-C."""
    from podmortem.sim.cluster import SimCluster, SimOptions

    settings = BackoffSettings.reduced() if reduced_backoff else BackoffSettings()
    if backoff_max:
        settings = settings.with_max(backoff_max)
    options = SimOptions(scenario=scenario, scale=scale, start_offset=parse_duration(start_offset, "--start-offset"),
                         speed=speed, port=port, backoff=settings, faults=[parse_fault(f) for f in faults])
    if token is not None:
        if not token.strip() or any(ord(ch) < 0x21 or ord(ch) > 0x7E for ch in token):
            raise InputError("--token must be printable ASCII without spaces")
        options.token, options.check_token = token, True
    cluster = SimCluster(options)
    t0 = time.perf_counter()
    try:
        cluster.start()
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                         hint="choose another --port, or --port 0 for any free port") from None
    took = time.perf_counter() - t0
    pods = cluster.store.count("pods")
    click.echo(f"podmortem sim: serving {pods} pods on {cluster.url} (started in {took:.1f}s)", err=True)
    if kubeconfig_out:
        cluster.write_kubeconfig(kubeconfig_out)
        click.echo(f"kubeconfig written to {kubeconfig_out}; run: export KUBECONFIG={kubeconfig_out}", err=True)
    else:
        click.echo("no --kubeconfig-out given; the server is at " + cluster.url, err=True)
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not done.wait(0.5):
            pass
    finally:
        cluster.stop()
        click.echo("podmortem sim: stopped", err=True)
    sys.exit(0)
