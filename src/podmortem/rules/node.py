"""Rules for the node family: the node, not the pod's own containers, is why the pod fails.

Eviction under memory, disk or PID pressure (`The node was low on resource: ...`), a node that
went NotReady or shut down, the kubelet refusing the pod at admission (`OutOfcpu`), a pod
sandbox the runtime or CNI plugin cannot create (`FailedCreatePodSandBox`), containers lost
with their node (`ContainerStatusUnknown`), a node out of disk while pulling images, and a
program refusing a host setting it inherits from the node (vm.max_map_count, runtime ulimits,
inotify limits, a resolv.conf that makes CoreDNS forward to itself).

Scheduling failures (`FailedScheduling: 0/3 nodes are available: 3 Insufficient memory`) are
not crash loops, but a pod that never lands on a node is node-side too: they are reported here
as node.pressure (detail `unschedulable`) only while the pod is unscheduled, with lower
confidence than a kubelet verdict. Unbound PersistentVolumeClaims in that message are left to
the volume family. The engine's chain puts a node finding ahead of the container failures that
followed from it, so weak signals here (a single SandboxChanged) stay weak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.kube.quantity import format_bytes, parse_bytes
from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Remedy,
    Step,
)
from podmortem.model.remedy import Value
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_termination,
    main_suspect,
    messages,
    namespace_of,
    status_source,
    watch_command,
)
from podmortem.rules.facts import PodFacts, printed, says
from podmortem.rules.output import by_container, find_output, placed
from podmortem.rules.patch import template_patch
from podmortem.rules.text import first_upper, node_of
from podmortem.rules.textindex import may_match

# pkg/kubelet/eviction/helpers.go: the eviction message and its per-container fragments (two phrasings).
_LOW_ON = lazy(r"The node was low on resource: \[?(?P<resource>[\w-]+(?:\.[\w-]+)*)")
# very old kubelets named the node condition instead of the resource
_CONDITION_RESOURCE = {"DiskPressure": "ephemeral-storage", "MemoryPressure": "memory", "PIDPressure": "pids"}
_HAD_CONDITION = lazy(r"The node had condition: \[(?P<condition>\w+)\]")
_USAGE = lazy(
    r"Container (?P<container>[\w.-]+) was using (?P<usage>[\w.]+), (?:request is|which exceeds its request of) "
    r"(?P<request>[\w.]+)")
_OWN_LIMIT = lazy(
    r"Pod ephemeral local storage usage exceeds the total limit of containers (?P<limit>\S+?)\.?$"
    r"|Container (?P<container>[\w.-]+) exceeded its local ephemeral storage limit \"?(?P<climit>[^\".\s]+)"
    r"|Usage of EmptyDir volume \"(?P<volume>[^\"]+)\" exceeds the limit \"?(?P<vlimit>[^\".\s]+)", re.M)

_NODE_GONE_REASONS = {
    "NodeLost": "the node stopped reporting and the pod was lost with it",
    "NodeShutdown": "the node shut down",
    "Shutdown": "the node shut down",
    "Terminated": "the node was shutting down",
    "UnexpectedAdmissionError": "the kubelet failed to admit the pod",
    "NodeAffinity": "the node no longer matches the pod's node affinity",
}
_NODE_GONE_MESSAGE = lazy(
    r"Pod was terminated in response to imminent node shutdown|Node is not ready|NodeNotReady"
    r"|Node didn't have enough resource: (?P<resource>[\w.-]+)|Predicate NodeAffinity failed"
    r"|Preempted by (?:a )?pod|Marking for deletion Pod|Taint manager", re.I)
_NODE_GONE_EVENTS = frozenset({"NodeNotReady", "Preempted", "Preempting", "TaintManagerEviction", "NodeShutdown"})

_SANDBOX = lazy(r"Failed to create pod sandbox|FailedCreatePodSandBox|failed to setup network for sandbox"
                      r"|failed to (?:create|start) sandbox|network is not ready: container runtime network not ready"
                      r"|NetworkPluginNotReady|cni plugin not initialized", re.I)
_SANDBOX_CHANGED = lazy(r"Pod sandbox changed, it will be killed and re-created", re.I)
_CNI = lazy(r"\bcni\b|plugin type=|network plugin|calico|flannel|cilium|weave|networkPlugin|IPAM|"
                  r"failed to (?:allocate|assign) (?:an )?IP", re.I)
_DISK_FULL = lazy(r"no space left on device|(?P<readonly>read-only file system)", re.I)
_UNSCHEDULABLE = lazy(r"(?<!\d)\d+/\d+ nodes are available: (?P<why>.*)", re.S)


# Preconditions (rules/facts.py): each names every way its rule can find something, and is false only
# when none of them is in the pod.

def _may_be_evicted(facts: PodFacts) -> bool:
    # pod_evicted: the status reason, or a message that says "evict" or matches one of its wordings
    return (facts.pod.reason == "Evicted" or "evict" in facts.said
            or may_match(facts.said, _LOW_ON, _OWN_LIMIT, _HAD_CONDITION))


def _may_have_lost_node(facts: PodFacts) -> bool:
    # node_lost_or_not_ready: a status reason, an event reason, a message wording or a lost container
    pod = facts.pod
    reason = pod.reason or ""
    return (reason in _NODE_GONE_REASONS or reason.startswith("OutOf")
            or any(e.reason in _NODE_GONE_EVENTS for e in pod.events)
            or may_match(facts.said, _NODE_GONE_MESSAGE)
            or any((t := c.last_termination) is not None and t.reason == "ContainerStatusUnknown"
                   for c in pod.containers))


def _may_lack_sandbox(facts: PodFacts) -> bool:
    # pod_sandbox_failed: the FailedCreatePodSandBox event, or a message in one of its wordings
    return (any(e.reason == "FailedCreatePodSandBox" for e in facts.pod.events)
            or may_match(facts.said, _SANDBOX, _SANDBOX_CHANGED))




_NODE_OUTSIDE = "the node's state or capacity: not something the pod spec can change"


def _node_arg(pod: PodEvidence) -> Value:
    return pod.node if pod.node else Placeholder("NODE")


def _node_commands(pod: PodEvidence, patched: bool = False) -> tuple[Step, ...]:
    return (kubectl("describe", "node", _node_arg(pod)),
            kubectl("get", "pods", "--field-selector=status.phase=Failed", namespace=namespace_of(pod)),
            *((APPLY,) if patched else ()),
            watch_command(pod))


def _pod_citation(pod: PodEvidence) -> list[Citation]:
    out = []
    if pod.reason:
        out.append(Citation(status_source(pod), f"Status: {pod.phase or 'Failed'}, Reason: {pod.reason}", "status.reason"))
    if pod.message:
        out.append(Citation(status_source(pod), f"Message: {pod.message.strip()}", "status.message"))
    return out


def _requests_patch(pod: PodEvidence, resource: str, usage: dict[str, str]) -> dict[str, Any] | None:
    """Requests raised to the observed usage: the eviction manager evicts pods above their requests first."""
    if resource not in ("memory", "ephemeral-storage") or not usage:
        return None
    containers: list[dict[str, Any]] = []
    amounts = {name: parse_bytes(used) or 0 for name, used in usage.items()}
    top = max(amounts.values(), default=0)
    for name, amount in amounts.items():
        c = pod.container(name)
        # only the real consumers: a request sized from a few KiB of use would mean nothing
        if (c is not None and c.init) or amount < 64 * 2**20 or amount < top / 10:
            continue
        containers.append({"name": name, "resources": {"requests": {resource: format_bytes(int(amount * 1.25))}}})
    return template_patch({"containers": containers}) if containers else None


@rule(
    "pod-evicted",
    cause="node.pressure",
    title="The kubelet evicted the pod because the node ran low on a resource",
    needs=("status", "events"),
    lint_check="memory-limit-missing",
    when=_may_be_evicted,
)
def pod_evicted(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A pod with status reason `Evicted` and the kubelet's message `The node was low on resource:
    memory|ephemeral-storage|pids|nodefs|imagefs. ...`, `The node had condition: [DiskPressure]`,
    an eviction for the pod's own ephemeral-storage or emptyDir `sizeLimit`, or the `Evicted`
    event with the same text.

    ## Why the pod crash-loops
    Under node pressure the kubelet kills pods, those using most above their requests first.
    The pod ends Failed/Evicted and its controller creates a replacement, which may be evicted
    again while the node stays under pressure.

    ## Evidence used
    The pod's status reason and message (per-container usage and request), `Evicted` events.

    ## How to fix
    Set requests close to real use so the pod is not first in line (patch), set memory limits,
    bound disk use with `ephemeral-storage` limits and emptyDir `sizeLimit`, and relieve the node
    (more capacity, clean images and logs).

    ## Near misses
    `OOMKilled` is the container hitting its own memory limit (`resources.oom-killed`), not an
    eviction.
    """
    texts: list[tuple[str, Citation]] = []
    if pod.message:
        texts.append((pod.message, Citation(status_source(pod), f"Message: {pod.message.strip()}", "status.message")))
    for m in messages(pod):
        if m.path == "status.message":
            continue  # quoted above from the pod's status
        evicted_event = m.event is not None and (m.event.reason or "").lower() in ("evicted", "eviction")
        if evicted_event or _LOW_ON.search(m.text) or _OWN_LIMIT.search(m.text) or _HAD_CONDITION.search(m.text):
            texts.append((m.text, cite_message(m)))
    if pod.reason != "Evicted" and not texts:
        return
    if pod.reason != "Evicted" and not any(
            _LOW_ON.search(t) or _OWN_LIMIT.search(t) or _HAD_CONDITION.search(t) or "evict" in t.lower()
            for t, _ in texts):
        return
    resource = None
    usage: dict[str, str] = {}
    own = None
    for text, _ in texts:
        low = _LOW_ON.search(text)
        if low and resource is None:
            resource = _CONDITION_RESOURCE.get(low.group("resource"), low.group("resource"))
        cond = _HAD_CONDITION.search(text)
        if cond and resource is None:
            resource = _CONDITION_RESOURCE.get(cond.group("condition"), cond.group("condition"))
        for u in _USAGE.finditer(text):
            usage.setdefault(u.group("container"), u.group("usage"))
        own = own or _OWN_LIMIT.search(text)
    evidence = _pod_citation(pod) if pod.reason == "Evicted" else []
    for _, cite in texts:
        if cite.text not in {e.text for e in evidence}:
            evidence.append(cite)
    evidence = evidence[:4]
    top = max(usage, key=lambda n: parse_bytes(usage[n]) or 0) if usage else None
    c = pod.container(top) if top else None
    if own is not None:
        detail = "ephemeral-storage-limit"
        what = "its own ephemeral-storage limit" if not own.group("volume") else \
            f"the sizeLimit of emptyDir {own.group('volume')}"
        summary = f"The kubelet evicted the pod because it exceeded {what}."
        fix = ("The pod wrote more local data (logs, emptyDir, writable layer) than its ephemeral-storage limit allows: "
               "raise the limit or emptyDir sizeLimit, or write that data to a volume and rotate logs.")
        patch = None
        c = pod.container(own.group("container")) if own.group("container") else c
    else:
        res = resource or "a resource"
        detail = resource or "evicted"
        users = ", ".join(f"{n} used {u}" for n, u in usage.items())
        summary = (f"The kubelet evicted the pod because {node_of(pod)} ran low on {res}"
                   + (f" ({users})." if users else ".")).replace("  ", " ")
        fix = {
            "memory": "Set memory requests close to real use (the patch raises them to the observed use + 25%) and "
                      "memory limits, so this pod is not the first evicted; add node capacity if the node is overcommitted.",
            "ephemeral-storage": "Request the disk the pod really uses (patch: observed use + 25%), bound it with an "
                                 "ephemeral-storage limit and emptyDir sizeLimit, rotate logs, and free disk on the "
                                 "node (unused images, old logs).",
            "nodefs": "Free disk on the node (logs, emptyDirs, unused images) and bound pods' disk use with "
                      "ephemeral-storage limits.",
            "imagefs": "Free image storage on the node (unused images) or give it a larger disk.",
            "pids": "A process in the pod (or another) forks too much: set the kubelet's podPidsLimit and fix the "
                    "process leak.",
        }.get(resource or "", "Relieve the node's pressure (capacity, cleanup) and set requests that match real use.")
        patch = _requests_patch(pod, resource or "", usage)
    name = (c.name or None) if c is not None else None
    yield Hit(container=name, init=c.init if c is not None else False, summary=summary, evidence=tuple(evidence),
              remedy=Remedy(fix, patch, _node_commands(pod, patch is not None),
                            outside_spec=None if patch is not None else _NODE_OUTSIDE),
              confidence=0.95, strength=3, detail=detail)


