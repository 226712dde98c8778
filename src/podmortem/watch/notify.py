"""Notifications: Slack-compatible incoming webhooks, Microsoft Teams, and a generic JSON webhook.

Each receiver's URL is read from a file (a key of a mounted Secret: `--webhook-file slack=/etc/...`)
and lives only in its `Receiver`: logs, metrics and errors name the receiver by kind and index
(`slack#1`), never by URL, because an incoming-webhook URL is a credential (anyone holding it can
post). Delivery runs on one thread per receiver, in order, with retries and capped exponential
back-off on network errors, 429 (Retry-After) and 5xx, and a per-receiver rate limit (a minimum
interval between two posts). A 4xx other than 429 is not retried: the same body would fail again.

Payloads:
- slack: `{"text": ...}` (Slack's incoming webhook format, which Mattermost, Rocket.Chat and
  Discord's /slack endpoint accept too);
- teams: a message with one Adaptive Card attachment (what Teams Workflows webhooks accept);
- json: `{"event": "opened"|"reminder"|"resolved", "incident": {...}, "diagnosis": {...}}`, where
  `diagnosis` is the pod's entry of the `podmortem diagnose -o json` contract (docs/json.md).
"""

from __future__ import annotations

import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from podmortem.errors import InputError
from podmortem.watch.incidents import Incident

log = logging.getLogger(__name__)

KINDS = ("slack", "teams", "json")
ATTEMPTS = 6
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
DEFAULT_MIN_INTERVAL = 1.0  # seconds between two posts to one receiver (Slack allows about 1 per second)
POST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Receiver:
    kind: str
    name: str  # slack#1: what logs and metrics show
    url: str = field(repr=False)


def read_receivers(specs: tuple[str, ...]) -> list[Receiver]:
    """`KIND=PATH` (repeatable): the URL is the file's content. Errors never quote the content."""
    out: list[Receiver] = []
    counts: dict[str, int] = {}
    for spec in specs:
        kind, sep, path = spec.partition("=")
        if not sep or kind not in KINDS or not path:
            raise InputError(f"--webhook-file {spec.split('=')[0]!r}...: expected KIND=PATH with KIND one of "
                             f"{', '.join(KINDS)}")
        try:
            url = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--webhook-file {kind}={path}: cannot read it ({type(exc).__name__})") from None
        if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
            raise InputError(f"--webhook-file {kind}={path}: the file does not hold one http(s) URL")
        counts[kind] = counts.get(kind, 0) + 1
        out.append(Receiver(kind, f"{kind}#{counts[kind]}", url))
    return out


