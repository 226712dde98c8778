"""The state of a simulated cluster (`ClusterState`): store, clock, nodes, pod models, queues.

The state shared by every part of `SimCluster` (core.py). Imports `options` and the simulator's
store, recorder, faults and kubelet model; never a part (controllers only for the type).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from podmortem.sim.cluster.hidden import Hidden
from podmortem.sim.cluster.options import Clock, SimOptions
from podmortem.sim.cluster.scheduler import Ledger
from podmortem.sim.controllers import Controllers
from podmortem.sim.events import Recorder
from podmortem.sim.faults import Faults
from podmortem.sim.kubelet import KubeletSettings, NodeSim, PodSim
from podmortem.sim.store import Store


class ClusterState:
    """The cluster's objects, pods, nodes, clock and queues, shared by every part of `SimCluster`."""

    controllers: Controllers  # set by SimCluster, which is the controllers' Api

    def __init__(self, options: SimOptions | None = None, docs: Iterable[Mapping[str, Any]] | None = None) -> None:
        self.options = options or SimOptions()
        self.docs = list(docs) if docs is not None else None
        self.store = Store(self.options.history_limit)
        self.lock = self.store.lock
        self.recorder = Recorder()
        self.faults = Faults(list(self.options.faults))
        self.settings = KubeletSettings(self.options.backoff, self.options.sync_lag, self.options.retry_period,
                                        self.options.retry_jitter)
        start = self.options.now if self.options.now is not None else time.time()
        self.clock = Clock(start, self.options.speed)
        self.nodes: dict[str, NodeSim] = {}
        self.pods: dict[tuple[str, str], PodSim] = {}
        self.hidden = Hidden()
        self.queued: dict[tuple[str, str], float] = {}
        self.heap: list[tuple[float, int, Any]] = []
        self.seq = itertools.count()
        self.dirty: set[tuple[str, str]] = set()
        self.observed: dict[tuple[str, str], tuple[bool, str]] = {}
        # Workloads to reconcile, in order, each once: a dict (insertion-ordered set), not a list to scan.
        self.reconcile_queue: dict[tuple[str, str, str], None] = {}
        self.sched_counter = 0
        self.ledger = Ledger()  # what the pods bound to each node request (scheduler.py)
        self.unscheduled: dict[tuple[str, str], float] = {}  # pending pods -> their last scheduling attempt
        self.retry_queued = False
        self.node_names: list[str] = []  # sorted; emptied when a node joins or leaves
        self.sim_time = start
        self.rng = random.Random(self.options.seed)
        self.next_ttl_check = 0.0
        self.pressure_pending: set[str] = set()
        self.uid_counter = itertools.count()
        self.service_ips = itertools.count(10)
        self.server: Any = None
        self.watches_started = 0  # watch streams served so far (under the lock); GET /sim.podmortem.dev/v1/watches
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.started_at_wall = 0.0
