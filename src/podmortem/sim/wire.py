"""The simulator's HTTP messages without a socket: `Request`, `Response`, `StreamDropped`.

api.py answers a `Request` with a `Response`; server.py puts them on the wire. A `Response` either
has its whole body or a chunked `stream` (watch, `logs -f`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from podmortem.sim.cluster import ApiError


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request: the method, the request target (path and query) and the headers (any case)."""

    method: str
    target: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for k, v in self.headers.items():
            if k.lower() == wanted:
                return v
        return None


@dataclass(slots=True)
class Response:
    """The answer: a whole body, or a chunked `stream` (watch, `logs -f`) read until it ends."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None

    def json(self) -> Any:
        return orjson.loads(self.body)

    def read(self) -> bytes:
        """The whole body, a stream read to its end (for in-process callers)."""
        if self.stream is None:
            return self.body
        return self.body + b"".join(self.stream)


class StreamDropped(Exception):
    """The stream ends by cutting the connection, as a load balancer or a restarted apiserver would."""


def json_response(code: int, obj: Any, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> Response:
    return Response(code, orjson.dumps(obj), content_type, dict(headers or {}))


def error_response(err: ApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(err.code, err.status(), headers=headers)
