"""The socket side of the simulated API server: HTTP/1.1 on 127.0.0.1 in front of api.handle().

This adapter only reads a request off the wire (the body bounded by guard.MAX_BODY_BYTES, chunked
or not), calls the pure `api.handle(cluster, Request)` and writes the `Response` back: a whole
body, or a chunked stream for watches and `logs -f` (a `StreamDropped` cuts the connection, as a
restarted apiserver would). Routing, verbs, faults and every answer live in api.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from podmortem.sim import guard
from podmortem.sim.api import handle
from podmortem.sim.cluster import ApiError, SimCluster
from podmortem.sim.wire import Request, Response, StreamDropped, error_response

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


def serve(cluster: SimCluster, port: int = 0,
          respond: Callable[[Request], Response] | None = None) -> SimHTTPServer:
    """An HTTP server for `cluster`; `respond` (default: api.handle on it) may wrap handle, to inject faults."""
    def answer(request: Request) -> Response:
        return handle(cluster, request)

    handler = type("BoundHandler", (Handler,), {"responder": (respond or answer,)})
    return SimHTTPServer(("127.0.0.1", port), handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as kube-apiserver has it (Go's net.TCPConn: "The default is true (no delay)"). The
    # headers and the body are two writes; with Nagle's algorithm the body waited for the ACK of the
    # headers, which a kept-alive client delays by up to 40 ms: 45 ms for every small answer on a
    # reused connection (measured: 0.7 ms with it), while a new connection per request did not wait.
    disable_nagle_algorithm = True
    server_version = "podmortem-sim/1"
    responder: ClassVar[tuple[Callable[[Request], Response]]]  # in a tuple: not bound as a method

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("PODMORTEM_SIM_LOG"):
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        # Read the whole body first: an error answered early must not leave it in a kept-alive connection.
        try:
            try:
                body = self._read_body()
            except ApiError as err:
                self._write(error_response(err))
                return
            self._write(self.responder[0](Request(method, self.path, dict(self.headers.items()), body)))
        except StreamDropped:  # dropped before any answer: close without a status line
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Audit-Id", os.urandom(8).hex())
        else:
            self.send_header("Transfer-Encoding", "chunked")
        for k, v in response.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if response.stream is None:
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        stream = response.stream
        try:
            if response.body:
                self._chunk(response.body)
            for data in stream:
                self._chunk(data)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except StreamDropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

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
