"""Rules for the volume family: a volume cannot be provisioned, attached or mounted into the container.

The stages fail in order and each has its own words: a claim that does not exist or is not
bound (`persistentvolumeclaim "x" not found`, `unbound immediate PersistentVolumeClaims`), an
attach that fails (`Multi-Attach error`, `AttachVolume.Attach failed`), a mount that fails
(`MountVolume.SetUp failed`, CSI `rpc error`, NFS `mount.nfs:`, `hostPath type check failed`), and
finally the runtime refusing to bind-mount it into the container (`failed to prepare subPath`,
`not a directory` / `Are you trying to mount a directory onto a file (or vice-versa)?`). A
missing ConfigMap or Secret behind a volume is `config.*`, so those messages are left to that family.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.model import APPLY, Citation, ContainerEvidence, Hit, Joined, Placeholder, PodEvidence, Remedy
from podmortem.model.remedy import Value
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_waiting,
    events_command,
    main_suspect,
    messages,
    namespace_of,
    pod_arg,
    said,
    watch_command,
)
from podmortem.rules.facts import PodFacts
from podmortem.rules.kubelet_config import is_config_message
from podmortem.rules.memo import per_pod
from podmortem.rules.patch import container_patch, template_patch
from podmortem.rules.runtime_wording import MOUNT_MISSING, MOUNT_WORDINGS
from podmortem.rules.spec import cite_spec
from podmortem.rules.textindex import may_match


class VolumeProblem(msgspec.Struct, frozen=True):
    """One volume failure message, classified."""

    message: Message
    kind: str  # detail id
    volume: str | None = None  # the pod's volume name, when the message names it
    claim: str | None = None
    target: str | None = None  # mount target inside the container (dir-onto-file)
    extra: str | None = None  # driver name, host path, error text


# (kind, pattern) in order of specificity: the first that matches a message classifies it.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pvc-missing", lazy(r"persistentvolumeclaims? \\?\"(?P<claim>[^\"\\]+)\\?\" not found", re.I)),
    ("pvc-unbound", lazy(
        r"unbound immediate PersistentVolumeClaims|persistentvolumeclaim \"(?P<claim>[^\"]+)\" "
        r"(?:is not bound|is being deleted|bound to non-existent persistentvolume)", re.I)),
    ("multi-attach", lazy(
        r"Multi-Attach error for volume \"(?P<volume>[^\"]+)\"|Volume is already (?:exclusively attached|used by pod)",
        re.I)),
    ("csi-driver-missing", lazy(
        r"driver name (?P<extra>\S+) not found in the list of registered CSI drivers", re.I)),
    ("attach-failed", lazy(r"AttachVolume\.Attach failed for volume \"(?P<volume>[^\"]+)\"\s*:?\s*(?P<extra>.*)",
                                 re.I | re.S)),
    ("dir-onto-file", lazy(
        r"Are you trying to mount a directory onto a file \(or vice-versa\)\?"
        r"|(?:error )?mounting .{0,400}?not a directory", re.I | re.S)),
    ("runtime-mount-missing", MOUNT_MISSING),
    ("subpath", lazy(
        r"failed to (?:prepare|create) subPath (?:directory )?for volumeMount \"(?P<volume>[^\"]+)\"|subPath\b.*\b"
        r"(?:is outside|not found|must not)|error preparing subpath", re.I)),
    ("hostpath-missing", lazy(
        r"hostPath type check failed: (?P<extra>\S+) is not a \w+|path \"(?P<extra2>[^\"]+)\" does not exist", re.I)),
    ("nfs", lazy(r"mount\.nfs4?: (?P<extra>[^\n]*)|mount failed: exit status 32", re.I)),
    ("mount-failed", lazy(
        r"MountVolume\.(?:SetUp|MountDevice|WaitForAttach|NewMounter initialization|MapPodDevice|SetUpAt|"
        r"MapVolume\.\w+) failed for volume \"(?P<volume>[^\"]+)\"\s*:?\s*(?P<extra>.*)", re.I | re.S)),
    ("mount-timeout", lazy(
        r"Unable to (?:attach or )?mount volumes(?: for pod \"[^\"]*\")?: (?:unmounted volumes=\[(?P<volumes>[^\]]*)\]"
        r"|timeout expired waiting for volumes to attach or mount)", re.I)),
)
_VOLUME_NAMED = lazy(r"volume \"(?P<volume>[^\"]+)\"|kubernetes\.io~[\w-]+/(?P<dir>[^\\\"/\s]+)")
# Where the runtime tried to bind-mount: containerd says `to rootfs at "/x"`, Docker-era runc `.../merged/x`.
_MOUNT_TARGET = lazy(r"to rootfs at \\*\"(?P<t1>[^\"\\]+)|/merged(?P<t2>/[^\"\\]+)\\*\"")
_ATTACH_EVENTS = frozenset({"FailedAttachVolume", "FailedMount", "FailedMapVolume"})


# The multi-attach pattern's needle (" already ") is in every "image already present" event: that one
# is searched for, the others are ruled out by their needles.
_MULTI_ATTACH = next(pattern for kind, pattern in _PATTERNS if kind == "multi-attach")
_OTHER_PATTERNS = tuple(pattern for kind, pattern in _PATTERNS if kind != "multi-attach")


def _may_have_problem(facts: PodFacts) -> bool:
    # the three volume rules read only _problems: a message in one of _PATTERNS' wordings, or an attach/mount event
    return _problem_possible(facts.pod)


@per_pod  # the three volume rules ask it of one pod
def _problem_possible(pod: PodEvidence) -> bool:
    text = said(pod)
    return (may_match(text, *_OTHER_PATTERNS)
            or any(e.reason in _ATTACH_EVENTS for e in pod.events)
            or (may_match(text, _MULTI_ATTACH) and any(_MULTI_ATTACH.search(m.text) for m in messages(pod))))


@functools.lru_cache(maxsize=4096)
def _volume_match(text: str) -> tuple[str, re.Match[str]] | None:
    """The first volume pattern the text matches. Cached by text: three rules classify every message
    of a pod, and pods of one owner share their messages."""
    for kind, pattern in _PATTERNS:
        hit = pattern.search(text)
        if hit is not None:
            return kind, hit
    return None


def _classify(m: Message) -> VolumeProblem | None:
    if is_config_message(m.text):
        return None
    found = _volume_match(m.text)
    if found is not None:
        kind, hit = found
        groups = {k: v for k, v in hit.groupdict().items() if v}
        volume = groups.get("volume")
        if volume is None and "volumes" in groups:
            volume = groups["volumes"].split()[0]
        if volume is None and kind == "mount-timeout":
            listed = _UNMOUNTED.search(m.text)
            volume = listed.group("volumes").split()[0] if listed and listed.group("volumes").split() else None
        if volume is None:
            named = _VOLUME_NAMED.search(m.text)
            volume = (named.group("volume") or named.group("dir")) if named else None
        target = None
        if kind == "dir-onto-file":
            at = _MOUNT_TARGET.search(m.text)
            target = (at.group("t1") or at.group("t2")) if at else None
        if kind == "runtime-mount-missing":
            target = _rootfs_relative(groups.get("dst") or groups.get("cdst"))
            source = groups.get("src") or groups.get("csrc") or ""
            volume = volume or _volume_of_source(source)
            kind = "subpath-source-missing" if "/volume-subpaths/" in source else kind
            groups["extra"] = source
        extra = groups.get("extra") or groups.get("extra2")
        return VolumeProblem(m, kind, volume, groups.get("claim"), target,
                             extra.strip()[:300] if extra else None)
    if m.event is not None and (m.event.reason or "") in _ATTACH_EVENTS:
        named = _VOLUME_NAMED.search(m.text)
        volume = (named.group("volume") or named.group("dir")) if named else None
        return VolumeProblem(m, "mount-failed", volume, extra=m.text[:300])
    return None


def _rootfs_relative(dst: str | None) -> str | None:
    """The mount target inside the container: Docker-era runc names it under the overlay's merged dir."""
    if dst is None:
        return None
    return "/" + dst.split("/merged/", 1)[1] if "/merged/" in dst else dst


