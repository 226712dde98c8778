"""Canned clusters for the live source's unit tests, served by the simulator in this process.

A `FakeCluster` lists exact objects (pods with given statuses, events, logs, ReplicaSets...); the
`FakeServer` loads them into a simulator (podmortem.sim) that is not started, and its HTTP API
answers podmortem's collector (lists with limit/continue, field and label selectors, gets, 404s).
A thin wrapper around the simulator's `api.handle` counts requests by path, injects faults by rule
and answers pod logs from the canned texts, so retry and RBAC behaviour can be tested exactly.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from podmortem.sim.api import handle
from podmortem.sim.cluster import SimCluster, SimOptions
from podmortem.sim.server import serve
from podmortem.sim.wire import Request, Response, StreamDropped

Obj = dict[str, Any]

T0 = "2026-01-15T10:00:00Z"


def status(code: int, reason: str, message: str) -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


@dataclass
class Fault:
    """Answer requests whose path matches `path` (a regex) with `code` for the next `times` matches."""

    path: str
    code: int = 500
    times: int = 1
    retry_after: str | None = None
    delay: float = 0.0  # sleep before answering (slow responses); with code 0 the request is then served
    drop: bool = False  # close the connection without an answer
    query: str | None = None  # only requests whose query string contains this
    message: str | None = None  # the Status message to answer with (default: a canned one per code)

    def matches(self, path: str, query: str) -> bool:
        return self.times != 0 and re.search(self.path, path) is not None and (
            self.query is None or self.query in query)


@dataclass
class FakeCluster:
    pods: list[Obj] = field(default_factory=list)
    events: list[Obj] = field(default_factory=list)
    logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)  # (ns, pod, container, previous)
    configmaps: dict[tuple[str, str], Obj] = field(default_factory=dict)
    secrets: dict[tuple[str, str], Obj] = field(default_factory=dict)
    replicasets: list[Obj] = field(default_factory=list)
    deployments: list[Obj] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    token: str | None = None
    requests: Counter[str] = field(default_factory=Counter)
    queries: list[str] = field(default_factory=list)
    secret_reads: int = 0

    def add_log(self, ns: str, pod: str, container: str, text: str, previous: bool = True) -> None:
        self.logs[(ns, pod, container, previous)] = text


class _Front:
    """The thin wrapper around the simulator's `api.handle` that these tests need and the sim does not do.

    Per request: count it, apply the first matching `Fault` (status, Retry-After, delay, a dropped
    connection), check the bearer token, load the FakeCluster's objects into the simulator's store
    (tests change them between calls), and answer the log subresource from the canned logs (the
    stored pods have no kubelet model). Everything else is the simulator's own answer.
    """

    def __init__(self, cluster: FakeCluster, sim: SimCluster) -> None:
        self.cluster = cluster
        self.sim = sim
        self.lock = threading.Lock()
        self.loaded = ""

    def __call__(self, request: Request) -> Response:
        c = self.cluster
        url = urlparse(request.target)
        path, query = url.path, url.query
        with self.lock:
            c.requests[path] += 1
            c.queries.append(request.target)
            fault = next((f for f in c.faults if f.matches(path, query)), None)
            if fault is not None and fault.times > 0:
                fault.times -= 1
        if c.token is not None:
            scheme, _, tok = (request.header("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or tok != c.token:
                return _json(401, status(401, "Unauthorized", "Unauthorized"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                raise StreamDropped
            if fault.code:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                reason = {403: "Forbidden", 410: "Expired", 429: "TooManyRequests", 404: "NotFound"}.get(
                    fault.code, "InternalError")
                msg = (f'pods is forbidden: User "system:serviceaccount:x:y" cannot list resource at {path}'
                       if fault.code == 403 else f"injected {fault.code}")
                if fault.code == 410:
                    msg = "The provided continue parameter is too old to display a consistent list result."
                msg = fault.message if fault.message is not None else msg
                return _json(fault.code, status(fault.code, reason, msg), headers)
        self._load()
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) == 7 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods" and parts[6] == "log":
            return self._log(parts[3], parts[5], {k: v[0] for k, v in parse_qs(query).items()})
        if len(parts) == 6 and parts[4] == "secrets" and request.method == "GET":
            with self.lock:
                c.secret_reads += 1
        return handle(self.sim, request)

    def _load(self) -> None:
        """The store holds exactly the FakeCluster's objects, as they are now."""
        c = self.cluster
        wanted = {"pods": c.pods, "events": c.events, "replicasets": c.replicasets, "deployments": c.deployments,
                  "configmaps": list(c.configmaps.values()), "secrets": list(c.secrets.values())}
        # A real cluster has the namespaces its objects live in.
        names = sorted({o["metadata"]["namespace"] for objs in wanted.values() for o in objs})
        wanted["namespaces"] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n},
                                 "status": {"phase": "Active"}} for n in names]
        snapshot = json.dumps(wanted, sort_keys=True)
        store = self.sim.store
        with self.sim.lock:
            if snapshot == self.loaded:
                return  # unchanged since the last request: keep the resourceVersions
            self.loaded = snapshot
            for storage, objs in wanted.items():
                for old in list(store.items(storage)):
                    store.remove(storage, old["metadata"].get("namespace") or "", old["metadata"]["name"])
                for obj in objs:
                    store.put(storage, obj)

    def _log(self, ns: str, name: str, q: dict[str, str]) -> Response:
        pod = next((p for p in self.cluster.pods if p["metadata"]["namespace"] == ns and p["metadata"]["name"] == name),
                   None)
        if pod is None:
            return _json(404, status(404, "NotFound", f'pods "{name}" not found'))
        container = q.get("container") or pod["spec"]["containers"][0]["name"]
        previous = q.get("previous") == "true"
        text = self.cluster.logs.get((ns, name, container, previous))
        if text is None:
            msg = (f'previous terminated container "{container}" in pod "{name}" not found' if previous
                   else f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
            return _json(400, status(400, "BadRequest", msg))
        lines = text.splitlines(keepends=True)
        if q.get("tailLines"):
            lines = lines[-int(q["tailLines"]):]
        body = "".join(lines).encode()
        if q.get("limitBytes"):
            body = body[: int(q["limitBytes"])]
        return Response(200, body, "text/plain")


def _json(code: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(code, json.dumps(doc).encode(), "application/json", dict(headers or {}))


class FakeServer:
    """Context manager: `with FakeServer(cluster) as srv: srv.url, srv.kubeconfig(path)`.

    The simulator (podmortem.sim) in this process serves the FakeCluster's objects through its own
    API (`api.handle` behind its socket adapter); `_Front` adds the faults and canned logs.
    """

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        # Not started: no scenario, no kubelet, no clock thread; only the store and the API answer.
        self.sim = SimCluster(SimOptions(serve=False, history_limit=10**7))
        self.server = serve(self.sim, 0, _Front(cluster, self.sim))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeServer:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path: Path, namespace: str = "default", token: str | None = None) -> Path:
        user: Obj = {"token": token} if token else {}
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
               "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
               "users": [{"name": "u", "user": user}],
               "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u", "namespace": namespace}}]}
        path.write_text(json.dumps(cfg))
        return path


