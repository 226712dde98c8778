"""Volume mounts: FailedMount for missing ConfigMaps, Secrets, keys, CSI drivers and NFS servers.

The volume manager's retries (500 ms doubling to 2m2s); v1.32 records no event when the pod worker's
wait for the mounts times out. A part of `PodSim`; uses the `StartOrder` it is given.
"""

from __future__ import annotations

from collections.abc import Mapping

from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.state import PodState


class Volumes:
    """Mounting the pod's volumes before any container starts."""

    def __init__(self, pod: PodState, order: StartOrder) -> None:
        self.pod = pod
        self.order = order

    def _volume_errors(self) -> list[tuple[str, str]]:
        errors = []
        for v in self.pod.spec.get("volumes") or []:
            name = str(v.get("name"))
            csi = v.get("csi")
            if isinstance(csi, Mapping):
                driver = str(csi.get("driver") or "")
                if self.pod.node is None or driver not in self.pod.node.csi_drivers:
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : kubernetes.io/csi: '
                                         f"mounter.SetUpAt failed to get CSI client: driver name {driver} not found "
                                         "in the list of registered CSI drivers"))
                continue
            nfs = v.get("nfs")
            if isinstance(nfs, Mapping):
                server = str(nfs.get("server") or "")
                how, _ = self.pod.world.resolve(self.pod.namespace, server, 2049, self.pod.now)
                if how:
                    export = f"{server}:{nfs.get('path') or '/'}"
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : mount failed: exit status 32\n'
                                         "Mounting command: mount\nMounting arguments: -t nfs "
                                         f"{export} /var/lib/kubelet/pods/{self.pod.uid}/volumes/kubernetes.io~nfs/{name}\n"
                                         + (f"Output: mount.nfs: Failed to resolve server {server}: Name or service not known"
                                            if how == "dns" else "Output: mount.nfs: Connection refused")))
                continue
            for kind, key, label in (("configMap", "name", "configmap"), ("secret", "secretName", "secret")):
                src = v.get(kind)
                if not isinstance(src, Mapping) or src.get("optional"):
                    continue
                ref = str(src.get(key) or "")
                obj = self.pod.world.configmap(self.pod.namespace, ref) if kind == "configMap" else self.pod.world.secret(self.pod.namespace, ref)
                if obj is None:
                    errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : {label} "{ref}" not found'))
                    continue
                data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {}), **(obj.get("stringData") or {})}
                for item in src.get("items") or []:
                    if item.get("key") not in data:
                        errors.append((name, f'MountVolume.SetUp failed for volume "{name}" : {label} references '
                                             f'non-existent config key: {item.get("key")}'
                                       if kind == "configMap" else
                                       f'MountVolume.SetUp failed for volume "{name}" : references non-existent '
                                       f'secret key: {item.get("key")}'))
                        break
        return errors

    def mount(self, t: float) -> None:
        errors = self._volume_errors()
        if not errors:
            self.pod.mount_retry = None
            if self.pod.volumes_ok_at is None:
                self.pod.volumes_ok_at = t
                for c in self.order.startable(t):
                    c.next_attempt = t
            return
        for _, msg in errors:
            self.pod.world.emit(self.pod, t, "Warning", "FailedMount", msg, None)
        # No "Unable to attach or mount volumes" event: in v1.32 the pod worker's wait ends after 2m3s
        # with "unmounted volumes=[...], unattached volumes=[...], failed to process volumes=[...]:
        # context deadline exceeded" (pkg/kubelet/volumemanager/volume_manager.go), and SyncPod records an
        # event only for a wait that was not interrupted (pkg/kubelet/kubelet.go): a timeout goes to the
        # kubelet's log alone. The pre-1.26 "timed out waiting for the condition" event is gone.
        # The volume manager retries with exponential back-off from 500 ms up to 2m2s.
        delay = 0.5 if self.pod.mount_retry is None else min(self.pod.mount_retry[1] * 2, 122.0)
        self.pod.mount_retry = (t + delay, delay)