# kubelet paths: pods/UID/volume-subpaths/VOLUME/CONTAINER/N and pods/UID/volumes/PLUGIN/VOLUME
_KUBELET_SOURCE = lazy(r"/pods/[^/]+/(?:volume-subpaths/(?P<sub>[^/]+)/|volumes/[^/]+/(?P<vol>[^/]+))")


def _volume_of_source(source: str) -> str | None:
    m = _KUBELET_SOURCE.search(source)
    return (m.group("sub") or m.group("vol")) if m else None


# both wordings: `unmounted volumes=[a b]` (1.17+) and `list of unmounted volumes=[a b]` (older)
_UNMOUNTED = lazy(r"unmounted volumes=\[(?P<volumes>[^\]]*)\]")


@per_pod  # three rules read them
def _problems(pod: PodEvidence) -> tuple[VolumeProblem, ...]:
    out = []
    # volumes whose failure the config family explains (a missing ConfigMap/Secret or key behind them)
    explained = set()
    for m in messages(pod):
        if is_config_message(m.text):
            named = _VOLUME_NAMED.search(m.text)
            if named and named.group("volume"):
                explained.add(named.group("volume"))
    for m in messages(pod):
        p = _classify(m)
        if p is None:
            continue
        if p.kind == "mount-timeout":
            unmounted = _UNMOUNTED.search(m.text)
            if unmounted and explained and set(unmounted.group("volumes").split()) <= explained:
                continue  # the timeout only repeats what the config family reports
        out.append(p)
    return tuple(out)