@rule(
    "node-lost-or-not-ready",
    cause="node.pressure",
    title="The pod's node went away, shut down, or refused the pod",
    needs=("status", "events"),
    when=_may_have_lost_node,
)
def node_lost_or_not_ready(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    Pod status reasons `NodeLost`, `NodeShutdown` / `Terminated` (`Pod was terminated in response
    to imminent node shutdown`), `UnexpectedAdmissionError`, `OutOf<resource>` (`Pod Node didn't
    have enough resource: cpu, requested: ..., used: ..., capacity: ...`), `NodeAffinity`;
    `NodeNotReady` ("Node is not ready") and `Preempted` events; and containers whose last state
    is `ContainerStatusUnknown` (`The container could not be located when the pod was ...`).

    ## Why the pod crash-loops
    The containers did nothing wrong: the node became unreachable or shut down, the kubelet
    rejected the pod at admission, or a higher-priority pod preempted it; controllers replace
    the pod and the cycle repeats while the node is unhealthy.

    ## Evidence used
    The pod's status reason and message, pod events, container last states.

    ## How to fix
    Look at the node (`kubectl describe node`): conditions, kubelet and runtime health, capacity.
    For admission `OutOf*` set requests that fit the node; for preemption give the workload an
    adequate PriorityClass or more capacity.

    ## Near misses
    A container killed by its own memory limit is `resources.oom-killed`; `Evicted` is rule
    `pod-evicted`.
    """
    evidence: list[Citation] = []
    detail = None
    confidence, strength = 0.9, 3
    reason = pod.reason or ""
    if reason in _NODE_GONE_REASONS or reason.startswith("OutOf"):
        evidence += _pod_citation(pod)
        detail = "admission-rejected" if reason.startswith("OutOf") or reason == "UnexpectedAdmissionError" else \
            "node-lost" if reason == "NodeLost" else "node-affinity" if reason == "NodeAffinity" else "node-shutdown"
    found: list[Message] = []
    for m in messages(pod):
        is_event = m.event is not None and (m.event.reason or "") in _NODE_GONE_EVENTS
        if is_event or (_NODE_GONE_MESSAGE.search(m.text) and m.path != "status.message"):
            if m.path and m.path.endswith(".terminated.message"):
                continue
            found.append(m)
    for m in found[:2]:
        evidence.append(cite_message(m))
        if detail is None:
            text = m.text.lower()
            detail = "preempted" if "preempt" in text or (m.event and m.event.reason in ("Preempted", "Preempting")) \
                else "node-not-ready"
            if detail == "node-not-ready":
                # a NotReady blip alone does not outweigh a container's own failure; it leads only when alone
                confidence, strength = 0.55, 2
    lost: ContainerEvidence | None = None
    for c in pod.containers:
        t = c.last_termination
        if t is not None and t.reason == "ContainerStatusUnknown":
            lost = lost or c
            evidence.append(cite_termination(pod, c, t))
            if detail is None:
                detail = "container-lost"
                confidence, strength = 0.72, 2
    if not evidence:
        return
    what = {
        "admission-rejected": "the kubelet rejected the pod at admission ("
                              + (_NODE_GONE_REASONS.get(reason) or f"{reason[5:] or 'a resource'} exhausted on the node")
                              + ")",
        "node-lost": "its node stopped reporting (NodeLost)",
        "node-affinity": "the node no longer matches its node affinity",
        "node-shutdown": "its node shut down",
        "preempted": "the scheduler preempted it for a higher-priority pod",
        "node-not-ready": "its node became NotReady",
        "container-lost": "its containers disappeared with their node (ContainerStatusUnknown)",
    }.get(detail or "", "its node failed")
    suspect = lost or main_suspect(pod)
    name = (suspect.name or None) if suspect is not None and detail == "container-lost" else None
    yield Hit(
        container=name, init=bool(suspect and suspect.init and name), summary=f"The pod failed because {what}.",
        evidence=tuple(evidence[:4]),
        remedy=Remedy("Check the node's conditions and kubelet/runtime health; the pod's own containers are not the "
                      "cause. Set requests that fit the nodes and give important workloads a PriorityClass.",
                      None, _node_commands(pod), outside_spec=_NODE_OUTSIDE),
        confidence=confidence, strength=strength, detail=detail,
    )


@rule(
    "pod-sandbox-failed",
    cause="node.pressure",
    title="The runtime or network plugin cannot create the pod's sandbox",
    needs=("events",),
    when=_may_lack_sandbox,
)
def pod_sandbox_failed(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `FailedCreatePodSandBox` events (`Failed to create pod sandbox: rpc error: ... failed to
    setup network for sandbox ...: plugin type="calico" failed (add): ...`) and repeated
    `SandboxChanged` (`Pod sandbox changed, it will be killed and re-created.`).

    ## Why the pod crash-loops
    No container can start without the pod sandbox (its network namespace); the kubelet keeps
    retrying. A sandbox that keeps changing restarts every container of the pod with it.

    ## Evidence used
    Sandbox events and their counts.

    ## How to fix
    Fix the node's CNI plugin (its DaemonSet pods and logs, IP pool exhaustion) or container
    runtime; cordon and drain a broken node meanwhile.

    ## Near misses
    One `SandboxChanged` after a node reboot is normal and weak evidence (low confidence).
    """
    failed = [m for m in messages(pod) if _SANDBOX.search(m.text) or
              (m.event is not None and m.event.reason == "FailedCreatePodSandBox")]
    changed = [m for m in messages(pod) if _SANDBOX_CHANGED.search(m.text)]
    if failed:
        m = failed[0]
        cni = bool(_CNI.search(m.text))
        yield Hit(
            container=None, init=False,
            summary=("The pod's network cannot be set up: the CNI plugin fails on the node." if cni else
                     "The container runtime cannot create the pod's sandbox on the node."),
            evidence=tuple(cite_message(x) for x in failed[:2]),
            remedy=Remedy(
                ("Fix the CNI plugin on the node: check its DaemonSet pod there and its logs (IP pool exhausted, "
                 "plugin binary or config missing)." if cni else
                 "Check the container runtime on the node (its logs, disk space, runtime class); drain the node meanwhile."),
                None, (kubectl("get", "pods", "-o", "wide", "--field-selector",
                               Joined(("spec.nodeName=", _node_arg(pod))), namespace="kube-system"),
                       kubectl("describe", "node", _node_arg(pod)), watch_command(pod)), outside_spec=_NODE_OUTSIDE),
            confidence=0.9, strength=3, detail="cni" if cni else "sandbox",
        )
        return
    if changed:
        count = sum(m.event.count if m.event is not None else 1 for m in changed)
        yield Hit(
            container=None, init=False,
            summary=f"The pod's sandbox was re-created {count} time(s), restarting all its containers.",
            evidence=tuple(cite_message(x) for x in changed[:2]),
            remedy=Remedy("Repeated sandbox changes come from the node (runtime restarts, the pause container killed, "
                          "network re-setup): check the runtime and kubelet logs on the node.", None,
                          (kubectl("describe", "node", _node_arg(pod)), watch_command(pod)), outside_spec=_NODE_OUTSIDE),
            confidence=0.58 if count >= 3 else 0.4, strength=2 if count >= 3 else 1, detail="sandbox-changed",
        )


@rule(
    "node-disk-full",
    cause="node.pressure",
    title="The node has no disk space left for the pod",
    needs=("events", "status"),
    when=says(_DISK_FULL),
)
def node_disk_full(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `no space left on device` in the kubelet's messages about the pod: an image pull or
    container creation that fails because the node's disk is full. `read-only file system` in
    those messages (not in the app's log) means the node's own disk went read-only.

    ## Why the pod crash-loops
    The node cannot unpack the image or create the container's writable layer; every retry fails
    until space is freed.

    ## Evidence used
    `Failed` events and waiting messages (never the app's own log, where ENOSPC is about the
    app's volume).

    ## How to fix
    Free disk on the node (unused images, logs), or move the workload to other nodes; the
    kubelet's image garbage collection thresholds may need tuning.

    ## Near misses
    An app logging `No space left on device` for its own volume is a volume sizing problem of the
    app, not this rule.
    """
    for m in messages(pod):
        if m.path and m.path.endswith(".terminated.message"):
            continue
        full = _DISK_FULL.search(m.text)
        if full:
            c = pod.container(m.container) if m.container else main_suspect(pod)
            if full.group("readonly"):
                # the kubelet's or runtime's own write failed: the node's filesystem went read-only (I/O errors)
                yield Hit(
                    container=(c.name or None) if c is not None else None, init=c.init if c is not None else False,
                    summary=f"The filesystem of {node_of(pod)} is read-only, so the pod cannot be set up."
                    .replace("  ", " "),
                    evidence=(cite_message(m),),
                    remedy=Remedy("The node's disk was remounted read-only (usually after I/O errors): drain the node, "
                                  "check its disk and kernel log, and repair or replace it.", None,
                                  (kubectl("drain", _node_arg(pod), "--ignore-daemonsets", "--delete-emptydir-data"),
                                   *_node_commands(pod)), outside_spec=_NODE_OUTSIDE),
                    confidence=0.85, strength=3, detail="node-filesystem-read-only",
                )
                return
            yield Hit(
                container=(c.name or None) if c is not None else None, init=c.init if c is not None else False,
                summary=f"{first_upper(node_of(pod))} has no disk space left, so the pod cannot be set up.".replace("  ", " "),
                evidence=(cite_message(m),),
                remedy=Remedy("Free disk space on the node (unused images: crictl rmi --prune; old logs) or add disk; "
                              "cordon it meanwhile so pods go elsewhere.", None, _node_commands(pod),
                              outside_spec=_NODE_OUTSIDE),
                confidence=0.9, strength=3, detail="node-disk-full",
            )
            return


# Host settings a container inherits from its node and cannot change from inside: kernel sysctls
# that are not namespaced, the container runtime's default ulimits, and the node's resolver.
# Wording of: the Elasticsearch / OpenSearch bootstrap checks ("likely too low" before 6.0; also
# printed by SonarQube's embedded Elasticsearch: "max virtual memory areas vm.max_map_count [65530]
# is too low, increase to at least [262144]", "max file descriptors [4096] for elasticsearch
# process is too low", "max number of threads [1024] for user [x] is too low", "memory locking
# requested for elasticsearch process but memory is not locked"), inotify exhaustion (Go fsnotify
# "failed to create fsnotify watcher: too many open files", libuv/Node "ENOSPC: System limit for
# number of file watchers reached", glibc "inotify_init: too many open files", "inotify watch limit
# reached"), and CoreDNS's loop plugin ("plugin/loop: Loop (127.0.0.1:x -> :53) detected for
# zone"), which fires when the node's resolv.conf points at a local stub resolver that CoreDNS then
# forwards to itself.
_HOST_LIMIT = lazy(
    r"max virtual memory areas (?P<sysctl>vm\.max_map_count) \[(?P<have>\d+)\] (?:is|likely) too low, increase to at "
    r"least "
    r"\[(?P<want>\d+)\]"
    r"|(?P<ulimit>max file descriptors|max number of threads|max size virtual memory|max file size) \[(?P<have2>[\w-]+)\]"
    r" for (?:user \[[\w-]+\]|\w+ process) (?:is|likely) too low(?:, increase to (?:at least )?\[(?P<want2>[\w-]+)\])?"
    r"|(?P<memlock>memory locking requested for \w+ process but memory is not locked)"
    r"|(?P<inotify>failed to create fsnotify watcher: too many open files|inotify_init1?(?: failed)?: too many open"
    r" files|System limit for number of file watchers reached|inotify (?:watch|instance) limit reached"
    r"|no space left on device[^\n]{0,40}inotify|inotify[^\n]{0,40}no space left on device)"
    r"|(?P<loop>plugin/loop: Loop \((?P<from>[\d.:\[\]a-f]+) -> (?P<to>[\d.:\[\]a-f]*)\) detected for zone)",
    re.I)
# What to look at on the node, by detail (a node debug pod sees the host's filesystem under /host).
_HOST_CHECK = {
    "kernel-sysctl": ("sysctl", "vm.max_map_count"),
    "ulimit": ("sh", "-c", "ulimit -a"),
    "inotify-limit": ("sysctl", "fs.inotify.max_user_instances", "fs.inotify.max_user_watches"),
    "dns-forward-loop": ("cat", "/host/etc/resolv.conf"),
}
_HOST_EXTRA = {"dns-forward-loop": (kubectl("get", "configmap", "coredns", "-o", "yaml", namespace="kube-system"),)}
_ULIMIT_NAMES = {"max file descriptors": "nofile", "max number of threads": "nproc",
                 "max size virtual memory": "as", "max file size": "fsize"}


def _host_limit_remedy(m: re.Match[str]) -> tuple[str, str, str, dict[str, Any] | None]:
    """(detail, what is wrong, fix, patch) for one host-limit message."""
    if m.group("sysctl"):
        want = m.group("want")
        init: dict[str, Any] = {
            "name": "sysctl-max-map-count", "image": "busybox:1.36",
            "command": ["sysctl", "-w", f"vm.max_map_count={want}"],
            "securityContext": {"privileged": True, "runAsUser": 0},
        }
        return ("kernel-sysctl",
                f"the node's vm.max_map_count is {m.group('have')}, below the {want} the program requires",
                f"vm.max_map_count is a node-wide kernel setting (not a namespaced sysctl, so the pod's "
                f"securityContext.sysctls cannot set it): raise it to {want} on the nodes (/etc/sysctl.d or the node "
                "image), or let a privileged init container set it (patch; the Elastic and SonarQube Helm charts call "
                "this sysctlInitContainer). For Elasticsearch alone, node.store.allow_mmap: false avoids the check.",
                template_patch({"initContainers": [init]}))
    if m.group("ulimit") or m.group("memlock"):
        if m.group("memlock"):
            what = "memory locking (bootstrap.memory_lock) was requested but the node's memlock ulimit forbids it"
            extra = " or set bootstrap.memory_lock: false."
        else:
            limit = _ULIMIT_NAMES.get(m.group("ulimit").lower(), "nofile")
            want = f" to at least {m.group('want2')}" if m.group("want2") else ""
            what = f"the {limit} ulimit the container got from its node ({m.group('have2')}) is too low"
            extra = f" (raise {limit}{want})."
        return ("ulimit", what,
                "Kubernetes has no pod field for ulimits: containers inherit the container runtime's defaults, so "
                "raise them on the nodes (LimitNOFILE/LimitNPROC/LimitMEMLOCK in the containerd or CRI-O systemd "
                "unit, or CRI-O's default_ulimits), then restart the runtime" + extra, None)
    if m.group("inotify"):
        return ("inotify-limit", "the node's inotify limits (fs.inotify.max_user_instances / max_user_watches) are "
                "used up",
                "Raise fs.inotify.max_user_instances and fs.inotify.max_user_watches on the nodes (they are per-user "
                "and node-wide, not namespaced sysctls), or stop running file watchers in the pod (a dev server's "
                "watch mode has no place in a cluster).", None)
    return ("dns-forward-loop", f"CoreDNS forwards queries to itself ({m.group('from')})",
            "The node's /etc/resolv.conf, which CoreDNS forwards to with `forward . /etc/resolv.conf`, names a local "
            "stub resolver (systemd-resolved's 127.0.0.53), so queries come back to CoreDNS. Point the kubelet's "
            "resolvConf at the real file (/run/systemd/resolve/resolv.conf) on the nodes, or forward to upstream "
            "resolver IPs in the Corefile; then restart the CoreDNS pods.", None)


@rule(
    "node-host-limit",
    cause="node.pressure",
    title="The program needs a host setting of the node that is too low",
    needs=("logs", "status"),
    when=printed,
)
def node_host_limit(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A program refusing to run with a setting it inherits from the node: the Elasticsearch /
    OpenSearch bootstrap checks (`max virtual memory areas vm.max_map_count [65530] is too low`,
    `max file descriptors [4096] ... is too low`, `max number of threads`, `memory locking
    requested ... but memory is not locked`, also printed by SonarQube's embedded
    Elasticsearch), inotify exhaustion (`failed to create fsnotify watcher: too many open
    files`, `System limit for number of file watchers reached`), and CoreDNS's
    `plugin/loop: Loop (127.0.0.1:x -> :53) detected` (the node's resolv.conf points at a local
    stub resolver).

    ## Why the pod crash-loops
    These settings belong to the node: vm.max_map_count and the inotify limits are node-wide
    kernel settings no pod can change without privilege, ulimits come from the container
    runtime's defaults, and CoreDNS forwards to the node's resolv.conf. The program checks at
    start and exits; it fails the same way on every restart on that node.

    ## Evidence used
    The program's own check message in the crashed container's log or termination message.

    ## How to fix
    Raise the setting on the nodes (sysctl file or node image, runtime unit limits, kubelet
    resolvConf), or for vm.max_map_count let a privileged init container set it; for
    Elasticsearch `node.store.allow_mmap: false` or `bootstrap.memory_lock: false` avoid the
    check.

    ## Near misses
    Other failed Elasticsearch bootstrap checks (the discovery settings, heap sizes) are the
    node's own config (`app.config-invalid`). `too many open files` alone is usually the app's
    own descriptor leak, not the node.
    """
    for found in by_container(find_output(pod, _HOST_LIMIT, limit=5)).values():
        om = found[0]
        detail, what, fix, patch = _host_limit_remedy(om.match)
        confidence, strength = placed(om, 0.9)
        name = om.name
        where = f"container {name}" if name else "the container"
        yield Hit(
            container=name, init=om.init,
            summary=f"The program in {where} exits because {what}; that is a setting of {node_of(pod)}, "
                    "not of the pod.",
            evidence=(om.citation, *_termination_evidence(pod, om.container)),
            remedy=Remedy(fix, patch, (kubectl("debug", Joined(("node/", _node_arg(pod))), "-it", "--image=busybox:1.36",
                                               "--", *_HOST_CHECK[detail]), *_HOST_EXTRA.get(detail, ()),
                                       *((APPLY,) if patch is not None else ()), watch_command(pod)),
                          outside_spec=None if patch is not None else _NODE_OUTSIDE),
            confidence=confidence, strength=strength, detail=detail,
        )


def _termination_evidence(pod: PodEvidence, c: ContainerEvidence | None) -> tuple[Citation, ...]:
    t = c.last_termination if c is not None else None
    return (cite_termination(pod, c, t),) if c is not None and t is not None else ()


# Events only a pod that has a node gets: scheduling failures before them are history.
_AFTER_SCHEDULING = frozenset({"Scheduled", "Pulling", "Pulled", "Created", "Started", "BackOff", "Killing",
                               "Unhealthy", "FailedMount", "SandboxChanged"})


def _was_scheduled(pod: PodEvidence) -> bool:
    if any((e.reason or "") in _AFTER_SCHEDULING for e in pod.events):
        return True
    for c in pod.containers:
        st = c.status
        if st is not None and (c.restart_count or st.state.kind in ("running", "terminated")
                               or st.last_state.terminated is not None):
            return True
    return False


@rule(
    "pod-unschedulable",
    cause="node.pressure",
    title="No node can take the pod",
    needs=("events",),
    when=says(_UNSCHEDULABLE),
)
def pod_unschedulable(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    `FailedScheduling` events (`0/3 nodes are available: 3 Insufficient memory`, `node(s) had
    untolerated taint {node.kubernetes.io/disk-pressure: }`, `didn't match Pod's node
    affinity/selector`) on a pod that has no node.

    ## Why the pod crash-loops
    It is not a crash loop: the pod never runs. It is reported because the cause is on the node
    side (capacity, pressure taints, placement rules) and it is what a person sees when the
    workload "won't come up".

    ## Evidence used
    The scheduler's event and whether the pod has a node.

    ## How to fix
    Lower the pod's requests or add capacity; fix nodeSelector / affinity / tolerations; relieve
    the pressure that tainted the nodes.

    ## Near misses
    `pod has unbound immediate PersistentVolumeClaims` is `volume.mount-failed`. Old
    FailedScheduling events on a pod that now has a node are history and ignored.
    """
    if pod.node or _was_scheduled(pod):
        return
    for m in messages(pod):
        hit = _UNSCHEDULABLE.search(m.text)
        if hit is None or "persistentvolumeclaim" in m.text.lower():
            continue
        why = hit.group("why").strip()
        pressure = re.search(r"(disk|memory|pid)-pressure", why)
        detail = f"{pressure.group(1)}-pressure" if pressure else \
            "insufficient-resources" if "Insufficient" in why else \
            "placement" if re.search(r"affinity|selector|taint|spread", why, re.I) else "unschedulable"
        yield Hit(
            container=None, init=False,
            summary=f"No node can take the pod: {why.split('. preemption')[0].rstrip('.')}.",
            evidence=(cite_message(m),),
            remedy=Remedy("Make the pod fit: lower its requests or add nodes (Insufficient ...), fix its nodeSelector, "
                          "affinity or tolerations, or relieve the node pressure that tainted the nodes.", None,
                          (kubectl("describe", "nodes", pipe=Command(("grep", "-A5", "Allocated resources"))),
                           kubectl("get", "nodes", "-o", "custom-columns=NAME:.metadata.name,TAINTS:.spec.taints"),
                           watch_command(pod))),
            confidence=0.75, strength=2, detail=detail,
        )
        return


RULES: tuple[Rule, ...] = (pod_evicted, node_lost_or_not_ready, pod_sandbox_failed, node_disk_full, pod_unschedulable,
                           node_host_limit)
