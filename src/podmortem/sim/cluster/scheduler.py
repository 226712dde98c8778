"""The default scheduler's filters and its FailedScheduling text (kube-scheduler v1.32), over plain objects.

Pure functions and one bookkeeping class; imports no other module of the cluster package. What it
follows, plugin by plugin, in the default profile's filter order (the first plugin that rejects a
node gives that node's reasons, as RunFilterPlugins does):

- NodeUnschedulable (`node(s) were unschedulable`, a cordoned node), NodeName, TaintToleration
  (`node(s) had untolerated taint {key: value}`, NoSchedule and NoExecute), NodeAffinity
  (`node(s) didn't match Pod's node affinity/selector`, nodeSelector and required node affinity
  with In/NotIn/Exists/DoesNotExist), all UnschedulableAndUnresolvable;
- NodeResourcesFit (plugins/noderesources/fit.go fitsRequest): `Too many pods`, then `Insufficient
  cpu|memory|ephemeral-storage|<extended resource>` when the pod's request exceeds the node's
  allocatable minus what the pods bound to it request (Unschedulable: preemption might help);
- VolumeBinding (plugins/volumebinding/volume_binding.go): PreFilter fails the whole pod with
  `persistentvolumeclaim "NAME" not found`, `persistentvolumeclaim "NAME" is being deleted` or
  `pod has unbound immediate PersistentVolumeClaims`; Filter rejects every node with `node(s) didn't
  find available persistent volumes to bind` for a WaitForFirstConsumer claim nothing can provision.

FitError.Error() (framework/types.go): `0/N nodes are available:` then the PreFilter message, or
else the per-node reasons counted, formatted `COUNT REASON`, sorted as strings and joined by
`, `, each part ending in `.`; then DefaultPreemption's PostFilter message (framework/preemption/
preemption.go): `preemption: ` and a second FitError in which nodes rejected Unresolvably say
`Preemption is not helpful for scheduling` and the others `No preemption victims found for incoming
pod`. The simulator does not preempt: every pod is taken to have priority no higher than the pods
already bound, which is what a cluster without PriorityClasses has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podmortem.kube.quantity import parse_quantity

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
NO_PROVISIONER = "kubernetes.io/no-provisioner"


@dataclass
class Resources:
    """A pod's request or a node's allocatable/requested amounts, in the scheduler's units."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    def add(self, other: Resources, sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral += sign * other.ephemeral
        for k, v in other.scalar.items():
            self.scalar[k] = self.scalar.get(k, 0) + sign * v

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral or any(self.scalar.values()))


def _amounts(rl: Mapping[str, Any] | None) -> Resources:
    r = Resources()
    for name, value in (rl or {}).items():
        q = parse_quantity(value)
        if q is None:
            continue
        if name == "cpu":
            r.milli_cpu = math.ceil(q * 1000 - 1e-9)  # Quantity.MilliValue rounds up
        elif name == "memory":
            r.memory = int(q)
        elif name == "ephemeral-storage":
            r.ephemeral = int(q)
        elif "/" in name or name.startswith("hugepages-"):
            r.scalar[name] = int(q)  # extended resources (vendor/name) and hugepages
    return r


def _max(a: Resources, b: Resources) -> Resources:
    keys = set(a.scalar) | set(b.scalar)
    return Resources(max(a.milli_cpu, b.milli_cpu), max(a.memory, b.memory), max(a.ephemeral, b.ephemeral),
                     {k: max(a.scalar.get(k, 0), b.scalar.get(k, 0)) for k in keys})


def pod_request(spec: Mapping[str, Any]) -> Resources:
    """resourcehelper.PodRequests: app containers and sidecars summed, the largest init step, plus overhead."""
    total = Resources()
    for c in spec.get("containers") or []:
        total.add(_amounts((c.get("resources") or {}).get("requests")))
    sidecars = Resources()
    init_peak = Resources()
    for c in spec.get("initContainers") or []:
        req = _amounts((c.get("resources") or {}).get("requests"))
        if c.get("restartPolicy") == "Always":
            sidecars.add(req)
            total.add(req)
            continue
        step = Resources()
        step.add(sidecars)
        step.add(req)
        init_peak = _max(init_peak, step)
    total = _max(total, init_peak)
    total.add(_amounts(spec.get("overhead")))
    return total


