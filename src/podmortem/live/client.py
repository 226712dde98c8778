"""The one way podmortem talks to a cluster: the official client for configuration, raw JSON for data.

The `kubernetes` package loads kubeconfig contexts, runs exec credential plugins (and refreshes
their tokens), reads the in-cluster service account and sets up TLS and client certificates;
docs/client-choice.md says why it won over kr8s and lightkube. Its generated models are never
used: they cost seconds on 10,000 pods, so responses are read as bytes and parsed with orjson.

Every call is a GET (podmortem is read-only) and goes through `KubeClient.get`, which owns the
retry policy: 429 waits for Retry-After, 5xx and dropped connections back off with a cap,
timeouts are retried a bounded number of times. What is not worth retrying becomes a typed
exception: `Forbidden` (the caller records missing RBAC and goes on), `Gone` (a continue token
expired: relist), `NotFoundError`, `CallFailed`, or a `SourceError` when the cluster cannot be
used at all (the CLI exits 3).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, TypeVar
from urllib.parse import quote

import orjson

from podmortem.errors import ApiTlsError, ApiUnauthorized, ApiUnreachable, InputError, SourceError
from podmortem.live.deadline import Deadline, DeadlineExceeded

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0
RETRY_AFTER_CAP = 30.0  # a server asking for longer is not worth waiting for in an interactive tool
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
RETRIABLE_STATUS = frozenset({500, 502, 503, 504})
# No answer podmortem needs is near this: a 500-pod PodList page is 2-10 MB even with managedFields,
# a log is capped by limitBytes (512 KiB). An endless or absurd body stops here (docs/live.md).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Answers read at the same time (the collector's workers, the gate's streams) share this budget, so
# that several endless bodies at once cannot add up to several times the cap.
MAX_INFLIGHT_BYTES = MAX_RESPONSE_BYTES
READ_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class Call:
    """What a request is for: RBAC wording, error messages and request counts use it."""

    verb: str  # get | list
    resource: str  # pods, pods/log, events, configmaps, secrets, replicasets
    namespace: str | None = None  # None: cluster-wide
    name: str | None = None

    def describe(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else " (all namespaces)"
        what = f"{self.resource} {self.name}" if self.name else self.resource
        return f"{self.verb} {what}{where}"


class ApiCallError(Exception):
    """Base of the errors a caller handles per call (not fatal to the run)."""

    def __init__(self, call: Call, status: int, message: str) -> None:
        super().__init__(message)
        self.call = call
        self.status = status
        self.message = message


class Forbidden(ApiCallError):
    """403: the credentials may not do this; the run goes on without this evidence."""


class NotFoundError(ApiCallError):
    """404: the object does not exist (a meaningful answer for ConfigMap and Secret checks)."""


class Gone(ApiCallError):
    """410 Expired: a continue token is too old; the list must start again."""


class BadRequest(ApiCallError):
    """400: for logs this is how the API says there is no such container instance."""


class CallFailed(ApiCallError):
    """A call that still failed after its retries (5xx, timeouts) or failed in a way not retried."""


def status_message(body: bytes, fallback: str) -> str:
    """The message of a Kubernetes Status body, else the start of the body, else the fallback."""
    try:
        doc = orjson.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text.splitlines()[0][:300] if text else fallback
    if isinstance(doc, dict) and doc.get("message"):
        return str(doc["message"])[:500]
    return fallback


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from an API server; fall back to our own back-off


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. Attempts include the first one."""

    attempts_5xx: int = 5
    attempts_429: int = 6
    attempts_timeout: int = 3
    attempts_connect: int = 2
    timeout: float = DEFAULT_TIMEOUT

    def backoff(self, attempt: int) -> float:
        """Capped exponential back-off with jitter, so parallel workers do not retry in lockstep."""
        delay: float = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)


class PaginationLoop(CallFailed):
    """The server sent a continue token it had sent before: following it would never end."""


