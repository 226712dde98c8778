"""Helpers for the watcher's acceptance tests: the simulated cluster, a webhook receiver, watchers.

Time: the simulator runs slower than the wall clock (SPEED) and every watcher reads the simulator's
virtual clock, so "within 2 s" is asserted in virtual seconds: a loaded machine slows the wall
clock's view of the test, not the virtual one's. `wait_for` is only a safety net (a generous
wall-clock deadline that fails the test instead of hanging it), never the assertion.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from podmortem.live.client import connect
from podmortem.sim.cluster import SimCluster
from podmortem.watch.diagnoser import Diagnoser
from podmortem.watch.notify import Notifier, Receiver
from podmortem.watch.stream import PodScope
from podmortem.watch.watcher import Settings, Watcher

SPEED = 0.25
SAFETY = 120.0  # wall seconds before a wait gives up


def wait_for(what: str, cond: Callable[[], Any], timeout: float = SAFETY, advance: SimCluster | None = None,
             step: float = 1.0) -> Any:
    """Poll `cond`; with `advance`, virtual time also jumps `step` seconds per poll (where nothing is timed).

    The jumps are what keeps these tests short: the simulated pods' image pulls, crashes and
    back-offs take virtual seconds that nobody needs to wait for on the wall clock. The simulator
    publishes every instant a jump passes, so the watcher still sees each transition.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        if advance is not None:
            advance.advance(step)
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what} ({timeout:.0f} s)")


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def deployment(name: str, ns: str, replicas: int, env: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A Go service that exits at start when DB_HOST is not set (the simulator's profile)."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name},
                                               "annotations": {"sim.podmortem.dev/profile.app":
                                                               "runtime: go\nneedsEnv: [DB_HOST]\n"}},
                                  "spec": {"containers": [{"name": "app", "image": f"registry.example.com/{name}:1.5.0",
                                                           "env": env or []}]}}}}


class Receiver_:
    """A webhook receiver on 127.0.0.1: records each POST body with the virtual time it arrived."""

    def __init__(self, clock: Callable[[], float], fail_first: int = 0) -> None:
        self.calls: list[tuple[float, dict[str, Any]]] = []
        self.attempts = 0
        self.fail_first = fail_first
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.attempts += 1
                code = 500 if outer.attempts <= outer.fail_first else 200
                if code == 200:
                    outer.calls.append((clock(), orjson.loads(body)))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook/s3cr3t-token"

    def events(self) -> list[str]:
        return [c[1]["event"] for c in self.calls]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_watcher(cluster: SimCluster, kubeconfig: str, receiver: Receiver_ | None, *, identity: str = "w1",
                 resolve_after: float = 1.0, notify_sleep: Callable[[float], bool] | None = None) -> Watcher:
    """An in-process watcher on the simulator's virtual clock, without leader election (test_failover.py
    runs two elected watcher processes)."""
    client = connect(kubeconfig)
    clock = cluster.now
    notifier = None
    if receiver is not None:
        notifier = Notifier([Receiver("json", "json#1", receiver.url)], clock=clock, min_interval=0,
                            sleep=notify_sleep)
    return Watcher(client, Settings(PodScope("shop"), resolve_after=resolve_after, remind_after=0,
                                    identity=identity),
                   clock=clock, notifier=notifier, diagnoser=Diagnoser(client))
