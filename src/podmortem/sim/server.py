"""The simulated cluster's HTTP API: the Kubernetes REST paths kubectl uses, on 127.0.0.1 only.

Discovery (legacy and aggregated), list/get/watch/create/replace/patch/delete for the served
resources, the Table format for `kubectl get`, the pod log subresource, the scale subresource,
Status error bodies shaped like the real API server's, and the fault injection of faults.py.
Responses are serialised with orjson; list pages and watch streams never hold the cluster lock
while writing to the socket.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import orjson

from podmortem.sim import guard, protobuf
from podmortem.sim import resources as res
from podmortem.sim.cluster import KUBE_VERSION, ApiError, SimCluster
from podmortem.sim.names import check_object_name
from podmortem.sim.resources import STORAGE_KEY, ResourceType
from podmortem.sim.selectors import (
    SelectorError,
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from podmortem.sim.tables import table
from podmortem.sim.timefmt import nano_time, parse_rfc3339

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
NOT_FOUND_PATH = ApiError(404, "NotFound", "the server could not find the requested resource", {})

log = logging.getLogger(__name__)


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a watch ended, kubectl interrupted) is routine: log it.

        The base class prints a traceback to stderr, into whatever process embeds the server.
        """
        log.debug("request from %s failed", client_address, exc_info=True)


def serve(cluster: SimCluster, port: int = 0) -> SimHTTPServer:
    handler = type("BoundHandler", (Handler,), {"cluster": cluster})
    return SimHTTPServer(("127.0.0.1", port), handler)


def _q(query: dict[str, list[str]], key: str, default: str | None = None) -> str | None:
    values = query.get(key)
    return values[-1] if values else default


def _flag(query: dict[str, list[str]], key: str) -> bool:
    return (_q(query, key) or "").lower() in ("true", "1")


def _encode_token(rv: int, key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(key)})).decode()


