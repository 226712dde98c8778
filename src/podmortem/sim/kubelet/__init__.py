"""The kubelet model: how one pod's containers start, run, fail, restart and report, in virtual time.

The rules are the kubelet's (kubernetes-facts.md sections 1-3 and 7): init containers in order
before app containers, native sidecars, the crash-loop back-off (10 s doubling to 5 min, reset
after 10 minutes of running, tunable), probes, memory limits, CreateContainerConfigError,
StartError/RunContainerError, image pulls with their own back-off, restartPolicy and the pod
phase. What each program does when it runs comes from its behaviour profile (profile.py); what
it prints when it fails comes from messages.py.

`PodSim` (pod.py) is the shared `PodState` plus one composed part per job. Each part is an
object given the state and the few other parts it calls (never a base class), so each can be
built and tested alone (tests/sim/test_kubelet_parts.py) and there are no import cycles:

- `state`      `PodState` (attributes, event queue, object reference) and `World`, the cluster it needs
- `emit`       events: now, scheduled, while an instance runs, recurring
- `order`      which containers may (re)start: init order, native sidecars, restartPolicy
- `checks`     container start checks: env/config references, runAsNonRoot, entrypoint (runc) errors
- `probes`     startup, liveness and readiness probes
- `program`    what the program does once started (files, writes, ports, dependencies, memory)
- `volumes`    FailedMount and the volume manager's retries
- `starting`   scheduling, sandbox, image pulls, Created/Started
- `restarts`   the crash-loop back-off, exits and the pod worker's sync
- `eviction`   node memory pressure and deletion
- `status`     the status the kubelet writes (phase, conditions, container states)
- `logs`       which instance the log subresource reads
- `pod`        `PodSim`: builds the parts, runs the event loop, answers the cluster

and the pure helpers `model` (dataclasses), `images`, `runtime` (memory, heap, SIGTERM),
`templates` (log line placeholders) and `ports`. Only the names below are API.
"""

from __future__ import annotations

from podmortem.sim.kubelet.images import image_pull_policy, normalize_image
from podmortem.sim.kubelet.logs import LogsUnavailable
from podmortem.sim.kubelet.model import ContainerSim, Instance, KubeletSettings, NodeSim
from podmortem.sim.kubelet.pod import PodSim
from podmortem.sim.kubelet.runtime import memory_limit_mib
from podmortem.sim.kubelet.state import World
from podmortem.sim.kubelet.status import qos_class

__all__ = ["ContainerSim", "Instance", "KubeletSettings", "LogsUnavailable", "NodeSim", "PodSim", "World",
           "image_pull_policy", "memory_limit_mib", "normalize_image", "qos_class"]
