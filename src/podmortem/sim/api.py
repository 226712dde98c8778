"""The simulated API server as a pure function: `handle(cluster, Request) -> Response`, with a route table.

Discovery (legacy and aggregated), list/get/watch/create/replace/patch/delete for the served
resources, the Table format for `kubectl get`, the pod log subresource, the scale subresource,
Status error bodies shaped like the real API server's, and the fault injection of faults.py.

Nothing here touches a socket: server.py is the thin adapter that reads a request off the wire,
calls `handle` and writes the `Response` back (httpx's MockTransport is the model), so tests and
tools can call the simulator in-process with `handle` or `call`. A watch or a followed log is a
`Response` whose `stream` yields the chunks; a stream that must end by cutting the connection (the
drop-watch fault) raises `StreamDropped`, and the adapter shuts the socket.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from podmortem.kube.times import rfc3339_seconds
from podmortem.sim import guard, openapi, protobuf
from podmortem.sim import resources as res
from podmortem.sim.cluster import KUBE_VERSION, ApiError, SimCluster
from podmortem.sim.eventconv import event_for
from podmortem.sim.kubelet import LogsUnavailable
from podmortem.sim.names import check_object_name
from podmortem.sim.resources import ResourceType
from podmortem.sim.selectors import (
    SelectorError,
    parse_field_selector,
    parse_label_selector,
    selector_string,
)
from podmortem.sim.served_time import shift_json
from podmortem.sim.tables import table
from podmortem.sim.timefmt import nano_time
from podmortem.sim.watchstream import list_page, matching, watch_stream
from podmortem.sim.wire import Request, Response, error_response, json_response

EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)
# exec, attach and port-forward need a container runtime, which the simulated cluster does not have
# (`kubectl cp` is exec running tar). Answered at once, before any protocol upgrade, so kubectl
# never waits on a stream.
STREAMING = {"exec": "kubectl exec and kubectl cp", "attach": "kubectl attach (and run -i)",
             "portforward": "kubectl port-forward"}
NO_RUNTIME = ("{what}: the simulated cluster (podmortem sim) has no container runtime, so there is no process to "
              "connect to; read the container's output with kubectl logs (--previous for the last run) and its "
              "state with kubectl describe")

# The simulator's own path, outside the Kubernetes API: the cause each scenario pod is meant to show.
EXPECTATIONS_PATH = "/sim.podmortem.dev/v1/expectations"
# The simulator's own clock control: POST ?seconds=N jumps virtual time ahead, so a test sees the
# kubelet and controllers act on a change (a rollout, a probe budget) without waiting on the wall clock.
ADVANCE_PATH = "/sim.podmortem.dev/v1/advance"
MAX_ADVANCE = 7 * 24 * 3600.0
# How many watch streams the simulator has served: a driver that moves the clock on while a command waits
# (tests/e2e/remedies.py) does so only once the command watches, as a person's time passes while kubectl
# watches; moved on before, a deleted StatefulSet pod comes back under its name before kubectl lists it,
# and kubectl then waits for the new pod's deletion forever.
WATCHES_PATH = "/sim.podmortem.dev/v1/watches"
NOT_FOUND_PATH = ApiError(404, "NotFound", "the server could not find the requested resource", {})
VERSION = {"major": "1", "minor": "32", "gitVersion": KUBE_VERSION,
           "gitCommit": "9ee9f34b3b4f2e7e1dd7f2a8c5e5b1b5f1b8c6d4", "gitTreeState": "clean",
           "buildDate": "2025-04-22T16:00:00Z", "goVersion": "go1.23.8", "compiler": "gc", "platform": "linux/amd64"}


def handle(cluster: SimCluster, request: Request) -> Response:
    """Answer one request; never raises (an unexpected failure is a 500 Status, as the apiserver gives)."""
    try:
        if cluster.options.check_token and not guard.token_ok(request.header("Authorization"), cluster.options.token):
            raise guard.unauthorized()
        return _served(cluster, _route(_Call.of(cluster, request)))
    except ApiError as api_err:
        return error_response(api_err)
    except Exception as exc:  # the server must answer, not die: report it like the apiserver would
        return error_response(ApiError(500, "InternalError", f"an error on the server (\"{type(exc).__name__}: "
                                                             f"{exc}\") has prevented the request from succeeding", {}))


def _served(cluster: SimCluster, resp: Response) -> Response:
    """Every API time field moved back so that none is ahead of the wall clock (served_time.py)."""
    if not resp.content_type.startswith("application/json"):
        return resp
    resp.body = shift_json(resp.body, cluster.served_lead())
    if resp.stream is not None:
        chunks = resp.stream
        resp.stream = (shift_json(chunk, cluster.served_lead()) for chunk in chunks)
    return resp


def call(cluster: SimCluster, method: str, target: str, body: bytes | Any = b"",
         headers: Mapping[str, str] | None = None) -> Response:
    """`handle` for in-process callers: a body that is not bytes is sent as JSON."""
    hdrs = dict(headers or {})
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if cluster.options.check_token:
        hdrs.setdefault("Authorization", f"Bearer {cluster.options.token}")
    return handle(cluster, Request(method, target, hdrs, body))


@dataclass(slots=True)
class _Call:
    cluster: SimCluster
    request: Request
    path: str
    query: dict[str, list[str]]
    accept: str

    @classmethod
    def of(cls, cluster: SimCluster, request: Request) -> _Call:
        url = urlsplit(request.target)
        return cls(cluster, request, url.path.rstrip("/") or "/", parse_qs(url.query, keep_blank_values=True),
                   request.header("Accept") or "")

    def q(self, key: str, default: str | None = None) -> str | None:
        values = self.query.get(key)
        return values[-1] if values else default

    def flag(self, key: str) -> bool:
        return (self.q(key) or "").lower() in ("true", "1")

    @property
    def content_type(self) -> str | None:
        return self.request.header("Content-Type")

    def object_body(self) -> dict[str, Any]:
        raw = self.request.body
        if guard.media_type(self.content_type) == guard.PROTOBUF_TYPE:
            try:
                return protobuf.decode(raw)
            except protobuf.ProtobufError as exc:
                raise ApiError(415, "UnsupportedMediaType", str(exc), {}) from None
        obj = guard.decode_body(raw, self.content_type)
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body must be a JSON object")
        return obj


# --- the route table ---------------------------------------------------------------------------------

Route = Callable[[_Call], Response]


def _version(c: _Call) -> Response:
    return json_response(200, VERSION)


def _ok(c: _Call) -> Response:
    return Response(200, b"ok", "text/plain; charset=utf-8")


def _openapi_root(c: _Call) -> Response:
    return json_response(200, openapi.root())


def _openapi_doc(c: _Call) -> Response:
    doc = openapi.document(c.path[len("/openapi/v3/"):])
    if doc is None:
        raise NOT_FOUND_PATH
    return json_response(200, doc)


def _not_found(c: _Call) -> Response:
    raise NOT_FOUND_PATH


def _expectations(c: _Call) -> Response:
    items = [{"namespace": ns, "name": name, "expectedCause": cause}
             for (ns, name), cause in sorted(c.cluster.expectations().items())]
    return json_response(200, {"kind": "ExpectationList", "apiVersion": "sim.podmortem.dev/v1", "items": items})


def _advance(c: _Call) -> Response:
    if c.request.method != "POST":
        raise ApiError(405, "MethodNotAllowed", f"{ADVANCE_PATH} takes POST ?seconds=N", {})
    raw = c.q("seconds", "")
    try:
        seconds = float(raw or "")
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_ADVANCE:  # also refuses nan and inf
        raise ApiError(400, "BadRequest", f"seconds must be a number from 0 to {MAX_ADVANCE:.0f}, not {raw!r}", {})
    c.cluster.advance(seconds)
    return json_response(200, {"kind": "Advanced", "apiVersion": "sim.podmortem.dev/v1", "seconds": seconds,
                               "now": nano_time(c.cluster.now())})


def _watches(c: _Call) -> Response:
    with c.cluster.lock:
        count = c.cluster.watches_started
    return json_response(200, {"kind": "WatchCount", "apiVersion": "sim.podmortem.dev/v1", "started": count})


def _discovery(c: _Call, core: bool) -> Response:
    accept = c.accept
    v2 = "v=v2;" in accept or "v=v2," in accept or accept.endswith("v=v2")
    api_version = "apidiscovery.k8s.io/v2" if v2 else "apidiscovery.k8s.io/v2beta1"
    ctype = res.AGGREGATED_V2 if v2 else res.AGGREGATED_V2BETA1
    return json_response(200, res.aggregated(core, api_version), ctype)


def _api_root(c: _Call) -> Response:
    if "as=APIGroupDiscoveryList" in c.accept:
        return _discovery(c, True)
    return json_response(200, res.api_versions(f"127.0.0.1:{c.cluster.port}"))


def _apis_root(c: _Call) -> Response:
    if "as=APIGroupDiscoveryList" in c.accept:
        return _discovery(c, False)
    return json_response(200, res.api_group_list())


def _resources(c: _Call) -> Response:
    """/api/VERSION/... and /apis/GROUP[/VERSION/...]: discovery documents, then the resource verbs."""
    parts = [p for p in c.path.split("/") if p]
    if parts[0] == "api":
        if len(parts) < 2:
            raise NOT_FOUND_PATH
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) == 2:
            doc = res.api_group(parts[1])
            if doc is None:
                raise NOT_FOUND_PATH
            return json_response(200, doc)
        group, version, rest = parts[1], parts[2], parts[3:]
    if not rest:
        doc = res.api_resource_list(group, version)
        if doc is None:
            raise NOT_FOUND_PATH
        return json_response(200, doc)
    ns: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and (group, version, rest[2]) in res.BY_PATH:
        ns, rest = rest[1], rest[2:]
    rt = res.BY_PATH.get((group, version, rest[0]))
    if rt is None or len(rest) > 3:
        raise NOT_FOUND_PATH
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if not rt.namespaced:
        ns = None
    elif ns is None and name is not None:
        raise NOT_FOUND_PATH
    return _dispatch(c, _Target(rt, ns, name, sub))


EXACT: dict[str, Route] = {
    "/version": _version, "/healthz": _ok, "/livez": _ok, "/readyz": _ok, "/openapi/v3": _openapi_root,
    EXPECTATIONS_PATH: _expectations, ADVANCE_PATH: _advance, WATCHES_PATH: _watches, "/api": _api_root, "/apis": _apis_root,
}
PREFIXES: tuple[tuple[str, Route], ...] = (
    ("/openapi/v3/", _openapi_doc), ("/openapi/", _not_found), ("/api/", _resources), ("/apis/", _resources),
)


def _route(c: _Call) -> Response:
    exact = EXACT.get(c.path)
    if exact is not None:
        return exact(c)
    for prefix, route in PREFIXES:
        if c.path.startswith(prefix):
            return route(c)
    raise NOT_FOUND_PATH


# --- resources ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    rt: ResourceType
    ns: str | None
    name: str | None
    sub: str | None


def _verb(method: str, name: str | None, watch: bool) -> str:
    if method in ("GET", "HEAD"):
        if name is None:
            return "watch" if watch else "list"
        return "get"
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if name else "deletecollection"}.get(method)
    if verb is None:
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
    return verb


def _faults(c: _Call, verb: str, tg: _Target) -> Response | None:
    rt, ns, sub = tg.rt, tg.ns, tg.sub
    resource = rt.plural + (f"/{sub}" if sub else "")
    faults = c.cluster.faults
    rule = faults.pick(verb, resource, ns, ("slow",))
    if rule is not None:
        time.sleep(rule.delay)
    rule = faults.pick(verb, resource, ns, ("forbidden",))
    if rule is not None:
        scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        what = f"{rt.plural}/{sub}" if sub else rt.plural
        raise ApiError(403, "Forbidden", f'{rt.group_resource if not sub else what} is forbidden: User '
                                         f'"{rule.user}" cannot {verb} resource "{what}" in API group "{rt.group}" '
                                         f"{scope}", {"kind": rt.plural} | ({"group": rt.group} if rt.group else {}))
    rule = faults.pick(verb, resource, ns, ("throttle",))
    if rule is not None:
        err = ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                       {"causes": [{"message": "client rate limit"}], "retryAfterSeconds": rule.retry_after})
        return error_response(err, {"Retry-After": str(rule.retry_after)})
    rule = faults.pick(verb, resource, ns, ("error",))
    if rule is not None:
        raise ApiError(500, "InternalError", "Internal error occurred: simulated etcd failure: etcdserver: "
                                             "request timed out", {"causes": [{"message": "etcdserver: request "
                                                                                          "timed out"}]})
    return None


def _dispatch(c: _Call, tg: _Target) -> Response:
    verb = _verb(c.request.method, tg.name, c.flag("watch"))
    faulted = _faults(c, verb, tg)
    if faulted is not None:
        return faulted
    special = REVIEWS.get(tg.rt.plural)
    if special is not None:
        if verb != "create":
            raise NOT_FOUND_PATH
        return special(c, tg)
    if tg.sub is not None:
        sub = SUBRESOURCES.get(tg.sub)
        if sub is None:
            raise NOT_FOUND_PATH
        return sub(c, tg, verb)
    return VERBS[verb](c, tg)


def _list(c: _Call, tg: _Target) -> Response:
    rt, ns = tg.rt, tg.ns
    labels, fields = _selectors(c, rt)
    limit = int(c.q("limit") or 0)
    token = c.q("continue") or ""
    cluster = c.cluster
    with cluster.lock:
        cluster.sync()
        store = cluster.store
        list_rv = store.rv
        start_key: tuple[str, str] | None = None
        if token:
            token_rv, start_key = _decode_token(token)
            if token_rv < store.oldest_rv or cluster.faults.pick("list", rt.plural, ns, ("expire-continue",)):
                raise ApiError(410, "Expired", EXPIRED_CONTINUE, {})
            list_rv = token_rv
        items, more, remaining = list_page(cluster, rt, ns, labels, fields, start_key, limit)
        meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if more:
            last = items[-1]["metadata"]
            meta["continue"] = _encode_token(list_rv, (last.get("namespace") or "", last["name"]))
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        now = cluster.now()
        if rt.plural == "events":  # one store, two Event APIs
            items = [event_for("v1" if "as=Table" in c.accept else rt.api_version, o) for o in items]
        if "as=Table" in c.accept:
            include = c.q("includeObject", "Metadata") or "Metadata"
            return Response(200, orjson.dumps(table(rt.plural, items, now, meta, include)))
    # Serialise outside the lock: stored objects are never mutated, so the references stay valid.
    return Response(200, orjson.dumps({"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta,
                                       "items": items}))


def _get(c: _Call, tg: _Target) -> Response:
    cluster = c.cluster
    with cluster.lock:
        cluster.sync()
        obj = cluster.get(tg.rt, tg.ns or "", tg.name or "")
        now = cluster.now()
    if tg.rt.plural == "events":
        obj = event_for("v1" if "as=Table" in c.accept else tg.rt.api_version, obj)
    if "as=Table" in c.accept:
        include = c.q("includeObject", "Metadata") or "Metadata"
        return json_response(200, table(tg.rt.plural, [obj], now,
                                        {"resourceVersion": obj["metadata"].get("resourceVersion")}, include))
    return json_response(200, obj)


def _create(c: _Call, tg: _Target) -> Response:
    obj = c.object_body()
    if tg.name is not None:
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
    meta = obj.get("metadata")
    check_object_name(tg.rt, meta if isinstance(meta, dict) else {})
    return json_response(201, c.cluster.create(tg.rt, tg.ns or "", obj, bool(c.query.get("dryRun"))))


def _update(c: _Call, tg: _Target) -> Response:
    obj = c.object_body()
    return json_response(200, c.cluster.replace(tg.rt, tg.ns or "", tg.name or "", obj, tg.sub,
                                                bool(c.query.get("dryRun"))))


def _patch(c: _Call, tg: _Target) -> Response:
    if guard.media_type(c.content_type) == "application/apply-patch+yaml" and tg.sub is None:
        applied = guard.decode_body(c.request.body, c.content_type)
        if not isinstance(applied, dict):
            raise ApiError(400, "BadRequest", "the apply configuration must be an object")
        obj, created = c.cluster.server_side_apply(tg.rt, tg.ns or "", tg.name or "", applied, c.q("fieldManager"),
                                                   bool(c.query.get("dryRun")))
        return json_response(201 if created else 200, obj)
    return json_response(200, c.cluster.patch(tg.rt, tg.ns or "", tg.name or "", c.request.body,
                                              c.content_type or "", tg.sub, bool(c.query.get("dryRun"))))


def _delete(c: _Call, tg: _Target) -> Response:
    grace = c.q("gracePeriodSeconds")
    raw = c.request.body
    if raw.strip():
        opts = guard.decode_body(raw, c.content_type)
        if isinstance(opts, dict) and opts.get("gracePeriodSeconds") is not None:
            grace = str(opts["gracePeriodSeconds"])
    try:
        seconds = float(grace) if grace not in (None, "") else None
    except ValueError:
        raise ApiError(400, "BadRequest", f"invalid gracePeriodSeconds: {grace!r}") from None
    return json_response(200, c.cluster.delete(tg.rt, tg.ns or "", tg.name or "", seconds,
                                               bool(c.query.get("dryRun"))))


def _delete_collection(c: _Call, tg: _Target) -> Response:
    rt = tg.rt
    labels, fields = _selectors(c, rt)
    cluster = c.cluster
    with cluster.lock:
        cluster.sync()
        deleted = []
        for o in matching(cluster, rt, tg.ns, labels, fields):
            try:
                cluster.delete(rt, o["metadata"].get("namespace") or "", o["metadata"]["name"])
                deleted.append(o)
            except ApiError:
                pass
    return json_response(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                               "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": deleted})


def _watch(c: _Call, tg: _Target) -> Response:
    return watch_stream(c.cluster, tg.rt, tg.ns, _selectors(c, tg.rt), c.query, c.accept)


VERBS: dict[str, Callable[[_Call, _Target], Response]] = {
    "list": _list, "watch": _watch, "get": _get, "create": _create, "update": _update, "patch": _patch,
    "delete": _delete, "deletecollection": _delete_collection,
}


# --- subresources ------------------------------------------------------------------------------------


def _object_sub(c: _Call, tg: _Target, verb: str) -> Response:
    if tg.sub == "ephemeralcontainers" and tg.rt.plural != "pods":
        raise NOT_FOUND_PATH
    return VERBS[verb](c, tg)


def _runtime_stream(c: _Call, tg: _Target, verb: str) -> Response:
    if tg.rt.plural != "pods":
        raise NOT_FOUND_PATH
    with c.cluster.lock:
        c.cluster.get(tg.rt, tg.ns or "", tg.name or "")  # a missing pod is still 404
    raise ApiError(400, "BadRequest", NO_RUNTIME.format(what=STREAMING[tg.sub or ""]))


def _logs(c: _Call, tg: _Target, verb: str) -> Response:
    if tg.rt.plural != "pods" or verb != "get":
        raise NOT_FOUND_PATH
    cluster = c.cluster
    try:
        _sim, inst = cluster.log_target(tg.ns or "", tg.name or "", c.q("container"), c.flag("previous"))
    except LogsUnavailable as gone:
        return Response(200, gone.text.encode(), "text/plain")  # the kubelet's answer, not an error status
    stamps = c.flag("timestamps")
    tail, limit = c.q("tailLines"), c.q("limitBytes")
    since_s, since_t = c.q("sinceSeconds"), c.q("sinceTime")
    with cluster.lock:
        now = cluster.now()
        lines = inst.log_lines(now)
        lead = cluster.served_lead()
    cutoff = None
    if since_s:
        cutoff = now - float(since_s)
    elif since_t:
        cutoff = rfc3339_seconds(since_t)
        cutoff = cutoff + lead if cutoff is not None else None  # the client's time is the served one
    if cutoff is not None:
        lines = [x for x in lines if x[0] >= cutoff]
    if tail not in (None, ""):
        n = int(tail)
        lines = lines[-n:] if n > 0 else []

    def render(items: list[tuple[float, str]]) -> bytes:
        return "".join(f"{nano_time(ts - lead)} {text}\n" if stamps else f"{text}\n" for ts, text in items).encode()

    body = render(lines)
    if limit not in (None, ""):
        body = body[: int(limit)]
    if not c.flag("follow"):
        return Response(200, body, "text/plain")

    def follow() -> Iterator[bytes]:
        if body:
            yield body
        seen = len(inst.log_lines(now))
        while not cluster.stopping:
            time.sleep(0.2)
            with cluster.lock:
                cluster.sync()
                current = inst.log_lines(cluster.now())
                ended = inst.end is not None and inst.end <= cluster.now()
            if len(current) > seen:
                yield render(current[seen:])
                seen = len(current)
            if ended:
                break

    return Response(200, b"", "text/plain", stream=follow())


def _scale(c: _Call, tg: _Target, verb: str) -> Response:
    rt, ns, name = tg.rt, tg.ns or "", tg.name or ""
    if rt.plural not in ("deployments", "replicasets", "statefulsets"):
        raise NOT_FOUND_PATH
    cluster = c.cluster
    if verb in ("update", "patch"):
        raw = c.request.body
        data = guard.decode_body(raw, c.content_type) if raw.strip() else {}
        replicas = (data.get("spec") or {}).get("replicas") if isinstance(data, dict) else None
        if isinstance(data, list):
            for op in data:
                if op.get("path") == "/spec/replicas":
                    replicas = op.get("value")
        if not isinstance(replicas, int):
            raise ApiError(422, "Invalid", "Scale.autoscaling \"\" is invalid: spec.replicas: Required value")
        cluster.patch(rt, ns, name, orjson.dumps({"spec": {"replicas": replicas}}), "application/merge-patch+json")
    with cluster.lock:
        cluster.sync()
        obj = cluster.get(rt, ns, name)
    meta = obj["metadata"]
    return json_response(200, {"kind": "Scale", "apiVersion": "autoscaling/v1",
                               "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta["uid"],
                                            "resourceVersion": meta.get("resourceVersion"),
                                            "creationTimestamp": meta.get("creationTimestamp")},
                               "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
                               "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                                          "selector": selector_string((obj.get("spec") or {}).get("selector"))}})


SUBRESOURCES: dict[str, Callable[[_Call, _Target, str], Response]] = {
    "log": _logs, "scale": _scale, "status": _object_sub, "ephemeralcontainers": _object_sub,
    **{name: _runtime_stream for name in STREAMING},
}


# --- reviews (POST-only resources that answer about the caller) -------------------------------------


def _access_review(c: _Call, tg: _Target) -> Response:
    """`kubectl auth can-i`: the sim's user may do everything, except what a `forbidden` fault denies."""
    review = c.object_body()
    spec: dict[str, Any] = review["spec"] if isinstance(review.get("spec"), dict) else {}
    attrs = spec.get("resourceAttributes") if isinstance(spec.get("resourceAttributes"), dict) else None
    allowed, reason = True, ""
    if attrs is not None:
        resource = str(attrs.get("resource") or "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
        rule = c.cluster.faults.peek(str(attrs.get("verb") or ""), resource, attrs.get("namespace") or None,
                                     ("forbidden",))
        if rule is not None:
            allowed, reason = False, "denied by the simulator's forbidden fault"
    status: dict[str, Any] = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    return json_response(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                               "metadata": {"creationTimestamp": None}, "spec": spec, "status": status})


