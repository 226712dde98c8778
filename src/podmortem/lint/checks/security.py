"""Security-context checks: runAsNonRoot the image cannot satisfy, ports below 1024 for a non-root
user, and a read-only root filesystem with nowhere to write."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from podmortem.lint.checks.base import check
from podmortem.lint.model import Emit
from podmortem.lint.workloads import ContainerView, Workload, as_dict, as_list
from podmortem.remedy_math import image_writes

# Volume types the kubelet always mounts read-only, whatever the mount says.
READ_ONLY_VOLUMES = frozenset({"configMap", "secret", "downwardAPI", "projected", "image"})
PRIVILEGED_PORT_LIMIT = 1024
_UNPRIVILEGED_PORT_SYSCTL = "net.ipv4.ip_unprivileged_port_start"


def _security_line(w: Workload, c: ContainerView, key: str) -> int:
    """Line of `key` in the container's securityContext, else in the pod's, else the container."""
    own = as_dict(c.spec.get("securityContext"))
    if key in own:
        return w.line(own, key)
    pod = as_dict(w.pod_spec.get("securityContext"))
    if key in pod:
        return w.line(pod, key)
    return w.line(c.spec)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@check(
    "run-as-non-root-without-user",
    cause="security.run-as-non-root",
    severity="error",
    title="runAsNonRoot without runAsUser on an image that runs as root or as a named user",
    fix="Set runAsUser (and runAsGroup) to a non-zero uid the image can run as, e.g. 10001.",
)
def run_as_non_root_without_user(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container with runAsNonRoot: true (its own or the pod's) and no runAsUser. It is an error
    when image_facts.yaml says the image's USER is root or a user name (nginx, postgres, redis,
    busybox run as root; prom/prometheus as `nobody`, haproxy as `haproxy`), a warning when the
    image is unknown.

    ## Why the pod fails
    The kubelet checks the image's USER before starting the container. Root gives
    CreateContainerConfigError "container has runAsNonRoot and image will run as root"; a name
    gives "image has non-numeric user (nobody), cannot verify user is non-root". The container
    never starts.

    ## How to fix
    Set a numeric runAsUser; check that the image's files are readable (and its data directories
    writable) for that uid, or use the image's rootless variant.

    ## Near misses
    Images known to run as a numeric non-root uid (distroless :nonroot, Bitnami, Grafana) pass.
    """
    for c in w.containers:
        if c.security.get("runAsNonRoot") is not True or _int(c.security.get("runAsUser")) is not None:
            continue
        line = _security_line(w, c, "runAsNonRoot")
        facts = c.facts
        sure = None if facts is not None and facts.confirmed else "warning"
        if facts is not None and facts.runs_as_root:
            yield Emit(line, f"container {c.name} has runAsNonRoot but no runAsUser, and its image {c.image} runs as "
                             f"root: the kubelet refuses to start it (\"container has runAsNonRoot and image will "
                             f"run as root\")", container=c.name, severity=sure)
        elif facts is not None and facts.user_is_name:
            yield Emit(line, f"container {c.name} has runAsNonRoot but no runAsUser, and its image {c.image} runs as "
                             f"the user name {facts.user!r}: the kubelet cannot verify a name is not root and refuses "
                             f"to start it (\"image has non-numeric user ({facts.user})\")",
                       container=c.name, severity=sure)
        elif facts is None or facts.user is None:
            yield Emit(line, f"container {c.name} has runAsNonRoot but no runAsUser: it starts only if the image "
                             f"{c.image} declares a numeric non-root USER; if the image runs as root or as a named "
                             f"user the kubelet refuses to start it", container=c.name, severity="warning")