def pages(client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call,
          page_size: int, *, accept: str | None = None) -> Iterator[dict[str, Any]]:
    """Every page of a paginated list (limit/continue), in order. Gone (410) propagates to the caller.

    A token seen before (the same one again, or an earlier one) means the server is not advancing:
    a bug or a proxy replaying pages. Following it would loop forever, so the list stops with
    PaginationLoop. An endless run of fresh tokens is stopped by the run's deadline instead.
    """
    seen: set[str] = set()
    cont = ""
    while True:
        page = [*params, ("limit", page_size)] + ([("continue", cont)] if cont else [])
        doc = client.get_json(path, page, call, accept=accept) if accept else client.get_json(path, page, call)
        yield doc
        cont = str((doc.get("metadata") or {}).get("continue") or "")
        if not _advances(cont, seen, call):
            return


class RawPage(Protocol):
    """A list page decoded by its caller (live/podpage.py, live/eventpage.py): its continue token."""

    cont: str


P = TypeVar("P", bound=RawPage)


def raw_pages(client: KubeClient, path: str, params: Sequence[tuple[str, Any]], call: Call, page_size: int,
              decode: Callable[[bytes, Call], P], *, peek: Callable[[bytes], str | None] | None = None
              ) -> Generator[P, None, None]:
    """`pages` for a caller that decodes each page's bytes itself, `decode(body, call)` (a list too
    large to turn into dicts whole, live/eventpage.py).

    With `peek` (a cheap read of a body's continue token, live/rawpage.continue_token) the list is a
    pipeline: the next page is asked for on a thread of its own while this one is decoded and used,
    so the server writes page k+1 while page k is read. A page-by-page loop left the API server idle
    during every decode and the client idle during every answer. Only the token the decoded page
    gives is followed: a page fetched ahead for any other token is dropped and the right one asked
    for, so the pages, and the errors met on the way, are those of the plain loop. At most two pages
    are held at once."""
    from concurrent.futures import Future, ThreadPoolExecutor

    seen: set[str] = set()

    def ask(cont: str) -> bytes:
        return client.get(path, [*params, ("limit", page_size)] + ([("continue", cont)] if cont else []), call)

    ahead: tuple[str, Future[bytes]] | None = None
    pool = ThreadPoolExecutor(1, thread_name_prefix="podmortem-page") if peek is not None else None
    try:
        body = ask("")
        while True:
            if pool is not None and peek is not None:
                guess = peek(body)
                if guess and guess not in seen:
                    ahead = (guess, pool.submit(ask, guess))
            doc = decode(body, call)
            cont = doc.cont
            yield doc
            if not _advances(cont, seen, call):
                return
            body = ahead[1].result() if ahead is not None and ahead[0] == cont else ask(cont)
            ahead = None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # a page asked for ahead and not wanted: waited for, dropped


def _advances(cont: str, seen: set[str], call: Call) -> bool:
    """False at the end of a list; PaginationLoop for a token sent before."""
    if not cont:
        return False
    if cont in seen:
        shown = cont if len(cont) <= 40 else cont[:37] + "..."
        raise PaginationLoop(call, 0, f"{call.describe()}: the API server sent the continue token "
                                      f"{shown!r} again after {len(seen)} pages; stopped listing")
    seen.add(cont)
    return True


