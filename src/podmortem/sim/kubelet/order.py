"""Which containers may (re)start: init order, native sidecars, and the restart policy.

A part of `PodSim` that needs only the pod's state.
"""

from __future__ import annotations

from podmortem.sim.kubelet.model import ContainerSim
from podmortem.sim.kubelet.state import PodState


class StartOrder:
    """computePodActions' choice of containers and restartPolicy."""

    def __init__(self, pod: PodState) -> None:
        self.pod = pod

    def initialized(self, t: float) -> bool:
        if self.pod.init_done_at is not None and t >= self.pod.init_done_at:
            return True
        for c in self.pod.inits():
            if c.sidecar:
                if not (c.latest and c.latest.started(t)):
                    return False
            elif not (c.done and c.latest is not None and c.latest.exit_code == 0 and c.latest.reason == "Completed"):
                return False
        return True

    def startable(self, t: float) -> list[ContainerSim]:
        """Containers the kubelet would (re)start now, in the order computePodActions picks them."""
        if self.pod.volumes_ok_at is None or self.pod.phase_final or self.pod.deleting_at is not None:
            return []
        out = []
        if self.pod.init_done_at is not None:
            # Initialised once: sidecars restart on their own and no longer hold the app containers back.
            out = [c for c in self.pod.inits() if c.sidecar and (c.latest is None or (c.exited(t) and not c.done))]
            out += [c for c in self.pod.apps() if c.latest is None or (c.exited(t) and not c.done)]
            return out + [c for c in self.pod.ephemerals if c.latest is None and not c.done]
        for c in self.pod.inits():
            if c.sidecar:
                if c.latest is None or (c.exited(t) and not c.done):
                    out.append(c)
                if not (c.latest and c.latest.started(t)):
                    return out  # the next init container waits for this sidecar to have started
                continue
            if c.done and c.latest is not None and c.latest.exit_code == 0:
                continue
            if c.latest is None or (c.exited(t) and not c.done):
                out.append(c)
            return out
        if self.pod.init_done_at is None:
            self.pod.init_done_at = t
        for c in self.pod.apps():
            if c.latest is None or (c.exited(t) and not c.done):
                out.append(c)
        return out

    def restart_allowed(self, c: ContainerSim, exit_code: int) -> bool:
        if self.pod.deleting_at is not None or self.pod.phase_final or c.ephemeral:
            return False
        if c.sidecar:
            return not all(a.done for a in self.pod.apps()) or not self.pod.apps()
        policy = str(c.spec.get("restartPolicy") or self.pod.policy) if not c.init else self.pod.policy
        if policy == "Never":
            return False
        if policy == "OnFailure":
            return exit_code != 0
        return True