@check(
    "run-as-non-root-user-zero",
    cause="security.run-as-non-root",
    severity="error",
    title="runAsNonRoot together with runAsUser: 0",
    fix="Set runAsUser to a non-zero uid, or drop runAsNonRoot if the container really must run as root.",
)
def run_as_non_root_user_zero(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container whose effective securityContext has runAsNonRoot: true and runAsUser: 0.

    ## Why the pod fails
    The two contradict each other; the kubelet refuses with CreateContainerConfigError
    "container's runAsUser breaks non-root policy" and the container never starts.

    ## How to fix
    Pick one: a non-zero runAsUser, or no runAsNonRoot.

    ## Near misses
    runAsUser 0 without runAsNonRoot is allowed (and a security smell, not a crash).
    """
    for c in w.containers:
        if c.security.get("runAsNonRoot") is True and _int(c.security.get("runAsUser")) == 0:
            yield Emit(_security_line(w, c, "runAsUser"),
                       f"container {c.name} has runAsNonRoot: true and runAsUser: 0: the kubelet refuses to start it "
                       f"(\"container's runAsUser breaks non-root policy\")", container=c.name)


def _non_root_uid(c: ContainerView) -> int | None:
    uid = _int(c.security.get("runAsUser"))
    if uid is None and c.facts is not None and c.facts.confirmed:
        uid = _int(c.facts.user)
    return uid if uid else None


@check(
    "privileged-port-non-root",
    cause="security.permission-denied",
    severity="warning",
    title="Port below 1024 for a non-root user that cannot bind it",
    fix="Listen on a port of 1024 or more (8080) and map it in the Service (targetPort).",
)
def privileged_port_non_root(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A containerPort below 1024 on a container that runs as a non-root uid (runAsUser, or the
    image's numeric USER), without the pod sysctl net.ipv4.ip_unprivileged_port_start lowering the
    limit, unless NET_BIND_SERVICE is added and the image's binary carries it as a file capability
    (image_facts.yaml `file_capabilities`, e.g. caddy).

    ## Why the pod fails
    Binding a port below 1024 needs CAP_NET_BIND_SERVICE in the process's effective set: the app
    dies with "bind: permission denied" / EACCES. Adding the capability in the securityContext
    puts it in the bounding set only: a non-root process gains it at exec solely through a file
    capability on its binary (`setcap cap_net_bind_service=+ep`), since Kubernetes sets no ambient
    capabilities. It is a warning because containerd 2.0 and later (and Docker) lower
    ip_unprivileged_port_start to 0 in every pod by default, where the bind works; containerd 1.x
    and CRI-O keep the kernel default of 1024.

    ## How to fix
    Make the app listen on 8080 (the Service can still expose 80). Adding NET_BIND_SERVICE helps
    only when the image's binary has the file capability.

    ## Near misses
    Root containers, hostPort-only mappings, ports of 1024 and above, and NET_BIND_SERVICE added
    on an image known to carry the file capability are not reported.
    """
    sysctls = as_list(as_dict(w.pod_spec.get("securityContext")).get("sysctls"))
    port_start = next((str(s.get("value")) for s in sysctls if isinstance(s, dict)
                       and s.get("name") == _UNPRIVILEGED_PORT_SYSCTL), None)
    limit = int(port_start) if port_start and port_start.isdigit() else PRIVILEGED_PORT_LIMIT
    for c in w.containers:
        uid = _non_root_uid(c)
        if uid is None:
            continue
        added = {str(x).upper().removeprefix("CAP_") for x in
                 as_list(as_dict(c.security.get("capabilities")).get("add"))}
        adds_bind = "NET_BIND_SERVICE" in added or "ALL" in added
        file_cap = c.facts is not None and "NET_BIND_SERVICE" in c.facts.file_capabilities
        if adds_bind and file_cap:
            continue
        for p in as_list(c.spec.get("ports")):
            if not isinstance(p, dict):
                continue
            port = _int(p.get("containerPort"))
            if port is None or not 0 < port < limit:
                continue
            if adds_bind:
                why = (f"NET_BIND_SERVICE is added, but a process running as uid {uid} gains it only through a "
                       f"file capability on its binary, which podmortem does not know {c.image} to have")
            else:
                why = f"it runs as uid {uid} without NET_BIND_SERVICE"
            fix = None
            if file_cap:
                fix = (f"Add NET_BIND_SERVICE to capabilities.add ({c.facts.name if c.facts else c.image} carries it "
                       f"as a file capability), or listen on 1024 or more.")
            yield Emit(w.line(p, "containerPort"),
                       f"container {c.name} declares port {port} but {why}: binding a port below 1024 fails with "
                       f"\"permission denied\" unless the runtime lowers net.ipv4.ip_unprivileged_port_start "
                       f"(containerd 2.x does)", container=c.name, fix=fix)


def _writable_mounts(w: Workload, c: ContainerView) -> list[tuple[str, dict[str, Any]]]:
    volumes = w.volumes()
    claims = w.claim_templates()
    found = []
    for m in as_list(c.spec.get("volumeMounts")):
        if not isinstance(m, dict) or m.get("readOnly") is True or not isinstance(m.get("mountPath"), str):
            continue
        name = str(m.get("name"))
        volume = volumes.get(name)
        if volume is None and name not in claims:
            continue
        if volume is not None and READ_ONLY_VOLUMES & set(volume):
            continue
        found.append((posixpath.normpath(m["mountPath"]), m))
    return found


_ALIASES = {"/var/run": "/run"}


def _canonical(path: str) -> str:
    path = posixpath.normpath(path)
    for alias, real in _ALIASES.items():
        if path == alias or path.startswith(alias + "/"):
            return real + path[len(alias):]
    return path


def _covered(path: str, mounts: list[str]) -> bool:
    target = _canonical(path)
    for m in mounts:
        mount = _canonical(m)
        if mount == "/" or target == mount or target.startswith(mount + "/"):
            return True
    return False


def _env_value(c: ContainerView, name: str) -> str | None:
    for e in c.env_entries():
        if e.get("name") == name and isinstance(e.get("value"), str) and e["value"]:
            return str(e["value"])
    return None


@check(
    "read-only-root-without-writable-volume",
    cause="security.read-only-fs",
    severity="error",
    title="readOnlyRootFilesystem with no writable volume where the image writes",
    fix="Mount an emptyDir at each path the app writes (e.g. /tmp, /var/cache/nginx, /var/run).",
)
def read_only_root_without_writable_volume(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    readOnlyRootFilesystem: true on a container whose image (image_facts.yaml) writes paths at
    start that no writable volume covers: nginx writes /var/cache/nginx and its pid file in
    /var/run, nginx-unprivileged /tmp, postgres its PGDATA and /var/run/postgresql, Prometheus
    /prometheus. For an image podmortem does not know, a container with no writable mount at all
    gets an `info` note.

    ## Why the pod fails
    The process dies on its first write with "Read-only file system" (EROFS, errno 30).

    ## How to fix
    Add an emptyDir volume (or the data volume) mounted at each such path; keep the root read-only.

    ## Near misses
    ConfigMap, Secret, downward API and projected volumes are read-only and do not count. A volume
    mounted over the image's config file (nginx.conf) may move the paths, so that case is a warning.
    """
    for c in w.containers:
        if c.security.get("readOnlyRootFilesystem") is not True:
            continue
        mounts = [path for path, _m in _writable_mounts(w, c)]
        line = _security_line(w, c, "readOnlyRootFilesystem")
        facts = c.facts
        if facts is None or not facts.writes:
            if not mounts and not c.init:
                yield Emit(line, f"container {c.name} has a read-only root filesystem and no writable volume: "
                                 f"if the app writes anything (/tmp, caches, pid files) it fails with "
                                 f"\"Read-only file system\"", container=c.name, severity="info")
            continue
        all_mounts = [m.get("mountPath") for m in as_list(c.spec.get("volumeMounts")) if isinstance(m, dict)]
        env = {str(e.get("name")): _env_value(c, str(e.get("name"))) for e in c.env_entries()}
        for write in image_writes(c.image, env):  # the same list the read-only-fs remedy mounts (remedy_math)
            path = write.path
            if _covered(path, mounts):
                continue
            unsure = not facts.confirmed or (write.config is not None and any(
                isinstance(m, str) and (write.config == m or write.config.startswith(m.rstrip("/") + "/"))
                for m in all_mounts))
            fix = (f"Mount a PersistentVolumeClaim at {path} ({write.data}; an emptyDir there would lose it on every "
                   f"restart), e.g. volumeClaimTemplates for a StatefulSet." if write.data else
                   f"Mount an emptyDir at {path} (volumeMounts: - name: {_volume_name(path)}, "
                   f"mountPath: {path}; volumes: - name: {_volume_name(path)}, emptyDir: {{}}).")
            yield Emit(line, f"container {c.name} has a read-only root filesystem but no writable volume at {path}, "
                             f"which {facts.name} writes at start: it fails with {write.error}",
                       container=c.name, severity="warning" if unsure else None, fix=fix)


def _volume_name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "root"


def _persistent_volumes(w: Workload) -> set[str]:
    """Volumes whose directory comes from storage (root-owned unless fsGroup makes the kubelet chown it)."""
    names = set(w.claim_templates())
    for name, volume in w.volumes().items():
        if isinstance(volume.get("persistentVolumeClaim"), dict) or isinstance(volume.get("ephemeral"), dict):
            names.add(name)
    return names


@check(
    "non-root-volume-without-fsgroup",
    cause="security.permission-denied",
    severity="warning",
    title="Non-root container writes to a persistent volume without fsGroup",
    fix="Set securityContext.fsGroup (usually the container's group) so the kubelet makes the volume writable.",
)
def non_root_volume_without_fsgroup(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container that runs as a non-root uid (runAsUser) and mounts a PersistentVolumeClaim,
    generic ephemeral volume or StatefulSet volumeClaimTemplate read-write, in a pod without
    securityContext.fsGroup and without an init container that chowns or chmods it.

    ## Why the pod fails
    A freshly provisioned volume's root directory usually belongs to root (mode 755). Without
    fsGroup the kubelet does not change that, so the app's first write fails with "permission
    denied" (EACCES) and it exits. With fsGroup the kubelet gives the volume to that group.

    ## How to fix
    Add `fsGroup: <gid>` to the pod's securityContext (and `fsGroupChangePolicy: OnRootMismatch`
    for large volumes), or prepare the directory in an init container.

    ## Near misses
    emptyDir volumes are created writable for everyone and are not reported; read-only mounts and
    root containers are not reported. Some storage drivers (NFS with squashing, some CSI
    drivers) ignore fsGroup: then the init container is the fix.
    """
    pod_security = as_dict(w.pod_spec.get("securityContext"))
    if _int(pod_security.get("fsGroup")) is not None:
        return
    persistent = _persistent_volumes(w)
    if not persistent:
        return
    if any(c.init and re.search(r"\bch(?:own|mod)\b", " ".join(str(x) for x in as_list(c.spec.get("command"))
                                                             + as_list(c.spec.get("args"))))
           for c in w.containers):
        return
    for c in w.containers:
        uid = _int(c.security.get("runAsUser"))
        if not uid:
            continue
        for m in as_list(c.spec.get("volumeMounts")):
            if (isinstance(m, dict) and str(m.get("name")) in persistent and m.get("readOnly") is not True):
                yield Emit(w.line(m, "name"),
                           f"container {c.name} runs as uid {uid} and mounts the persistent volume {m.get('name')!r} "
                           f"at {m.get('mountPath')} read-write, but the pod sets no fsGroup: a new volume's root "
                           f"belongs to root, so writes fail with \"permission denied\"", container=c.name)
                break
