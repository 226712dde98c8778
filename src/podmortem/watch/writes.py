"""The watcher's writes (Events, Leases): POST, PUT and PATCH with JSON bodies through the live client.

`KubeClient` is read-only by design (diagnose never writes); the watcher is the one part that
writes, so its few verbs live here, on the same configured `ApiClient` (same auth, TLS, proxies).
A write is not retried here: Events and Leases have their own retry loops (next renewal, next
report) and a 409 Conflict is an answer, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from podmortem.live.client import Call, KubeClient, status_message
from podmortem.live.deadline import Deadline

WRITE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    doc: dict[str, Any]
    message: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def send(client: KubeClient, method: str, path: str, body: Any, call: Call, *,
         content_type: str = "application/json", timeout: float = WRITE_TIMEOUT) -> Answer:
    """One request with a JSON body; the status and parsed answer. Network failures raise OSError."""
    import urllib3.exceptions as u3
    from kubernetes.client.exceptions import ApiException

    m, url, headers, payload, _ = client.api.param_serialize(
        method, path, header_params={"Accept": "application/json", "Content-Type": content_type}, body=body,
        auth_settings=["BearerToken"])
    try:
        resp = client.api.call_api(m, url, headers, payload, _request_timeout=(min(5.0, timeout), timeout))
    except (u3.HTTPError, ApiException) as exc:
        raise OSError(f"{call.describe()}: {type(exc).__name__}") from None
    raw = resp.response
    try:
        data = client.read_body(raw, Deadline.after(timeout, "the write timeout", client.clock), call)
    finally:
        raw.release_conn()
    status = int(resp.status)
    try:
        doc = orjson.loads(data) if data else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    return Answer(status, doc, "" if 200 <= status < 300 else status_message(data, f"HTTP {status}"))
