"""The one pass over a container's log that every log-reading app rule shares.

Every line of the crashed instance's log (or, without it, of the termination message) is matched
against the tables of rules/patterns.py once; Python tracebacks, pydantic settings errors and
Node/Java traces are read in context; and each finding (a candidate) gets a confidence that falls
for lines the app shrugged off (warnings, retries) and for lines long before the log ends. The
result is cached per container, so the app rules in rules/app.py and its app_* modules each
read their own cause from the same analysis.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from podmortem import logline
from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.model import ContainerEvidence, LogText
from podmortem.model.evolve import evolve
from podmortem.remedy_math import ports_in
from podmortem.rules import patterns as pt


class _Line(msgspec.Struct, frozen=True):
    text: str  # message text (podmortem.logline): what the patterns match
    line_no: int  # 1-based within its log (or termination message)
    segment: int  # which log or message the line belongs to
    origin: str | None = None  # status path when the line comes from a termination message
    raw: str | None = None  # the line as printed, for citations
    level: str | None = None  # a structured record's level (JSON, logfmt, klog)
    continued: bool = False  # a further line of the record above


class Candidate(msgspec.Struct, frozen=True):
    cause: str
    detail: str
    confidence: float
    index: int
    line: _Line
    match: re.Match[str]
    subject: str | None = None
    soft: bool = False  # a warning or retry: the app meant to carry on
    strength: int = 2


class Analysis(msgspec.Struct, frozen=True):
    lines: tuple[_Line, ...]
    candidates: tuple[Candidate, ...]

    def best(self, cause: str) -> Candidate | None:
        mine = [c for c in self.candidates if c.cause == cause]
        if not mine:
            return None
        # Highest confidence; among equals a line that names its subject, then the later line.
        return max(mine, key=lambda c: (round(c.confidence, 3), c.subject is not None, c.index))

    def supporting(self, chosen: Candidate, limit: int = 2) -> list[Candidate]:
        """Other lines of the same cause that add something (different text), latest first."""
        seen = {chosen.line.text.strip()}
        out = []
        for c in sorted(self.candidates, key=lambda c: -c.index):
            if c.cause == chosen.cause and c.line.text.strip() not in seen and not c.soft:
                seen.add(c.line.text.strip())
                out.append(c)
                if len(out) >= limit:
                    break
        return out


_SPECIFIC = frozenset({pt.MISSING_ENV, pt.DEPENDENCY, pt.PORT_IN_USE, pt.CONFIG_INVALID, pt.FILE_MISSING,
                       pt.MISSING_MODULE})
# Crash forms that only count near the very end of the log: how many records may follow them.
_WEAK_CRASH = {"fatal-log-line": 3, "error-exit": 0, "dotnet-exception": 3, "goroutine-dump": 3}
_CACHE: dict[tuple[object, ...], tuple[tuple[LogText, ...], Analysis]] = {}
_CACHE_SIZE = 512  # one per sampled log of a large cluster: pods of an owner are not listed together


def lines_of(c: ContainerEvidence) -> list[_Line]:
    lines: list[_Line] = []
    segment = 0
    for log in sorted(c.logs, key=lambda lg: not lg.previous):
        for rec in log.iter_records():
            lines.append(_Line(rec.text, rec.number, segment, None, rec.raw, rec.level, rec.continued))
        segment += 1
    if not any(log.previous for log in c.logs):
        # Without the crashed instance's log, the termination message (the log tail the kubelet
        # keeps with terminationMessagePolicy FallbackToLogsOnError, or the app's own message) is it.
        kind = "initContainerStatuses" if c.init else "containerStatuses"
        st = c.status
        if st is not None:
            for which, state in (("state", st.state), ("lastState", st.last_state)):
                t = state.terminated
                if t is not None and t.message:
                    path = f"status.{kind}[{c.name}].{which}.terminated.message"
                    lines.extend(_message_lines(t.message, segment, path))
                    segment += 1
    return lines


def _message_lines(message: str, segment: int, path: str) -> Iterator[_Line]:
    """A termination message as lines: a log tail the kubelet kept, read the way logs are (logline)."""
    for no, raw in enumerate(message.splitlines(), 1):
        level, texts = logline.message(logline.clean(raw))
        for k, text in enumerate(texts):
            yield _Line(logline.bounded(logline.fold_quotes(text)), no, segment, path, raw, level, k > 0)


def _source(c: ContainerEvidence) -> tuple[object, ...]:
    """Everything `lines_of` reads, logs by identity: equal for two containers means equal lines."""
    logs = tuple(id(log) for log in c.logs)
    if any(log.previous for log in c.logs):
        return (logs,)
    st = c.status
    if st is None:
        return (logs, None)
    return (logs, c.name, c.init, *(s.terminated.message if s.terminated is not None else None
                                    for s in (st.state, st.last_state)))


def analyse(c: ContainerEvidence) -> Analysis:
    """The analysis of the container's lines, made once for containers that hold the same ones (the
    live source hands one sampled log to every pod of an owner failing the same way)."""
    key = _source(c)
    cached = _CACHE.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], c.logs, strict=True)):
        return cached[1]
    result = _scan(lines_of(c))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (c.logs, result)  # the entry keeps the logs alive, so their ids are not reused meanwhile
    return result


def _body(text: str) -> str:
    """The record without kubectl prefixes and a leading timestamp (for patterns anchored at the start)."""
    m = pt.LINE_PREFIX.match(text)
    return text[m.end():] if m else text


class _Positions(msgspec.Struct, frozen=True):
    """Where each line sits: a record or a stack frame, records before it, records after it in its log."""

    record: list[bool]
    counted: list[int]  # records up to and including the line (to tell whether two lines are one incident)
    after: list[int]  # records after the line in its own segment (how far from where that log ends)


def _positions(lines: list[_Line], bodies: list[str]) -> _Positions:
    n = len(lines)
    record = [not pt.STACK_LINE.match(b) for b in bodies]
    counted = [0] * n
    running = 0
    for i in range(n):
        running += record[i]
        counted[i] = running
    after = [0] * n
    remaining = 0
    for i in range(n - 1, -1, -1):
        if i + 1 < n and lines[i + 1].segment != lines[i].segment:
            remaining = 0
        after[i] = remaining
        remaining += record[i]
    return _Positions(record, counted, after)


def _scan(lines: list[_Line]) -> Analysis:
    bodies = [_body(ln.text) for ln in lines]
    pos = _positions(lines, bodies)
    raw: list[Candidate] = []
    classified: set[int] = set()
    for i, ln in enumerate(lines):
        found = pt.classify(bodies[i])
        if found is None:
            if ln.level in logline.FATAL_LEVELS and not ln.continued and bodies[i].strip():
                found = _fatal_record(bodies[i])
            if found is None:
                continue
        pattern, m = found
        classified.add(i)
        soft = ln.level in logline.SOFT_LEVELS or pt.soft_level(ln.text)
        raw.append(Candidate(pattern.cause, pattern.detail, pattern.confidence, i, ln, m,
                              _subject(pattern.cause, m), soft))
    raw.extend(_context_candidates(lines, bodies, classified))
    kept = _without_crashes_inside_specific(_reconcile(lines, raw), pos)
    return Analysis(tuple(lines), tuple(_weighed(kept, pos)))


_FATAL_LINE = next(p for p in pt.CRASH_PATTERNS if p.detail == "fatal-log-line")
_WHOLE = lazy(r".+")


def _fatal_record(body: str) -> tuple[pt.LogPattern, re.Match[str]] | None:
    """A record its logger marked fatal (JSON/logfmt level, klog `F`), read as the fatal-log-line form."""
    if _FATAL_LINE.unless is not None and _FATAL_LINE.unless.search(body):
        return None
    m = _WHOLE.match(body)
    return (_FATAL_LINE, m) if m else None


def _without_crashes_inside_specific(cands: list[Candidate], pos: _Positions) -> list[Candidate]:
    """Crash lines that belong to a specific failure (the panic that reports a refused connection,
    the trace under a ModuleNotFoundError) are that failure, not a crash of their own."""
    firm: dict[int, list[int]] = {}
    for c in cands:
        if c.cause in _SPECIFIC and not c.soft:
            firm.setdefault(c.line.segment, []).append(pos.counted[c.index])
    for sorted_counts in firm.values():
        sorted_counts.sort()
    kept = []
    for c in cands:
        near = firm.get(c.line.segment)
        if c.cause == pt.CRASH and near:
            at = pos.counted[c.index]
            k = bisect.bisect_left(near, at - 5)
            if k < len(near) and near[k] <= at + 5:
                continue
        kept.append(c)
    return kept


def _weighed(cands: list[Candidate], pos: _Positions) -> Iterator[Candidate]:
    """Each candidate with its confidence and strength adjusted for where it sits and what followed it."""
    last_specific: dict[int, int] = {}
    last_firm: dict[int, int] = {}  # per segment, the record count at the last firm failure of any kind
    for cand in cands:
        if not cand.soft:
            seg = cand.line.segment
            last_firm[seg] = max(last_firm.get(seg, 0), pos.counted[cand.index])
            if cand.cause in _SPECIFIC and pos.record[cand.index]:
                last_specific[seg] = max(last_specific.get(seg, -1), cand.index)
    for cand in cands:
        conf = cand.confidence
        strength = cand.strength
        after = pos.after[cand.index]
        if cand.cause == pt.CRASH:
            # A crash ends the process: an exception or fatal record long before the log ends was
            # handled and logged, and a bare error record only counts as the very last words.
            if cand.detail in _WEAK_CRASH and after > _WEAK_CRASH[cand.detail]:
                continue
            conf -= 0.25 * min(1.0, max(0, after - 3) / 30)
        else:
            if cand.soft:
                conf -= 0.08
                if last_firm.get(cand.line.segment, 0) - pos.counted[cand.index] > 5:
                    # The app shrugged this off and later died of something else: not the cause.
                    conf -= 0.3
                    strength = 1
            if after > 60:
                # The app carried on for a long while after this line: at most a hint, never a root
                # cause strong enough to overrule what the kubelet saw (a probe kill, an OOM kill).
                conf = min(conf, 0.55)
                strength = 1
        conf -= 0.25 * min(1.0, max(0, after - 12) / 120)
        if last_specific.get(cand.line.segment) == cand.index:
            conf += 0.03  # the last decisive line is the one the process died on
        yield evolve(cand, confidence=round(min(max(conf, 0.05), 0.95), 3), strength=strength)


def _subject(cause: str, m: re.Match[str]) -> str | None:
    if cause == pt.MISSING_ENV:
        return pt.first_group(m, "var", "name")
    if cause == pt.DEPENDENCY:
        addr = pt.first_group(m, "addr")
        if addr:
            return addr
        host, port = pt.first_group(m, "host"), pt.first_group(m, "port")
        if host:
            return f"{host}:{port}" if port else host
        return pt.first_group(m, "path", "target")
    if cause == pt.PORT_IN_USE:
        port = pt.first_group(m, "port")
        if port is None:
            # only a number in a listen/bind/URL context: `main.go:197]` of a klog header is a source line
            ports = ports_in(m.string)
            port = str(ports[0]) if ports else None
        return port
    if cause == pt.CONFIG_INVALID:
        return pt.first_group(m, "flag", "param", "path", "value", "user")
    if cause == pt.FILE_MISSING:
        return pt.first_group(m, "path")
    if cause == pt.MISSING_MODULE:
        return pt.first_group(m, "module", "name")
    return pt.first_group(m, "exc", "msg")


def _context_candidates(lines: list[_Line], bodies: list[str], classified: set[int]) -> Iterator[Candidate]:
    """Findings that need the lines around them: Python tracebacks, pydantic settings, Node and Java traces."""
    n = len(lines)
    for i, ln in enumerate(lines):
        text = bodies[i]
        if "raceback (most recent call last)" in text and pt.PY_TRACEBACK.search(text):
            # The exception line is the first unindented line after the frames that names an exception;
            # pasted text (describe's Message:) may have lost the frames' indentation, so frames and
            # source lines are also told apart by their shape.
            j = i + 1
            while j < n and lines[j].segment == ln.segment and j - i < 400:
                b = bodies[j]
                if b.strip() and not b[:1].isspace() and not b.startswith("File \"") and pt.PY_EXCEPTION.match(b) \
                        and b.split(":", 1)[0] not in pt.PY_KEYWORDS:
                    break
                if pt.PY_TRACEBACK.search(b) or b.startswith("During handling"):
                    j = n
                    break
                j += 1
            if j >= n or lines[j].segment != ln.segment:
                continue
            exc_line = lines[j]
            body = bodies[j]
            key = pt.PY_KEYERROR.match(body)
            if key and any(pt.PY_ENVIRON.search(bodies[k]) for k in range(i + 1, j)):
                yield Candidate(pt.MISSING_ENV, "python-environ-keyerror", 0.88, j, exc_line, key, key.group("var"))
            elif key and pt.ENV_NAME.fullmatch(key.group("var")):
                # A KeyError for a name shaped like an environment variable, read through a copy of the
                # environment or a settings dict: most likely the variable, less surely than above.
                yield Candidate(pt.MISSING_ENV, "python-keyerror-env-name", 0.72, j, exc_line, key, key.group("var"))
            elif j not in classified and not pt.is_foreign(body):
                em = pt.PY_EXCEPTION.match(body)
                if em:
                    yield Candidate(pt.CRASH, "python-exception", 0.6, j, exc_line, em, em.group("exc"))
        elif "validation error" in text:
            hm = pt.PYDANTIC_HEADER.search(text)
            if hm is None:
                continue
            settings = re.search(r"(?i)settings|config|env", hm.group("model")) is not None
            missing_any = False
            for k in range(i + 1, min(n, i + 4 * int(hm.group("count")) + 4)):
                mm = pt.PYDANTIC_MISSING.match(bodies[k])
                if mm and k > i + 1 and settings:
                    missing_any = True
                    var = bodies[k - 1].strip()
                    yield Candidate(pt.MISSING_ENV, "pydantic-settings-missing", 0.84, k - 1, lines[k - 1], mm,
                                     var.upper() if var.isidentifier() else var)
            if settings and not missing_any:
                yield Candidate(pt.CONFIG_INVALID, "pydantic-settings-invalid", 0.78, i, ln, hm, hm.group("model"))
        elif i not in classified and i + 1 < n and lines[i + 1].segment == ln.segment and not pt.is_foreign(text):
            body = text
            nm = pt.NODE_ERROR.match(body)
            if nm and pt.NODE_STACK_FRAME.match(bodies[i + 1]):
                yield Candidate(pt.CRASH, "node-uncaught", 0.6, i, ln, nm, nm.group("exc"))
                continue
            cm = pt.JAVA_CAUSED_BY.match(body)
            if cm:
                yield Candidate(pt.CRASH, "java-exception", 0.6, i, ln, cm, cm.group("exc"))


def _reconcile(lines: list[_Line], cands: list[Candidate]) -> list[Candidate]:
    """Fix up readings that depend on neighbouring lines."""
    n = len(lines)
    main_class = {c.index for c in cands if c.detail == "java-main-class"}
    out: list[Candidate] = []
    for c in cands:
        if c.detail == "java-class-not-found" and any(0 < c.index - k <= 3 for k in main_class):
            continue  # "Caused by: ClassNotFoundException" under "Could not find or load main class"
        if c.cause == pt.MISSING_ENV and not c.subject:
            var = _var_below(lines, c.index)
            if var:
                c = evolve(c, subject=var)
        if c.detail == "node-module-not-found" and c.subject and c.subject.startswith(("/", "./", "../")):
            window = [lines[k].text for k in range(c.index + 1, min(n, c.index + 20))
                      if lines[k].segment == c.line.segment]
            listed_stack = any(w.startswith("Require stack:") for w in window)
            if not listed_stack and any("run_main_module" in w or "requireStack: []" in w for w in window):
                # The main script itself is missing: a path problem, not a dependency.
                c = evolve(c, cause=pt.FILE_MISSING, detail="node-entry-script-missing", confidence=0.82)
        out.append(c)
    return out


def _var_below(lines: list[_Line], index: int) -> str | None:
    """A variable named on the lines under a message ("  - MYSQL_ROOT_PASSWORD", "  API_KEY: ...")."""
    seg = lines[index].segment
    for k in range(index + 1, min(len(lines), index + 5)):
        if lines[k].segment != seg:
            break
        m = pt.BULLET_VAR.match(lines[k].text)
        if m:
            return m.group("var")
    return None
