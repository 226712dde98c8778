"""SimCluster: the simulated cluster's state, its virtual clock, and the API operations on it.

Everything that changes state goes through one lock. `sync()` brings the simulation up to the
virtual clock: pods step through their own timelines (the kubelet package) in global time order,
the controllers react when a workload or one of its pods changes (controllers.py), and the changed
pod statuses and events are written to the store, where list and watch requests see them.

`SimCluster` (core.py) is the shared `ClusterState` plus one composed part per job: each part is an
object given the state and the few parts it calls (never a base class), so there are no import cycles:

- `state`           `ClusterState`: store, clock, nodes, pod models, queues
- `timeline`        virtual time, the queue of pod steps, reconciles, publishing to the store
- `world`           the kubelet's view of the cluster (`kubelet.World`)
- `admission`       validation and defaulting on create and update
- `placement`       nodes joining, the scheduler's queue, claim binding, creating a pod's kubelet model
- `verbs`           get, create, replace, patch, delete, apply, the log target
- `controller_api`  the controllers' view of the cluster (`controllers.Api`)
- `core`            `SimCluster`: builds the parts; start, serve, tick, stop, kubeconfig

and the pure modules `options` (`SimOptions`, `Clock`, constants), `errors` (`ApiError`),
`defaults` (defaulting of containers, pod specs, nodes), `nodes` (memory pressure) and `scheduler`
(kube-scheduler's filters and FailedScheduling text).
Only the names below are API.
"""

from __future__ import annotations

from podmortem.sim.cluster.core import SimCluster
from podmortem.sim.cluster.errors import ApiError, not_found
from podmortem.sim.cluster.options import KUBE_VERSION, LAST_APPLIED, WORKLOADS, Clock, SimOptions

__all__ = ["KUBE_VERSION", "LAST_APPLIED", "WORKLOADS", "ApiError", "Clock", "SimCluster", "SimOptions",
           "not_found"]
