"""What a container printed: its log lines and the text the runtime kept as its termination message.

Log-pattern rules must look at both. `terminationMessagePolicy: FallbackToLogsOnError` copies
the log tail into `lastState.terminated.message`, and describe-only input often has nothing
else; pasted text that no parser understood may hold log lines too. Kubelet event rows among
that loose text are left out: they are the kubelet talking, not the container.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from podmortem import logline
from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.model import Citation, ContainerEvidence, LogText, PodEvidence
from podmortem.model.evidence import DESCRIBE
from podmortem.rules.evidence import (
    LogMatch,
    cite_log,
    main_suspect,
    quoted_original,
    search_text,
    status_source,
)
from podmortem.rules.facts import has_printed
from podmortem.rules.memo import per_pod
from podmortem.rules.textindex import index_text, may_match

# A pasted events-table row or kubelet line: the cluster's words, not the container's output.
_EVENT_ROW = lazy(r"^\s*(?:Warning|Normal)\s+\S+|\bkubelet\b")
# How close to the end of a log a line must be to count as what the process died of.
NEAR_END_LINES = 40


class OutputMatch(msgspec.Struct, frozen=True):
    container: ContainerEvidence | None
    line: str
    match: re.Match[str]
    citation: Citation
    lines_after: int | None = None  # lines the log goes on for after this one; None when not from a log

    @property
    def name(self) -> str | None:
        return (self.container.name or None) if self.container is not None else None

    @property
    def init(self) -> bool:
        return self.container.init if self.container is not None else False

    @property
    def near_end(self) -> bool:
        """The line is among the last ones the process printed (or its position is unknown).

        A fatal error is nearly always close to where the log stops; the same words long before
        the end were something the process shrugged off.
        """
        return self.lines_after is None or self.lines_after <= NEAR_END_LINES


def _termination_lines(pod: PodEvidence, c: ContainerEvidence) -> tuple[tuple[str, str, str], ...]:
    """(message text, line as printed, status path) of the termination messages' lines."""
    found = _termination_lines_by_container(pod).get(id(c))
    return found if found is not None else tuple(_each_termination_line(pod, c))


@per_pod
def _termination_lines_by_container(pod: PodEvidence) -> dict[int, tuple[tuple[str, str, str], ...]]:
    # Keyed by identity: the cached pod keeps its containers alive, so an id is never reused meanwhile.
    return {id(c): tuple(_each_termination_line(pod, c)) for c in pod.containers}


def _each_termination_line(pod: PodEvidence, c: ContainerEvidence) -> Iterator[tuple[str, str, str]]:
    st = c.status
    if st is None:
        return
    kind = "initContainerStatuses" if c.init else "containerStatuses"
    for which, state in (("state", st.state), ("lastState", st.last_state)):
        t = state.terminated
        if t is None or not t.message:
            continue
        for line in t.message.splitlines():
            if line.strip():
                yield logline.message_text(line), line, f"status.{kind}[{c.name}].{which}.terminated.message"


@per_pod
def printed_text(pod: PodEvidence) -> str:
    """Every line `find_output` may search, lower-cased, one per line (rules.textindex.index_text)."""
    parts = [_log_text(log) for c in pod.containers for log in c.logs]
    parts.append(index_text(line for c in pod.containers for line, _raw, _path in _termination_lines(pod, c)))
    parts.append(index_text(logline.message_text(raw) for raw in pod.loose_lines))
    return "\n".join(parts)


# A log's index text by identity: the live source hands one sampled log to every pod it stands for.
_LOG_TEXT: dict[int, tuple[LogText, str]] = {}
_LOG_TEXT_SIZE = 256


def _log_text(log: LogText) -> str:
    entry = _LOG_TEXT.get(id(log))
    if entry is not None and entry[0] is log:
        return entry[1]
    text = index_text(log.lines)
    if len(_LOG_TEXT) >= _LOG_TEXT_SIZE:
        _LOG_TEXT.clear()
    _LOG_TEXT[id(log)] = (log, text)  # the entry keeps the log alive, so its id is not reused meanwhile
    return text


