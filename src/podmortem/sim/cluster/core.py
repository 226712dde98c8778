"""`SimCluster`: the simulated cluster's lifecycle: load the scenario, serve HTTP, tick the clock, stop.

Start one in tests with `with SimCluster(SimOptions(...)) as cluster:`; it serves HTTP on a free
loopback port (`cluster.url`), writes a kubeconfig (`cluster.write_kubeconfig(path)`), and lets
virtual time jump (`cluster.advance(seconds)`). It builds the parts (timeline, world,
admission, placement, verbs, controller_api) on its state and answers through them; only the
package's `__init__` imports it.
The scenario loader and the HTTP server are imported when the cluster starts (they import it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from podmortem.sim.cluster.admission import Admission
from podmortem.sim.cluster.controller_api import ControllerApi
from podmortem.sim.cluster.options import SimOptions
from podmortem.sim.cluster.placement import Placement
from podmortem.sim.cluster.state import ClusterState
from podmortem.sim.cluster.timeline import Timeline
from podmortem.sim.cluster.verbs import Verbs
from podmortem.sim.cluster.world import KubeletWorld
from podmortem.sim.controllers import Controllers
from podmortem.sim.kubelet import PodSim
from podmortem.sim.resources import ResourceType


class SimCluster(ClusterState):
    """A simulated cluster: start it, serve it, stop it; the state plus one part per job."""

    def __init__(self, options: SimOptions | None = None, docs: Iterable[Mapping[str, Any]] | None = None) -> None:
        super().__init__(options, docs)
        self.timeline = Timeline(self)
        self.world = KubeletWorld(self, self.timeline)
        self.admission = Admission(self)
        self.placement = Placement(self, self.timeline, self.world)
        self.verbs = Verbs(self, self.admission, self.placement, self.timeline)
        self.controller_api = ControllerApi(self, self.timeline, self.verbs)
        self.controllers = Controllers(self.controller_api, self.options.seed)

    # Virtual time (timeline.py).
    def now(self) -> float:
        return self.timeline.now()

    def served_lead(self) -> int:
        """Seconds responses move timestamps back so that none is ahead of the wall clock (served_time.py)."""
        return self.timeline.served_lead()

    def advance(self, seconds: float) -> None:
        """Move virtual time forward and bring the cluster up to it."""
        self.timeline.advance(seconds)

    def advance_to(self, until: float) -> None:
        self.timeline.advance_to(until)

    def sync(self) -> None:
        self.timeline.sync()

    def flush(self) -> None:
        self.timeline.flush()

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self.timeline.at(t, fn)

    # The API verbs (verbs.py), which the HTTP server and the scenario loader call.
    def get(self, rt: ResourceType, ns: str, name: str) -> dict[str, Any]:
        return self.verbs.get(rt, ns, name)

    def create(self, rt: ResourceType, ns: str, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        return self.verbs.create(rt, ns, obj, dry_run)

    def replace(self, rt: ResourceType, ns: str, name: str, obj: dict[str, Any], subresource: str | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        return self.verbs.replace(rt, ns, name, obj, subresource, dry_run)

    def patch(self, rt: ResourceType, ns: str, name: str, body: bytes, content_type: str,
              subresource: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self.verbs.patch(rt, ns, name, body, content_type, subresource, dry_run)

    def server_side_apply(self, rt: ResourceType, ns: str, name: str, applied: dict[str, Any], manager: str | None,
                          dry_run: bool = False) -> tuple[dict[str, Any], bool]:
        return self.verbs.server_side_apply(rt, ns, name, applied, manager, dry_run)

    def delete(self, rt: ResourceType, ns: str, name: str, grace: float | None = None,
               dry_run: bool = False) -> dict[str, Any]:
        return self.verbs.delete(rt, ns, name, grace, dry_run)

    def apply_manifest(self, doc: Mapping[str, Any], t: float) -> dict[str, Any]:
        return self.verbs.apply_manifest(doc, t)

    def log_target(self, ns: str, name: str, container: str | None, previous: bool) -> tuple[PodSim, Any]:
        return self.verbs.log_target(ns, name, container, previous)

    def objects(self, storage: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.controller_api.objects(storage, namespace)

    def start(self) -> SimCluster:
        from podmortem.sim.scenario import load_scenario

        if self.options.serve:
            from podmortem.sim.server import serve

            self.server = serve(self, self.options.port)  # bind first: a busy port fails before the load
        wall0 = time.perf_counter()
        try:
            with self.lock:
                load_scenario(self, self.docs)
        except BaseException:
            if self.server is not None:
                self.server.server_close()
            raise
        self.load_seconds = time.perf_counter() - wall0
        if self.server is not None:
            # stop() waits for serve_forever to notice the shutdown, which it checks once per poll: at the
            # default 0.5 s every stopped cluster cost up to half a second (seconds over a test suite).
            t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-http",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        ticker = threading.Thread(target=self._tick, name="sim-clock", daemon=True)
        ticker.start()
        self._threads.append(ticker)
        return self

    def _tick(self) -> None:
        import sys
        import traceback

        while not self._stopping.wait(self.options.tick):
            try:
                with self.lock:
                    self.sync()
            except Exception:  # keep the clock running; the failure is a simulator bug worth a report
                sys.stderr.write("podmortem sim: internal error while advancing the simulation:\n")
                traceback.print_exc(file=sys.stderr)

    def stop(self) -> None:
        self._stopping.set()
        with self.lock:
            self.store.changed.notify_all()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> SimCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1]) if self.server is not None else 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def expectations(self) -> dict[tuple[str, str], str]:
        """(namespace, pod) -> the cause the scenario intends, for every pod that has one (never served by the API)."""
        from podmortem.sim.profile import EXPECTED_CAUSE

        with self.lock:
            out = {}
            for pod in self.store.items("pods"):
                meta = pod["metadata"]
                cause = self.hidden.of(str(meta.get("uid"))).get(EXPECTED_CAUSE)
                if cause:
                    out[(str(meta.get("namespace")), str(meta["name"]))] = cause
            return out

    def kubeconfig(self, namespace: str = "default") -> str:
        return yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "podmortem-sim", "cluster": {"server": self.url}}],
            "users": [{"name": "podmortem-sim", "user": {"token": self.options.token}}],
            "contexts": [{"name": "podmortem-sim",
                          "context": {"cluster": "podmortem-sim", "user": "podmortem-sim", "namespace": namespace}}],
            "current-context": "podmortem-sim", "preferences": {},
        }, sort_keys=False)

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> str:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.kubeconfig(namespace))
        p.chmod(0o600)
        return str(p)