def _rules_review(c: _Call, tg: _Target) -> Response:
    """`kubectl auth can-i --list`: everything, or, under `forbidden` faults, each allowed verb spelled out."""
    review = c.object_body()
    spec: dict[str, Any] = review["spec"] if isinstance(review.get("spec"), dict) else {}
    namespace = str(spec.get("namespace") or "") or None
    faults = c.cluster.faults
    rules: list[dict[str, Any]] = []
    denied = False
    for rt in res.RESOURCES:
        verbs = [v for v in rt.verbs if faults.peek(v, rt.plural, namespace if rt.namespaced else None,
                                                    ("forbidden",)) is None]
        denied = denied or len(verbs) < len(rt.verbs)
        if verbs:
            rules.append({"verbs": verbs, "apiGroups": [rt.group], "resources": [rt.plural]})
    if not denied:
        rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    status = {"resourceRules": rules, "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
              "incomplete": False}
    return json_response(201, {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                               "metadata": {"creationTimestamp": None}, "spec": spec, "status": status})


REVIEWS: dict[str, Callable[[_Call, _Target], Response]] = {
    "selfsubjectaccessreviews": _access_review, "selfsubjectrulesreviews": _rules_review}


# --- helpers -------------------------------------------------------------------------------------------


def _selectors(c: _Call, rt: ResourceType) -> tuple[Any, Any]:
    try:
        return (parse_label_selector(c.q("labelSelector")), parse_field_selector(c.q("fieldSelector"), rt.plural))
    except SelectorError as exc:
        raise ApiError(400, "BadRequest", str(exc)) from None


def _encode_token(rv: int, key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(key)})).decode()


def _decode_token(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except Exception:
        raise ApiError(400, "BadRequest", f"continue key is not valid: {token!r}") from None