class KubeClient:
    """GET requests against one cluster, with retries and per-kind request counts. Thread-safe."""

    def __init__(self, configuration: Any, *, namespace: str = "default", context: str | None = None,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        from kubernetes.client.rest import RESTClientObject

        # The kubernetes client's configuration (auth, TLS, proxies) and its REST client (urllib3 pool):
        # what ApiClient.call_api sends through, without ApiClient itself (see `api`).
        self.configuration = configuration
        self.rest = RESTClientObject(configuration)
        self._api: Any = None
        self.host: str = str(configuration.host)
        self.namespace = namespace
        self.context = context
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.max_response_bytes = max_response_bytes
        self._inflight = 0  # bytes of answers being read right now, all threads together
        # The whole run's deadline (diagnose/gate --timeout); every request and back-off checks it.
        self.deadline = Deadline(what="the deadline", clock=clock)
        self.requests: Counter[str] = Counter()  # resource -> requests sent (retries included)
        self.retries: Counter[str] = Counter()  # reason -> retries
        self.calls: set[tuple[str, str, str]] = set()  # (API group, resource, verb): what RBAC must allow
        self._lock = threading.Lock()

    # -- requests -----------------------------------------------------------------------------

    def get_json(self, path: str, params: Sequence[tuple[str, Any]], call: Call, *,
                 accept: str | None = None) -> dict[str, Any]:
        body = self.get(path, params, call, accept=accept)
        try:
            doc = orjson.loads(body)
        except ValueError as exc:
            raise CallFailed(call, 200, f"the API answered {call.describe()} with invalid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise CallFailed(call, 200, f"the API answered {call.describe()} with JSON that is not an object")
        return doc

    def set_deadline(self, seconds: float | None, what: str) -> Deadline:
        """Bound the whole run: from now on every request, retry and back-off stops at this deadline."""
        self.deadline = Deadline.after(seconds, what, self.clock)
        return self.deadline

    def _wait(self, seconds: float, call: Call) -> None:
        """A back-off that would outlast the run's deadline is not waited for: the run stops now."""
        if seconds >= self.deadline.remaining():
            self.deadline.check(call.describe())
            raise DeadlineExceeded(f"{self.deadline.what} passes before {call.describe()} can be retried",
                                   "the API server is slow or throttling; a longer timeout may help")
        self.sleep(seconds)

    def get(self, path: str, params: Sequence[tuple[str, Any]], call: Call,
            timeout: float | None = None, *, accept: str | None = None) -> bytes:
        """The body of a 2xx answer to GET path?params, after retries; typed errors otherwise.

        `accept` asks for another representation than the object (lint --cluster lists Secrets as
        a metadata-only Table, so their values are never sent).

        `timeout` (default: --request-timeout) bounds each whole answer, not each read; the run's
        deadline bounds every attempt, retry and back-off together.
        """
        import urllib3.exceptions as u3

        per_response = timeout or self.policy.timeout
        attempt = 0
        tries = Counter[str]()
        while True:
            attempt += 1
            self.deadline.check(call.describe())
            with self._lock:
                self.requests[call.resource] += 1
                self.calls.add(("apps" if path.startswith("/apis/apps/") else "", call.resource, call.verb))
            try:
                status, headers, body = self._send(path, params, per_response, call, accept)
            except (u3.NewConnectionError, u3.NameResolutionError, ConnectionRefusedError) as exc:
                # Before the timeouts: urllib3's NewConnectionError is a subclass of ConnectTimeoutError.
                tries["connect"] += 1
                if tries["connect"] >= self.policy.attempts_connect:
                    raise ApiUnreachable(f"cannot reach the Kubernetes API at {self.host}: {_reason(exc)}",
                                         "is the cluster up and the kubeconfig context right?") from None
                self._note_retry("connect", call)
                self._wait(self.policy.backoff(tries["connect"]), call)
                continue
            except (u3.ReadTimeoutError, u3.ConnectTimeoutError, TimeoutError) as exc:
                self.deadline.check(call.describe())
                tries["timeout"] += 1
                if tries["timeout"] >= self.policy.attempts_timeout:
                    raise CallFailed(call, 0, f"{call.describe()}: timed out {tries['timeout']} times "
                                              f"({per_response:g}s each)") from exc
                self._note_retry("timeout", call)
                continue
            except u3.SSLError as exc:
                raise ApiTlsError(f"TLS with the Kubernetes API at {self.host} failed: {tls_problem(str(exc))}",
                                  "check certificate-authority(-data) of the cluster in the kubeconfig") from None
            except (u3.ProtocolError, u3.ProxyError, ConnectionError, u3.MaxRetryError) as exc:
                # A connection dropped mid-answer: the server restarted or a proxy cut it. Retry.
                tries["dropped"] += 1
                if tries["dropped"] >= self.policy.attempts_5xx:
                    raise CallFailed(call, 0, f"{call.describe()}: connection dropped {tries['dropped']} "
                                              f"times ({_reason(exc)})") from exc
                self._note_retry("dropped", call)
                self._wait(self.policy.backoff(tries["dropped"]), call)
                continue
            if 200 <= status < 300:
                return body
            message = status_message(body, f"HTTP {status}")
            if status == 429 or (status == 503 and _retry_after(headers) is not None):
                tries["429"] += 1
                if tries["429"] >= self.policy.attempts_429:
                    raise CallFailed(call, status, f"{call.describe()}: still throttled after "
                                                   f"{tries['429']} tries ({message})")
                wait = _retry_after(headers)
                self._note_retry("throttled", call)
                self._wait(min(RETRY_AFTER_CAP, wait) if wait is not None else self.policy.backoff(tries["429"]), call)
                continue
            if status in RETRIABLE_STATUS:
                tries["5xx"] += 1
                if tries["5xx"] >= self.policy.attempts_5xx:
                    raise CallFailed(call, status, f"{call.describe()}: HTTP {status} after {tries['5xx']} "
                                                   f"tries ({message})")
                self._note_retry(f"http-{status}", call)
                self._wait(self.policy.backoff(tries["5xx"]), call)
                continue
            if status == 401:
                raise ApiUnauthorized(f"the Kubernetes API at {self.host} rejected the credentials (401: {message})",
                                  "log in again or check the kubeconfig user")
            if status == 403:
                raise Forbidden(call, status, message)
            if status == 404:
                raise NotFoundError(call, status, message)
            if status == 410:
                raise Gone(call, status, message)
            if status == 400:
                raise BadRequest(call, status, message)
            raise CallFailed(call, status, f"{call.describe()}: HTTP {status} ({message})")

    def _note_retry(self, reason: str, call: Call) -> None:
        with self._lock:
            self.retries[reason] += 1
        log.debug("retrying %s after %s", call.describe(), reason)

    @property
    def api(self) -> Any:
        """A kubernetes ApiClient on the same configuration, made on first use: for the watcher's
        writes (watch/writes.py), whose bodies it serialises. Reads do without it: its module costs
        about 75 ms of start-up (pydantic, dateutil) for what `_request` does in a few lines."""
        if self._api is None:
            from kubernetes.client.api_client import ApiClient

            self._api = ApiClient(self.configuration)
        return self._api

    def _request(self, path: str, params: Sequence[tuple[str, Any]], accept: str, timeout: tuple[float, float]) -> Any:
        """A GET as ApiClient.param_serialize and call_api send it: the query quoted value by value
        (booleans lower-case), the client's User-Agent, the configuration's auth settings (which
        refresh an exec plugin's token) as headers."""
        query = "&".join(f"{k}={quote(str(v).lower() if isinstance(v, bool) else str(v))}" for k, v in params)
        headers = {"Accept": accept, "User-Agent": _user_agent()}
        for auth in self.configuration.auth_settings().values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[auth["key"]] = auth["value"]
        url = self.host + path + (f"?{query}" if query else "")
        return self._call_api("GET", url, headers, _request_timeout=timeout)

    def _call_api(self, method: str, url: str, headers: Any, **kwargs: Any) -> Any:
        """The kubernetes REST client's request, with its TLS failure (an ApiException with status 0
        whose reason starts "SSLError") turned into one line that names the server and the problem."""
        from kubernetes.client.exceptions import ApiException

        try:
            return self.rest.request(method, url, headers=headers, **kwargs)  # type: ignore[no-untyped-call]
        except ApiException as exc:
            reason = str(exc.reason or "")
            if exc.status == 0 and reason.startswith("SSLError"):
                raise ApiTlsError(f"TLS with the Kubernetes API at {self.host} failed: {tls_problem(reason)}",
                                  "check certificate-authority(-data) of the cluster in the kubeconfig") from None
            raise

    def _send(self, path: str, params: Sequence[tuple[str, Any]], per_response: float,
              call: Call, accept: str | None = None) -> tuple[int, Mapping[str, str], bytes]:
        limit = self.deadline.sooner(per_response, f"--request-timeout {per_response:g}s")
        budget = max(0.001, limit.remaining())
        response = self._request(path, params, accept or "application/json", (min(CONNECT_TIMEOUT, budget), budget))
        raw = response.response
        try:
            body = self.read_body(raw, limit, call)
        finally:
            raw.release_conn()
        return int(response.status), response.headers, body

    def read_body(self, raw: Any, limit: Deadline, call: Call) -> bytes:
        """The whole body of an open urllib3 response, read by chunks against `limit` and the size cap.

        Each read waits at most until `limit` (the socket timeout is set to what is left), so a
        body trickled a byte at a time ends at the limit, not after one socket timeout per byte.
        A body that is late or too big is not retried: the same server would do it again.
        """
        import urllib3.exceptions as u3

        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                left = limit.remaining()
                if left <= 0:
                    self._too_slow(limit, call, size)
                _set_read_timeout(raw, left)
                try:
                    chunk = bytes(raw.read1(READ_CHUNK))
                except (u3.ReadTimeoutError, TimeoutError):
                    self._too_slow(limit, call, size)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
                with self._lock:
                    self._inflight += len(chunk)
                    inflight = self._inflight
                if size > self.max_response_bytes:
                    raise CallFailed(call, 0, f"{call.describe()}: the answer is larger than "
                                              f"{_mib(self.max_response_bytes)}; stopped reading it")
                if inflight > MAX_INFLIGHT_BYTES:
                    raise CallFailed(call, 0, f"{call.describe()}: answers being read at once passed "
                                              f"{_mib(MAX_INFLIGHT_BYTES)}; stopped reading this one")
        finally:
            with self._lock:
                self._inflight -= size

    def _too_slow(self, limit: Deadline, call: Call, received: int) -> NoReturn:
        self.deadline.check(call.describe())
        raise CallFailed(call, 0, f"{call.describe()}: the answer was not complete within {limit.what} "
                                  f"({received} bytes received); not retried")

    def stream(self, path: str, params: Sequence[tuple[str, Any]], call: Call, timeout: float) -> Any:
        """The open urllib3 response to a streaming GET (a watch), for the caller to read as it
        arrives and then release. Not retried: a watcher lists again instead. `timeout` is the
        longest silence tolerated between two reads. Errors are typed as for `get`."""
        import urllib3.exceptions as u3

        self.deadline.check(call.describe())
        timeout = max(0.001, min(timeout, self.deadline.remaining()))
        with self._lock:
            self.requests[call.resource] += 1
            self.calls.add(("apps" if path.startswith("/apis/apps/") else "", call.resource, call.verb))
        try:
            raw = self._request(path, params, "application/json", (min(CONNECT_TIMEOUT, timeout), timeout)).response
        except (u3.NewConnectionError, u3.NameResolutionError, ConnectionRefusedError) as exc:
            raise ApiUnreachable(f"cannot reach the Kubernetes API at {self.host}: {_reason(exc)}",
                                 "is the cluster up and the kubeconfig context right?") from None
        except (u3.HTTPError, OSError) as exc:
            raise CallFailed(call, 0, f"{call.describe()}: {_reason(exc)}") from None
        if 200 <= raw.status < 300:
            return raw
        try:
            message = status_message(self.read_body(raw, self.deadline.sooner(timeout, "the watch timeout"), call),
                                     f"HTTP {raw.status}")
        finally:
            raw.release_conn()
        status = int(raw.status)
        if status == 401:
            raise ApiUnauthorized(f"the Kubernetes API at {self.host} rejected the credentials (401: {message})",
                              "log in again or check the kubeconfig user")
        error = {403: Forbidden, 404: NotFoundError, 410: Gone, 400: BadRequest}.get(status, CallFailed)
        raise error(call, status, message if error is not CallFailed else f"{call.describe()}: HTTP {status} ({message})")

    def own_connections(self) -> None:
        """A connection pool of its own, for a forked process: the inherited one's sockets are the
        parent's (closing them here could end the parent's TLS sessions, so they are only let go)."""
        from kubernetes.client.rest import RESTClientObject

        self.rest = RESTClientObject(self.configuration)
        self._api = None

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
        self.rest.pool_manager.clear()


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def _set_read_timeout(raw: Any, seconds: float) -> None:
    """Let the next socket read of an open urllib3 response wait at most `seconds`."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))


def tls_problem(text: str) -> str:
    """The certificate problem out of an SSL error's text: "certificate verify failed: self-signed
    certificate", "... IP address mismatch, certificate is not valid for '127.0.0.1'", "wrong version number"."""
    import re

    m = re.search(r"certificate verify failed: ([^()\n]+)", text)
    if m:
        return f"certificate verify failed: {m.group(1).strip()}"
    m = re.search(r"\[SSL[^\]]*\] ([^()\n]+)", text)
    return m.group(1).strip() if m else " ".join(text.split())[:200]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """The useful end of urllib3's nested messages: "connection refused", "name not known"."""
    text = str(getattr(exc, "reason", None) or exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out",
                   "Temporary failure in name resolution", "Connection reset", "Network is unreachable"):
        if marker.lower() in text.lower():
            return marker.lower()
    return _first_line(exc)


# -- configuration ---------------------------------------------------------------------------------


def _kubeconfig_paths(explicit: str | None) -> str | None:
    """The kubeconfig to use, as kubectl picks it: --kubeconfig, $KUBECONFIG (a path list), ~/.kube/config."""
    if explicit:
        if not os.path.exists(explicit):
            raise InputError(f"--kubeconfig {explicit}: no such file")
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        existing = [p for p in env.split(os.pathsep) if p and os.path.exists(os.path.expanduser(p))]
        return os.pathsep.join(existing) if existing else None
    home = os.path.expanduser("~/.kube/config")
    return home if os.path.exists(home) else None


def _in_cluster(sa_dir: str) -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(os.path.join(sa_dir, "token"))


# Packages of the `kubernetes` distribution whose __init__ podmortem does not run. kubernetes/__init__.py
# imports every subpackage (dynamic, watch, stream with websocket-client, leaderelection, informer) and
# kubernetes/utils/__init__.py the YAML object creator and metrics helpers; podmortem uses none of them,
# and they were about 25 ms of each `diagnose` start (benchmarks/bench_startup.py). The modules podmortem
# imports (client.api_client, client.configuration, client.rest, config.*, utils.retry/keepalive) import
# each other by full name and use nothing their parent packages define (kubernetes 37.0).
_BARE_PACKAGES = ("kubernetes", "kubernetes.utils")


def bare_kubernetes_packages() -> None:
    """Register `_BARE_PACKAGES` as package modules without running their __init__ (unless they are
    already imported), so importing their submodules by full name loads only those submodules.
    Only in a podmortem process of its own: a program that calls connect() keeps `import kubernetes`
    as the package makes it (`kubernetes.watch` and the rest as attributes)."""
    import importlib.util

    from podmortem.commandline import in_own_process

    if not in_own_process():
        return
    for name in _BARE_PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            return  # not installed, or not a package: the imports below fail or work as usual
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


def _user_agent() -> str:
    """The User-Agent the kubernetes client's ApiClient sends (its default)."""
    from kubernetes.client import __version__

    return f"OpenAPI-Generator/{__version__}/python"


@contextlib.contextmanager
def _kube_config_deferred() -> Iterator[None]:
    """kube_config imported without what it uses only to refresh a token of the (deprecated) `oidc`
    auth provider or in new_client_from_config: about 95 ms of every `diagnose` start.

    - `kubernetes.client.ApiClient` (pydantic, dateutil, multiprocessing.pool: 75 ms) names, while
      kube_config is imported, a function that imports the class when called; afterwards the
      package resolves the name lazily again, to the class itself (its own `__getattr__`).
    - `requests_oauthlib` (requests: 20 ms), imported for `OAuth2Session`, is a stand-in module while
      kube_config is imported, whose `OAuth2Session` imports the real one when called.
    Nothing is deferred when kube_config is already imported."""
    import importlib.util
    import types

    import kubernetes.client as package

    if "kubernetes.config.kube_config" in sys.modules:
        yield
        return

    def deferred_api_client(*args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.api_client import ApiClient

        return ApiClient(*args, **kwargs)

    def deferred_session(*args: Any, **kwargs: Any) -> Any:
        from requests_oauthlib import OAuth2Session  # type: ignore[import-untyped]

        return OAuth2Session(*args, **kwargs)

    set_api_client = "ApiClient" not in vars(package)
    if set_api_client:
        setattr(package, "ApiClient", deferred_api_client)  # noqa: B010 - the package types the name as the class
    stand_in = None
    if "requests_oauthlib" not in sys.modules and importlib.util.find_spec("requests_oauthlib") is not None:
        stand_in = types.ModuleType("requests_oauthlib", "stand-in while kubernetes.config.kube_config is imported")
        stand_in.OAuth2Session = deferred_session  # type: ignore[attr-defined]
        sys.modules["requests_oauthlib"] = stand_in
    try:
        yield
    finally:
        if set_api_client:
            vars(package).pop("ApiClient", None)
        if stand_in is not None and sys.modules.get("requests_oauthlib") is stand_in:
            del sys.modules["requests_oauthlib"]


def connect(kubeconfig: str | None = None, context: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
            concurrency: int = 8, sa_dir: str = SERVICE_ACCOUNT_DIR) -> KubeClient:
    """A client for the cluster kubectl would talk to with the same flags; no request is sent yet."""
    bare_kubernetes_packages()
    with _kube_config_deferred():  # kubernetes.config's __init__ imports kube_config
        from kubernetes.client.configuration import Configuration
        from kubernetes.config.config_exception import ConfigException

    cfg = Configuration()
    cfg.retries = False  # urllib3 must not retry behind our back: KubeClient.get owns the policy
    cfg.connection_pool_maxsize = concurrency + 2
    namespace = "default"
    paths = _kubeconfig_paths(kubeconfig)
    try:
        if paths is not None:
            from kubernetes.config.kube_config import list_kube_config_contexts, load_kube_config

            contexts, current = list_kube_config_contexts(paths)  # type: ignore[no-untyped-call]
            chosen = current
            if context is not None:
                chosen = next((c for c in contexts if c.get("name") == context), None)
                if chosen is None:
                    names = ", ".join(sorted(str(c.get("name")) for c in contexts)) or "none"
                    raise InputError(f"context {context!r} is not in the kubeconfig (contexts: {names})")
            if not chosen:
                raise InputError("the kubeconfig has no current context", "pass --context NAME")
            namespace = (chosen.get("context") or {}).get("namespace") or "default"
            context = str(chosen.get("name"))
            load_kube_config(config_file=paths, context=context, client_configuration=cfg,  # type: ignore[no-untyped-call]
                             persist_config=False)
        elif _in_cluster(sa_dir):
            from kubernetes.config.incluster_config import InClusterConfigLoader

            loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
                os.path.join(sa_dir, "token"), os.path.join(sa_dir, "ca.crt"))
            loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
            try:
                with open(os.path.join(sa_dir, "namespace")) as fh:
                    namespace = fh.read().strip() or "default"
            except OSError:
                pass
        else:
            raise ApiUnreachable("no cluster configured: no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) "
                                 "and not running inside a cluster")
    except ConfigException as exc:
        raise SourceError(f"cannot use the kubeconfig: {_first_line(exc)}") from None
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot use the kubeconfig: {_first_line(exc)}") from None
    client = KubeClient(cfg, namespace=namespace, context=context,
                        policy=RetryPolicy(timeout=timeout))
    return client
