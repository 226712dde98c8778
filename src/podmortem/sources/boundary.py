"""The evidence boundary: every text a workload or a server controls is redacted and bounded here.

Issue 11: one redaction pass, before any rule or renderer sees the text. Container logs are
redacted as they are read (sources/logs.py, line by line, with PEM blocks followed across lines);
everything else that enters the evidence model passes `guard_pod` at the end of the two builders
(sources/objects.py `pod_evidence`, used by files, snapshots, the gate and the live source, and
sources/describe `parse_describe`): waiting and termination messages, the pod's message and
reason, event messages and their pasted rows, loose pasted lines, annotations, env values and
command lines. Typographic quotes are folded (as in log lines). Long lines are bounded the way log lines are (podmortem.logline.bounded), so no
pattern ever reads more than MAX_CHARS of one line.
"""

from __future__ import annotations

import functools
import re

from podmortem.logline import bounded, fold_quotes
from podmortem.model import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EnvVar,
    Event,
    PodEvidence,
)
from podmortem.model.evolve import evolve
from podmortem.redact import REDACTED, redact

MAX_MESSAGE_LINES = 400  # a termination message is 4 KiB in a real cluster; a hostile server sends more
# Env names whose values are credentials however they look (DB_PASSWORD=hunter2 has no shape to spot).
_SECRET_NAME = re.compile(r"(?i)pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth|\bpwd\b|_pwd$")


def guard_text(text: str | None) -> str | None:
    """A message redacted, each line bounded and the number of lines capped; None stays None."""
    if not text:
        return text
    if len(text) <= _MEMO_UP_TO:
        return _guard_short(text)
    return _guard(text)


# Short messages are remembered: pods of one owner carry the same kubelet messages (on diagnose -A of
# 1,000 failing pods, 5,300 event messages, 1,800 distinct). Only short ones, so the memo stays small.
_MEMO_UP_TO = 1024


@functools.lru_cache(maxsize=4096)
def _guard_short(text: str) -> str:
    return _guard(text)


def _guard(text: str) -> str:
    lines = text.split("\n")
    if len(lines) > MAX_MESSAGE_LINES:
        keep = MAX_MESSAGE_LINES // 4
        lines = [*lines[:keep], f"... [{len(lines) - MAX_MESSAGE_LINES} lines cut] ...",
                 *lines[-(MAX_MESSAGE_LINES - keep):]]
    if any(len(ln) > 4096 for ln in lines):
        lines = [bounded(ln) for ln in lines]
    # Quotes fold before redaction: the redactor tells `secret "name"` (an object's name) from a
    # credential value by its straight quotes, and a paste's curly ones would hide that.
    return redact(fold_quotes("\n".join(lines)))


def _state(state: ContainerState) -> ContainerState:
    w, t = state.waiting, state.terminated
    if w is not None and w.message and (message := guard_text(w.message)) != w.message:
        state = evolve(state, waiting=evolve(w, message=message))
    if t is not None and t.message and (message := guard_text(t.message)) != t.message:
        state = evolve(state, terminated=evolve(t, message=message))
    return state


# Each step returns its argument itself when nothing in it changes: most evidence has no free
# text to guard, and copying every frozen object of 10,000 pods costs more than parsing them.

def _status(st: ContainerStatus | None) -> ContainerStatus | None:
    if st is None:
        return None
    state, last = _state(st.state), _state(st.last_state)
    if state is st.state and last is st.last_state:
        return st
    return evolve(st, state=state, last_state=last)


def _env(var: EnvVar) -> EnvVar:
    if not var.value:
        return var
    if _SECRET_NAME.search(var.name):
        return evolve(var, value=REDACTED)
    value = guard_text(var.value)
    return var if value == var.value else evolve(var, value=value)


def _spec(spec: ContainerSpec | None) -> ContainerSpec | None:
    if spec is None:
        return None
    if not spec.env and not spec.command and not spec.args:
        return spec
    return evolve(spec, env=tuple(_env(v) for v in spec.env),
                   command=tuple(redact(bounded(a)) for a in spec.command),
                   args=tuple(redact(bounded(a)) for a in spec.args))


def _container(c: ContainerEvidence) -> ContainerEvidence:
    spec, status = _spec(c.spec), _status(c.status)
    if spec is c.spec and status is c.status:
        return c
    return evolve(c, spec=spec, status=status)


def guard_event(e: Event) -> Event:
    """An event with its message (and pasted row) redacted and bounded; the same event when nothing
    changes (most events: a copy of each cost a `diagnose -A` of 1,000 failing pods 7,000 copies)."""
    message, raw = guard_text(e.message) or "", guard_text(e.raw)
    if message == e.message and raw == e.raw:
        return e
    return evolve(e, message=message, raw=raw)



def guard_pod(pod: PodEvidence) -> PodEvidence:
    """The pod's evidence with every free text redacted and bounded (logs are guarded when read)."""
    message, reason = guard_text(pod.message), guard_text(pod.reason)
    annotations = {k: guard_text(v) or "" for k, v in pod.annotations.items()}
    containers = tuple(_container(c) for c in pod.containers)
    events = tuple(guard_event(e) for e in pod.events)
    loose_lines = tuple(guard_text(ln) or "" for ln in pod.loose_lines)
    if (message == pod.message and reason == pod.reason and annotations == pod.annotations
            and all(a is b for a, b in zip(containers, pod.containers, strict=True))
            and events == pod.events and loose_lines == pod.loose_lines):
        return pod  # nothing to redact or bound (most pods): no copy
    return evolve(pod, message=message, reason=reason, annotations=annotations, containers=containers,
                   events=events, loose_lines=loose_lines)
