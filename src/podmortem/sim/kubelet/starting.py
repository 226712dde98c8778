"""Scheduling, the sandbox, image pulls and starting a container (Created/Started or its error).

Image pulls with containerd's messages and their own back-off (10 s -> 300 s), ErrImageNeverPull,
CreateContainerConfigError and StartError. A part of `PodSim`; uses
the `Emitter`, `StartChecks`, `Program` and `Volumes` it is given.
"""

from __future__ import annotations

import math

from podmortem.sim.derive import derive_profile
from podmortem.sim.kubelet.checks import StartChecks
from podmortem.sim.kubelet.emit import Emitter, noop
from podmortem.sim.kubelet.images import digest_of, image_pull_policy, normalize_image
from podmortem.sim.kubelet.model import ContainerSim, Instance, NodeSim
from podmortem.sim.kubelet.program import Program
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.kubelet.volumes import Volumes
from podmortem.sim.profile import Profile


class Starting:
    """The first steps of a pod and of each container start."""

    def __init__(self, pod: PodState, events: Emitter, checks: StartChecks, program: Program, volumes: Volumes) -> None:
        self.pod = pod
        self.events = events
        self.checks = checks
        self.program = program
        self.volumes = volumes

    def unschedulable(self, t: float) -> None:
        self.pod.unschedulable = self.pod.unschedulable or "0/0 nodes are available: no nodes available to schedule pods."
        self.pod.world.emit(self.pod, t, "Warning", "FailedScheduling", self.pod.unschedulable, None, "default-scheduler")

    def bind(self, node: NodeSim, t: float) -> None:
        """The scheduler placed the pod after all (a retry found room): the kubelet takes it from here."""
        self.pod.node = node
        self.pod.unschedulable = None
        self.pod.at(t, self.schedule)

    def still_unschedulable(self, message: str, t: float) -> None:
        """Another scheduling attempt failed: a new FailedScheduling with that attempt's reasons."""
        self.pod.unschedulable = message
        self.pod.at(t, self.unschedulable)

    def schedule(self, t: float) -> None:
        assert self.pod.node is not None
        self.pod.scheduled_at = t
        self.pod.world.emit(self.pod, t, "Normal", "Scheduled",
                        f"Successfully assigned {self.pod.namespace}/{self.pod.name} to {self.pod.node.name}", None, "default-scheduler")
        self.pod.at(t + 1.0, self._sandbox)

    def _sandbox(self, t: float) -> None:
        assert self.pod.node is not None
        self.pod.sandbox_at = t
        if self.pod.ip is None:
            self.pod.ip = self.pod.node.ip if self.pod.spec.get("hostNetwork") else self.pod.node.allocate_ip()
        self.volumes.mount(t)

    def _derived(self, c: ContainerSim) -> Profile:
        """What the image and command do, for a container without a profile (derive.py)."""
        env, _ = self.checks.resolve_env(c)

        def read(path: str) -> str | None:
            exists, content = self.program.file(c, path)
            return (content or "") if exists else None

        return derive_profile(c.spec, env, read, self.pod.name)

    def start(self, c: ContainerSim, t: float) -> None:
        image = str(c.spec.get("image") or "")
        if not c.profile.explicit:
            c.profile = self._derived(c)
        prof = c.profile
        node = self.pod.node
        assert node is not None
        if prof.pull_error == "invalid":
            # pkg/kubelet/images/image_manager.go (v1.32) EnsureImageExists: no pull, no image back-off.
            msg = f'Failed to apply default image tag "{image}": {prof.pull_message}'
            c.waiting = ("InvalidImageName", msg)
            self.events.emit(c, t, "Warning", "InspectFailed", msg)
            self.events.emit(c, t, "Warning", "Failed", "Error: InvalidImageName")
            c.next_attempt = t + self.pod.retry_delay()
            return
        busy = self.pod.pulling_until
        if busy is not None and busy > t and c.pulled_until is None:
            # SyncPod starts the pod's containers one after another and EnsureImageExists blocks on the
            # pull: this container's turn (and its Pulling event) comes after the pull in progress.
            c.next_attempt = busy
            return
        if c.pulled_until is not None and c.pulled_until <= t:
            c.pulled_until = None
        elif prof.pull_error:
            self._pull_failed(c, t, image)
            return
        else:
            policy = image_pull_policy(image, c.spec.get("imagePullPolicy"))
            present = node.images.get(normalize_image(image), math.inf) <= t
            if policy == "Never" and not present:
                c.waiting = ("ErrImageNeverPull",
                             f'Container image "{image}" is not present with pull policy of Never')
                self.events.emit(c, t, "Warning", "ErrImageNeverPull", c.waiting[1])
                self.events.emit(c, t, "Warning", "Failed", "Error: ErrImageNeverPull")
                c.next_attempt = t + self.pod.retry_delay()
                return
            if policy == "Always" or not present:
                h = int(digest_of(image)[:8], 16)
                secs = (0.35 + (h % 1000) / 1000) if present else (1.2 + (h % 7000) / 1000)
                size = prof.image_size or (20_000_000 + h % 180_000_000)
                self.events.emit(c, t, "Normal", "Pulling", f'Pulling image "{image}"')
                # serializeImagePulls (the default): the node pulls one image at a time, in request order;
                # the Pulled event gives the pull's own time and the time including the wait in the queue
                # (pkg/kubelet/images/image_manager.go v1.32).
                done = max(t, node.puller_free_at) + secs
                node.puller_free_at = done
                ref = normalize_image(image)
                node.images[ref] = min(node.images.get(ref, math.inf), done)
                self.pod.pulling_until = done
                pulled = (f'Successfully pulled image "{image}" in {go_duration(secs)} '
                          f"({go_duration(done - t)} including waiting). Image size: {size} bytes.")
                self.pod.at(done, self.events.emitter(c, "Normal", "Pulled", pulled))
                c.pulled_until = done
                c.next_attempt = done
                if c.waiting is None:
                    c.waiting = (self.pod.default_waiting(), "")
                return
            self.events.emit(c, t, "Normal", "Pulled", f'Container image "{image}" already present on machine')
        err = self.checks.config_error(c)
        if err:
            c.waiting = ("CreateContainerConfigError", err)
            self.events.emit(c, t, "Warning", "Failed", f"Error: {err}")
            c.next_attempt = t + self.pod.retry_delay()
            return
        self.events.emit(c, t, "Normal", "Created", f"Created container {c.name}")
        c.total += 1
        cid = "containerd://" + digest_of(self.pod.uid, c.name, str(c.total))
        start_err = self.checks.start_error(c)
        if start_err:
            msg = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
                   f"failed: unable to start container process: error during container init: {start_err}: unknown")
            inst = Instance(c.total - 1, cid, None, t, "StartError", 128, msg)
            self.pod.push_instance(c, inst)
            self.events.emit(c, t, "Warning", "Failed", f"Error: {msg}")
            c.waiting = ("RunContainerError", msg)
            return
        self.events.emit(c, t, "Normal", "Started", f"Started container {c.name}")
        c.waiting = None
        inst = self.program.plan(c, t, cid)
        self.pod.push_instance(c, inst)
        # Wake up when the container counts as started or changes readiness: the pod's status changes then.
        for when in [inst.started_at, *(w for w, _ in inst.ready_changes)]:
            if when is not None:
                self.pod.at(when, noop)
        if not c.init and self.pod.node is not None and self.pod.node.pressure is not None:
            self.pod.world.pressure_check(self.pod.node, t)

    def _pull_failed(self, c: ContainerSim, t: float, image: str) -> None:
        state = self.pod.image_backoff.get(image)
        if state is not None and t - state[2] < state[0]:
            c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self.events.emit(c, t, "Normal", "BackOff", f'Back-off pulling image "{image}"')
            self.events.emit(c, t, "Warning", "Failed", "Error: ImagePullBackOff")
            c.next_attempt = min(state[2] + state[0], t + self.pod.retry_delay())
            return
        err = self._pull_error_text(image, c.profile.pull_error or "not-found")
        self.events.emit(c, t, "Normal", "Pulling", f'Pulling image "{image}"')
        self.events.emit(c, t, "Warning", "Failed", f'Failed to pull image "{image}": {err}')
        self.events.emit(c, t, "Warning", "Failed", "Error: ErrImagePull")
        c.waiting = ("ErrImagePull", err)
        b = self.pod.settings.backoff
        if state is None or t - state[1] > 2 * 300:
            delay = float(b.initial_seconds)
        else:
            delay = float(min(state[0] * 2, 300))
        self.pod.image_backoff[image] = (delay, t, t)
        c.next_attempt = t + self.pod.retry_delay()

    @staticmethod
    def _pull_error_text(image: str, kind: str) -> str:
        ref = normalize_image(image)
        repo = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0]
        host = ref.split("/", 1)[0]
        if kind == "unauthorized":
            return (f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to resolve '
                    f'reference "{ref}": pull access denied, repository does not exist or may require authorization: '
                    "server message: insufficient_scope: authorization failed")
        if kind == "timeout":
            return (f'rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "{ref}": failed to '
                    f'resolve reference "{ref}": failed to do request: Head "https://{host}/v2/'
                    f'{repo.split("/", 1)[1]}/manifests/{ref.rsplit(":", 1)[-1]}": dial tcp 203.0.113.10:443: i/o timeout')
        return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
                f'reference "{ref}": {ref}: not found')


def go_duration(secs: float) -> str:
    """time.Duration's String() to the millisecond: 812ms, 1.881s, 1m2.5s."""
    if secs < 1:
        return f"{int(secs * 1000)}ms"
    minutes, rest = divmod(secs, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text