def _decode_token(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except Exception:
        raise ApiError(400, "BadRequest", f"continue key is not valid: {token!r}") from None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "podmortem-sim/1"
    cluster: ClassVar[SimCluster]
    _raw: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("PODMORTEM_SIM_LOG"):
            super().log_message(format, *args)

    # --- plumbing ------------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", os.urandom(8).hex())
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, obj: Any, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self._send(code, orjson.dumps(obj), content_type, headers)

    def _error(self, err: ApiError, headers: dict[str, str] | None = None) -> None:
        self._json(err.code, err.status(), headers=headers)

    def _body(self) -> bytes:
        return self._raw

    def _object_body(self) -> dict[str, Any]:
        raw = self._body()
        ctype = self.headers.get("Content-Type")
        if guard.media_type(ctype) == guard.PROTOBUF_TYPE:
            try:
                return protobuf.decode(raw)
            except protobuf.ProtobufError as exc:
                raise ApiError(415, "UnsupportedMediaType", str(exc), {}) from None
        obj = guard.decode_body(raw, ctype)
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body must be a JSON object")
        return obj

    def _read_body(self) -> bytes:
        """The request body, at most guard.MAX_BODY_BYTES; a longer one raises 413 and ends the connection.

        A body announced as too long is drained (up to a bound) rather than left unread, so that the
        client, still sending, reads the 413 instead of a reset connection.
        """
        limit = guard.MAX_BODY_BYTES
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "BadRequest", "invalid Content-Length") from None
        if length > limit:
            self.close_connection = True
            self._drain(length)
            raise guard.too_large()
        return self.rfile.read(length) if length > 0 else b""

    def _drain(self, length: int) -> None:
        left = min(length, 8 * guard.MAX_BODY_BYTES)
        while left > 0:
            got = self.rfile.read(min(left, 65536))
            if not got:
                break
            left -= len(got)

    def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"x", 16)
            except ValueError:
                self.close_connection = True
                raise ApiError(400, "BadRequest", "malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                break
            total += size
            if total > limit:
                self.close_connection = True
                if total > 8 * limit:
                    break
                self._drain(size)
            else:
                body += self.rfile.read(size)
            self.rfile.readline(8)
        if total > limit:
            raise guard.too_large()
        return bytes(body)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        # Read the whole body first: an error answered early must not leave it in a kept-alive connection.
        try:
            self._raw = b""
            self._raw = self._read_body()
            token = self.cluster.options.token
            if self.cluster.options.check_token and not guard.token_ok(self.headers.get("Authorization"), token):
                raise guard.unauthorized()
            self._route(method)
        except ApiError as api_err:
            self._error(api_err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # the server must answer, not die: report it like the apiserver would
            err = ApiError(500, "InternalError", f"an error on the server (\"{type(exc).__name__}: {exc}\") has "
                                                 "prevented the request from succeeding", {})
            try:
                self._error(err)
            except OSError:
                self.close_connection = True

    # --- routing ---------------------------------------------------------------------------------

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query, keep_blank_values=True)
        accept = self.headers.get("Accept") or ""
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            self._json(200, {"major": "1", "minor": "32", "gitVersion": KUBE_VERSION,
                             "gitCommit": "9ee9f34b3b4f2e7e1dd7f2a8c5e5b1b5f1b8c6d4", "gitTreeState": "clean",
                             "buildDate": "2025-04-22T16:00:00Z", "goVersion": "go1.23.8", "compiler": "gc",
                             "platform": "linux/amd64"})
            return
        if path in ("/healthz", "/livez", "/readyz"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return
        if path == "/openapi/v3":
            self._json(200, res.openapi_v3_root())
            return
        if path.startswith("/openapi/v3/"):
            doc = res.openapi_v3_doc(path[len("/openapi/v3/"):])
            if doc is None:
                raise NOT_FOUND_PATH
            self._json(200, doc)
            return
        if parts and parts[0] == "openapi":
            raise NOT_FOUND_PATH
        if path == EXPECTATIONS_PATH:
            items = [{"namespace": ns, "name": name, "expectedCause": cause}
                     for (ns, name), cause in sorted(self.cluster.expectations().items())]
            self._json(200, {"kind": "ExpectationList", "apiVersion": "sim.podmortem.dev/v1", "items": items})
            return
        if path == "/api":
            if "as=APIGroupDiscoveryList" in accept:
                self._discovery(True, accept)
            else:
                self._json(200, res.api_versions(f"127.0.0.1:{self.cluster.port}"))
            return
        if path == "/apis":
            if "as=APIGroupDiscoveryList" in accept:
                self._discovery(False, accept)
            else:
                self._json(200, res.api_group_list())
            return
        if not parts or parts[0] not in ("api", "apis"):
            raise NOT_FOUND_PATH
        if parts[0] == "api":
            if len(parts) < 2:
                raise NOT_FOUND_PATH
            group, version, rest = "", parts[1], parts[2:]
        else:
            if len(parts) == 2:
                doc = res.api_group(parts[1])
                if doc is None:
                    raise NOT_FOUND_PATH
                self._json(200, doc)
                return
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            doc = res.api_resource_list(group, version)
            if doc is None:
                raise NOT_FOUND_PATH
            self._json(200, doc)
            return
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
        self._dispatch(method, rt, ns, name, sub, query, accept)

    def _discovery(self, core: bool, accept: str) -> None:
        v2 = "v=v2;" in accept or "v=v2," in accept or accept.endswith("v=v2")
        api_version = "apidiscovery.k8s.io/v2" if v2 else "apidiscovery.k8s.io/v2beta1"
        ctype = res.AGGREGATED_V2 if v2 else res.AGGREGATED_V2BETA1
        self._json(200, res.aggregated(core, api_version), ctype)

    def _verb(self, method: str, name: str | None, query: dict[str, list[str]]) -> str:
        if method == "GET":
            if name is None:
                return "watch" if _flag(query, "watch") else "list"
            return "get"
        return {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[method]

    def _faults(self, verb: str, rt: ResourceType, ns: str | None, sub: str | None) -> None:
        resource = rt.plural + (f"/{sub}" if sub else "")
        faults = self.cluster.faults
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
            self._error(err, {"Retry-After": str(rule.retry_after)})
            raise _Answered
        rule = faults.pick(verb, resource, ns, ("error",))
        if rule is not None:
            raise ApiError(500, "InternalError", "Internal error occurred: simulated etcd failure: etcdserver: "
                                                 "request timed out", {"causes": [{"message": "etcdserver: request "
                                                                                              "timed out"}]})

    def _dispatch(self, method: str, rt: ResourceType, ns: str | None, name: str | None, sub: str | None,
                  query: dict[str, list[str]], accept: str) -> None:
        verb = self._verb(method, name, query)
        try:
            self._faults(verb, rt, ns, sub)
        except _Answered:
            return
        cluster = self.cluster
        dry_run = bool(query.get("dryRun"))
        if sub == "log":
            if rt.plural != "pods" or method != "GET":
                raise NOT_FOUND_PATH
            self._logs(ns or "", name or "", query)
            return
        if sub in STREAMING and rt.plural == "pods":
            with cluster.lock:
                cluster.get(rt, ns or "", name or "")  # a missing pod is still 404
            raise ApiError(400, "BadRequest", NO_RUNTIME.format(what=STREAMING[sub]))
        if rt.plural == "selfsubjectaccessreviews":
            if verb != "create":
                raise NOT_FOUND_PATH
            self._json(201, self._access_review(self._object_body()))
            return
        if sub == "scale":
            self._scale(method, rt, ns or "", name or "")
            return
        if sub == "ephemeralcontainers" and rt.plural != "pods":
            raise NOT_FOUND_PATH
        if sub not in (None, "status", "ephemeralcontainers"):
            raise NOT_FOUND_PATH
        if verb == "list":
            self._list(rt, ns, query, accept)
        elif verb == "watch":
            self._watch(rt, ns, query, accept)
        elif verb == "get":
            with cluster.lock:
                cluster.sync()
                obj = cluster.get(rt, ns or "", name or "")
                now = cluster.now()
            self._object(rt, obj, accept, query, now)
        elif verb == "create":
            obj = self._object_body()
            if name is not None:
                raise ApiError(405, "MethodNotAllowed", 'the server does not allow this method on the requested '
                                                        'resource', {})
            meta = obj.get("metadata")
            check_object_name(rt, meta if isinstance(meta, dict) else {})
            created = cluster.create(rt, ns or "", obj, dry_run)
            self._json(201, created)
        elif verb == "update":
            obj = self._object_body()
            self._json(200, cluster.replace(rt, ns or "", name or "", obj, sub, dry_run))
        elif verb == "patch":
            body = self._body()
            self._json(200, cluster.patch(rt, ns or "", name or "", body, self.headers.get("Content-Type") or "", sub,
                                          dry_run))
        elif verb == "delete":
            grace = self._grace(query)
            self._json(200, cluster.delete(rt, ns or "", name or "", grace, dry_run))
        elif verb == "deletecollection":
            self._delete_collection(rt, ns, query)

    def _grace(self, query: dict[str, list[str]]) -> float | None:
        grace = _q(query, "gracePeriodSeconds")
        raw = self._body()
        if raw.strip():
            opts = guard.decode_body(raw, self.headers.get("Content-Type"))
            if isinstance(opts, dict) and opts.get("gracePeriodSeconds") is not None:
                grace = str(opts["gracePeriodSeconds"])
        try:
            return float(grace) if grace not in (None, "") else None
        except ValueError:
            raise ApiError(400, "BadRequest", f"invalid gracePeriodSeconds: {grace!r}") from None

    def _access_review(self, review: dict[str, Any]) -> dict[str, Any]:
        """`kubectl auth can-i`: the sim's user may do everything, except what a `forbidden` fault denies."""
        spec: dict[str, Any] = review["spec"] if isinstance(review.get("spec"), dict) else {}
        attrs = spec.get("resourceAttributes") if isinstance(spec.get("resourceAttributes"), dict) else None
        allowed, reason = True, ""
        if attrs is not None:
            resource = str(attrs.get("resource") or "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
            rule = self.cluster.faults.peek(str(attrs.get("verb") or ""), resource, attrs.get("namespace") or None,
                                            ("forbidden",))
            if rule is not None:
                allowed, reason = False, "denied by the simulator's forbidden fault"
        status: dict[str, Any] = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}

    # --- reads -------------------------------------------------------------------------------------

    def _object(self, rt: ResourceType, obj: dict[str, Any], accept: str, query: dict[str, list[str]], now: float) -> None:
        if "as=Table" in accept:
            include = _q(query, "includeObject", "Metadata") or "Metadata"
            self._json(200, table(rt.plural, [obj], now, {"resourceVersion": obj["metadata"].get("resourceVersion")},
                                  include))
        else:
            self._json(200, obj)

    def _selectors(self, rt: ResourceType, query: dict[str, list[str]]) -> tuple[Any, Any]:
        try:
            return (parse_label_selector(_q(query, "labelSelector")),
                    parse_field_selector(_q(query, "fieldSelector"), rt.plural))
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None

    def _matching(self, rt: ResourceType, ns: str | None, labels: Any, fields: Any) -> list[dict[str, Any]]:
        storage = STORAGE_KEY[rt]
        items = self.cluster.store.items(storage, ns)
        if labels or fields:
            items = [o for o in items if labels_match(labels, (o.get("metadata") or {}).get("labels"))
                     and fields_match(fields, o, rt.plural)]
        return items

    def _list(self, rt: ResourceType, ns: str | None, query: dict[str, list[str]], accept: str) -> None:
        labels, fields = self._selectors(rt, query)
        limit = int(_q(query, "limit") or 0)
        token = _q(query, "continue") or ""
        cluster = self.cluster
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
            items = self._matching(rt, ns, labels, fields)
            if start_key is not None:
                items = [o for o in items if ((o["metadata"].get("namespace") or ""), o["metadata"]["name"]) > start_key]
            meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
            if limit and len(items) > limit:
                page = items[:limit]
                last = page[-1]["metadata"]
                meta["continue"] = _encode_token(list_rv, (last.get("namespace") or "", last["name"]))
                meta["remainingItemCount"] = len(items) - limit
                items = page
            now = cluster.now()
            if "as=Table" in accept:
                include = _q(query, "includeObject", "Metadata") or "Metadata"
                body = orjson.dumps(table(rt.plural, items, now, meta, include))
                body_ready = True
            else:
                body_ready = False
        if not body_ready:
            # Serialise outside the lock: stored objects are never mutated, so the references stay valid.
            body = orjson.dumps({"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta,
                                 "items": items})
        self._send(200, body)

    def _delete_collection(self, rt: ResourceType, ns: str | None, query: dict[str, list[str]]) -> None:
        labels, fields = self._selectors(rt, query)
        cluster = self.cluster
        with cluster.lock:
            cluster.sync()
            items = self._matching(rt, ns, labels, fields)
            deleted = []
            for o in items:
                try:
                    cluster.delete(rt, o["metadata"].get("namespace") or "", o["metadata"]["name"])
                    deleted.append(o)
                except ApiError:
                    pass
        self._json(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                         "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": deleted})

    # --- watch ---------------------------------------------------------------------------------------

    def _start_stream(self, content_type: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _watch(self, rt: ResourceType, ns: str | None, query: dict[str, list[str]], accept: str) -> None:
        labels, fields = self._selectors(rt, query)
        as_table = "as=Table" in accept
        include = _q(query, "includeObject", "Metadata") or "Metadata"
        rv_text = _q(query, "resourceVersion") or ""
        bookmarks = _flag(query, "allowWatchBookmarks")
        initial = _flag(query, "sendInitialEvents")
        timeout = float(_q(query, "timeoutSeconds") or 1800)
        cluster = self.cluster
        storage = STORAGE_KEY[rt]
        drop = cluster.faults.pick("watch", rt.plural, ns, ("drop-watch",))
        deadline = time.monotonic() + timeout
        drop_at = time.monotonic() + drop.after if drop else None
        headers_sent = [False]
        first_table = [True]

        def encode(kind: str, obj: dict[str, Any], now: float) -> bytes:
            if as_table and kind not in ("BOOKMARK", "ERROR"):
                t = table(rt.plural, [obj], now, {"resourceVersion": obj["metadata"].get("resourceVersion")}, include,
                          headers=first_table[0])
                first_table[0] = False
                return orjson.dumps({"type": kind, "object": t}) + b"\n"
            return orjson.dumps({"type": kind, "object": obj}) + b"\n"

        def matches(obj: dict[str, Any] | None) -> bool:
            if obj is None:
                return False
            meta = obj.get("metadata") or {}
            if ns is not None and (meta.get("namespace") or "") != ns:
                return False
            return labels_match(labels, meta.get("labels")) and fields_match(fields, obj, rt.plural)

        out: list[bytes] = []
        with cluster.lock:
            cluster.sync()
            store = cluster.store
            now = cluster.now()
            if rv_text in ("", "0") or initial:
                position = store.rv
                for obj in self._matching(rt, ns, labels, fields):
                    out.append(encode("ADDED", obj, now))
                if initial:
                    out.append(orjson.dumps({"type": "BOOKMARK", "object": {
                        "kind": rt.kind, "apiVersion": rt.api_version,
                        "metadata": {"resourceVersion": str(position),
                                     "annotations": {"k8s.io/initial-events-end": "true"}}}}) + b"\n")
            else:
                try:
                    position = int(rv_text)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resource version: {rv_text}") from None
                if position < store.oldest_rv:
                    err = ApiError(410, "Expired", f"too old resource version: {position} ({store.oldest_rv})")
                    out.append(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
                    position = -1
        self._start_stream()
        headers_sent[0] = True
        try:
            for chunk in out:
                self._chunk(chunk)
            if position < 0:
                self._end_stream()
                return
            last_bookmark = time.monotonic()
            while True:
                if cluster.stopping:
                    break
                now_wall = time.monotonic()
                if now_wall >= deadline:
                    break
                if drop_at is not None and now_wall >= drop_at:
                    self._drop()
                    return
                out = []
                with cluster.lock:
                    changes = cluster.store.changes_since(position)
                    if not changes:
                        cluster.store.changed.wait(timeout=0.5)
                        changes = cluster.store.changes_since(position)
                    now = cluster.now()
                    if changes and changes[0].rv > position + 1 and position < cluster.store.oldest_rv:
                        err = ApiError(410, "Expired", f"too old resource version: {position} "
                                                       f"({cluster.store.oldest_rv})")
                        out.append(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
                        changes = []
                        position = -1
                    for ch in changes:
                        position = ch.rv
                        if ch.storage != storage:
                            continue
                        new_ok = ch.type != "DELETED" and matches(ch.obj)
                        old_ok = matches(ch.old)
                        if ch.type == "DELETED":
                            if old_ok:
                                out.append(encode("DELETED", ch.obj, now))
                        elif new_ok and old_ok:
                            out.append(encode("MODIFIED", ch.obj, now))
                        elif new_ok:
                            out.append(encode("ADDED", ch.obj, now))
                        elif old_ok:
                            out.append(encode("DELETED", ch.obj, now))
                    if bookmarks and not out and time.monotonic() - last_bookmark > 10:
                        out.append(orjson.dumps({"type": "BOOKMARK", "object": {
                            "kind": rt.kind, "apiVersion": rt.api_version,
                            "metadata": {"resourceVersion": str(cluster.store.rv)}}}) + b"\n")
                        last_bookmark = time.monotonic()
                for chunk in out:
                    self._chunk(chunk)
                if position < 0:
                    break
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop(self) -> None:
        """Cut the connection mid-stream, as a load balancer or a restarted apiserver would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # --- subresources ------------------------------------------------------------------------------

    def _logs(self, ns: str, name: str, query: dict[str, list[str]]) -> None:
        cluster = self.cluster
        previous = _flag(query, "previous")
        _sim, inst = cluster.log_target(ns, name, _q(query, "container"), previous)
        stamps = _flag(query, "timestamps")
        tail = _q(query, "tailLines")
        limit = _q(query, "limitBytes")
        since_s = _q(query, "sinceSeconds")
        since_t = _q(query, "sinceTime")
        follow = _flag(query, "follow")
        with cluster.lock:
            now = cluster.now()
            lines = inst.log_lines(now)
        cutoff = None
        if since_s:
            cutoff = now - float(since_s)
        elif since_t:
            cutoff = parse_rfc3339(since_t)
        if cutoff is not None:
            lines = [x for x in lines if x[0] >= cutoff]
        if tail not in (None, ""):
            n = int(tail)
            lines = lines[-n:] if n > 0 else []

        def render(items: list[tuple[float, str]]) -> bytes:
            return "".join(f"{nano_time(ts)} {text}\n" if stamps else f"{text}\n" for ts, text in items).encode()

        body = render(lines)
        if limit not in (None, ""):
            body = body[: int(limit)]
        if not follow:
            self._send(200, body, "text/plain")
            return
        self._start_stream("text/plain")
        try:
            if body:
                self._chunk(body)
            seen = len(inst.log_lines(now))
            while not cluster.stopping:
                time.sleep(0.2)
                with cluster.lock:
                    cluster.sync()
                    now = cluster.now()
                    current = inst.log_lines(now)
                    ended = inst.end is not None and inst.end <= now
                if len(current) > seen:
                    self._chunk(render(current[seen:]))
                    seen = len(current)
                if ended:
                    break
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _scale(self, method: str, rt: ResourceType, ns: str, name: str) -> None:
        if rt.plural not in ("deployments", "replicasets", "statefulsets"):
            raise NOT_FOUND_PATH
        cluster = self.cluster
        if method in ("PUT", "PATCH"):
            raw = self._body()
            data = guard.decode_body(raw, self.headers.get("Content-Type")) if raw.strip() else {}
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
        from podmortem.sim.selectors import selector_string

        meta = obj["metadata"]
        self._json(200, {"kind": "Scale", "apiVersion": "autoscaling/v1",
                         "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta["uid"],
                                      "resourceVersion": meta.get("resourceVersion"),
                                      "creationTimestamp": meta.get("creationTimestamp")},
                         "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
                         "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                                    "selector": selector_string((obj.get("spec") or {}).get("selector"))}})


class _Answered(Exception):
    """The fault injector already wrote the response."""
