"""Container logs: read bounded, decoded, redacted, and attached to the right container.

A crash log can be huge (a 50 MB log is valid input). The cause is nearly always near the end
(the last lines before exit) and sometimes at the start (a bad flag), so we keep the first
HEAD_LINES and the last TAIL_LINES lines and say that the middle was cut.
"""

from __future__ import annotations

import os
import re

from podmortem.errors import BinaryInput, EmptyInput
from podmortem.logline import clean, normalise_lines
from podmortem.model import ContainerEvidence, LogText, PodEvidence
from podmortem.model.evidence import LOGS
from podmortem.model.evolve import evolve
from podmortem.redact import redact, redact_lines

HEAD_LINES = 200
TAIL_LINES = 5000
TAIL_BYTES = 4 * 1024 * 1024  # read at most this much from the end of a large file
HEAD_BYTES = 256 * 1024

# `kubectl logs --prefix` writes "[pod/NAME/CONTAINER] "; stern and older kubectl "[NAME CONTAINER] ".
# A container name is a DNS label (no dots), which keeps an app's own "[conf/app.conf]" out.
_PREFIX = re.compile(r"^\[(?:pod/([a-z0-9][-a-z0-9.]*)/|([a-z0-9][-a-z0-9.]*) )([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\]\s?")


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    if not sample:
        return False
    text_bytes = sum(1 for b in sample if b >= 32 or b in (9, 10, 13, 27, 12, 8))
    return text_bytes / len(sample) < 0.85


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def log_text_from_lines(lines: list[str], origin: str | None, previous: bool = True, cut: bool = False) -> LogText:
    """The evidence of one log: lines redacted, then normalised to message text (podmortem.logline)."""
    if len(lines) > HEAD_LINES + TAIL_LINES:
        lines = [*lines[:HEAD_LINES], f"... [{len(lines) - HEAD_LINES - TAIL_LINES} lines cut] ...",
                 *lines[-TAIL_LINES:]]
        cut = True
    records = normalise_lines([clean(ln) for ln in lines], scrub=redact_lines)
    # Unwrapping JSON can reveal what its escapes hid from the redactor: message text is redacted too.
    records = [r if r.text in r.raw else evolve(r, text=redact(r.text)) for r in records]
    return LogText(tuple(r.text for r in records), previous=previous, truncated=cut, origin=origin,
                   records=tuple(records))


def log_text(text: str, origin: str | None = None, previous: bool = True) -> LogText:
    return log_text_from_lines(text.splitlines(), origin, previous)


def read_log_file(path: str, previous: bool = True, *, allow_empty: bool = False) -> LogText:
    """Read a log file bounded in memory: head and tail of a large file, never the whole of it."""
    size = os.path.getsize(path) if path != "-" else 0
    with open(path, "rb") as fh:
        if size > HEAD_BYTES + TAIL_BYTES:
            head = fh.read(HEAD_BYTES)
            fh.seek(size - TAIL_BYTES)
            tail = fh.read()
            if looks_binary(head) or looks_binary(tail[:8192]):
                raise BinaryInput(f"{path}: binary data, not a container log")
            head_lines = decode(head).splitlines()[:-1][:HEAD_LINES]
            tail_lines = decode(tail).splitlines()[1:]
            text = log_text_from_lines([*head_lines, "... [middle of a large log cut] ...",
                                        *tail_lines[-TAIL_LINES:]], path, previous, cut=True)
            return text
        data = fh.read()
    if not data.strip():
        if allow_empty:
            return LogText((), previous=previous, origin=path)
        raise EmptyInput(f"{path}: the log is empty")
    if looks_binary(data):
        raise BinaryInput(f"{path}: binary data, not a container log")
    return log_text(decode(data), path, previous)


def prefixed_container(log: LogText) -> str | None:
    """The container named by `kubectl logs --prefix` style prefixes, when every prefixed line agrees."""
    names = set()
    for k in range(min(50, len(log.lines))):
        m = _PREFIX.match(log.record(k).raw)
        if m:
            names.add(m.group(3))
    return names.pop() if len(names) == 1 else None


def attach_logs(pod: PodEvidence, logs: list[LogText], container: str | None = None) -> PodEvidence:
    """Give the logs to the named container, else to the container that is failing, else the only one."""
    if not logs:
        return pod
    target = container or next((n for n in (prefixed_container(lg) for lg in logs) if n), None)
    if target is None or pod.container(target) is None:
        from podmortem.model.suspect import main_suspect  # the same choice the rules make

        suspect = main_suspect(pod)
        target = suspect.name if suspect is not None else target
    containers = list(pod.containers)
    for i, c in enumerate(containers):
        if c.name == target:
            containers[i] = evolve(c, logs=c.logs + tuple(logs))
            break
    else:
        containers.append(ContainerEvidence(target or "", False, None, None, tuple(logs)))
    return evolve(pod, containers=tuple(containers))


def logs_only_pod(logs: list[LogText], container: str | None = None) -> PodEvidence:
    """Evidence for a diagnosis that rests on a crashing container's log alone."""
    name = container or next((n for n in (prefixed_container(lg) for lg in logs) if n), None) or ""
    return PodEvidence(origin=LOGS, containers=(ContainerEvidence(name, False, None, None, tuple(logs)),))
