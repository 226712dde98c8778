"""A tiny Kubernetes API stand-in for the live source's unit tests: canned objects on 127.0.0.1:0.

It serves what podmortem's collector asks for (pod lists with limit/continue, pods, events with
field selectors, pod logs, ConfigMaps, Secrets, ReplicaSets, Deployments), counts requests by
path, and injects faults by rule. The full simulator (podmortem.sim) is used for end-to-end
tests; this one exists so retry and RBAC behaviour can be tested exactly and fast.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

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


def _match_labels(labels: dict[str, str], selector: str) -> bool:
    for part in filter(None, selector.split(",")):
        if "!=" in part:
            k, v = part.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif part.strip() not in labels:
            return False
    return True


def _field(obj: Obj, path: str) -> str:
    cur: Any = obj
    for p in path.split("."):
        cur = cur.get(p) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def _match_fields(obj: Obj, selector: str) -> bool:
    for part in filter(None, selector.split(",")):
        k, _, v = part.partition("=")
        if _field(obj, k) != v:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: FakeCluster
    lock: threading.Lock

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        self._send(code, json.dumps(doc).encode(), headers=headers)

    def do_GET(self) -> None:
        c = self.cluster
        url = urlparse(self.path)
        path, query = url.path, url.query
        q = {k: v[0] for k, v in parse_qs(query).items()}
        with self.lock:
            c.requests[path] += 1
            c.queries.append(self.path)
            fault = next((f for f in c.faults if f.matches(path, query)), None)
            if fault is not None and fault.times > 0:
                fault.times -= 1
        if c.token is not None:
            scheme, _, tok = (self.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or tok != c.token:
                self._json(401, status(401, "Unauthorized", "Unauthorized"))
                return
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault.code:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                reason = {403: "Forbidden", 410: "Expired", 429: "TooManyRequests", 404: "NotFound"}.get(
                    fault.code, "InternalError")
                msg = (f'pods is forbidden: User "system:serviceaccount:x:y" cannot list resource at {path}'
                       if fault.code == 403 else f"injected {fault.code}")
                if fault.code == 410:
                    msg = "The provided continue parameter is too old to display a consistent list result."
                msg = fault.message if fault.message is not None else msg
                self._json(fault.code, status(fault.code, reason, msg), headers)
                return
        self._route(path, q)

    def _list(self, kind: str, items: list[Obj], q: dict[str, str]) -> None:
        if "labelSelector" in q:
            items = [i for i in items if _match_labels((i.get("metadata") or {}).get("labels") or {}, q["labelSelector"])]
        if "fieldSelector" in q:
            items = [i for i in items if _match_fields(i, q["fieldSelector"])]
        start = int(q.get("continue") or 0)
        limit = int(q.get("limit") or 0) or len(items) or 1
        page = items[start:start + limit]
        nxt = str(start + limit) if start + limit < len(items) else ""
        self._json(200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": "100",
                                                                              "continue": nxt},
                         "items": page})

    def _route(self, path: str, q: dict[str, str]) -> None:
        c = self.cluster
        parts = [unquote(p) for p in path.strip("/").split("/")]  # names arrive percent-encoded, as on a real server
        if path == "/api/v1/pods":
            return self._list("Pod", c.pods, q)
        if path == "/api/v1/events":
            return self._list("Event", c.events, q)
        if path == "/apis/apps/v1/replicasets":
            return self._list("ReplicaSet", c.replicasets, q)
        if len(parts) >= 5 and parts[:3] == ["api", "v1", "namespaces"]:
            ns, res = parts[3], parts[4]
            name = parts[5] if len(parts) > 5 else None
            if res == "pods":
                pods = [p for p in c.pods if p["metadata"]["namespace"] == ns]
                if name is None:
                    return self._list("Pod", pods, q)
                pod = next((p for p in pods if p["metadata"]["name"] == name), None)
                if pod is None:
                    return self._json(404, status(404, "NotFound", f'pods "{name}" not found'))
                if len(parts) == 7 and parts[6] == "log":
                    return self._log(ns, pod, q)
                return self._json(200, pod)
            if res == "events" and name is None:
                return self._list("Event", [e for e in c.events if e["metadata"]["namespace"] == ns], q)
            if res in ("configmaps", "secrets") and name:
                store = c.configmaps if res == "configmaps" else c.secrets
                obj = store.get((ns, name))
                if obj is None:
                    return self._json(404, status(404, "NotFound", f'{res} "{name}" not found'))
                if res == "secrets":
                    c.secret_reads += 1
                return self._json(200, obj)
        if len(parts) >= 6 and parts[:4] == ["apis", "apps", "v1", "namespaces"]:
            ns, res = parts[4], parts[5]
            name = parts[6] if len(parts) > 6 else None
            items = [o for o in (c.replicasets if res == "replicasets" else c.deployments)
                     if o["metadata"]["namespace"] == ns]
            if name is None:
                return self._list("ReplicaSet" if res == "replicasets" else "Deployment", items, q)
            obj = next((o for o in items if o["metadata"]["name"] == name), None)
            if obj is None:
                return self._json(404, status(404, "NotFound", f'{res}.apps "{name}" not found'))
            return self._json(200, obj)
        return self._json(404, status(404, "NotFound", "the server could not find the requested resource"))

    def _log(self, ns: str, pod: Obj, q: dict[str, str]) -> None:
        name = pod["metadata"]["name"]
        container = q.get("container") or pod["spec"]["containers"][0]["name"]
        previous = q.get("previous") == "true"
        text = self.cluster.logs.get((ns, name, container, previous))
        if text is None:
            msg = (f'previous terminated container "{container}" in pod "{name}" not found' if previous
                   else f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
            return self._json(400, status(400, "BadRequest", msg))
        lines = text.splitlines(keepends=True)
        if q.get("tailLines"):
            lines = lines[-int(q["tailLines"]):]
        body = "".join(lines).encode()
        if q.get("limitBytes"):
            body = body[: int(q["limitBytes"])]
        self._send(200, body, "text/plain")


class FakeServer:
    """Context manager: `with FakeServer(cluster) as srv: srv.url, srv.kubeconfig(path)`."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        handler = type("Handler", (_Handler,), {"cluster": cluster, "lock": threading.Lock()})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        # a client hanging up is part of the tests; the default prints a traceback to stderr
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
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
