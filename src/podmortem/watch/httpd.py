"""The watcher's HTTP port: /metrics, /healthz, /readyz, a status page and each incident's HTML report.

`/` lists the open incidents (newest first) with a link to `/incidents/<id>`, the HTML report the
renderer made from the evidence of the incident's first diagnosed pod. Every value on the page is
HTML-escaped: pod, owner and namespace names come from the cluster. /healthz answers 200 while
the process runs its loops; /readyz answers 200 once the first pod list has been read (and 503
before, or after the watch has failed for longer than the tolerance).
"""

from __future__ import annotations

import html
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Protocol

from podmortem.watch.incidents import Incident

log = logging.getLogger(__name__)


class Status(Protocol):
    def healthy(self) -> bool: ...

    def ready(self) -> bool: ...

    def incidents(self) -> list[Incident]: ...

    def report(self, incident_id: str) -> str | None: ...

    def metrics_text(self) -> bytes: ...

    def is_leader(self) -> bool: ...


def status_page(incidents: list[Incident], leader: bool) -> str:
    rows = []
    for inc in sorted(incidents, key=lambda i: -i.opened_at):
        since = datetime.fromtimestamp(inc.opened_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        link = (f'<a href="incidents/{html.escape(inc.id)}">report</a>' if inc.report_html else "no report yet")
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
            inc.namespace, inc.owner_label, inc.cause, inc.state, len(inc.pods), len(inc.seen), since, inc.summary))
            + f"<td>{link}</td></tr>")
    body = ("<table><thead><tr><th>namespace</th><th>owner</th><th>cause</th><th>state</th><th>failing</th>"
            "<th>affected</th><th>since</th><th>summary</th><th></th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>") if rows else "<p>No open incidents.</p>"
    role = "leader" if leader else "standby (another replica reports)"
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>podmortem watch</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;"
            "text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>podmortem watch</h1><p>{len(incidents)} open incident{'s' if len(incidents) != 1 else ''}; "
            f"this replica: {html.escape(role)}</p>{body}</body></html>")


class _Handler(BaseHTTPRequestHandler):
    status: ClassVar[Status]
    server_version = "podmortem-watch"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if ctype.startswith("text/html"):
            # The reports are self-contained: no script, no remote resource needed.
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        st = self.status
        if path == "/metrics":
            self._send(200, st.metrics_text(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/healthz":
            ok = st.healthy()
            self._send(200 if ok else 503, b"ok\n" if ok else b"not healthy\n", "text/plain")
        elif path == "/readyz":
            ok = st.ready()
            self._send(200 if ok else 503, b"ok\n" if ok else b"not ready\n", "text/plain")
        elif path in ("/", "/index.html"):
            page = status_page(st.incidents(), st.is_leader())
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif path.startswith("/incidents/"):
            report = st.report(path[len("/incidents/"):])
            if report is None:
                self._send(404, b"no such open incident\n", "text/plain")
            else:
                self._send(200, report.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain")


class StatusServer:
    def __init__(self, address: tuple[str, int], status: Status) -> None:
        handler = type("Handler", (_Handler,), {"status": status})
        self.httpd = ThreadingHTTPServer(address, handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="watch-http",
                                       daemon=True)  # stop() waits up to one poll for the loop to notice

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
