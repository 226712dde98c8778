"""API servers that misbehave on purpose, over real HTTP on 127.0.0.1, for the deadline tests.

Each serves one Deployment `web` normally (so `gate` gets past reading its target) and answers
everything else the hostile way its mode says:
- endless-continue: every list page carries the same continue token;
- fresh-continue:   every list page carries a new continue token, forever;
- trickle:          a 200 with a large Content-Length, then one byte a second;
- silent:           reads the request and never answers (also for the Deployment);
- endless-body:     a 200 without a length, then bytes as fast as the client takes them.
The server records when the first request arrived: the run is timed from there, so that the
test's bound does not depend on how fast Python starts on a loaded machine.
"""

from __future__ import annotations

import itertools
import json
import select
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("endless-continue", "fresh-continue", "trickle", "silent", "endless-body")

POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1", "creationTimestamp": "2026-01-15T10:00:00Z",
                    "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "app", "image": "registry.example/web:1"}]},
       "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                  "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0,
                                         "image": "registry.example/web:1", "state": {"running": {}}}]}}

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "shop", "generation": 1, "resourceVersion": "1"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "app", "image": "registry.example/web:1"}]}}},
              "status": {"observedGeneration": 1, "replicas": 1}}


class HostileServer:
    def __init__(self, mode: str) -> None:
        assert mode in MODES
        self.mode = mode
        self.first_request: float | None = None
        self.requests = 0
        self.stop = threading.Event()
        self._tokens = itertools.count()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # a short poll: shutdown() waits for serve_forever to look (0.5 s per test at the default)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()

    def kubeconfig(self, path: Path) -> Path:
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "h",
               "clusters": [{"name": "h", "cluster": {"server": self.url}}],
               "users": [{"name": "u", "user": {"token": "t"}}],
               "contexts": [{"name": "h", "context": {"cluster": "h", "user": "u", "namespace": "shop"}}]}
        path.write_text(json.dumps(cfg))
        return path

    # -- one connection ---

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        while not self.stop.is_set():
            line = reader.readline()
            if not line:
                return
            target = line.split()[1].decode() if len(line.split()) > 1 else "/"
            while reader.readline() not in (b"\r\n", b"\n", b""):
                pass  # headers: GET requests carry no body
            if self.first_request is None:
                self.first_request = time.monotonic()
            self.requests += 1
            try:
                if not self._answer(sock, target):
                    return
            except OSError:
                return  # the client hung up: that is how a well-behaved client ends these

    def _answer(self, sock: socket.socket, target: str) -> bool:
        """Answer one request; False when the connection is finished."""
        if self.mode == "silent":
            self._wait_for_hangup(sock)
            return False
        if target.startswith("/apis/apps/v1/namespaces/shop/deployments/web"):
            _send_json(sock, DEPLOYMENT)
            return True
        if self.mode in ("endless-continue", "fresh-continue"):
            if self.mode == "fresh-continue":
                time.sleep(0.02)  # a server paging forever, at a server's pace (not a CPU-bound spin)
            token = "same" if self.mode == "endless-continue" else f"page-{next(self._tokens)}"
            _send_json(sock, {"kind": "List", "apiVersion": "v1",
                              "metadata": {"resourceVersion": "5", "continue": token}, "items": [POD]})
            return True
        if self.mode == "trickle":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
            while not self.stop.wait(1.0):
                sock.sendall(b" ")
            return False
        # endless-body
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"items\":[")
        block = b" " * 65536
        while not self.stop.is_set():
            sock.sendall(block)
        return False

    def _wait_for_hangup(self, sock: socket.socket) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready and not sock.recv(65536):
                return


def _send_json(sock: socket.socket, doc: Any) -> None:
    body = json.dumps(doc).encode()
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)


# Runs the command, then prints when it ended (the system-wide monotonic clock, so the test can
# compare it with the server's) and its peak RSS (KiB) on the last line of stderr.
WRAPPER = ("import resource, subprocess, sys, time\n"
           "rc = subprocess.call(sys.argv[1:])\n"
           "ended = time.monotonic()\n"
           "sys.stderr.write(f'\\nmaxrss={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} ended={ended}\\n')\n"
           "sys.exit(rc)\n")


@dataclass
class Run:
    rc: int
    stdout: str
    error_lines: list[str]
    seconds: float  # from the server's first request to the end of the process
    maxrss_kb: int


def run(server: HostileServer, tmp_path: Path, *args: str) -> Run:
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "podmortem", *args, "--kubeconfig", str(kubeconfig)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=120)  # only a safety net: the assertions below are the test
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    assert server.first_request is not None, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    rss, ended = (part.split("=")[1] for part in lines.pop().split())
    return Run(proc.returncode, out, lines, float(ended) - server.first_request, int(rss))
