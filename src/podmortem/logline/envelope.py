"""Envelopes that log pipelines put around a line the container printed, and how to take them off.

Formats, as the programs that write them define them:

- CRI log files (kubelet `pkg/kubelet/kuberuntime/logs/logs.go` parseCRILog, cri-api
  `pkg/apis/runtime/v1/constants.go` LogTagPartial/LogTagFull, containerd `pkg/cri/io/logger.go`,
  CRI-O `internal/oci/...` conmon): `<RFC3339Nano time> <stdout|stderr> <tags> <content>`, tags
  separated by ':' with `P` (partial: the content continues in the next record of the same stream,
  written when a line exceeds the runtime's buffer, 16 KiB in containerd) and `F` (full, or the last
  piece of a partial run).
- Docker json-file (moby `daemon/logger/jsonfilelog/jsonlog/jsonlog.go` JSONLog):
  `{"log":"<content>\\n","stream":"stdout|stderr","time":"<RFC3339Nano>"}`, optional "attrs"; a record
  whose log does not end in a newline is a partial line (moby splits lines at 16 KiB) continued by
  the next record.
- `kubectl logs --timestamps`: the kubelet's RFC3339Nano time and one space before each line.
- `kubectl logs --prefix` (kubectl `pkg/cmd/logs/logs.go`, 1.21+): `[pod/NAME/CONTAINER] `; stern's
  default template (stern `stern/template.go`, `{{.PodName}} {{.ContainerName}} {{.Message}}`) and
  older kubectl/stern bracketed forms `[NAME CONTAINER] `.
- Leading timestamps that apps write themselves: ISO 8601/RFC 3339 with `T` or a space, `,` or `.`
  fractions and a zone (Python logging's asctime, logback, log4j, Serilog's console template),
  Go's log package `2009/01/23 01:23:23.123123`, syslog `Jan _2 15:04:05`, each optionally in
  brackets.

Only one separator after a prefix is removed, so the indentation of stack frames survives.
"""

from __future__ import annotations

import json
import re

from podmortem.kube.typedjson import msgspec

# CRI: time, stream, tags, then exactly one space and the content (which may be empty).
_CRI = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([A-Z](?::[A-Z])*)(?: |$)")
# kubectl --timestamps: the same RFC3339Nano form, one space, the line.
_KUBECTL_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) ")
# `kubectl logs --prefix`: `[pod/NAME/CONTAINER] ` (names are DNS subdomains / labels).
_KUBECTL_PREFIX = re.compile(r"\[(?:pod|pods)/[a-z0-9][-a-z0-9.]{0,252}/[a-z0-9][-a-z0-9]{0,62}\] ?")
# stern / older kubectl: `[NAME CONTAINER] ` or `NAME CONTAINER ` (decided per file, see strip_pod_prefixes).
_BRACKET_PAIR = re.compile(r"^\[([a-z0-9][-a-z0-9.]{0,252}) ([a-z0-9][-a-z0-9]{0,62})\] ?")
_BARE_PAIR = re.compile(r"^([a-z0-9][-a-z0-9.]{0,252}) ([a-z0-9][-a-z0-9]{0,62})(?: |$)")
# Pod names a controller generates end in `-<5>` from the API server's alphabet (no vowels, no 0 1 3).
_GENERATED_POD = re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}$")
# StatefulSet pods are `name-<ordinal>`.
_ORDINAL_POD = re.compile(r"[a-z]-\d{1,5}$")
# Timestamps apps print at the start of a record (see the module docstring), then one separator.
_APP_TS = re.compile(
    r"\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?: ?(?:Z|UTC|[+-]\d\d:?\d\d))?"
    r"|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)\]?"
    r"(?:[ \t]\|?[ \t]?|[ \t]-[ \t]|$)"
)


class Piece(msgspec.Struct, frozen=True):
    """A line with its runtime envelope taken off: the content, its stream, and whether it continues."""

    content: str
    stream: str | None = None
    partial: bool = False


def runtime_envelope(line: str) -> Piece | None:
    """The content of a CRI or Docker json-file record; None for a line in neither format."""
    head = line[:1]
    if head == "{" and line.startswith('{"') and '"log":' in line[:4096]:
        return _docker(line)
    if head.isdigit():
        m = _CRI.match(line)
        if m:
            tags = m.group(3).split(":")
            return Piece(line[m.end():], m.group(2), "P" in tags)
    return None


def _docker(line: str) -> Piece | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("log"), str):
        return None
    if not ({"stream", "time"} & record.keys()):
        return None
    content: str = record["log"]
    partial = not content.endswith("\n")
    if content.endswith("\n"):
        content = content[:-1]
    if content.endswith("\r"):
        content = content[:-1]
    stream = record.get("stream")
    return Piece(content, stream if isinstance(stream, str) else None, partial)


def strip_timestamps(line: str) -> str:
    """The line without a `kubectl logs --timestamps` time and an app's own leading timestamp."""
    if line[:1].isdigit():
        m = _KUBECTL_TS.match(line)
        if m:
            line = line[m.end():]
    if line[:1].isdigit() or line[:1] in "[JFMASOND":
        m = _APP_TS.match(line)
        if m:
            line = line[m.end():]
    return line


def _pair(line: str) -> tuple[str, str, int] | None:
    m = _BRACKET_PAIR.match(line)
    if m is None:
        m = _BARE_PAIR.match(line)
        # Bare words need a pod-shaped first word: a retry loop repeating "error connecting ..." is not a prefix.
        if m is None or not (_GENERATED_POD.search(m.group(1)) or _ORDINAL_POD.search(m.group(1))):
            return None
    return (m.group(1), m.group(2), m.end())


def pod_prefixes(lines: list[str], sample: int = 50) -> frozenset[tuple[str, str]]:
    """The (pod, container) pairs that prefix this log's lines, as stern or `kubectl --prefix` print them.

    A bare `pod container ` prefix cannot be told from two ordinary words, so its first word must
    be shaped like a controller's pod name (`-<5 generated>` or a StatefulSet ordinal); a pair counts
    when it starts most sampled lines (at least two), or when its pod name is a generated one.
    """
    counts: dict[tuple[str, str], int] = {}
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        seen += 1
        p = _pair(line)
        if p is not None:
            counts[(p[0], p[1])] = counts.get((p[0], p[1]), 0) + 1
        if seen >= sample:
            break
    return frozenset(k for k, n in counts.items()
                     if (n >= 2 and n * 10 >= seen * 6) or ("-" in k[0] and _GENERATED_POD.search(k[0])))


def strip_pod_prefix(line: str, pairs: frozenset[tuple[str, str]]) -> str:
    """The line without a `kubectl logs --prefix` prefix, or a stern prefix of a pair in `pairs`."""
    if line[:1] == "[":
        m = _KUBECTL_PREFIX.match(line)
        if m:
            return line[m.end():]
    if pairs:
        p = _pair(line)
        if p is not None and (p[0], p[1]) in pairs:
            return line[p[2]:]
    return line