def _pod_volume_for(pod: PodEvidence, p: VolumeProblem) -> str | None:
    """The pod's volume name for a problem: named, or the volume backed by the claim, or mounted at the target."""
    if p.volume and pod.volume(p.volume) is not None:
        return p.volume
    if p.claim:
        for v in pod.volumes:
            if v.kind == "persistentVolumeClaim" and v.ref_name == p.claim:
                return v.name
    if p.kind in ("pvc-missing", "pvc-unbound") and not p.claim and not p.volume:
        # "unbound immediate PersistentVolumeClaims" names no claim: the pod's claims are the suspects
        claims = [v for v in pod.volumes if v.kind == "persistentVolumeClaim"]
        if claims:
            return claims[0].name
    if p.target:
        for c in pod.containers:
            for mnt in c.spec.mounts if c.spec else ():
                if posixpath.normpath(mnt.mount_path) == posixpath.normpath(p.target):
                    return mnt.name
    return p.volume


def _container_for(pod: PodEvidence, p: VolumeProblem, volume: str | None) -> ContainerEvidence | None:
    if p.message.container is not None and pod.container(p.message.container) is not None:
        return pod.container(p.message.container)
    if volume is not None:
        users = [c for c in pod.containers if c.spec is not None and any(m.name == volume for m in c.spec.mounts)]
        if users:
            return users[0]  # init containers come first: they are the ones blocked first
    return main_suspect(pod)


def _evidence(pod: PodEvidence, c: ContainerEvidence | None, found: list[VolumeProblem],
              volume: str | None) -> list[Citation]:
    out: list[Citation] = []
    if c is not None:
        w = cite_waiting(pod, c)
        if w is not None:
            out.append(w)
    seen = set()
    for p in found:
        cite = cite_message(p.message)
        if cite.text not in seen:
            seen.add(cite.text)
            out.append(cite)
        if len(seen) >= 3:
            break
    if c is not None and c.spec is not None and volume is not None:
        for mnt in c.spec.mounts:
            if mnt.name == volume:
                v = pod.volume(volume)
                kind = f" ({v.kind} {v.ref_name})" if v is not None and v.kind and v.ref_name else ""
                sub = f", subPath {mnt.sub_path}" if mnt.sub_path else ""
                out.append(cite_spec(pod, c, f"volumeMounts[{mnt.name}]",
                                     f"mount {mnt.name}{kind} at {mnt.mount_path}{sub}"))
                break
    return out


