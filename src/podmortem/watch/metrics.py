"""Prometheus metrics of the watcher (prometheus_client, one registry per watcher).

Labels never carry a webhook URL or any other credential: receivers are named `slack#1`.
`podmortem_incidents` is exported by the leader only, so that two replicas do not double the
alerts built on it (deploy/watch/examples/prometheusrule.yaml).
"""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from podmortem.watch.incidents import Incident


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.incidents = Gauge("podmortem_incidents", "Open incidents (1 each), by namespace, owner and cause",
                               ["namespace", "owner", "cause"], registry=r)
        self.pods_failing = Gauge("podmortem_pods_failing", "Pods in a failing state now", registry=r)
        self.pods_watched = Gauge("podmortem_pods_watched", "Pods in the watcher's view", registry=r)
        self.diagnosis_seconds = Histogram("podmortem_diagnosis_seconds", "Time to fetch evidence and diagnose a pod",
                                           buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30), registry=r)
        self.api_errors = Counter("podmortem_api_errors", "Kubernetes API errors seen by the watcher, by HTTP code",
                                  ["code"], registry=r)
        self.watch_restarts = Counter("podmortem_watch_restarts", "Pod watch streams started again, by reason",
                                      ["reason"], registry=r)
        self.notifications = Counter("podmortem_notifications", "Notification attempts by receiver and outcome",
                                     ["receiver", "outcome"], registry=r)
        self.leader = Gauge("podmortem_leader", "1 when this replica holds the leader Lease", registry=r)


    def open_incident(self, inc: Incident) -> None:
        self.incidents.labels(inc.namespace, inc.owner_label, inc.cause).set(1)

    def close_incident(self, inc: Incident) -> None:
        with contextlib.suppress(KeyError):
            self.incidents.remove(inc.namespace, inc.owner_label, inc.cause)

    def clear_incidents(self) -> None:
        self.incidents.clear()

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
