"""`podmortem watch`: report each crash loop once, as Events, metrics and notifications (docs/watch.md).

Runs until SIGTERM or Ctrl-C (exit 0), releasing the leader Lease on the way out. Bad flags exit
2, a cluster that cannot be configured at all exits 3; once running, API failures are retried
forever with back-off (the pod watch never gives up).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time

import click

from podmortem.errors import InputError
from podmortem.kube.durations import parse_duration


def _duration(value: str, option: str) -> float:
    seconds = parse_duration(value)
    if seconds is None:
        raise click.BadParameter(f"{value!r} is not a duration such as 30s, 5m or 1h", param_hint=option)
    return seconds


def parse_addr(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT such as 127.0.0.1:8080", param_hint="--metrics-addr")
    return (host.strip("[]") or "127.0.0.1", int(port))


def default_identity() -> str:
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}"


@click.command()
@click.option("-n", "--namespace", default=None, help="Watch one namespace (default: the context's).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Watch every namespace.")
@click.option("-l", "--selector", default=None, help="Label selector, e.g. app=web,tier!=db.")
@click.option("--context", default=None, help="The kubeconfig context to use.")
@click.option("--kubeconfig", default=None, type=click.Path(dir_okay=False),
              help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).")
@click.option("--request-timeout", default="30s", show_default=True, help="Longest wait for each API answer.")
@click.option("--metrics-addr", default="127.0.0.1:8080", show_default=True,
              help="HOST:PORT for /metrics, /healthz, /readyz and the status page (port 0: any free port).")
@click.option("--webhook-file", "webhook_files", multiple=True, metavar="KIND=PATH",
              help="A notification receiver: KIND is slack, teams or json; PATH a file holding its URL "
                   "(a mounted Secret). Repeatable. The URL is never logged.")
@click.option("--webhook-dir", default=None, type=click.Path(file_okay=False),
              help="A folder of receivers (a mounted Secret): each file named slack, teams or json (or KIND-NAME) "
                   "holds one URL. A missing folder means no receivers.")
@click.option("--remind-after", default="1h", show_default=True,
              help="Remind (Event series + notification) while an incident stays open this long; 0: never.")
@click.option("--resolve-after", default="2m", show_default=True,
              help="An incident resolves once its owner's pods have all been Ready this long.")
@click.option("--diagnose-rate", type=click.FloatRange(0.01, 1000), default=5.0, show_default=True,
              help="Most diagnoses per second (each costs a few API calls).")
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True,
              help="Report only while holding a coordination.k8s.io Lease (run several replicas safely).")
@click.option("--lease-namespace", default=None, help="Namespace of the Lease (default: the context's or the pod's).")
@click.option("--lease-name", default="podmortem-watch", show_default=True)
@click.option("--lease-duration", default="15s", show_default=True,
              help="A leader silent this long is replaced.")
@click.option("--identity", default=None, help="This replica's name in the Lease (default: $POD_NAME or host-pid).")
@click.option("--secret-keys", is_flag=True, help="Read referenced Secrets' key names (as diagnose --secret-keys).")
@click.option("--report-url", default=None,
              help="Base URL of the status page as receivers can reach it; notifications then link each report.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs.")
def watch(namespace: str | None, all_namespaces: bool, selector: str | None, context: str | None,
          kubeconfig: str | None, request_timeout: str, metrics_addr: str, webhook_files: tuple[str, ...],
          webhook_dir: str | None,
          remind_after: str, resolve_after: str, diagnose_rate: float, leader_elect: bool,
          lease_namespace: str | None, lease_name: str, lease_duration: str, identity: str | None,
          secret_keys: bool, report_url: str | None, verbose: bool) -> None:
    """Watch pods and report each crash loop once: a Kubernetes Event on the owner, Prometheus
    metrics, and notifications, with the cause and the fix. Runs until interrupted."""
    from podmortem.live.client import connect
    from podmortem.watch import logs
    from podmortem.watch.diagnoser import Diagnoser
    from podmortem.watch.httpd import StatusServer
    from podmortem.watch.lease import LeaderElector, LeaseConfig
    from podmortem.watch.metrics import Metrics
    from podmortem.watch.notify import Notifier, read_receivers, receivers_in
    from podmortem.watch.stream import PodScope
    from podmortem.watch.watcher import Settings, Watcher

    if all_namespaces and namespace:
        raise click.UsageError("give -n NAMESPACE or -A, not both")
    addr = parse_addr(metrics_addr)
    remind = _duration(remind_after, "--remind-after")
    resolve = _duration(resolve_after, "--resolve-after")
    lease_seconds = _duration(lease_duration, "--lease-duration")
    if leader_elect and lease_seconds < 3:
        raise click.BadParameter("must be at least 3s", param_hint="--lease-duration")
    timeout = _duration(request_timeout, "--request-timeout") or 30.0
    receivers = read_receivers(webhook_files + tuple(receivers_in(webhook_dir) if webhook_dir else ()))
    logs.setup(logging.DEBUG if verbose else logging.INFO)
    log = logging.getLogger("podmortem.watch")
    client = connect(kubeconfig, context, timeout=timeout)
    scope = PodScope(None if all_namespaces else (namespace or client.namespace), selector)
    me = identity or default_identity()
    metrics = Metrics()
    elector = None
    if leader_elect:
        elector = LeaderElector(client, LeaseConfig(lease_namespace or client.namespace, lease_name, me,
                                                    lease_seconds, max(1.0, lease_seconds / 5)),
                                clock=time.monotonic, wall=time.time)
    base = report_url.rstrip("/") if report_url else None
    notifier = Notifier(receivers, report_url=(lambda inc: f"{base}/incidents/{inc.id}") if base else (lambda inc: None))
    watcher = Watcher(client, Settings(scope, remind_after=remind, resolve_after=resolve, diagnose_rate=diagnose_rate,
                                       identity=me),
                      elector=elector, notifier=notifier if receivers else None, metrics=metrics,
                      diagnoser=Diagnoser(client, secret_keys=secret_keys))
    try:
        server = StatusServer(addr, watcher)
    except OSError as exc:
        raise InputError(f"cannot listen on {metrics_addr}: {exc.strerror or exc}",
                         "choose another --metrics-addr") from None
    server.start()
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    where = "all namespaces" if scope.namespace is None else f"namespace {scope.namespace}"
    log.info("watching pods in %s; status on http://%s:%d/", where, addr[0], server.port,
             extra={"identity": me, "receivers": [r.name for r in receivers], "port": server.port})
    watcher.start()
    try:
        while not done.wait(0.5):
            pass
    finally:
        watcher.stop()
        server.stop()
        log.info("stopped")
    sys.exit(0)
