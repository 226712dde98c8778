"""Gather, with the fewest API calls, exactly the evidence that explains the failing pods.

The plan, in order (docs/live.md has the reasoning and the call budget):
1. One paginated pod list (limit/continue), started again from scratch on 410 Expired.
2. From the pods' own status, pick the failing ones; healthy pods cost no further call.
3. For failing pods only, in parallel with bounded concurrency:
   - events: one field-selected list per pod, or one namespace-wide list when many pods of the
     namespace fail (whichever is fewer calls);
   - logs: one request per failing container, for the instance that crashed (during
     CrashLoopBackOff the "current" and "previous" logs are the same instance, so asking for
     both would double the calls for no evidence), bounded by tailLines and limitBytes; when
     many pods of one owner fail the same way, only a sample is read and the others say so;
   - the ConfigMaps and Secrets they reference: existence and key names only;
   - the ReplicaSets of their namespace: revisions and templates for "what changed" (the
     Deployment itself is known from their ownerReferences; reading it would cost one call per
     failing Deployment and add nothing the diff uses).
A 403 is recorded as missing RBAC and the run goes on; a call that still fails after its
retries becomes a note on the pod it was for. No pod is ever dropped.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from podmortem.errors import ApiClientError, ApiForbidden, ApiServerError, NotFound, SourceError
from podmortem.kube.kubectl import kubectl
from podmortem.kube.owners import controlling_owner, owner_refs
from podmortem.live import eventpage, podpage
from podmortem.live.client import (
    ApiCallError,
    BadRequest,
    Call,
    Forbidden,
    Gone,
    KubeClient,
    NotFoundError,
    pages,
    raw_pages,
)
from podmortem.live.eventfork import ForkedEventList
from podmortem.live.eventpage import event_key
from podmortem.live.rawpage import continue_token
from podmortem.model import ContainerEvidence, PodEvidence
from podmortem.shell import render_command
from podmortem.sources.healthy import PlainPod

log = logging.getLogger(__name__)

Obj = dict[str, Any]
PodKey = tuple[str, str]  # (namespace, name)

PAGE_SIZE = 500
MAX_RELISTS = 3
LOG_TAIL_LINES = 2000  # the cause is almost always in the last lines before the exit
LOG_LIMIT_BYTES = 512 * 1024
NAMESPACE_EVENTS_FROM = 4  # failing pods in a namespace from which one namespace-wide list is fewer calls
# With -A, ReplicaSets of more namespaces than this are read in one cluster-wide list (paged): on the
# simulator's --scale 10000, 3 requests in 0.09 s instead of 50 in 0.31 s. A 403 on it (a role bound in
# some namespaces only) falls back to one list per namespace, which records each refusal. Events stay
# per namespace: one cluster-wide events list measured 27 s against 2.6 s for the concurrent
# per-namespace lists (its pages cannot be fetched in parallel), see benchmarks/bench_diagnose.py.
CLUSTER_WIDE_FROM = 8
# Pods of one owner whose status fails the same way (same containers, waiting reasons, exit codes and
# reasons) share one log: the first such pod's, in list order. On --scale 10000 that is 66 log requests
# for 1,000 failing pods instead of 198 with three per group; the others say whose log they were given.
LOGS_PER_GROUP = 1  # pods of a group that read their own log, the first in list order
# Events are small and many (60,000+ on the simulator's --scale 10000, 90% about healthy pods): big pages
# keep the calls few. Measured there: 101 requests at 500, 11 at 5,000, 6 at 10,000, the same ~2 s each
# way; a page of 10,000 events is about 8 MB, decoded one page at a time.
EVENT_PAGE_SIZE = 10_000
RECOVERED_AFTER = timedelta(hours=1)  # running and ready, last crash longer ago: not failing now
STUCK_AFTER = timedelta(minutes=3)  # a pod still not started after this long is stuck, not slow
DEFAULT_CONCURRENCY = 8
SERVICE_ACCOUNT_VOLUME = "kube-api-access-"
NOT_CHECKED = "not checked: Secrets are read only with --secret-keys"

# What each kind of missing evidence costs the diagnosis, for "missing RBAC" lines.
WEAKENS = {
    "events": "probe failures, mount and image-pull errors and evictions are seen only through "
              "container status, so probes.*, volume.mount-failed, image.pull and node.pressure are weaker",
    "pods/log": "application causes (app.*, resources.runtime-oom, security.* seen in logs) rest on exit "
                "codes and events only; expect more `unknown`",
    "configmaps": "missing ConfigMaps or keys are known only from the kubelet's message, not confirmed",
    "secrets": "missing Secrets or keys are known only from the kubelet's message, not confirmed "
               "(--secret-keys needs the role in deploy/rbac/clusterrole-secret-keys.yaml)",
    "replicasets": "no rollout history: the revision that started a crash loop cannot be named",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """Which pods to look at, as kubectl's flags say it."""

    namespace: str | None  # None: all namespaces
    names: tuple[str, ...] = ()
    selector: str | None = None