def allocatable_of(node: Mapping[str, Any]) -> tuple[Resources, int]:
    """The node's allocatable resources and pod slots (parsed once per node version)."""
    meta = node.get("metadata") or {}
    key = (str(meta.get("uid")), str(meta.get("resourceVersion")))
    hit = _ALLOCATABLE.get(key)
    if hit is None:
        alloc = (node.get("status") or {}).get("allocatable") or {}
        pods = parse_quantity(alloc.get("pods"))
        hit = _amounts(alloc), int(pods) if pods is not None else 110
        if len(_ALLOCATABLE) > 4096:
            _ALLOCATABLE.clear()
        _ALLOCATABLE[key] = hit
    return hit


_ALLOCATABLE: dict[tuple[str, str], tuple[Resources, int]] = {}


def tolerates(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """v1.Toleration.ToleratesTaint: effect, key and operator (Exists, or Equal with the value)."""
    for tol in tolerations:
        effect = tol.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        key = tol.get("key") or ""
        if key and key != taint.get("key"):
            continue
        op = tol.get("operator") or "Equal"
        if op == "Exists" or (key and (tol.get("value") or "") == (taint.get("value") or "")):
            return True
    return False


def _expression_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op, values = str(expr.get("key")), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op in ("Gt", "Lt") and key in labels and len(values) == 1:
        have, bound = _num(labels[key]), _num(values[0])
        if have is None or bound is None:
            return False
        return have > bound if op == "Gt" else have < bound
    return False


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str], name: str) -> bool:
    if not all(_expression_matches(e, labels) for e in term.get("matchExpressions") or []):
        return False
    fields = {"metadata.name": name}
    return all(_expression_matches(e, fields) for e in term.get("matchFields") or [])


def _num(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def matches_node_affinity(spec: Mapping[str, Any], labels: Mapping[str, str], name: str) -> bool:
    """nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed, expressions ANDed)."""
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    return not terms or any(_term_matches(t, labels, name) for t in terms)


@dataclass
class NodeVerdict:
    reasons: list[str]
    resolvable: bool  # Unschedulable (preemption might help) rather than UnschedulableAndUnresolvable


def filter_node(spec: Mapping[str, Any], node: Mapping[str, Any], request: Resources, requested: Resources,
                bound_pods: int, volume_reason: str | None) -> NodeVerdict | None:
    """None when the pod fits the node, else the first rejecting plugin's reasons."""
    meta = node.get("metadata") or {}
    name = str(meta.get("name"))
    nspec = node.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    if nspec.get("unschedulable") and not tolerates(
            tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}):
        return NodeVerdict(["node(s) were unschedulable"], False)
    if spec.get("nodeName") and spec.get("nodeName") != name:
        return NodeVerdict(["node(s) didn't match the requested node name"], False)
    for taint in nspec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
            return NodeVerdict([f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}"],
                               False)
    if not matches_node_affinity(spec, meta.get("labels") or {}, name):
        return NodeVerdict(["node(s) didn't match Pod's node affinity/selector"], False)
    alloc, slots = allocatable_of(node)
    reasons = []
    if bound_pods + 1 > slots:
        reasons.append("Too many pods")
    if not request.is_zero():
        if request.milli_cpu > 0 and request.milli_cpu > alloc.milli_cpu - requested.milli_cpu:
            reasons.append("Insufficient cpu")
        if request.memory > 0 and request.memory > alloc.memory - requested.memory:
            reasons.append("Insufficient memory")
        if request.ephemeral > 0 and request.ephemeral > alloc.ephemeral - requested.ephemeral:
            reasons.append("Insufficient ephemeral-storage")
        for rname, amount in sorted(request.scalar.items()):
            if amount > 0 and amount > alloc.scalar.get(rname, 0) - requested.scalar.get(rname, 0):
                reasons.append(f"Insufficient {rname}")
    if reasons:
        return NodeVerdict(reasons, True)
    if volume_reason:
        return NodeVerdict([volume_reason], False)
    return None