def _remedy(pod: PodEvidence, p: VolumeProblem, c: ContainerEvidence | None, volume: str | None) -> Remedy:
    ns_known = namespace_of(pod)
    in_ns = f" in namespace {ns_known}" if ns_known else " in the pod's namespace"
    ns = namespace_of(pod)
    v = pod.volume(volume) if volume else None
    claim_name = p.claim or (v.ref_name if v is not None and v.kind == "persistentVolumeClaim" else None)
    claim = claim_name or "CLAIM"
    claim_arg: Value = claim_name if claim_name else Placeholder("CLAIM")
    node: Value = pod.node if pod.node else Placeholder("NODE")
    storage = "the storage (claims, volumes, drivers) is outside the pod spec"
    name = (c.name or None) if c is not None else None
    init = c.init if c is not None else False
    if p.kind == "pvc-missing":
        return Remedy(f"Create PersistentVolumeClaim {claim}{in_ns}, or correct claimName in the pod's "
                      "volumes (a StatefulSet creates its claims from volumeClaimTemplates).", None,
                      (kubectl("get", "pvc",
                               namespace=ns), kubectl("get", "pvc", claim_arg, namespace=ns), watch_command(pod)),
                      outside_spec=storage)
    if p.kind == "pvc-unbound":
        return Remedy(f"The claim {claim} is not bound: no PersistentVolume matches it and no StorageClass provisions "
                      "it. Read the claim's events, then set a storageClassName that exists or create a matching PV.",
                      None, (kubectl("describe", "pvc", claim_arg, namespace=ns), kubectl("get", "storageclass"),
                             watch_command(pod)), outside_spec=storage)
    if p.kind == "multi-attach":
        patch = None
        if pod.owner is not None and pod.owner.kind in ("ReplicaSet", "Deployment"):
            patch = {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}}
        return Remedy("A ReadWriteOnce volume is still attached to another node (an old pod there, or a node that "
                      "went down). Let the old pod finish, or for a Deployment use strategy Recreate so old and new "
                      "pods never need the volume at once; use ReadWriteMany storage if several pods share it.",
                      patch, (kubectl("get", "volumeattachment"), kubectl("get", "pods", "-o", "wide",
                                                                          namespace=ns),
                              *((APPLY,) if patch is not None else ()), watch_command(pod)),
                      outside_spec=None if patch is not None else storage)
    if p.kind == "csi-driver-missing":
        driver = p.extra or "DRIVER"
        return Remedy(f"The CSI driver {driver} is not registered on the node: install it or fix its node plugin "
                      "DaemonSet (it must run on every node that mounts such volumes).", None,
                      (kubectl("get", "csidrivers"), kubectl("get", "csinode", node, "-o", "yaml"), watch_command(pod)),
                      outside_spec="the CSI driver is installed on the nodes, not in the pod spec")
    if p.kind == "attach-failed":
        return Remedy("The storage backend refused to attach the volume: read the error (volume in another zone, "
                      "attach limit reached, disk deleted) and fix it there, then the kubelet retries.", None,
                      (kubectl("get", "volumeattachment"), kubectl("describe", "pvc", claim_arg, namespace=ns),
                       watch_command(pod)), outside_spec=storage)
    if p.kind == "dir-onto-file":
        target = p.target or "/path/to/file"
        if v is not None and v.kind in ("configMap", "secret", "projected") and p.target:
            key = v.items[0] if v.items else posixpath.basename(target)
            patch = container_patch(name, init, {"volumeMounts": [
                {"name": v.name, "mountPath": target, "subPath": key}]})
            fix = (f"Volume {v.name} is a directory of files but is mounted at {target}, which is a file in the image. "
                   f"Mount the single key with subPath (the patch uses key {key!r}), or mount the volume at a "
                   "directory.")
            return Remedy(fix, patch, (APPLY, watch_command(pod)))
        return Remedy(f"A volume is mounted at {target}, whose type (file or directory) does not match what the "
                      "volume provides: mount a single file with subPath, or pick a directory mountPath.", None,
                      (watch_command(pod),))
    if p.kind == "subpath-source-missing":
        at = f" at {p.target}" if p.target else ""
        return Remedy(f"The runtime could not bind-mount the subPath{at}: the file or directory the kubelet prepared "
                      "for it is gone (a ConfigMap/Secret updated under a subPath mount, or a subPath that names no "
                      "key or file in the volume). Check that subPath names an existing key or path; recreate the pod "
                      "so the kubelet prepares it again; for content that changes, mount the volume as a directory "
                      "instead of using subPath.", None,
                      (kubectl("delete", "pod", pod_arg(pod), namespace=ns), watch_command(pod)))
    if p.kind == "runtime-mount-missing":
        src = f" {p.extra}" if p.extra else ""
        return Remedy(f"The runtime could not bind-mount{src} into the container: the source path does not exist "
                      "on the node (a hostPath that is missing, or a volume the kubelet did not prepare). Create it "
                      "or fix the path; the kubelet retries by itself.", None, (watch_command(pod),))
    if p.kind == "subpath":
        return Remedy("The runtime could not prepare the subPath of the mount: check that subPath names a path inside "
                      "the volume (no '..', no symlink leading out of it) and that it is not a file where a "
                      "directory is expected.", None, (watch_command(pod),))
    if p.kind == "hostpath-missing":
        path = p.extra or (v.ref_name if v is not None else None) or "/path"
        patch = template_patch({"volumes": [{"name": v.name, "hostPath": {"path": path, "type": "DirectoryOrCreate"}}]}
                               ) if v is not None and v.kind == "hostPath" else None
        return Remedy(f"The host path {path} does not exist on the node or is not the declared type: create it on "
                      "every node that can run the pod, or let the kubelet create it (type DirectoryOrCreate).",
                      patch, (kubectl("debug", Joined(("node/", node)), "-it", "--image=busybox", "--", "ls", "-ld",
                                      "/host" + path), *((APPLY,) if patch is not None else ()), watch_command(pod)))
    if p.kind == "nfs":
        server = re.search(r"(?:-t nfs4? |mounting )(?P<server>[\w.-]+):/", p.message.text)
        host = server.group("server") if server else "NFS_SERVER"
        return Remedy("The NFS mount failed on the node: check the server address and export path, that the export "
                      "allows the nodes' addresses, and that nfs client utilities are installed on the nodes.", None,
                      (kubectl("debug", Joined(("node/", node)), "-it", "--image=busybox", "--", "ping", "-c1", host),
                       watch_command(pod)), outside_spec="the NFS server and the nodes' NFS client are outside the pod")
    if p.kind == "mount-timeout":
        return Remedy("The kubelet timed out waiting for the volume: the FailedMount/FailedAttachVolume events before "
                      "this one say why (claim, attach, driver); fix that, then the pod starts.", None,
                      (events_command(pod), watch_command(pod)))
    return Remedy("The volume could not be mounted: fix what the error names (the storage backend, driver, claim or "
                  "mount options); the kubelet retries by itself.", None,
                  (kubectl("describe", "pvc", claim_arg,
                           namespace=ns) if claim_name else kubectl("get", "pvc", all_namespaces=True),
                   watch_command(pod)))