@dataclass(frozen=True, slots=True)
class MissingRbac:
    verb: str
    resource: str
    namespace: str | None
    weakens: str

    def line(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else " cluster-wide"
        return f"missing RBAC: {self.verb} {self.resource}{where} ({self.weakens})"

    def as_dict(self) -> dict[str, Any]:
        return {"verb": self.verb, "resource": self.resource, "namespace": self.namespace,
                "weakens": self.weakens, "message": self.line()}


@dataclass(frozen=True, slots=True)
class ConfigRef:
    """A ConfigMap or Secret a failing pod references: whether it exists and its key names (never values)."""

    kind: str  # configmap | secret
    namespace: str
    name: str
    exists: bool | None  # None: could not be checked (forbidden or failed)
    keys: tuple[str, ...] = ()
    why_unknown: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "exists": self.exists,
                "keys": list(self.keys), "unknown_because": self.why_unknown}


@dataclass(frozen=True, slots=True)
class LogCapture:
    """One log request's answer for one container instance."""

    text: str
    previous: bool  # asked with previous=true
    truncated: bool
    request: str  # the kubectl command that shows the same log


@dataclass
class Collection:
    """Everything gathered in one run; raw API objects are kept so a snapshot can save them."""

    pods: list[Obj] = field(default_factory=list)
    failing: set[PodKey] = field(default_factory=set)
    events: dict[PodKey, list[Obj]] = field(default_factory=dict)  # only pods whose events were fetched
    logs: dict[tuple[str, str, str], LogCapture] = field(default_factory=dict)  # (ns, pod, container)
    log_samples: dict[PodKey, PodKey] = field(default_factory=dict)  # pod -> the pod whose logs stand for it
    config_refs: dict[tuple[str, str, str], ConfigRef] = field(default_factory=dict)  # (kind, ns, name)
    replicasets: dict[PodKey, Obj] = field(default_factory=dict)
    # built once from the pod list; not for plainly healthy pods (sources.healthy), which need none
    status_evidence: dict[PodKey, PodEvidence] = field(default_factory=dict)
    plain: dict[PodKey, PlainPod] = field(default_factory=dict)  # the plainly healthy pods' summaries
    missing_rbac: list[MissingRbac] = field(default_factory=list)
    pod_notes: dict[PodKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[str] = field(default_factory=list)
    listed_at: datetime | None = None
    # True when plainly healthy pods' objects hold only their names and controlling owner (a `diagnose`
    # collection, live/podpage.py): such a collection cannot be saved as a snapshot.
    healthy_stubs: bool = False
    _keyed: tuple[list[Obj], list[tuple[PodKey, Obj]]] = field(default=([], []), repr=False, compare=False)

    def keyed(self) -> list[tuple[PodKey, Obj]]:
        """(namespace, name) and object of every listed pod, in list order, worked out once."""
        pods, keyed = self._keyed
        if pods is not self.pods or len(keyed) != len(pods):
            keyed = [(pod_key(p), p) for p in self.pods]
            self._keyed = (self.pods, keyed)
        return keyed

    def note(self, key: PodKey, text: str) -> None:
        if text not in self.pod_notes[key]:
            self.pod_notes[key].append(text)


def pod_key(pod: Mapping[str, Any]) -> PodKey:
    meta = pod.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


# -- which pods and containers need evidence ------------------------------------------------------


def is_failing(ev: PodEvidence, now: datetime) -> bool:
    """True when the pod's status shows a current problem worth more API calls.

    A pod that restarted long ago and has run ready since is not failing now: fetching its
    events and logs on a large cluster would cost thousands of calls for history.
    """
    from podmortem.engine import looks_healthy

    if ev.phase == "Succeeded":
        return False
    if looks_healthy(ev):
        # Status looks fine, but a pod stuck before its containers start (volume mounts, sandbox,
        # scheduling) shows why only in its events: worth one events call once it is old enough.
        return _stuck_starting(ev, now)
    if ev.phase == "Running" and ev.conditions.get("Ready") == "True" and not ev.reason:
        latest = None
        for c in ev.containers:
            t = c.last_termination
            if c.status is None or c.status.state.kind not in ("running", None):
                return True
            if t is not None and t.finished_at is not None and (latest is None or t.finished_at > latest):
                latest = t.finished_at
        if latest is not None and now - latest > RECOVERED_AFTER:
            return False
    return True


def _stuck_starting(ev: PodEvidence, now: datetime) -> bool:
    since = ev.started_at or ev.created_at
    if since is None or now - since < STUCK_AFTER:
        return False
    if ev.phase == "Pending" or ev.conditions.get("PodScheduled") == "False":
        return True
    return any(c.waiting_reason in ("ContainerCreating", "PodInitializing") for c in ev.containers)


def log_plan(ev: PodEvidence) -> list[tuple[ContainerEvidence, bool]]:
    """(container, previous) for the one log request per failing container that reaches the crashed instance.

    The kubelet answers a plain log request for a container waiting in CrashLoopBackOff with the
    last terminated instance, the same one `previous=true` names; a container that never ran has
    no log at all ("is waiting to start"), so it costs no request.
    """
    from podmortem.rules.evidence import failing_containers

    plan = []
    for c in failing_containers(ev):
        st = c.status
        if st is None:
            continue
        has_previous = st.last_state.terminated is not None
        if st.state.kind == "terminated":
            plan.append((c, False))  # the instance that just exited is the current one
        elif has_previous:
            plan.append((c, True))
    return plan


def failure_signature(ev: PodEvidence) -> tuple[Any, ...]:
    """How a pod fails, from status alone: pods of one owner with equal signatures fail alike."""
    from podmortem.rules.evidence import failing_containers

    sig = []
    for c in failing_containers(ev):
        t = c.last_termination
        sig.append((c.name, c.waiting_reason, t.reason if t else None, t.exit_code if t else None))
    return (ev.reason, tuple(sig))


def config_refs_of(pod: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret the pod's spec references."""
    spec = pod.get("spec") or {}
    refs: set[tuple[str, str]] = set()
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            if (r := vf.get("configMapKeyRef")) and r.get("name"):
                refs.add(("configmap", str(r["name"])))
            if (r := vf.get("secretKeyRef")) and r.get("name"):
                refs.add(("secret", str(r["name"])))
        for e in c.get("envFrom") or []:
            if (r := e.get("configMapRef")) and r.get("name"):
                refs.add(("configmap", str(r["name"])))
            if (r := e.get("secretRef")) and r.get("name"):
                refs.add(("secret", str(r["name"])))
    for v in spec.get("volumes") or []:
        if str(v.get("name") or "").startswith(SERVICE_ACCOUNT_VOLUME):
            continue  # injected by admission with kube-root-ca.crt, which the control plane keeps in every namespace
        if (r := v.get("configMap")) and r.get("name"):
            refs.add(("configmap", str(r["name"])))
        if (r := v.get("secret")) and r.get("secretName"):
            refs.add(("secret", str(r["secretName"])))
        for src in (v.get("projected") or {}).get("sources") or []:
            if (r := src.get("configMap")) and r.get("name"):
                refs.add(("configmap", str(r["name"])))
            if (r := src.get("secret")) and r.get("name"):
                refs.add(("secret", str(r["name"])))
    return refs


def controller_of(pod: Mapping[str, Any]) -> tuple[str, str] | None:
    meta = pod.get("metadata")
    return controlling_owner(owner_refs(meta.get("ownerReferences") if isinstance(meta, Mapping) else None))


def _same_pod(e: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """False for an event about an earlier pod of the same name (another uid)."""
    inv = e.get("involvedObject") or e.get("regarding") or {}
    uid = (pod.get("metadata") or {}).get("uid")
    return not (uid and inv.get("uid") and inv.get("uid") != uid)


def api_error(message: str, exc: ApiCallError) -> SourceError:
    """A failed call that ends the run, on its branch of the error tree (5xx and no answer vs 4xx)."""
    if exc.status == 0 or exc.status >= 500:
        return ApiServerError(message)
    return ApiClientError(message)


# -- the collector ---------------------------------------------------------------------------------


class Progress:
    """A single self-rewriting line on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = 0
        self.done = 0
        self.stage = ""
        self._lock = threading.Lock()

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            self.stage, self.total, self.done = stage, total, 0
        self._show()

    def add(self, n: int) -> None:
        """More steps than announced: the pipelined plan finds its calls while the pod list pages."""
        with self._lock:
            self.total += n

    def step(self) -> None:
        with self._lock:
            self.done += 1
        self._show()

    def _show(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Kpodmortem: {self.stage} {self.done}/{self.total}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class _Relist(Exception):
    """The pod list's continue token expired while the pipelined plan was under way."""


class _Later:
    """A result computed when asked for, where the plan holds a Future (the forked event list's)."""

    def __init__(self, compute: Callable[[], bool]) -> None:
        self.compute = compute

    def result(self) -> bool:
        return self.compute()


class _Listing:
    """How far the pod list has got, for the event list that runs beside it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.done = False
        self.failed = False

    def advance(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def finish(self, failed: bool = False) -> None:
        with self._cond:
            self.done = True
            self.failed = self.failed or failed
            self._cond.notify_all()

    def wait_for(self, keys: Iterable[PodKey], listed: Mapping[PodKey, Any]) -> bool:
        """Wait until every key is listed or the list has ended; False when it ended in failure."""
        waiting = [k for k in keys if k not in listed]
        with self._cond:
            while waiting and not self.done:
                self._cond.wait()
                waiting = [k for k in waiting if k not in listed]
            return not self.failed


class _FollowUps:
    """The log and ConfigMap/Secret calls failing pods need, decided pod by pod in list order, so the
    plain and the pipelined plan choose the same samples."""

    def __init__(self, collector: Collector) -> None:
        self.c = collector
        self.samples: dict[tuple[Any, ...], tuple[PodKey, bool]] = {}  # group -> (sample pod, its logs asked)
        self.seen: Counter[tuple[Any, ...]] = Counter()
        self.refs: set[tuple[str, str, str]] = set()
        self.unchecked: set[tuple[str, str, str]] = set()

    def add(self, key: PodKey, pod: Obj, ev: PodEvidence) -> list[Callable[[], None]]:
        logs, configs = self.split(key, pod, ev)
        return logs + configs

    def split(self, key: PodKey, pod: Obj, ev: PodEvidence) -> tuple[list[Callable[[], None]], list[Callable[[], None]]]:
        """(log calls, ConfigMap/Secret calls) the pod adds."""
        c = self.c
        tasks: list[Callable[[], None]] = []
        configs: list[Callable[[], None]] = []
        group = (key[0], controller_of(pod) or ("Pod", key[1]), failure_signature(ev))
        self.seen[group] += 1
        sample = self.samples.get(group)
        if c.sample and sample is not None and self.seen[group] > LOGS_PER_GROUP:
            if sample[1]:  # the sample's containers ran: its log stands for this pod's
                c.out.log_samples[key] = sample[0]
        else:
            plan = log_plan(ev)
            if sample is None:
                self.samples[group] = (key, bool(plan))
            tasks += [partial(c._log, key, container.name, previous) for container, previous in plan]
        for kind, name in sorted(config_refs_of(pod)):
            ref = (kind, key[0], name)
            if ref in self.refs:
                continue
            self.refs.add(ref)
            if kind == "secret" and not c.secret_keys:
                self.unchecked.add(ref)
                c.out.config_refs[ref] = ConfigRef(kind, key[0], name, None, why_unknown=NOT_CHECKED)
            else:
                configs.append(partial(c._config_ref, *ref))
        return tasks, configs

    def finish(self) -> None:
        unchecked = sorted(self.unchecked)
        if unchecked:
            n = len(unchecked)
            self.c.out.warnings.append(
                f"{n} Secret{'s' if n > 1 else ''} referenced by failing pods not checked "
                f"({', '.join(f'{ns}/{name}' for _, ns, name in unchecked[:5])}{', ...' if n > 5 else ''}): "
                "pass --secret-keys, with the role in deploy/rbac/clusterrole-secret-keys.yaml, "
                "to confirm that they and their keys exist")


class Collector:
    def __init__(self, client: KubeClient, *, concurrency: int = DEFAULT_CONCURRENCY,
                 progress: Progress | None = None, now: Callable[[], datetime] | None = None,
                 sample: bool = True, secret_keys: bool = False, cluster_wide: bool = True,
                 whole_pods: bool = True) -> None:
        self.client = client
        # False: plainly healthy pods are recognised on a typed view of the list (live/podpage.py) and
        # never become whole dicts; for a report, not for a snapshot, which saves every object.
        self.whole_pods = whole_pods
        self.sample = sample
        # Reading a Secret returns its values: only with --secret-keys (and its own role) are the
        # Secrets failing pods reference read at all, for their key names.
        self.secret_keys = secret_keys
        # False: the plain per-namespace plan, kept as the reference the cluster-wide one is tested against.
        self.cluster_wide = cluster_wide
        self.concurrency = max(1, concurrency)
        self.progress = progress or Progress(False)
        self.now = now or (lambda: datetime.now(UTC))
        self.out = Collection()
        self._lock = threading.Lock()
        self._forbidden: set[tuple[str, str, str | None]] = set()
        self.by_key: dict[PodKey, Obj] = {}

    # -- bookkeeping ---

    def forbidden(self, call: Call) -> None:
        base = call.resource
        key = (call.verb, base, call.namespace)
        with self._lock:
            if key in self._forbidden:
                return
            self._forbidden.add(key)
            weakens = WEAKENS.get(base, "this evidence is missing from every pod it concerns")
            self.out.missing_rbac.append(MissingRbac(call.verb, base, call.namespace, weakens))

    def note(self, key: PodKey, text: str) -> None:
        with self._lock:
            self.out.note(key, text)

    # -- 1. pods ---

    def list_pods(self, scope: Scope) -> list[Obj]:
        if scope.names:
            return self._named_pods(scope)
        ns = scope.namespace
        path = f"/api/v1/namespaces/{quote(ns, safe='')}/pods" if ns else "/api/v1/pods"
        params: list[tuple[str, Any]] = []
        if scope.selector:
            params.append(("labelSelector", scope.selector))
        call = Call("list", "pods", ns)
        try:
            pods = self.list_all(path, params, call)
        except Forbidden as exc:
            hint = "use -n NAMESPACE" if ns is None else "ask for the role in deploy/rbac/"
            raise ApiForbidden(f"missing RBAC: list pods{' in namespace ' + ns if ns else ' cluster-wide'} "
                               f"({exc.message})", hint) from None
        except ApiCallError as exc:
            raise api_error(f"cannot list pods: {exc.message}", exc) from None
        if not pods and ns is not None:
            self._check_namespace(ns)
        return pods

    def _check_namespace(self, ns: str) -> None:
        """An empty list in a namespace that does not exist is a typo, not a healthy namespace: one GET
        (only when nothing was listed) tells them apart. Any answer but 404 says nothing."""
        try:
            self.client.get_json(f"/api/v1/namespaces/{quote(ns, safe='')}", [], Call("get", "namespaces", None, ns))
        except NotFoundError as exc:
            # Only the API server's own answer about the namespace counts, not a 404 for the path.
            if f'namespaces "{ns}" not found' in exc.message:
                raise NotFound(f'namespaces "{ns}" not found',
                               "check -n NAMESPACE (kubectl get namespaces lists them)") from None
        except ApiCallError:
            return

    def _named_pods(self, scope: Scope) -> list[Obj]:
        ns = scope.namespace or self.client.namespace
        pods: list[Obj] = []
        missing = []
        for name in scope.names:
            call = Call("get", "pods", ns, name)
            try:
                pods.append(self.client.get_json(f"/api/v1/namespaces/{quote(ns, safe='')}/pods/{quote(name, safe='')}",
                                                 [], call))
            except NotFoundError:
                missing.append(name)
            except Forbidden as exc:
                raise ApiForbidden(f"missing RBAC: get pods in namespace {ns} ({exc.message})") from None
            except ApiCallError as exc:
                raise api_error(f"cannot get pod {ns}/{name}: {exc.message}", exc) from None
        for name in missing:
            self.out.warnings.append(f'pods "{name}" not found in namespace {ns}')
        if not pods:
            self._check_namespace(ns)
            more = f" (nor {', '.join(repr(n) for n in missing[1:])})" if len(missing) > 1 else ""
            # kubectl's wording: Error from server (NotFound): pods "x" not found
            raise NotFound(f'pods "{missing[0]}" not found{more}', f"in namespace {ns}; check the name and -n NAMESPACE")
        return pods

    def list_all(self, path: str, params: Sequence[tuple[str, Any]], call: Call, page_size: int | None = None
                 ) -> list[Obj]:
        """Every item of a paginated list; on 410 Expired the list starts again, at most MAX_RELISTS times."""
        for attempt in range(MAX_RELISTS + 1):
            items: list[Obj] = []
            try:
                for doc in pages(self.client, path, params, call, page_size or PAGE_SIZE):
                    items.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
                return items
            except Gone:
                log.debug("continue token expired for %s; listing again", call.describe())
                if attempt == MAX_RELISTS:
                    break
                with self._lock:
                    self.out.warnings.append(f"{call.describe()}: the continue token expired; listed again")
        # Every continue token expired: one list without pages is consistent and complete, only bigger.
        with self._lock:
            self.out.warnings.append(f"{call.describe()}: continue tokens kept expiring; listed without pages")
        doc = self.client.get_json(path, list(params), call)
        return [i for i in doc.get("items") or [] if isinstance(i, dict)]

    # -- the whole run ---

    def collect(self, scope: Scope, *, all_failing: bool = False) -> Collection:
        """all_failing: the caller already knows every listed pod is in trouble (`gate`: pods that never
        turned Ready), so each gets its evidence even when its status alone looks healthy."""
        self.progress.start("listing pods", 1)
        if self.cluster_wide and self.concurrency > 1 and not scope.names:
            try:
                self._collect_pipelined(scope, all_failing)
            except _Relist:
                # A continue token expired while follow-ups were already running on the first pages:
                # what they read may not match the list read again, so the run starts over, in order.
                self._reset()
                self.out.warnings.append(f"{Call('list', 'pods', scope.namespace).describe()}: "
                                         "the continue token expired; listed again")
                self._collect_in_order(scope, all_failing)
        else:
            self._collect_in_order(scope, all_failing)
        self.progress.finish()
        return self.out

    def _reset(self) -> None:
        self.out = Collection()
        self._forbidden.clear()
        self.by_key = {}

    def _collect_in_order(self, scope: Scope, all_failing: bool) -> None:
        """The plain plan, kept as the reference the pipelined one is tested against: the whole pod
        list, then the follow-up calls it calls for."""
        pods = self.list_pods(scope)
        self.out.pods = pods
        self.out.listed_at = self.now()
        failing = self.classify(pods, all_failing=all_failing)
        self._run([t for tasks in self.follow_ups(failing, scope).values() for t in tasks], "fetching evidence")

    def follow_ups(self, failing: Mapping[PodKey, PodEvidence], scope: Scope) -> dict[str, list[Callable[[], None]]]:
        """The calls the failing pods need, by kind (events, logs, config checks, replicasets), after
        a complete pod list: per namespace, or with `cluster_wide` the lists the pipeline would choose."""
        plan = _FollowUps(self)
        out: dict[str, list[Callable[[], None]]] = {"events": [], "logs": [], "config checks": [], "replicasets": []}
        for key, ev in failing.items():
            logs, configs = plan.split(key, self.by_key[key], ev)
            out["logs"] += logs
            out["config checks"] += configs
        plan.finish()
        failing_ns = {k[0] for k in failing}
        if (self.cluster_wide and scope.namespace is None and not scope.names
                and self._events_cluster_wide(failing_ns, {pod_key(p)[0] for p in self.out.pods})):
            listing = _Listing()
            listing.finish()

            def cluster_events() -> None:
                if not self._cluster_events(listing):
                    self._run(self._event_tasks(failing, self.by_key, scope, per_namespace=True), "events")

            out["events"].append(cluster_events)
        else:
            out["events"] += self._event_tasks(failing, self.by_key, scope)
        out["replicasets"] += self._owner_tasks(self.by_key, scope)
        return out

    def _collect_pipelined(self, scope: Scope, all_failing: bool) -> None:
        """The same calls, decided page by page while the pod list is still paging: each failing pod's
        log, ConfigMap and (once enough namespaces fail) the cluster-wide event and ReplicaSet lists
        start as soon as its page is read, on `concurrency` workers."""
        ns = scope.namespace
        path = f"/api/v1/namespaces/{quote(ns, safe='')}/pods" if ns else "/api/v1/pods"
        params: list[tuple[str, Any]] = [("labelSelector", scope.selector)] if scope.selector else []
        call = Call("list", "pods", ns)
        # Pods are judged against one moment, taken as listing starts (the plain plan takes it after).
        self.out.listed_at = now = self.now()
        plan = _FollowUps(self)
        listing = _Listing()
        failing: dict[PodKey, PodEvidence] = {}
        failing_ns: set[str] = set()
        listed_ns: set[str] = set()
        rs_ns: set[str] = set()
        futures: list[Future[None]] = []
        events_list: Future[bool] | _Later | None = None
        rs_list: Future[list[Obj] | None] | None = None
        all_ns = ns is None
        # Forked before the pool's first thread: the cluster-wide event list, if it is wanted, is read
        # on another CPU (live/eventfork.py); without a fork, on a thread of the pool.
        forked = ForkedEventList.fork(self.client, "/api/v1/events", [("fieldSelector", "involvedObject.kind=Pod")],
                                      Call("list", "events", None), EVENT_PAGE_SIZE) if all_ns else None
        pool = ThreadPoolExecutor(max_workers=self.concurrency)

        def submit(tasks: Sequence[Callable[[], None]]) -> None:
            self.progress.add(len(tasks))
            futures.extend(pool.submit(self._step, t) for t in tasks)

        try:
            try:
                for items, judged in self._pod_pages(path, params, call, all_failing):
                    for key, pod, ev in self._judge(items, now, all_failing, judged):
                        if key in failing:
                            continue
                        failing[key] = ev
                        failing_ns.add(key[0])
                        if (controller_of(pod) or ("",))[0] == "ReplicaSet":
                            rs_ns.add(key[0])
                        submit(plan.add(key, pod, ev))
                    listed_ns.update(i.namespace or "" if isinstance(i, PlainPod) else pod_key(i)[0] for i in items)
                    listing.advance()
                    if forked is not None and forked.started:
                        forked.want(failing)  # this page's failing pods, for the helper's next batch
                    if all_ns and events_list is None and self._events_cluster_wide(failing_ns, listed_ns):
                        self.progress.add(1)
                        if forked is not None:
                            forked.start(failing)
                            events_list = _Later(partial(self._forked_events, forked))
                        else:
                            events_list = pool.submit(self._cluster_events, listing)
                    if all_ns and rs_list is None and len(rs_ns) > CLUSTER_WIDE_FROM:
                        self.progress.add(1)
                        rs_list = pool.submit(self._cluster_replicaset_items)
            except Forbidden as exc:
                hint = "use -n NAMESPACE" if ns is None else "ask for the role in deploy/rbac/"
                raise ApiForbidden(f"missing RBAC: list pods{' in namespace ' + ns if ns else ' cluster-wide'} "
                                   f"({exc.message})", hint) from None
            except Gone:
                raise _Relist() from None
            except ApiCallError as exc:
                raise api_error(f"cannot list pods: {exc.message}", exc) from None
            listing.finish()
            if not self.out.pods and ns is not None:
                self._check_namespace(ns)
            plan.finish()
            if events_list is None:
                submit(self._event_tasks(failing, self.by_key, scope))
            if rs_list is None:
                submit(self._owner_tasks(self.by_key, scope))
            if events_list is not None and not events_list.result():
                # Refused or failed cluster-wide: per namespace, where each refusal is recorded.
                submit(self._event_tasks(failing, self.by_key, Scope(ns, (), None), per_namespace=True))
            if rs_list is not None:
                replicasets = rs_list.result()
                if replicasets is None:
                    submit(self._owner_tasks(self.by_key, None))
                else:
                    self._keep_replicasets(replicasets, rs_ns)
            for f in futures:  # every task is submitted by now: none submits another
                f.result()  # tasks handle their own API errors; anything else is a bug and must surface
        finally:
            listing.finish(failed=True)  # no effect after a complete list; else frees the event list's wait
            pool.shutdown(wait=True, cancel_futures=True)
            if forked is not None:
                forked.stop()

    def _step(self, task: Callable[[], None]) -> None:
        try:
            task()
        finally:
            self.progress.step()

    def _pod_pages(self, path: str, params: Sequence[tuple[str, Any]], call: Call, all_failing: bool
                   ) -> Iterator[tuple[Sequence[Obj | PlainPod], bool]]:
        """The pod list page by page: (whole dicts, False), or without `whole_pods` (PlainPods for the
        plainly healthy pods and dicts for the others, True: the dicts are known not plainly healthy)."""
        if self.whole_pods or all_failing:
            for doc in pages(self.client, path, params, call, PAGE_SIZE):
                yield [i for i in doc.get("items") or [] if isinstance(i, dict)], False
            return
        self.out.healthy_stubs = True
        for page in raw_pages(self.client, path, params, call, PAGE_SIZE, podpage.PodPage, peek=continue_token):
            yield page.items, True

    def _judge(self, items: Sequence[Obj | PlainPod], now: datetime, all_failing: bool, judged: bool = False
               ) -> Iterator[tuple[PodKey, Obj, PodEvidence]]:
        """Each listed pod's status evidence; failing ones are recorded as such before the pod counts as listed."""
        from podmortem.engine import plain_pod
        from podmortem.sources.objects import pod_evidence

        for p in items:
            if type(p) is not dict:  # recognised plainly healthy on the typed view
                assert isinstance(p, PlainPod)
                key = (p.namespace or "", p.name)
                self.out.plain[key] = p
                stub = podpage.owner_stub(p)
                self.by_key[key] = stub
                self.out.pods.append(stub)
                continue
            key = pod_key(p)
            plain = None if all_failing or judged else plain_pod(p, with_times=False)
            if plain is not None:  # most pods: no evidence built at all
                self.out.plain[key] = plain
            else:
                ev = pod_evidence(p)
                self.out.status_evidence[key] = ev
                if all_failing or is_failing(ev, now):
                    self.out.failing.add(key)
                    self.by_key[key] = p
                    self.out.pods.append(p)
                    yield key, p, ev
                    continue
            self.by_key[key] = p
            self.out.pods.append(p)

    def _events_cluster_wide(self, failing_ns: set[str], listed_ns: set[str]) -> bool:
        """One cluster-wide event list instead of one per namespace: when many namespaces have failing
        pods and they are most of the namespaces seen, so the list reads few events nobody needs."""
        return len(failing_ns) > CLUSTER_WIDE_FROM and 2 * len(failing_ns) >= len(listed_ns)

    def classify(self, pods: Sequence[Obj], *, all_failing: bool = False) -> dict[PodKey, PodEvidence]:
        """The failing pods, with the evidence their status alone gives; every pod's is kept in the collection."""
        from podmortem.engine import plain_pod
        from podmortem.sources.objects import pod_evidence

        assert self.out.listed_at is not None
        now = self.out.listed_at
        status_only: dict[PodKey, PodEvidence] = {}
        for p in pods:
            key = pod_key(p)
            plain = None if all_failing else plain_pod(p, with_times=False)
            if plain is not None:
                self.out.plain[key] = plain  # running, ready, never restarted: neither failing nor stuck
                continue
            ev = pod_evidence(p)
            self.out.status_evidence[key] = ev
            if all_failing or is_failing(ev, now):
                self.out.failing.add(key)
                status_only[key] = ev
        self.by_key = {pod_key(p): p for p in pods}
        return status_only

    def _run(self, tasks: Sequence[Callable[[], None]], stage: str) -> None:
        if not tasks:
            return
        self.progress.start(stage, len(tasks))

        def run(task: Callable[[], None]) -> None:
            try:
                task()
            finally:
                self.progress.step()

        if self.concurrency == 1 or len(tasks) == 1:
            for t in tasks:
                run(t)
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(tasks))) as pool:
            for f in [pool.submit(run, t) for t in tasks]:
                f.result()  # tasks handle their own API errors; anything else is a bug and must surface

    # -- 3a. events ---

    def _event_tasks(self, failing: Mapping[PodKey, PodEvidence], by_key: Mapping[PodKey, Obj],
                     scope: Scope, *, per_namespace: bool = False) -> list[Callable[[], None]]:
        per_ns: dict[str, list[PodKey]] = defaultdict(list)
        for key in failing:
            per_ns[key[0]].append(key)
        tasks: list[Callable[[], None]] = []
        for ns, keys in sorted(per_ns.items()):
            if per_namespace or len(keys) >= NAMESPACE_EVENTS_FROM:
                tasks.append(partial(self._namespace_events, ns, keys, by_key))
            else:
                tasks.extend(partial(self._pod_events, k, by_key[k]) for k in keys)
        return tasks

    def _events_list(self, ns: str, selector: str, call: Call) -> list[Obj]:
        path = f"/api/v1/namespaces/{quote(ns, safe='')}/events"
        try:
            return self.list_all(path, [("fieldSelector", selector)], call, EVENT_PAGE_SIZE)
        except BadRequest:
            # A server that does not know a field label: list without it and filter here.
            return self.list_all(path, [], call, EVENT_PAGE_SIZE)

    def _cluster_events(self, listing: _Listing) -> bool:
        """Every pod event of the cluster in one paged list, kept for the failing pods; False when the
        list was refused or failed (the caller then lists per namespace, recording each refusal).

        Pages are filtered as they arrive, each once the pod list has passed every pod it names, so
        at most one page waits in memory however far the events run ahead of the pods (and the next one
        is being fetched: raw_pages)."""
        call = Call("list", "events", None)
        kept: dict[PodKey, list[Obj]] = {}
        try:
            for page in raw_pages(self.client, "/api/v1/events", [("fieldSelector", "involvedObject.kind=Pod")],
                                  call, EVENT_PAGE_SIZE, eventpage.EventPage, peek=continue_token):
                about = page.about
                if not listing.wait_for({k for k, _ in about}, self.by_key):
                    return True  # the pod list failed: the run is ending
                failing = self.out.failing
                for key, item in about:
                    if key in failing:
                        e = page.event(item)
                        if _same_pod(e, self.by_key[key]):
                            kept.setdefault(key, []).append(e)
        except ApiCallError as exc:
            if not isinstance(exc, Forbidden):
                log.debug("cluster-wide events list failed (%s); listing per namespace", exc.message)
            return False
        return self._keep_failing_events(kept)

    def _keep_failing_events(self, kept: Mapping[PodKey, list[Obj]]) -> bool:
        with self._lock:
            for key in self.out.failing:
                self.out.events[key] = kept.get(key, [])
        return True

    def _forked_events(self, forked: ForkedEventList) -> bool:
        """`_cluster_events`, read by the forked helper: called once the pod list has ended."""
        listed = forked.events(self.out.failing)
        if listed is None:
            log.debug("the event list's helper ended without an answer; listing per namespace")
            return False
        with self._lock:
            self.client.requests.update(listed.requests)
            self.client.retries.update(listed.retries)
            self.client.calls |= listed.calls
        if listed.failure is not None:
            how, what = listed.failure
            if how == "raise":
                raise what
            if how == "failed":
                log.debug("cluster-wide events list failed (%s); listing per namespace", what)
            return False
        kept: dict[PodKey, list[Obj]] = {}
        for key, events in listed.events.items():
            pod = self.by_key.get(key)
            if pod is not None and key in self.out.failing:
                kept[key] = [e for e in events if _same_pod(e, pod)]
        return self._keep_failing_events(kept)

    def _keep_events(self, raw: Iterable[Obj], wanted: Mapping[PodKey, Obj]) -> None:
        grouped: dict[PodKey, list[Obj]] = {k: [] for k in wanted}
        for e in raw:
            key = event_key(e)
            if key in grouped and _same_pod(e, wanted[key]):
                grouped[key].append(e)
        with self._lock:
            self.out.events.update(grouped)

    def _namespace_events(self, ns: str, keys: Sequence[PodKey], by_key: Mapping[PodKey, Obj]) -> None:
        call = Call("list", "events", ns)
        try:
            raw = self._events_list(ns, "involvedObject.kind=Pod", call)
        except Forbidden:
            self.forbidden(call)
            return
        except ApiCallError as exc:
            for k in keys:
                self.note(k, f"events not read: {exc.message}")
            return
        self._keep_events(raw, {k: by_key[k] for k in keys})

    def _pod_events(self, key: PodKey, pod: Obj) -> None:
        ns, name = key
        call = Call("list", "events", ns)
        selector = f"involvedObject.name={name},involvedObject.namespace={ns}"
        try:
            raw = self._events_list(ns, selector, call)
        except Forbidden:
            self.forbidden(call)
            return
        except ApiCallError as exc:
            self.note(key, f"events not read: {exc.message}")
            return
        self._keep_events(raw, {key: pod})

    # -- 3b. logs ---

    def _log(self, key: PodKey, container: str, previous: bool) -> None:
        ns, name = key
        call = Call("get", "pods/log", ns)
        params: list[tuple[str, Any]] = [("container", container), ("tailLines", LOG_TAIL_LINES),
                                         ("limitBytes", LOG_LIMIT_BYTES)]
        if previous:
            params.append(("previous", "true"))
        cmd = render_command(kubectl("logs", name, "-c", container, *(("--previous",) if previous else ()),
                                     namespace=ns))
        try:
            body = self.client.get(f"/api/v1/namespaces/{quote(ns, safe='')}/pods/{quote(name, safe='')}/log",
                                   params, call)
        except Forbidden:
            self.forbidden(call)
            return
        except (BadRequest, NotFoundError) as exc:
            self.note(key, f"no log for container {container}: {exc.message}")
            return
        except ApiCallError as exc:
            self.note(key, f"log of container {container} not read: {exc.message}")
            return
        capture = LogCapture(body.decode("utf-8", "replace"), previous, len(body) >= LOG_LIMIT_BYTES, cmd)
        with self._lock:
            self.out.logs[(ns, name, container)] = capture

    # -- 3c. ConfigMaps and Secrets ---

    def _config_ref(self, kind: str, ns: str, name: str) -> None:
        resource = "configmaps" if kind == "configmap" else "secrets"
        call = Call("get", resource, ns, name)
        try:
            doc = self.client.get_json(f"/api/v1/namespaces/{quote(ns, safe='')}/{resource}/{quote(name, safe='')}",
                                       [], call)
        except NotFoundError:
            ref = ConfigRef(kind, ns, name, False)
        except Forbidden:
            self.forbidden(Call("get", resource, ns))
            ref = ConfigRef(kind, ns, name, None, why_unknown=f"missing RBAC: get {resource}")
        except ApiCallError as exc:
            ref = ConfigRef(kind, ns, name, None, why_unknown=exc.message)
        else:
            keys = sorted({*(doc.get("data") or {}), *(doc.get("binaryData") or {}), *(doc.get("stringData") or {})})
            # Drop the values at once: a Secret's data must not outlive this line (never logged, never kept).
            doc.clear()
            del doc
            ref = ConfigRef(kind, ns, name, True, tuple(str(k) for k in keys))
        with self._lock:
            self.out.config_refs[(kind, ns, name)] = ref

    # -- 3d. owners ---

    def _owner_tasks(self, by_key: Mapping[PodKey, Obj], scope: Scope | None = None) -> list[Callable[[], None]]:
        namespaces = sorted({k[0] for k in self.out.failing if (controller_of(by_key[k]) or ("",))[0] == "ReplicaSet"})
        if (self.cluster_wide and scope is not None and scope.namespace is None and not scope.names
                and len(namespaces) > CLUSTER_WIDE_FROM):
            return [partial(self._cluster_replicasets, namespaces)]
        return [partial(self._replicasets, ns) for ns in namespaces]

    def _cluster_replicasets(self, namespaces: Sequence[str]) -> None:
        items = self._cluster_replicaset_items()
        if items is None:
            for ns in namespaces:
                self._replicasets(ns)
        else:
            self._keep_replicasets(items, set(namespaces))

    def _cluster_replicaset_items(self) -> list[Obj] | None:
        """Every ReplicaSet of the cluster, [] when the list failed (a warning says so), None when refused."""
        call = Call("list", "replicasets", None)
        try:
            return self.list_all("/apis/apps/v1/replicasets", [], call)
        except Forbidden:
            return None
        except ApiCallError as exc:
            with self._lock:
                self.out.warnings.append(f"replicasets not read: {exc.message}")
            return []

    def _keep_replicasets(self, items: Iterable[Obj], namespaces: set[str]) -> None:
        with self._lock:
            for rs in items:
                meta = rs.get("metadata") or {}
                if str(meta.get("namespace") or "") in namespaces:
                    self.out.replicasets[(str(meta["namespace"]), str(meta.get("name") or ""))] = rs

    def _replicasets(self, ns: str) -> None:
        call = Call("list", "replicasets", ns)
        try:
            items = self.list_all(f"/apis/apps/v1/namespaces/{quote(ns, safe='')}/replicasets", [], call)
        except Forbidden:
            self.forbidden(call)
            return
        except ApiCallError as exc:
            with self._lock:
                self.out.warnings.append(f"replicasets of namespace {ns} not read: {exc.message}")
            return
        with self._lock:
            for rs in items:
                self.out.replicasets[(ns, str((rs.get("metadata") or {}).get("name") or ""))] = rs