def _histogram(verdicts: Iterable[NodeVerdict], reason_of: Callable[[NodeVerdict], list[str]]) -> str:
    counts: dict[str, int] = {}
    for v in verdicts:
        for r in reason_of(v):
            counts[r] = counts.get(r, 0) + 1
    return ", ".join(sorted(f"{n} {r}" for r, n in counts.items()))  # sort.Strings over "COUNT REASON"


def fit_error(total: int, prefilter: str | None, verdicts: list[NodeVerdict], preempt: bool = True) -> str:
    """The FailedScheduling message (and PodScheduled condition message) for an unschedulable pod."""
    msg = f"0/{total} nodes are available:"
    if prefilter:
        msg += f" {prefilter}."
    else:
        hist = _histogram(verdicts, lambda v: v.reasons)
        if hist:
            msg += f" {hist}."
    if not preempt:
        return msg + " preemption: not eligible due to preemptionPolicy=Never."
    # The preemption evaluator's own FitError: PreFilter rejections leave every node "not helpful".
    post = [v if not prefilter else NodeVerdict([], False) for v in verdicts]
    post += [NodeVerdict([], False)] * (total - len(post))
    hist = _histogram(post, lambda v: [NO_VICTIMS if v.resolvable else NOT_HELPFUL])
    return msg + f" preemption: 0/{total} nodes are available: {hist}."


@dataclass
class ClaimCheck:
    """What VolumeBinding makes of a pod's claims: a PreFilter failure, a per-node Filter reason, claims to provision."""

    prefilter: str | None = None
    node_reason: str | None = None
    to_provision: list[str] = field(default_factory=list)


def check_claims(namespace: str, spec: Mapping[str, Any],
                 claim: Callable[[str, str], Mapping[str, Any] | None],
                 storage_class: Callable[[str], Mapping[str, Any] | None]) -> ClaimCheck:
    out = ClaimCheck()
    immediate_unbound = False
    for vol in spec.get("volumes") or []:
        src = vol.get("persistentVolumeClaim")
        if not isinstance(src, Mapping):
            continue
        name = str(src.get("claimName") or "")
        pvc = claim(namespace, name)
        if pvc is None:
            return ClaimCheck(prefilter=f'persistentvolumeclaim "{name}" not found')
        if (pvc.get("metadata") or {}).get("deletionTimestamp"):
            return ClaimCheck(prefilter=f'persistentvolumeclaim "{name}" is being deleted')
        if (pvc.get("spec") or {}).get("volumeName") or (pvc.get("status") or {}).get("phase") == "Bound":
            continue
        class_name = (pvc.get("spec") or {}).get("storageClassName") or ""
        sc = storage_class(str(class_name)) if class_name else None
        if sc is None or sc.get("volumeBindingMode", "Immediate") != "WaitForFirstConsumer":
            immediate_unbound = True  # IsDelayBindingMode: no class, or a class that does not exist, is Immediate
        elif sc.get("provisioner") == NO_PROVISIONER:
            out.node_reason = BIND_CONFLICT  # the simulator has no PersistentVolumes to match
        else:
            out.to_provision.append(name)
    if immediate_unbound:
        return ClaimCheck(prefilter=UNBOUND_IMMEDIATE)
    return out


class Ledger:
    """What the pods bound to each node request: the scheduler cache's NodeInfo.Requested, kept incrementally."""

    def __init__(self) -> None:
        self.requested: dict[str, Resources] = {}
        self.pods: dict[str, int] = {}
        self._bound: dict[tuple[str, str], tuple[str, Resources]] = {}

    def bind(self, key: tuple[str, str], node: str, spec: Mapping[str, Any]) -> None:
        self.release(key)
        req = pod_request(spec)
        self._bound[key] = (node, req)
        self.requested.setdefault(node, Resources()).add(req)
        self.pods[node] = self.pods.get(node, 0) + 1

    def release(self, key: tuple[str, str]) -> bool:
        """Forget a pod that is gone or has terminated; True if it held resources."""
        held = self._bound.pop(key, None)
        if held is None:
            return False
        node, req = held
        self.requested.setdefault(node, Resources()).add(req, -1)
        self.pods[node] = self.pods.get(node, 0) - 1
        return True

    def holds(self, key: tuple[str, str]) -> bool:
        return key in self._bound