def receivers_in(folder: str) -> list[str]:
    """`KIND=PATH` specs for a mounted Secret's folder: each file named KIND or KIND-NAME is one receiver.

    A folder that does not exist means no receivers (the Deployment mounts the Secret as optional);
    files of other names (the `..data` links a Secret volume holds) are ignored.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    specs = []
    for f in sorted(root.iterdir()):
        kind = f.name.split("-", 1)[0]
        if kind in KINDS and not f.name.startswith(".") and f.is_file():
            specs.append(f"{kind}={f}")
    return specs


def _headline(event: str, inc: Incident) -> str:
    n = len(inc.seen)
    pods = f"{n} pod{'s' if n != 1 else ''}"
    if event == "resolved":
        return f"Resolved: {inc.owner_label} in {inc.namespace} ({inc.cause}, {pods} were affected)"
    prefix = "Still failing" if event == "reminder" else "Crash loop"
    return f"{prefix}: {inc.owner_label} in {inc.namespace}: {inc.cause} ({pods})"


def payload(kind: str, event: str, inc: Incident, report_url: str | None = None) -> dict[str, Any]:
    head = _headline(event, inc)
    lines = [head]
    if event != "resolved":
        lines += [inc.summary, f"Fix: {inc.fix}" if inc.fix else ""]
    if report_url:
        lines.append(f"Report: {report_url}")
    text = "\n".join(x for x in lines if x)
    if kind == "slack":
        return {"text": text}
    if kind == "teams":
        body = [{"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": True}]
        body += [{"type": "TextBlock", "text": x, "wrap": True} for x in lines[1:] if x]
        return {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": body}}]}
    return {"event": event, "incident": inc.as_dict() | {"report_url": report_url}, "diagnosis": inc.diagnosis}


def post(url: str, body: bytes, timeout: float = POST_TIMEOUT) -> tuple[int, float | None]:
    """(status, Retry-After seconds) of one POST; network failures raise OSError without the URL."""
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json",
                                                                         "User-Agent": "podmortem-watch"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # http(s) checked when read
            resp.read(65536)
            return int(resp.status), None
    except urllib.error.HTTPError as exc:
        retry = exc.headers.get("Retry-After") if exc.headers else None
        try:
            wait = float(retry) if retry else None
        except ValueError:
            wait = None
        return int(exc.code), wait
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # URLError's text can hold the host; only the exception's type leaves this function.
        raise OSError(type(exc).__name__) from None


@dataclass
class Delivery:
    receiver: Receiver
    event: str
    body: bytes


class Notifier:
    """Queues per receiver; `outcome(receiver_name, result)` reports delivered|failed|retried."""

    def __init__(self, receivers: list[Receiver], *, sleep: Callable[[float], bool] | None = None,
                 clock: Callable[[], float] | None = None, min_interval: float = DEFAULT_MIN_INTERVAL,
                 poster: Callable[[str, bytes], tuple[int, float | None]] = post,
                 outcome: Callable[[str, str], None] = lambda name, result: None,
                 report_url: Callable[[Incident], str | None] = lambda inc: None) -> None:
        import time

        self.receivers = receivers
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.clock = clock or time.monotonic
        self.min_interval = min_interval
        self.poster = poster
        self.outcome = outcome
        self.report_url = report_url
        self.queues: dict[str, queue.Queue[Delivery | None]] = {r.name: queue.Queue() for r in receivers}
        self.threads: list[threading.Thread] = []
        self.delivered = 0

    def start(self) -> None:
        for r in self.receivers:
            t = threading.Thread(target=self._run, args=(r,), name=f"notify-{r.name}", daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stopping.set()
        for q in self.queues.values():
            q.put(None)

    def send(self, event: str, inc: Incident) -> None:
        url = self.report_url(inc)
        for r in self.receivers:
            self.queues[r.name].put(Delivery(r, event, orjson.dumps(payload(r.kind, event, inc, url))))

    def pending(self) -> int:
        return sum(q.qsize() for q in self.queues.values())

    def _run(self, receiver: Receiver) -> None:
        q = self.queues[receiver.name]
        last = -1e18
        while True:
            item = q.get()
            if item is None or self.stopping.is_set():
                return
            wait = self.min_interval - (self.clock() - last)
            if wait > 0 and self.sleep(wait):
                return
            self.deliver(item)
            last = self.clock()

    def deliver(self, item: Delivery) -> bool:
        name = item.receiver.name
        for attempt in range(1, ATTEMPTS + 1):
            try:
                status, retry_after = self.poster(item.receiver.url, item.body)
            except OSError as exc:
                status, retry_after = 0, None
                log.warning("notification %s to %s failed (%s), attempt %d", item.event, name, exc, attempt)
            if 200 <= status < 300:
                self.delivered += 1
                self.outcome(name, "delivered")
                log.info("notification %s delivered to %s", item.event, name)
                return True
            if status and status != 429 and status < 500:
                self.outcome(name, "failed")
                log.error("notification %s to %s refused: HTTP %d; not retried", item.event, name, status)
                return False
            if attempt == ATTEMPTS:
                break
            self.outcome(name, "retried")
            delay = retry_after if retry_after is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            if status:
                log.warning("notification %s to %s: HTTP %d, retrying in %.1fs", item.event, name, status, delay)
            if self.sleep(min(delay, BACKOFF_CAP)):
                return False
        self.outcome(name, "failed")
        log.error("notification %s to %s failed after %d attempts", item.event, name, ATTEMPTS)
        return False
