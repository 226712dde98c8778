"""A simulated Kubernetes cluster: an API server on loopback whose pods follow the kubelet's rules.

`SimCluster` (cluster/) holds the object store, a virtual clock, a kubelet model (kubelet/)
that turns each container's behaviour profile (profile.py) into statuses, events and logs, and a
small controller (controllers.py) for Deployments, ReplicaSets, StatefulSets and Jobs. server.py
serves it over HTTP so that the real kubectl accepts it; `podmortem sim serve` (command.py) is
the command line. docs/sim.md documents the profile annotation and the scenario format.
"""

from __future__ import annotations

from podmortem.sim.cluster import SimCluster, SimOptions

__all__ = ["SimCluster", "SimOptions"]
