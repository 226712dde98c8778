"""Shared ways for rules to read evidence and to cite it.

Rules never touch raw text layouts: they ask these helpers for the messages a pod carries
(waiting and terminated messages, events, the pod's own message, loose pasted lines) and for
log lines, and they build citations and kubectl commands through them so every finding quotes
and commands alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl, object_ref
from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.logline.fold import other_sentence_case
from podmortem.model import Citation, ContainerEvidence, Event, LogLine, PodEvidence, Termination
from podmortem.model.evidence import DESCRIBE, EVENTS, LOGS, STATUS
from podmortem.model.remedy import Arg, Command, Joined, Placeholder, Target, Value
from podmortem.model.suspect import (
    BENIGN_WAITING,
    container_named_in,
    failing_containers,
    main_suspect,
)
from podmortem.rules.memo import per_pod
from podmortem.rules.textindex import index_text, may_match


class Message(msgspec.Struct, frozen=True):
    """A line of text the cluster said about the pod, with where it came from."""

    source: str
    text: str
    container: str | None
    init: bool
    path: str | None = None
    event: Event | None = None


def status_source(pod: PodEvidence) -> str:
    """Citations of status fields say `describe` when the status was pasted as describe text."""
    return DESCRIBE if pod.origin == DESCRIBE else STATUS


def messages(pod: PodEvidence) -> Iterator[Message]:
    """Every message the cluster recorded about the pod, status first, then events, then loose text."""
    return iter(_messages(pod))


@per_pod
def _messages(pod: PodEvidence) -> tuple[Message, ...]:
    return tuple(_each_message(pod))


@per_pod
def said(pod: PodEvidence) -> str:
    """Every message of the pod lower-cased, one per line (rules.textindex.index_text)."""
    return index_text(m.text for m in _messages(pod))


def may_say(pod: PodEvidence, *patterns: re.Pattern[str]) -> bool:
    """False only when none of the patterns can match any message of the pod, as written or in its
    other sentence case (what `search_text` tries)."""
    return may_match(said(pod), *patterns)


def _each_message(pod: PodEvidence) -> Iterator[Message]:
    src = status_source(pod)
    for c in pod.containers:
        st = c.status
        if st is None:
            continue
        kind = "initContainerStatuses" if c.init else "containerStatuses"
        if st.state.waiting and st.state.waiting.message:
            yield Message(src, st.state.waiting.message, c.name, c.init,
                          f"status.{kind}[{c.name}].state.waiting.message")
        for which, state in (("state", st.state), ("lastState", st.last_state)):
            t = state.terminated
            if t is not None and t.message:
                yield Message(src, t.message, c.name, c.init, f"status.{kind}[{c.name}].{which}.terminated.message")
    if pod.message:
        yield Message(src, pod.message, None, False, "status.message")
    for e in pod.events:
        name = e.container
        init = e.about_init_container
        if name is None:
            named = container_named_in(pod, e.message)
            if named is not None:
                name, init = named.name, named.init
        elif (found := pod.container(name)) is not None:
            init = found.init
        yield Message(EVENTS, e.message, name, init, f"events[{e.reason}]", e)
    for line in pod.loose_lines:
        named = container_named_in(pod, line)
        yield Message(DESCRIBE, line, named.name if named else None, named.init if named else False, None)


def event_text(e: Event) -> str:
    """An event as a person would quote it from describe: type, reason, age/count, message."""
    if e.raw:
        return e.raw.strip()
    count = f" (x{e.count})" if e.count > 1 else ""
    return f"{e.type or ''} {e.reason or ''}{count}: {e.message}".strip()


def cite_message(m: Message) -> Citation:
    if m.event is not None:
        return Citation(EVENTS, event_text(m.event), m.path)
    return Citation(m.source, m.text.strip(), m.path)


# search_text's answers by (pattern, text). Rules search every message of every failing pod, and
# the pods of one owner carry the same kubelet messages: on 1,000 failing pods two searches in three
# were repeats. Bounded: emptied when full, so hostile input cannot grow it.
_SEARCHED: dict[tuple[re.Pattern[str], str], re.Match[str] | None] = {}
SEARCH_MEMO_SIZE = 8192


def search_text(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """pattern.search on the text, or on its other sentence case ("couldn't find key" / "Couldn't find key")."""
    key = (pattern, text)
    try:
        return _SEARCHED[key]
    except KeyError:
        pass
    m = pattern.search(text)
    if m is None and (other := other_sentence_case(text)) is not None:
        m = pattern.search(other)
    if len(_SEARCHED) >= SEARCH_MEMO_SIZE:
        _SEARCHED.clear()
    _SEARCHED[key] = m
    return m


def find_messages(pod: PodEvidence, pattern: re.Pattern[str]) -> list[tuple[Message, re.Match[str]]]:
    if not may_say(pod, pattern):
        return []
    found = []
    for m in messages(pod):
        hit = search_text(pattern, m.text)
        if hit:
            found.append((m, hit))
    return found


class LogMatch(msgspec.Struct, frozen=True):
    """A log line a pattern matched: `line` is the message text it matched, `raw` the line as printed."""

    container: ContainerEvidence
    line_no: int
    line: str
    match: re.Match[str]
    raw: str | None = None


def log_records(c: ContainerEvidence) -> Iterator[LogLine]:
    """The container's log as message records (podmortem.logline), the crashed instance's log first.

    Rules match `record.text`: envelopes (CRI, Docker json-file, kubectl/stern prefixes, timestamps,
    klog headers, JSON and logfmt loggers) are off, quotes folded, the line bounded. `record.level`
    holds a structured record's level; citations quote `record.raw`.
    """
    return c.log_records()


def find_log_lines(pod: PodEvidence, pattern: re.Pattern[str], limit: int = 5) -> list[LogMatch]:
    """Log lines matching a pattern, at most `limit` per container, crashed instance first."""
    found: list[LogMatch] = []
    for c in pod.containers:
        n = 0
        for rec in c.log_records():
            m = search_text(pattern, rec.text)
            if m:
                found.append(LogMatch(c, rec.number, rec.text, m, rec.raw))
                n += 1
                if n >= limit:
                    break
    return found


def quoted_original(text: str, raw: str | None, match: re.Match[str] | None, max_len: int = 300) -> str:
    """What a citation quotes: the original line (`raw`), cut to `max_len` around the matched part.

    The match is a position in the message text; in the original line the same words are found by
    their text (a JSON envelope escapes quotes, so the message text is the fallback).
    """
    quote = (raw if raw is not None else text).strip()
    hit = match.group(0).strip() if match is not None else ""
    if "\n" in quote:  # a record joined from partial pieces: the piece that holds the match
        pieces = quote.split("\n")
        quote = next((p for p in pieces if hit[:40] and hit[:40] in p), pieces[0]).strip()
    if len(quote) <= max_len:
        return quote
    at = quote.find(hit[:80]) if hit else -1
    if at < 0 and raw is not None and match is not None:
        return quoted_original(text, None, match, max_len)
    # keep the part around the match: that is the proof
    start = max(0, (at if at >= 0 else 0) - max_len // 3)
    return ("…" if start else "") + quote[start : start + max_len] + "…"


def cite_log(lm: LogMatch, max_len: int = 300) -> Citation:
    text = quoted_original(lm.line, lm.raw, lm.match, max_len)
    return Citation(LOGS, text, f"logs[{lm.container.name or 'container'}]:{lm.line_no}")


def termination_text(t: Termination, label: str = "Last State") -> str:
    parts = [f"{label}: Terminated"]
    if t.reason:
        parts.append(f"Reason: {t.reason}")
    if t.exit_code is not None:
        parts.append(f"Exit Code: {t.exit_code}")
    if t.signal:
        parts.append(f"Signal: {t.signal}")
    return ", ".join(parts)


def cite_termination(pod: PodEvidence, c: ContainerEvidence, t: Termination) -> Citation:
    st = c.status
    which = "state" if st is not None and st.state.terminated is t else "lastState"
    kind = "initContainerStatuses" if c.init else "containerStatuses"
    label = "State" if which == "state" else "Last State"
    return Citation(status_source(pod), termination_text(t, label),
                    f"status.{kind}[{c.name}].{which}.terminated")


def cite_waiting(pod: PodEvidence, c: ContainerEvidence) -> Citation | None:
    st = c.status
    if st is None or st.state.waiting is None or not st.state.waiting.reason:
        return None
    kind = "initContainerStatuses" if c.init else "containerStatuses"
    text = f"State: Waiting, Reason: {st.state.waiting.reason}"
    if st.restart_count:
        text += f" (Restart Count: {st.restart_count})"
    return Citation(status_source(pod), text, f"status.{kind}[{c.name}].state.waiting.reason")


def where(pod: PodEvidence, c: ContainerEvidence | None) -> tuple[str | None, bool]:
    """(container name or None, init flag) for a Hit."""
    if c is None:
        return None, False
    return (c.name or None), c.init


# Names the API server generates for controller-made pods: ReplicaSet pods `name-<hash>-<5>`,
# DaemonSet/Job pods `name-<5>`; the random part uses an alphabet without vowels or 0, 1, 3.
_GENERATED_NAME = lazy(r"-[bcdfghjklmnpqrstvwxz2456789]{5}$")


def is_bare_pod(pod: PodEvidence) -> bool:
    """True when the evidence shows the whole pod and no controller owns it (a pod created directly).

    Needs the pod's header (name, and a phase or node: describe prints `Controlled By` right
    there, objects carry ownerReferences in metadata), so a pasted fragment without an owner line
    is not taken for a bare pod; a generated name means a controller made it whatever the paste lacks.
    """
    return (pod.owner is None and bool(pod.name) and pod.has_spec and pod.origin != LOGS
            and (pod.phase is not None or pod.node is not None)
            and not _GENERATED_NAME.search(pod.name or ""))


# Where the cluster's own text names a pod's namespace: the scheduler's `Successfully assigned NS/POD
# to NODE` (kubernetes pkg/scheduler/schedule_one.go), the kubelet's pod format `POD_NS(UID)`
# (pkg/kubelet/util/format/pod.go) and structured `pod="NS/POD"` (klog.KObj) lines.
_NS_FORMS = (
    r"Successfully assigned (?P<ns>[a-z0-9][-a-z0-9]{{0,62}})/{pod}(?![-a-z0-9.])",
    r"(?<![-a-z0-9.]){pod}_(?P<ns>[a-z0-9][-a-z0-9]{{0,62}})\(",
    r"pod=\\?\"(?P<ns>[a-z0-9][-a-z0-9]{{0,62}})/{pod}\\?\"",
)
_ANY_POD = r"[a-z0-9][-a-z0-9.]{0,252}"


def namespace_of(pod: PodEvidence) -> str | None:
    """The pod's namespace from any evidence that names it; None when nothing does (never `default`
    by assumption: creating an object in the wrong namespace is a classic cause of the failure)."""
    if pod.namespace:
        return pod.namespace
    name = re.escape(pod.name) if pod.name else _ANY_POD
    texts = [e.message for e in pod.events] + [e.raw for e in pod.events if e.raw] + list(pod.loose_lines)
    for form in _NS_FORMS:
        pattern = re.compile(form.format(pod=name))
        for text in texts:
            m = pattern.search(text[:4096])
            if m:
                return m.group("ns")
    return None


def ns_text(pod: PodEvidence) -> str:
    """The namespace for prose: its name, or `its namespace` when the evidence does not say."""
    ns = namespace_of(pod)
    return f"namespace {ns}" if ns else "the pod's namespace"


def pod_name(pod: PodEvidence) -> str:
    return pod.name or "POD"


def pod_arg(pod: PodEvidence) -> Value:
    return pod.name if pod.name else Placeholder("POD")


def container_arg(name: str | None) -> Value:
    return name if name else Placeholder("CONTAINER")


def logs_command(pod: PodEvidence, container: str | None, previous: bool = True) -> Command:
    c: tuple[Arg, ...] = ("-c", container) if container else ()
    return kubectl("logs", pod_arg(pod), *c, *(("--previous",) if previous else ()), namespace=namespace_of(pod))


def describe_command(pod: PodEvidence) -> Command:
    return kubectl("describe", "pod", pod_arg(pod), namespace=namespace_of(pod))


def events_command(pod: PodEvidence, extra: str = "") -> Command:
    return kubectl("get", "events", "--field-selector",
                   Joined(("involvedObject.name=", pod_arg(pod), extra)), "--sort-by=.lastTimestamp",
                   namespace=namespace_of(pod))


def workload_target(pod: PodEvidence, container: str | None = None) -> Target:
    """The object whose spec makes this pod: its workload, or the Pod itself when nothing owns it."""
    kind, ns, name = _workload(pod)
    return Target(kind, ns, name, container)


@per_pod  # asked for every finding's remedy and most commands of a pod
def _workload(pod: PodEvidence) -> tuple[str | None, str | None, str | None]:
    ns = namespace_of(pod)
    if is_bare_pod(pod):
        return "Pod", ns, pod.name
    owner = pod.owner
    if owner and owner.kind == "ReplicaSet" and "-" in owner.name:
        return "Deployment", ns, owner.name.rsplit("-", 1)[0]
    if owner and owner.kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"):
        return owner.kind, ns, owner.name
    return None, ns, None


def workload_ref(pod: PodEvidence) -> Arg:
    """`deployment/NAME` (or `pod/NAME` for a bare pod) for kubectl commands that edit the template."""
    t = workload_target(pod)
    return object_ref(t.kind, t.name)


@per_pod  # a command is immutable: the findings of one pod can share it
def watch_command(pod: PodEvidence) -> Command:
    t = workload_target(pod)
    if t.kind in ("Deployment", "StatefulSet", "DaemonSet") and t.name:
        return kubectl("rollout", "status", object_ref(t.kind, t.name), "--timeout=5m", namespace=namespace_of(pod))
    return kubectl("get", "pod", pod_arg(pod), "-w", namespace=namespace_of(pod))


def debug_command(pod: PodEvidence, container: str | None) -> Command:
    """Start a copy of the pod whose container runs a shell instead, to look inside the image."""
    return kubectl("debug", pod_arg(pod), "-it", Joined(("--copy-to=", pod_arg(pod), "-debug")),
                   Joined(("--container=", container_arg(container))), "--", "sh", namespace=namespace_of(pod))


__all__ = [
    "BENIGN_WAITING", "DESCRIBE", "EVENTS", "LOGS", "STATUS", "LogMatch", "Message", "cite_log", "cite_message",
    "cite_termination", "cite_waiting", "container_arg", "container_named_in", "debug_command", "describe_command",
    "event_text", "events_command", "failing_containers", "find_log_lines", "find_messages", "is_bare_pod",
    "log_records", "logs_command", "main_suspect", "may_say", "messages", "namespace_of", "ns_text", "pod_arg", "pod_name",
    "quoted_original", "search_text", "status_source", "termination_text", "watch_command", "where", "workload_ref", "workload_target",
]