# -- object builders ------------------------------------------------------------------------------


def pod(name: str, ns: str = "default", *, owner: tuple[str, str] | None = None, containers: list[Obj] | None = None,
        statuses: list[Obj] | None = None, phase: str = "Running", ready: bool = True, uid: str | None = None,
        labels: dict[str, str] | None = None, spec_extra: Obj | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "uid": uid or f"uid-{ns}-{name}", "creationTimestamp": T0,
                 "labels": labels or {"app": name.rsplit("-", 2)[0]}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": f"uid-{owner[1]}",
                                    "controller": True}]
    containers = containers or [{"name": "app", "image": "registry.example/app:1.0"}]
    statuses = statuses or [running(c["name"]) for c in containers]
    spec: Obj = {"containers": containers, "restartPolicy": "Always", "nodeName": "node-1"}
    spec.update(spec_extra or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": phase, "startTime": T0, "containerStatuses": statuses,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def running(name: str, restarts: int = 0) -> Obj:
    return {"name": name, "ready": True, "started": True, "restartCount": restarts, "image": "registry.example/app:1.0",
            "state": {"running": {"startedAt": T0}}, "lastState": {}}


def crashlooping(name: str, *, exit_code: int = 1, reason: str = "Error", restarts: int = 7,
                 finished: str = "2026-01-15T10:20:00Z") -> Obj:
    return {"name": name, "ready": False, "started": False, "restartCount": restarts,
            "image": "registry.example/app:1.0",
            "state": {"waiting": {"reason": "CrashLoopBackOff",
                                  "message": f"back-off 5m0s restarting failed container={name} pod=x_default(uid)"}},
            "lastState": {"terminated": {"exitCode": exit_code, "reason": reason, "startedAt": "2026-01-15T10:19:58Z",
                                         "finishedAt": finished, "containerID": "containerd://abc"}}}


def config_error(name: str, message: str) -> Obj:
    return {"name": name, "ready": False, "started": False, "restartCount": 0, "image": "registry.example/app:1.0",
            "state": {"waiting": {"reason": "CreateContainerConfigError", "message": message}}, "lastState": {}}


def event(pod_obj: Obj, reason: str, message: str, *, type_: str = "Warning", count: int = 1,
          field_path: str | None = None, uid: str | None = None) -> Obj:
    meta = pod_obj["metadata"]
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{reason.lower()}", "namespace": meta["namespace"]},
            "involvedObject": {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"],
                               "uid": uid or meta["uid"], "fieldPath": field_path},
            "reason": reason, "message": message, "type": type_, "count": count,
            "firstTimestamp": "2026-01-15T10:01:00Z", "lastTimestamp": "2026-01-15T10:20:00Z",
            "source": {"component": "kubelet", "host": "node-1"}}


def replicaset(name: str, deployment: str, revision: int, template: Obj, *, ns: str = "default", ready: int = 0,
               replicas: int = 1) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}",
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment,
                                              "uid": f"uid-{deployment}", "controller": True}]},
            "spec": {"replicas": replicas, "template": template},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}}


def deployment(name: str, template: Obj, *, ns: str = "default", revision: int = 1) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}",
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": template}}


Builder = Callable[[], FakeCluster]