def may_print(pod: PodEvidence, *patterns: re.Pattern[str]) -> bool:
    """False only when none of the patterns can match any line `find_output` searches."""
    return may_match(printed_text(pod), *patterns)


def _top_level_lines_after(lines: tuple[str, ...]) -> list[int]:
    """For each line, how many non-blank, non-indented lines follow it: stack frames and blank lines
    (indented continuations of one error) do not count as the process carrying on."""
    counts = [0] * len(lines)
    running = 0
    for i in range(len(lines) - 1, -1, -1):
        counts[i] = running
        line = lines[i]
        if line.strip() and not line[:1].isspace():
            running += 1
    return counts


def _sentence_search(pattern: re.Pattern[str]) -> Callable[[str], re.Match[str] | None]:
    def search(line: str) -> re.Match[str] | None:
        return search_text(pattern, line)
    return search


def find_output(
    pod: PodEvidence,
    pattern: re.Pattern[str],
    limit: int = 5,
    keep: Callable[[re.Match[str]], bool] | None = None,
) -> list[OutputMatch]:
    """Lines a container printed that match, at most `limit` per container, logs before messages.
    Long logs stay cheap to scan: a pattern's own needles (podmortem.lazyre) skip the lines without
    them, and the pod's text index (`may_print`) skips the whole search when no line has them."""
    if not has_printed(pod):
        return []  # most failing pods of a cluster list: no log, no message, nothing pasted
    if not may_print(pod, pattern):
        return []
    search = _sentence_search(pattern)
    found: list[OutputMatch] = []
    for c in pod.containers:
        n = 0
        seen: set[str] = set()
        for log in sorted(c.logs, key=lambda lg: not lg.previous):
            if n >= limit:
                break
            after: list[int] | None = None
            for i, line in enumerate(log.lines):
                m = search(line)
                if m and (keep is None or keep(m)):
                    seen.add(line.strip())
                    rec = log.record(i)
                    if after is None:
                        after = _top_level_lines_after(log.lines)
                    found.append(OutputMatch(c, line, m, cite_log(LogMatch(c, rec.number, line, m, rec.raw)), after[i]))
                    n += 1
                    if n >= limit:
                        break
        for line, raw, path in _termination_lines(pod, c):
            if n >= limit:
                break
            m = search(line)
            if m and line.strip() not in seen and (keep is None or keep(m)):
                found.append(OutputMatch(c, line, m, Citation(status_source(pod), quoted_original(line, raw, m), path)))
                n += 1
    suspect = None
    n = 0
    for raw in pod.loose_lines:
        if n >= limit or _EVENT_ROW.search(raw):
            continue
        line = logline.message_text(raw)
        m = search(line)
        if m and (keep is None or keep(m)):
            suspect = suspect or main_suspect(pod)
            found.append(OutputMatch(suspect, line, m, Citation(DESCRIBE, quoted_original(line, raw, m), None)))
            n += 1
    return found


# Confidence taken off a log finding whose line is far from where the log stops. Such a finding
# also drops to strength 1, so the engine never makes it the root of a failure the log ends with.
EARLY_PENALTY = 0.3


def by_container(matches: list[OutputMatch]) -> dict[str | None, list[OutputMatch]]:
    """Matches grouped by container, each group ordered closest to the end of the log first."""
    grouped: dict[str | None, list[OutputMatch]] = {}
    for om in matches:
        grouped.setdefault(om.name, []).append(om)
    for group in grouped.values():
        group.sort(key=lambda om: om.lines_after or 0)
    return grouped


def placed(om: OutputMatch, confidence: float, strength: int = 2) -> tuple[float, int]:
    """(confidence, strength) of a log finding, lowered when its line is long before the end of the log."""
    if om.near_end:
        return confidence, strength
    return confidence - EARLY_PENALTY, 1


def any_output(pod: PodEvidence, pattern: re.Pattern[str]) -> bool:
    return bool(find_output(pod, pattern, limit=1))


__all__ = ["EARLY_PENALTY", "NEAR_END_LINES", "OutputMatch", "any_output", "by_container", "find_output",
           "may_print", "placed", "printed_text"]