_SUMMARIES = {
    "pvc-missing": "its PersistentVolumeClaim {claim} does not exist",
    "pvc-unbound": "its PersistentVolumeClaim {claim} is not bound to a volume",
    "multi-attach": "the volume is still attached to another node (Multi-Attach)",
    "csi-driver-missing": "the CSI driver is not registered on the node",
    "attach-failed": "the storage backend failed to attach the volume",
    "dir-onto-file": "a directory volume is mounted onto a file path (or the reverse)",
    "subpath": "the mount's subPath could not be prepared",
    "subpath-source-missing": "the runtime could not bind-mount its subPath, whose prepared source is gone",
    "runtime-mount-missing": "the runtime could not bind-mount it: the source path does not exist",
    "hostpath-missing": "the hostPath does not exist on the node or has another type",
    "nfs": "the NFS mount failed",
    "mount-failed": "the volume could not be mounted",
    "mount-timeout": "the kubelet timed out waiting for the volume to mount",
}
_CONFIDENCE = {"mount-timeout": (0.7, 2)}


def _volume_hits(pod: PodEvidence, kinds: frozenset[str]) -> Iterator[Hit]:
    problems = _problems(pod)
    by_container: dict[str | None, list[tuple[VolumeProblem, str | None, ContainerEvidence | None]]] = {}
    for p in problems:
        volume = _pod_volume_for(pod, p)
        c = _container_for(pod, p, volume)
        by_container.setdefault(c.name if c is not None else None, []).append((p, volume, c))
    order = [k for k, _ in _PATTERNS]
    order.insert(order.index("runtime-mount-missing"), "subpath-source-missing")
    for found in by_container.values():
        # the most specific message is the cause; the others (timeouts, repeats) support it
        found.sort(key=lambda f: order.index(f[0].kind) if f[0].kind in order else len(order))
        p, volume, c = found[0]
        if p.kind not in kinds:
            continue
        claim = p.claim or next((v.ref_name for v in pod.volumes if v.name == volume and v.ref_name), None) or "?"
        name = (c.name or None) if c is not None else None
        who = f"container {name}" if name else "the pod"
        vol = f" ({volume})" if volume and p.kind not in ("pvc-missing", "pvc-unbound") else ""
        summary = f"A volume of {who} cannot be set up{vol}: " + _SUMMARIES[p.kind].format(claim=claim) + "."
        confidence, strength = _CONFIDENCE.get(p.kind, (0.93, 3))
        yield Hit(
            container=name, init=c.init if c is not None else False, summary=summary,
            evidence=tuple(_evidence(pod, c, [f[0] for f in found], volume)),
            remedy=_remedy(pod, p, c, volume), confidence=confidence, strength=strength, detail=p.kind,
        )


