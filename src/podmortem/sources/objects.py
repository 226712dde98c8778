"""Kubernetes objects (Pod, PodList, List, EventList, Event) as dicts -> the evidence model.

Used by every source that has API objects: files from `kubectl get -o json|yaml`, snapshot
folders and the live API. Tolerant of partial objects: a missing field is simply unknown.
Secret values never enter the model: env values that come from Secrets are references only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from podmortem.kube.owners import controlling_owner, owner_refs
from podmortem.kube.times import parse_rfc3339
from podmortem.model import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EnvFrom,
    EnvVar,
    Event,
    LogText,
    Owner,
    PodEvidence,
    Port,
    Probe,
    SecurityContext,
    Termination,
    Volume,
    VolumeMount,
    Waiting,
)
from podmortem.model.evidence import STATUS
from podmortem.model.evolve import evolve
from podmortem.sources.boundary import guard_event, guard_pod
from podmortem.sources.kinds import split_objects

Obj = Mapping[str, Any]
_EMPTY: Obj = {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _map(value: Any) -> Obj:
    # Parsed JSON/YAML gives plain dicts: test that first, the ABC check costs ~5x more and this
    # runs for every nested object of every pod (the 10,000-pod benchmark calls it ~800k times).
    if type(value) is dict:
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in _list(value))


def _termination(t: Obj) -> Termination:
    return Termination(
        exit_code=_int(t.get("exitCode")),
        signal=_int(t.get("signal")),
        reason=t.get("reason") or None,
        message=t.get("message") or None,
        started_at=parse_rfc3339(t.get("startedAt")),
        finished_at=parse_rfc3339(t.get("finishedAt")),
    )


def container_state(s: Any) -> ContainerState:
    s = _map(s)
    if "terminated" in s:
        return ContainerState("terminated", terminated=_termination(_map(s["terminated"])))
    if "waiting" in s:
        w = _map(s["waiting"])
        return ContainerState("waiting", waiting=Waiting(w.get("reason") or None, w.get("message") or None))
    if "running" in s:
        return ContainerState("running", started_at=parse_rfc3339(_map(s["running"]).get("startedAt")))
    return ContainerState()


def container_status(s: Obj) -> ContainerStatus:
    return ContainerStatus(
        name=str(s.get("name") or ""),
        ready=_bool(s.get("ready")),
        started=_bool(s.get("started")),
        restart_count=_int(s.get("restartCount")),
        state=container_state(s.get("state")),
        last_state=container_state(s.get("lastState")),
        image=s.get("image"),
        image_id=s.get("imageID"),
        container_id=s.get("containerID"),
    )


def probe(kind: str, p: Any) -> Probe | None:
    p = _map(p)
    if not p:
        return None
    handler = path = port = scheme = None
    command: tuple[str, ...] = ()
    if "httpGet" in p:
        h = _map(p["httpGet"])
        handler, path, port, scheme = "http-get", h.get("path") or "/", h.get("port"), h.get("scheme") or "HTTP"
    elif "tcpSocket" in p:
        handler, port = "tcp-socket", _map(p["tcpSocket"]).get("port")
    elif "exec" in p:
        handler, command = "exec", _strs(_map(p["exec"]).get("command"))
    elif "grpc" in p:
        handler, port = "grpc", _map(p["grpc"]).get("port")

    def num(key: str, default: int) -> int:
        v = _int(p.get(key))
        return v if v is not None else default

    return Probe(
        kind=kind, handler=handler, path=path, port=str(port) if port is not None else None, scheme=scheme,
        command=command,
        initial_delay_seconds=num("initialDelaySeconds", 0), timeout_seconds=num("timeoutSeconds", 1),
        period_seconds=num("periodSeconds", 10), success_threshold=num("successThreshold", 1),
        failure_threshold=num("failureThreshold", 3),
    )


def security_context(sc: Any) -> SecurityContext | None:
    sc = _map(sc)
    if not sc:
        return None
    caps = _map(sc.get("capabilities"))
    return SecurityContext(
        run_as_user=_int(sc.get("runAsUser")),
        run_as_group=_int(sc.get("runAsGroup")),
        run_as_non_root=_bool(sc.get("runAsNonRoot")),
        read_only_root_filesystem=_bool(sc.get("readOnlyRootFilesystem")),
        privileged=_bool(sc.get("privileged")),
        allow_privilege_escalation=_bool(sc.get("allowPrivilegeEscalation")),
        capabilities_add=_strs(caps.get("add")),
        capabilities_drop=_strs(caps.get("drop")),
        fs_group=_int(sc.get("fsGroup")),
    )


def _env(e: Obj) -> EnvVar:
    name = str(e.get("name") or "")
    vf = _map(e.get("valueFrom"))
    if not vf:
        value = e.get("value")
        return EnvVar(name, str(value) if value is not None else "")
    if "configMapKeyRef" in vf:
        r = _map(vf["configMapKeyRef"])
        return EnvVar(name, None, "configmap", r.get("name"), r.get("key"), bool(r.get("optional")))
    if "secretKeyRef" in vf:
        r = _map(vf["secretKeyRef"])
        return EnvVar(name, None, "secret", r.get("name"), r.get("key"), bool(r.get("optional")))
    if "fieldRef" in vf:
        return EnvVar(name, None, "field", None, _map(vf["fieldRef"]).get("fieldPath"))
    if "resourceFieldRef" in vf:
        return EnvVar(name, None, "resource", None, _map(vf["resourceFieldRef"]).get("resource"))
    return EnvVar(name, None)


def _env_from(e: Obj) -> EnvFrom | None:
    prefix = e.get("prefix")
    if "configMapRef" in e:
        r = _map(e["configMapRef"])
        return EnvFrom("configmap", str(r.get("name") or ""), bool(r.get("optional")), prefix)
    if "secretRef" in e:
        r = _map(e["secretRef"])
        return EnvFrom("secret", str(r.get("name") or ""), bool(r.get("optional")), prefix)
    return None


def container_spec(c: Obj) -> ContainerSpec:
    res = _map(c.get("resources"))
    return ContainerSpec(
        name=str(c.get("name") or ""),
        image=c.get("image"),
        image_pull_policy=c.get("imagePullPolicy"),
        command=_strs(c.get("command")),
        args=_strs(c.get("args")),
        env=tuple(_env(_map(e)) for e in _list(c.get("env"))),
        env_from=tuple(x for x in (_env_from(_map(e)) for e in _list(c.get("envFrom"))) if x),
        ports=tuple(
            Port(p, _map(pp).get("name"), _map(pp).get("protocol") or "TCP")
            for pp in _list(c.get("ports"))
            if (p := _int(_map(pp).get("containerPort"))) is not None
        ),
        liveness=probe("liveness", c.get("livenessProbe")),
        readiness=probe("readiness", c.get("readinessProbe")),
        startup=probe("startup", c.get("startupProbe")),
        limits={str(k): str(v) for k, v in _map(res.get("limits")).items()},
        requests={str(k): str(v) for k, v in _map(res.get("requests")).items()},
        security=security_context(c.get("securityContext")),
        mounts=tuple(
            VolumeMount(str(m.get("name") or ""), str(m.get("mountPath") or ""), m.get("subPath") or None,
                        bool(m.get("readOnly")))
            for m in map(_map, _list(c.get("volumeMounts")))
        ),
        restart_policy=c.get("restartPolicy"),
    )


_VOLUME_KINDS = ("configMap", "secret", "persistentVolumeClaim", "emptyDir", "hostPath", "projected",
                 "downwardAPI", "nfs", "csi", "ephemeral")


def volume(v: Obj) -> Volume:
    name = str(v.get("name") or "")
    for kind in _VOLUME_KINDS:
        if kind in v:
            src = _map(v[kind])
            ref = src.get("name") or src.get("secretName") or src.get("claimName") or src.get("path")
            items = tuple(str(_map(i).get("key")) for i in _list(src.get("items")) if _map(i).get("key"))
            return Volume(name, kind, ref, bool(src.get("optional")), items)
    other = next((k for k in v if k != "name"), None)
    return Volume(name, other)


def event(e: Obj) -> Event:
    """A core/v1 or events.k8s.io/v1 Event."""
    involved = _map(e.get("involvedObject") or e.get("regarding"))
    source = _map(e.get("source") or e.get("deprecatedSource"))
    series = _map(e.get("series"))
    count = _int(series.get("count")) or _int(e.get("count")) or _int(e.get("deprecatedCount")) or 1
    first = parse_rfc3339(e.get("firstTimestamp") or e.get("deprecatedFirstTimestamp") or e.get("eventTime"))
    last = parse_rfc3339(series.get("lastObservedTime") or e.get("lastTimestamp")
                         or e.get("deprecatedLastTimestamp") or e.get("eventTime")) or first
    return Event(
        type=e.get("type"),
        reason=e.get("reason"),
        message=str(e.get("message") or e.get("note") or "").strip(),
        count=count,
        first_seen=first,
        last_seen=last,
        source=source.get("component") or e.get("reportingComponent") or e.get("reportingController"),
        host=source.get("host") or e.get("reportingInstance"),
        field_path=involved.get("fieldPath"),
        object_kind=involved.get("kind"),
        object_name=involved.get("name"),
    )


def event_namespace(e: Obj) -> str | None:
    involved = _map(e.get("involvedObject") or e.get("regarding"))
    return involved.get("namespace") or _map(e.get("metadata")).get("namespace")


def ordered_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """Events oldest first by last sighting; events without a time last."""
    return tuple(sorted(events, key=lambda e: (e.last_seen is None, e.last_seen or datetime.min.replace())))


def pod_evidence(
    pod: Obj,
    events: Iterable[Event] = (),
    logs: Mapping[str, tuple[LogText, ...]] | None = None,
    *,
    has_events: bool = False,
) -> PodEvidence:
    """Normalise one Pod object, with its events and its logs by container name."""
    meta = _map(pod.get("metadata"))
    spec = _map(pod.get("spec"))
    status = _map(pod.get("status"))
    logs = logs or {}
    statuses = {
        s.name: s for s in (container_status(_map(x)) for x in _list(status.get("containerStatuses")))
    }
    init_statuses = {
        s.name: s for s in (container_status(_map(x)) for x in _list(status.get("initContainerStatuses")))
    }
    containers: list[ContainerEvidence] = []
    for init, specs, known in (
        (True, _list(spec.get("initContainers")), init_statuses),
        (False, _list(spec.get("containers")), statuses),
    ):
        seen = set()
        for raw in specs:
            cs = container_spec(_map(raw))
            seen.add(cs.name)
            containers.append(ContainerEvidence(cs.name, init, cs, known.get(cs.name), logs.get(cs.name, ())))
        for name, st in known.items():  # statuses whose spec was not supplied
            if name not in seen:
                containers.append(ContainerEvidence(name, init, None, st, logs.get(name, ())))
    chosen = controlling_owner(owner_refs(meta.get("ownerReferences")))
    owner = Owner(*chosen) if chosen is not None else None
    conditions = {}
    for raw_condition in _list(status.get("conditions")):
        condition = _map(raw_condition)
        if condition.get("type"):
            conditions[str(condition.get("type"))] = str(condition.get("status"))
    return guard_pod(PodEvidence(
        name=meta.get("name"),
        namespace=meta.get("namespace"),
        uid=meta.get("uid"),
        origin=STATUS,
        labels={str(k): str(v) for k, v in _map(meta.get("labels")).items()},
        annotations={str(k): str(v) for k, v in _map(meta.get("annotations")).items()},
        owner=owner,
        node=spec.get("nodeName"),
        phase=status.get("phase"),
        reason=status.get("reason"),
        message=status.get("message"),
        restart_policy=spec.get("restartPolicy"),
        security=security_context(spec.get("securityContext")),
        volumes=tuple(volume(_map(v)) for v in _list(spec.get("volumes"))),
        containers=tuple(containers),
        events=ordered_events(events),
        conditions=conditions,
        created_at=parse_rfc3339(meta.get("creationTimestamp")),
        started_at=parse_rfc3339(status.get("startTime")),
        has_spec=bool(spec.get("containers")),
        has_status=bool(status),
        has_events=has_events,
    ))


def with_evidence(status: PodEvidence, events: Iterable[Event] = (),
                  logs: Mapping[str, tuple[LogText, ...]] | None = None, *, has_events: bool = False) -> PodEvidence:
    """`pod_evidence(pod, events, logs, has_events=...)` from the pod's status-only evidence
    (`pod_evidence(pod)`), without normalising and guarding the pod again: only the events pass the
    boundary here (logs are guarded as they are read)."""
    logs = logs or {}
    containers = tuple(evolve(c, logs=logs[c.name]) if c.name in logs else c for c in status.containers)
    return evolve(status, containers=containers, events=tuple(guard_event(e) for e in ordered_events(events)),
                   has_events=has_events)


def events_by_pod(events: Iterable[Obj]) -> dict[tuple[str | None, str], list[Event]]:
    """Events grouped by the (namespace, name) of the pod they are about."""
    grouped: dict[tuple[str | None, str], list[Event]] = {}
    for raw in events:
        involved = _map(raw.get("involvedObject") or raw.get("regarding"))
        if involved.get("kind") not in (None, "Pod"):
            continue
        name = involved.get("name")
        if not name:
            continue
        grouped.setdefault((event_namespace(raw), str(name)), []).append(event(raw))
    return grouped


def with_events(pods: Iterable[PodEvidence], raw_events: Iterable[Obj]) -> list[PodEvidence]:
    """Pods that were normalised before the events were read (a streamed list), with their events."""
    grouped = events_by_pod(raw_events)
    return [attach_events(p, grouped) for p in pods]


def events_about(grouped: Mapping[tuple[str | None, str], list[Event]], namespace: str | None,
                 name: str | None) -> list[Event]:
    """The events of `events_by_pod` about one pod (events without a namespace match any)."""
    return grouped.get((namespace, name or "")) or grouped.get((None, name or "")) or []


def attach_events(pod: PodEvidence, grouped: Mapping[tuple[str | None, str], list[Event]]) -> PodEvidence:
    """A pod normalised before the events were read, with its events from `events_by_pod`."""
    evs = events_about(grouped, pod.namespace, pod.name)
    return evolve(pod, events=ordered_events((*pod.events, *evs)), has_events=True)


def pods_from_objects(
    docs: Iterable[Any], logs: Mapping[tuple[str, str], tuple[LogText, ...]] | None = None
) -> list[PodEvidence]:
    """Every pod in the documents, with the events about it and logs keyed by (pod, container)."""
    pods, raw_events, _ = split_objects(docs)
    grouped = events_by_pod(raw_events)
    have_events = bool(raw_events)
    logs = logs or {}
    out = []
    for p in pods:
        meta = _map(p.get("metadata"))
        name = str(meta.get("name") or "")
        ns = meta.get("namespace")
        evs = grouped.get((ns, name)) or grouped.get((None, name)) or []
        pod_logs: dict[str, tuple[LogText, ...]] = {}
        for (pod_name, container), texts in logs.items():
            if pod_name in (name, f"{ns}/{name}"):  # "namespace/pod": a snapshot's per-namespace log
                pod_logs[container] = texts
        out.append(_with_event_containers(pod_evidence(p, evs, pod_logs, has_events=have_events)))
    return out


def _with_event_containers(pod: PodEvidence) -> PodEvidence:
    """A pod known only from its events gets the containers their fieldPaths name (spec.initContainers{x}
    is an init container), so findings can name the container and say it is an init container."""
    if pod.containers:
        return pod
    found: dict[str, bool] = {}
    for e in pod.events:
        if e.container:
            found.setdefault(e.container, e.about_init_container)
    if not found:
        return pod
    return evolve(pod, containers=tuple(ContainerEvidence(n, init) for n, init in found.items()))