@rule(
    "pvc-not-bound",
    cause="volume.mount-failed",
    title="The pod's PersistentVolumeClaim does not exist or is not bound",
    needs=("events", "status", "spec"),
    lint_check="pvc-missing",
    when=_may_have_problem,
)
def pvc_not_bound(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `persistentvolumeclaim "x" not found` (FailedMount or FailedScheduling) and `pod has unbound
    immediate PersistentVolumeClaims` (FailedScheduling): the claim the pod's volume names is
    missing or has no PersistentVolume.

    ## Why the pod crash-loops
    It never starts: the scheduler cannot place a pod whose immediate-binding claim is unbound,
    and the kubelet cannot mount a claim that does not exist; the pod stays Pending.

    ## Evidence used
    FailedScheduling / FailedMount events, the pod's volumes (to map the claim to the volume and
    the containers mounting it).

    ## How to fix
    Create the claim in the pod's namespace or correct `claimName`; for an unbound claim read
    `kubectl describe pvc` and fix its StorageClass or create a matching PV.

    ## Near misses
    A missing ConfigMap or Secret volume is `config.ref-missing`. `WaitForFirstConsumer` claims
    bind only once the pod is scheduled and are not a failure.
    """
    yield from _volume_hits(pod, frozenset({"pvc-missing", "pvc-unbound"}))


@rule(
    "volume-attach-failed",
    cause="volume.mount-failed",
    title="The volume cannot be attached to the node",
    needs=("events", "status"),
    when=_may_have_problem,
)
def volume_attach_failed(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `Multi-Attach error for volume "pvc-..." Volume is already used by pod(s) ...` /
    `... already exclusively attached to one node`, `AttachVolume.Attach failed for volume ...`,
    and a CSI driver missing on the node (`driver name x not found in the list of registered CSI
    drivers`).

    ## Why the pod crash-loops
    A ReadWriteOnce disk can be attached to one node at a time; during a rolling update or after
    a node failure the new pod waits in ContainerCreating until the old attachment is released.

    ## Evidence used
    FailedAttachVolume / FailedMount events, the pod's owner (a Deployment can switch to the
    Recreate strategy) and volumes.

    ## How to fix
    Let the old pod finish or the attach/detach controller release the disk; for a Deployment
    with an RWO volume use `strategy: Recreate`; install the CSI driver's node plugin where missing.

    ## Near misses
    `MountVolume.SetUp failed` with the disk attached is a mount problem (rule `volume-mount-error`).
    """
    yield from _volume_hits(pod, frozenset({"multi-attach", "attach-failed", "csi-driver-missing"}))


@rule(
    "volume-mount-error",
    cause="volume.mount-failed",
    title="The volume cannot be mounted into the container",
    needs=("status", "events", "spec"),
    wordings=MOUNT_WORDINGS,
    when=_may_have_problem,
)
def volume_mount_error(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `MountVolume.SetUp failed` / `MountVolume.MountDevice failed` events (CSI `rpc error`, NFS
    `mount.nfs: access denied by server`, `hostPath type check failed`), `Unable to attach or
    mount volumes ... timed out waiting for the condition`, and the runtime refusing the bind
    mount (CreateContainerError / StartError): `failed to prepare subPath for volumeMount`,
    `not a directory` / `Are you trying to mount a directory onto a file (or vice-versa)?`.

    ## Why the pod crash-loops
    Without the mount the container cannot be created: the pod waits in ContainerCreating, or
    with the runtime's refusal every start attempt fails (CreateContainerError, StartError).

    ## Evidence used
    FailedMount events, waiting/terminated messages, the volume mounts (mount path, subPath,
    the volume's kind).

    ## How to fix
    A ConfigMap/Secret volume mounted onto a file path: mount the single key with `subPath`
    (patch). hostPath: create the path or use `type: DirectoryOrCreate`. CSI/NFS: fix what the
    driver's error names. A bare timeout: the earlier FailedMount events say what to fix.

    ## Near misses
    `configmap "x" not found` in a FailedMount event is `config.ref-missing`; a file the app
    cannot find inside a mounted volume is `app.file-missing`.
    """
    yield from _volume_hits(pod, frozenset({"dir-onto-file", "subpath", "hostpath-missing", "nfs", "mount-failed",
                                             "mount-timeout", "subpath-source-missing", "runtime-mount-missing"}))


RULES: tuple[Rule, ...] = (pvc_not_bound, volume_attach_failed, volume_mount_error)
