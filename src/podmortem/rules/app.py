"""Rules for the application family: the app starts, then gives up on something it needs.

All log-reading app rules share one pass over each container's log (`_analyse`, cached per
container): every line is matched against the tables of rules/_patterns.py once, tracebacks and
stack traces are read in context, and each finding gets a confidence that falls for lines the app
shrugged off (warnings, retries) and for lines long before the log ends. Each rule then reports the
decisive line of its own cause; the engine ranks causes against each other. `app.crash` is the
fallback when a process dies of an error none of the specific causes explains. `app.exit-zero`
reads the status alone.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from podmortem.model import Citation, ContainerEvidence, Hit, PodEvidence, Remedy
from podmortem.model.evidence import LOGS, SPEC, Termination, VolumeMount
from podmortem.rules import _patterns as pt
from podmortem.rules._base import Rule, rule
from podmortem.rules._evidence import (
    LogMatch,
    cite_log,
    cite_termination,
    cite_waiting,
    debug_command,
    logs_command,
    pod_name,
    quote,
    status_source,
    watch_command,
    workload_ref,
)

# --- one pass over a container's log -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    line_no: int  # 1-based within its log (or termination message)
    segment: int  # which log or message the line belongs to
    origin: str | None = None  # status path when the line comes from a termination message


@dataclass(frozen=True, slots=True)
class _Candidate:
    cause: str
    detail: str
    confidence: float
    index: int
    line: _Line
    match: re.Match[str]
    subject: str | None = None
    soft: bool = False  # a warning or retry: the app meant to carry on
    strength: int = 2


@dataclass(frozen=True, slots=True)
class _Analysis:
    lines: tuple[_Line, ...]
    candidates: tuple[_Candidate, ...]

    def best(self, cause: str) -> _Candidate | None:
        mine = [c for c in self.candidates if c.cause == cause]
        if not mine:
            return None
        # Highest confidence; among equals a line that names its subject, then the later line.
        return max(mine, key=lambda c: (round(c.confidence, 3), c.subject is not None, c.index))

    def supporting(self, chosen: _Candidate, limit: int = 2) -> list[_Candidate]:
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
_WEAK_CRASH = {"fatal-log-line": 3, "error-exit": 0}
_CACHE: dict[int, tuple[ContainerEvidence, _Analysis]] = {}
_CACHE_SIZE = 64


def _json_texts(value: object, depth: int = 0) -> Iterator[str]:
    """The multi-line strings inside a decoded JSON record (exception, stack_trace, @x, err.stack)."""
    if isinstance(value, str):
        if "\n" in value:
            yield value
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            yield from _json_texts(v, depth + 1)
    elif depth < 3 and isinstance(value, list):
        for v in value[:20]:
            yield from _json_texts(v, depth + 1)


def _unfolded(text: str) -> list[str]:
    """The lines of the tracebacks a structured (JSON) log record carries escaped in its fields.

    zap, logrus, structlog, python-json-logger, Serilog, Logstash/ECS encoders and pino put the
    whole stack trace in one field with escaped newlines; read as lines, the exception that ended
    the process is the last of them, where the traceback patterns look for it.
    """
    if "\\n" not in text or len(text) > 65536:
        return []
    body = _body(text).strip()
    if not (body.startswith("{") and body.endswith("}")):
        return []
    try:
        record = json.loads(body)
    except ValueError:
        return []
    out: list[str] = []
    for value in _json_texts(record):
        out.extend(ln for ln in value.splitlines() if ln.strip())
    return out[:400]


def _lines_of(c: ContainerEvidence) -> list[_Line]:
    lines: list[_Line] = []
    segment = 0
    for log in sorted(c.logs, key=lambda lg: not lg.previous):
        for no, text in enumerate(log.lines, 1):
            lines.append(_Line(text, no, segment))
            lines.extend(_Line(sub, no, segment) for sub in _unfolded(text))
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
                    lines.extend(_Line(text, no, segment, path) for no, text in enumerate(t.message.splitlines(), 1))
                    segment += 1
    return lines


def _analyse(c: ContainerEvidence) -> _Analysis:
    cached = _CACHE.get(id(c))
    if cached is not None and cached[0] is c:
        return cached[1]
    result = _scan(_lines_of(c))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(c)] = (c, result)
    return result


def _body(text: str) -> str:
    """The record without kubectl prefixes and a leading timestamp (for patterns anchored at the start)."""
    m = pt.LINE_PREFIX.match(text)
    return text[m.end():] if m else text


@dataclass(frozen=True, slots=True)
class _Positions:
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


def _scan(lines: list[_Line]) -> _Analysis:
    bodies = [_body(ln.text) for ln in lines]
    pos = _positions(lines, bodies)
    raw: list[_Candidate] = []
    classified: set[int] = set()
    for i, ln in enumerate(lines):
        found = pt.classify(bodies[i])
        if found is None:
            continue
        pattern, m = found
        classified.add(i)
        raw.append(_Candidate(pattern.cause, pattern.detail, pattern.confidence, i, ln, m,
                              _subject(pattern.cause, m), pt.soft_level(ln.text)))
    raw.extend(_context_candidates(lines, bodies, classified))
    kept = _without_crashes_inside_specific(_reconcile(lines, raw), pos)
    return _Analysis(tuple(lines), tuple(_weighed(kept, pos)))


def _without_crashes_inside_specific(cands: list[_Candidate], pos: _Positions) -> list[_Candidate]:
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


def _weighed(cands: list[_Candidate], pos: _Positions) -> Iterator[_Candidate]:
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
        yield replace(cand, confidence=round(min(max(conf, 0.05), 0.95), 3), strength=strength)


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
            lm = pt.LISTEN_PORT.search(m.string)
            port = next((v for v in lm.groupdict().values() if v), None) if lm else None
        return port
    if cause == pt.CONFIG_INVALID:
        return pt.first_group(m, "flag", "param", "path", "value", "user")
    if cause == pt.FILE_MISSING:
        return pt.first_group(m, "path")
    if cause == pt.MISSING_MODULE:
        return pt.first_group(m, "module", "name")
    return pt.first_group(m, "exc", "msg")


def _context_candidates(lines: list[_Line], bodies: list[str], classified: set[int]) -> Iterator[_Candidate]:
    """Findings that need the lines around them: Python tracebacks, pydantic settings, Node and Java traces."""
    n = len(lines)
    for i, ln in enumerate(lines):
        text = bodies[i]
        if "Traceback (most recent call last)" in text and pt.PY_TRACEBACK.search(text):
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
                yield _Candidate(pt.MISSING_ENV, "python-environ-keyerror", 0.88, j, exc_line, key, key.group("var"))
            elif key and pt.ENV_NAME.fullmatch(key.group("var")):
                # A KeyError for a name shaped like an environment variable, read through a copy of the
                # environment or a settings dict: most likely the variable, less surely than above.
                yield _Candidate(pt.MISSING_ENV, "python-keyerror-env-name", 0.72, j, exc_line, key, key.group("var"))
            elif j not in classified and not pt.is_foreign(body):
                em = pt.PY_EXCEPTION.match(body)
                if em:
                    yield _Candidate(pt.CRASH, "python-exception", 0.6, j, exc_line, em, em.group("exc"))
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
                    yield _Candidate(pt.MISSING_ENV, "pydantic-settings-missing", 0.84, k - 1, lines[k - 1], mm,
                                     var.upper() if var.isidentifier() else var)
            if settings and not missing_any:
                yield _Candidate(pt.CONFIG_INVALID, "pydantic-settings-invalid", 0.78, i, ln, hm, hm.group("model"))
        elif i not in classified and i + 1 < n and lines[i + 1].segment == ln.segment and not pt.is_foreign(text):
            body = text
            nm = pt.NODE_ERROR.match(body)
            if nm and pt.NODE_STACK_FRAME.match(bodies[i + 1]):
                yield _Candidate(pt.CRASH, "node-uncaught", 0.6, i, ln, nm, nm.group("exc"))
                continue
            cm = pt.JAVA_CAUSED_BY.match(body)
            if cm:
                yield _Candidate(pt.CRASH, "java-exception", 0.6, i, ln, cm, cm.group("exc"))


def _reconcile(lines: list[_Line], cands: list[_Candidate]) -> list[_Candidate]:
    """Fix up readings that depend on neighbouring lines."""
    n = len(lines)
    main_class = {c.index for c in cands if c.detail == "java-main-class"}
    out: list[_Candidate] = []
    for c in cands:
        if c.detail == "java-class-not-found" and any(0 < c.index - k <= 3 for k in main_class):
            continue  # "Caused by: ClassNotFoundException" under "Could not find or load main class"
        if c.cause == pt.MISSING_ENV and not c.subject:
            var = _var_below(lines, c.index)
            if var:
                c = replace(c, subject=var)
        if c.detail == "node-module-not-found" and c.subject and c.subject.startswith(("/", "./", "../")):
            window = [lines[k].text for k in range(c.index + 1, min(n, c.index + 20))
                      if lines[k].segment == c.line.segment]
            listed_stack = any(w.startswith("Require stack:") for w in window)
            if not listed_stack and any("run_main_module" in w or "requireStack: []" in w for w in window):
                # The main script itself is missing: a path problem, not a dependency.
                c = replace(c, cause=pt.FILE_MISSING, detail="node-entry-script-missing", confidence=0.82)
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


# --- shared pieces of findings -------------------------------------------------------------------


def _who(c: ContainerEvidence) -> str:
    kind = "Init container" if c.init else "Container"
    return f"{kind} {c.name}" if c.name else "The container"


def _cite(pod: PodEvidence, c: ContainerEvidence, cand: _Candidate) -> Citation:
    if cand.line.origin is not None:
        return Citation(status_source(pod), cand.line.text.strip(), cand.line.origin)
    return cite_log(LogMatch(c, cand.line.line_no, cand.line.text, cand.match))


def _evidence(pod: PodEvidence, c: ContainerEvidence, an: _Analysis, cand: _Candidate) -> tuple[Citation, ...]:
    cites = [_cite(pod, c, cand)]
    cites.extend(_cite(pod, c, s) for s in an.supporting(cand))
    t = c.last_termination
    if t is not None:
        cites.append(cite_termination(pod, c, t))
    return tuple(cites)


def _quoted(cand: _Candidate, limit: int = 160) -> str:
    """The matched record in quotes, trimmed around the part that proves the point."""
    text = cand.match.string.strip()
    if len(text) > limit:
        raw = cand.match.string
        start = max(0, min(cand.match.start() - 40, cand.match.end() - limit))
        end = start + limit
        text = ("…" if start else "") + raw[start:end].strip() + ("…" if end < len(raw.rstrip()) else "")
    return f'"{text}"'


def _ns(pod: PodEvidence) -> str:
    return f" -n {pod.namespace}" if pod.namespace and pod.namespace != "default" else ""


def _container_patch(c: ContainerEvidence, body: str) -> str:
    """A strategic-merge patch of the pod template that changes one container (indented YAML body)."""
    key = "initContainers" if c.init else "containers"
    return (f"spec:\n  template:\n    spec:\n      {key}:\n      - name: {c.name or 'CONTAINER'}\n" + body)


def _base_commands(pod: PodEvidence, c: ContainerEvidence) -> list[str]:
    return [logs_command(pod, c.name or None)]


def _log_rule_hits(pod: PodEvidence, cause: str) -> Iterator[tuple[ContainerEvidence, _Analysis, _Candidate]]:
    for c in pod.containers:
        if not c.logs and not any(t.message for t in c.terminations):
            continue
        an = _analyse(c)
        best = an.best(cause)
        if best is not None:
            yield c, an, best


# --- app.missing-env -----------------------------------------------------------------------------

_SECRETISH = re.compile(r"(?i)pass(?:word|wd)?|secret|token|key|credential|auth|private|cert")


def _env_situation(pod: PodEvidence, c: ContainerEvidence, var: str | None) -> str:
    spec = c.spec
    if spec is None or not var:
        return ""
    for e in spec.env:
        if e.name == var:
            if e.ref_kind in ("configmap", "secret"):
                opt = " (optional)" if e.optional else ""
                return (f" The spec takes {var} from {e.ref_kind} {e.ref_name} key {e.ref_key}{opt}: "
                        "that key is empty or holds the wrong value.")
            if e.value is not None and not e.value.strip():
                return f" The spec sets {var} to an empty string."
            return f" The spec sets {var}, but the app rejects its value."
    if spec.env_from:
        srcs = ", ".join(f"{f.ref_kind} {f.ref_name}" + (f" (prefix {f.prefix})" if f.prefix else "")
                         for f in spec.env_from)
        return f" The spec does not set {var}; it loads variables from {srcs}, and none of them supplies it."
    if pod.has_spec:
        return f" The container's spec does not set {var}."
    return ""


def _service_link(an: _Analysis, cand: _Candidate) -> tuple[str | None, str | None]:
    """(variable, service name) behind a `tcp://IP:PORT` value Kubernetes injected for a Service."""
    var = cand.subject
    if var is None:
        # The error line, or the code shown just above it in a trace, names the variable.
        for k in range(cand.index, max(-1, cand.index - 5), -1):
            m = re.search(r"\b([A-Z][A-Z0-9_]*_PORT)\b", an.lines[k].text)
            if m:
                var = m.group(1)
                break
    if var and var.endswith("_PORT"):
        return var, var[: -len("_PORT")].lower().replace("_", "-")
    return var, None


@rule("env-var-missing", cause="app.missing-env", title="A required environment variable is missing or wrong",
      needs=("logs",))
def env_var_missing(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app says an environment variable it needs is not set, empty or
    invalid: "X is not set", "environment variable X is required", envconfig's "required key X
    missing value", a Python `KeyError: 'X'` raised from `os.environ[...]`, Spring's "Could not
    resolve placeholder 'X'", Ruby's `key not found: "X"`, bash's "X: unbound variable",
    pydantic settings "Field required", the database images' "You must specify
    POSTGRES_PASSWORD", and a `tcp://IP:PORT` value that Kubernetes injected for a Service whose
    name collides with the app's own `<NAME>_PORT` setting.

    ## Why the pod crash-loops
    The app validates its configuration at start and exits when a variable is absent; every
    restart reads the same environment, so it fails the same way until the spec changes.

    ## Evidence used
    The app's own message in the crashed container's log (or termination message), the
    variable's name, and the container's `env` / `envFrom` when the spec is known.

    ## How to fix
    Add the variable to the container's `env` (from a Secret with `secretKeyRef` for
    credentials), or add the key to the ConfigMap/Secret the container loads with `envFrom`.
    For a Service-link collision set `enableServiceLinks: false` or rename the Service.

    ## Near misses
    A `KeyError` from an ordinary dict is an app bug (`app.crash`). A warning that a variable is
    unset and a default is used is not a failure. A ConfigMap or Secret key that the kubelet
    cannot find stops the container before it starts (`config.key-missing`).
    """
    for c, an, cand in _log_rule_hits(pod, pt.MISSING_ENV):
        who = _who(c)
        if cand.detail == "service-link-env-collision":
            var, svc = _service_link(an, cand)
            value = re.search(r"tcp://[\d.]+:\d+", cand.line.text)
            shown = value.group(0) if value else "tcp://IP:PORT"
            named = f"{var}={shown}" if var else f"a *_PORT variable set to {shown}"
            svc_text = f"the Service named {svc}" if svc else "a Service in the namespace"
            summary = (f"{who} exits because it reads {named}, a variable Kubernetes injects for {svc_text} "
                       f"(service links), where it expects a plain value: {_quoted(cand)}")
            patch = "spec:\n  template:\n    spec:\n      enableServiceLinks: false\n"
            fix = ("Turn off service-link variables (enableServiceLinks: false) or rename the Service so "
                   f"{var or 'its <NAME>_PORT variable'} no longer collides with the app's own setting.")
            cmds = [f"kubectl get svc{_ns(pod)}", f"kubectl set env {workload_ref(pod)}{_ns(pod)} --list",
                    watch_command(pod)]
            yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, patch, tuple(cmds)),
                      cand.confidence, c.init, cand.detail, cand.strength)
            continue
        var = cand.subject
        situation = _env_situation(pod, c, var)
        what = f"the environment variable {var}" if var else "a required environment variable"
        summary = f"{who} exits because {what} is missing or empty: {_quoted(cand)}.{situation}"
        name = var if var and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var) else None
        wl = workload_ref(pod) + _ns(pod) + (f" -c {c.name}" if c.name else "")
        loaded = [f for f in (c.spec.env_from if c.spec else ()) if not f.prefix]
        entry: str | None
        if name and _SECRETISH.search(name):
            entry = (f"        env:\n        - name: {name}\n          valueFrom:\n            secretKeyRef:\n"
                     f"              name: SECRET_NAME\n              key: {name}\n")
            fix = f"Add {name} to the container's env from a Secret (secretKeyRef), and check the Secret holds it."
            cmds = [f"kubectl create secret generic SECRET_NAME{_ns(pod)} --from-literal={name}=VALUE",
                    f"kubectl set env {wl} --from=secret/SECRET_NAME --keys={name}"]
        elif name:
            entry = f"        env:\n        - name: {name}\n          value: \"VALUE\"\n"
            fix = f"Add {name} to the container's env (or to the ConfigMap/Secret it loads with envFrom)."
            cmds = [f"kubectl set env {wl} {name}=VALUE"]
            if loaded and loaded[0].ref_kind == "configmap":
                src = loaded[0].ref_name
                fix = (f"Add {name} to configmap {src}, which the container loads with envFrom (or set it in the "
                       "container's env); pods read env at start, so restart them after the change.")
                cmds = [f"kubectl patch configmap {src}{_ns(pod)} --type merge -p "
                        + quote(f'{{"data":{{"{name}":"VALUE"}}}}'),
                        f"kubectl rollout restart {workload_ref(pod)}{_ns(pod)}"]
        elif cand.detail == "db-password-not-sent":
            entry = None
            summary = (f"{who} exits because it connects to its database without any password: {_quoted(cand)}. "
                       "The variable or Secret key meant to hold the password is absent or empty.")
            fix = ("Set the database password in the container's env from a Secret (secretKeyRef), check the variable "
                   "name the app reads and that the Secret key holds a non-empty value.")
            cmds = []
        else:
            entry = None
            fix = ("Find the variable the app names in its log and add it to the container's env "
                   "(or to the ConfigMap/Secret it loads with envFrom).")
            cmds = []
        cmds = [f"kubectl set env {wl} --list", *cmds, watch_command(pod)]
        env_patch = _container_patch(c, entry) if entry else None
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, env_patch, tuple(cmds)),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.dependency-unreachable ------------------------------------------------------------------

# Ports and names by which a dependency's kind shows, for the finer detail and the wording.
_KIND_BY_TEXT = (
    ("postgres", re.compile(r"(?i)postgres|psycopg|libpq|\bpq:|PSQLException|Npgsql|PG::|pgx|asyncpg|SQLSTATE\[08")),
    ("mysql", re.compile(r"(?i)mysql|mariadb|Communications link failure|SQLSTATE\[HY000\] \[2002\]")),
    ("redis", re.compile(r"(?i)redis|jedis|lettuce")),
    ("mongodb", re.compile(r"(?i)mongo")),
    ("kafka", re.compile(r"(?i)kafka|broker may not be available|sarama")),
    ("rabbitmq", re.compile(r"(?i)rabbit|amqp")),
    ("elasticsearch", re.compile(r"(?i)elasticsearch|opensearch|No living connections")),
    ("sqlserver", re.compile(r"(?i)sql server|SqlClient|mssql")),
    ("zookeeper", re.compile(r"(?i)zookeeper")),
    ("etcd", re.compile(r"(?i)\betcd")),
    ("kubernetes-api", re.compile(r"(?i)kubernetes\.default|10\.96\.0\.1:443|/api\?timeout|apiserver")),
    ("nginx-upstream", re.compile(r"host not found in upstream")),
)
_KIND_BY_PORT = {
    "5432": "postgres", "3306": "mysql", "6379": "redis", "27017": "mongodb", "9092": "kafka", "5672": "rabbitmq",
    "9200": "elasticsearch", "1433": "sqlserver", "2181": "zookeeper", "2379": "etcd", "11211": "memcached",
    "8200": "vault", "4222": "nats", "9042": "cassandra", "26257": "cockroachdb",
}
_MODE_WORDS = {
    "refused": "connection-refused", "dns": "dns-lookup-failed", "timeout": "connect-timeout",
    "unreachable": "no-route", "unavailable": "unreachable", "tls": "tls-untrusted",
}


def _mode(cand: _Candidate) -> str:
    text = cand.line.text
    if cand.detail in ("unavailable", "refused"):
        if re.search(r"(?i)name or service not known|no such host|not known|ENOTFOUND|EAI_AGAIN|could not translate"
                     r"|UnknownHost|resolve|NXDOMAIN|bad address|getaddrinfo", text):
            return "dns"
        if re.search(r"(?i)refused", text):
            return "refused"
        if re.search(r"(?i)timed? ?out|deadline exceeded", text):
            return "timeout"
        if re.search(r"(?i)no route|unreachable", text):
            return "unreachable"
    return cand.detail


_CLUSTER_SUFFIX = re.compile(r"(?:\.svc)?(?:\.cluster\.local)?\.?$")
_URL = re.compile(r"\b(?P<scheme>https?|wss?|grpcs?)://(?:[^@/\s\"']*@)?(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*)"
                  r"(?::(?P<port>\d{1,5}))?(?=[/\"'\s]|$)", re.I)


def _endpoint(cand: _Candidate) -> tuple[str | None, str | None]:
    """(host, port) the app was trying to reach, as far as the line says."""
    host, port = _endpoint_in(cand)
    if host and "." in host and not re.fullmatch(r"[\d.]+", host):
        host = _CLUSTER_SUFFIX.sub("", host) or host  # the name as written in a Service reference
    return host, port


def _endpoint_in(cand: _Candidate) -> tuple[str | None, str | None]:
    sock = pt.SOCKET_PATH.search(cand.line.text)
    if sock:
        return sock.group("path"), None
    subject = cand.subject
    if subject and not subject.startswith("/"):
        m = re.fullmatch(r"\[?([^\]]+?)\]?:(\d{1,5})", subject)
        if m:
            return m.group(1), m.group(2)
        if re.fullmatch(r"[A-Za-z0-9_.-]+", subject) and not pt.NOT_A_HOST.search(subject):
            host = subject
            port = re.search(r"(?i)port[ :=]+(\d{1,5})", cand.line.text)
            return host, port.group(1) if port else None
    text = cand.line.text
    for regex in (pt.ERRNO_ENDPOINT, pt.ENDPOINT_HINT, pt.ANY_ENDPOINT):
        for m in regex.finditer(text):
            host = m.group("host").strip("[]")
            if pt.NOT_A_HOST.search(host) or re.fullmatch(r"\d{1,2}", host) or host.lower() in ("line", "port"):
                continue
            return host, m.group("port")
    m = pt.HOST_HINT.search(text)
    if m and not pt.NOT_A_HOST.search(m.group("host")):
        return m.group("host"), None
    m = _URL.search(text)  # a client naming the request, not the connection ("Get "https://vault:8200/...": x509")
    if m:
        return m.group("host"), m.group("port") or ("443" if m.group("scheme").lower() == "https" else None)
    return None, None


def _dep_kind(cand: _Candidate, port: str | None) -> str:
    for kind, regex in _KIND_BY_TEXT:
        if regex.search(cand.line.text):
            return kind
    if port and port in _KIND_BY_PORT:
        return _KIND_BY_PORT[port]
    return "service"


def _loopback_env(c: ContainerEvidence, host: str) -> list[str]:
    if c.spec is None:
        return []
    return [f"{e.name}={e.value}" for e in c.spec.env
            if e.value and re.search(rf"(?<![\w.]){re.escape(host)}(?![\w.])", e.value)]


def _safe_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (name or "dependency")[:40].strip("-")


@rule("dependency-unreachable", cause="app.dependency-unreachable",
      title="A service the app needs at start refuses, times out or does not resolve", needs=("logs",))
def dependency_unreachable(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to reach something it needs: "connection refused" (Go
    `dial tcp`, Python `ConnectionRefusedError`, Node `ECONNREFUSED`, Java `ConnectException`),
    a name that does not resolve ("no such host", "Name or service not known", `ENOTFOUND`,
    `UnknownHostException`, nginx "host not found in upstream"), connect timeouts, and the
    database, cache and broker clients' own wording (libpq "could not connect to server", MySQL
    "Communications link failure", Redis, MongoDB server selection, Kafka "could not be
    established", RabbitMQ, SQL Server, Prisma), and a TLS handshake the app rejects because it
    does not trust the server's certificate (`x509: certificate signed by unknown authority`,
    Java "PKIX path building failed", `CERTIFICATE_VERIFY_FAILED`, Node
    `SELF_SIGNED_CERT_IN_CHAIN`): the dependency answers but cannot be used.

    ## Why the pod crash-loops
    The app exits when its database, cache, broker or upstream is not there at start. Until the
    dependency is reachable at the address the app uses, every restart fails the same way.
    An address of 127.0.0.1/localhost means the app looks for the dependency inside its own pod,
    where nothing listens.

    ## Evidence used
    The client's error line in the crashed container's log (host and port when the line names
    them), and the container's env when it sets a loopback address.

    ## How to fix
    Point the app at the dependency's Service DNS name (NAME.NAMESPACE.svc), check that the
    Service exists and has ready endpoints on that port, and let the app wait for it (retry
    with back-off, or an init container that waits for the port). For an untrusted certificate,
    give the app the CA bundle that signed it (or fix the server's certificate).

    ## Near misses
    nginx logging "connect() failed ... while connecting to upstream" for a request is a proxy
    error while serving, not a start-up failure. A liveness probe's "connection refused" is the
    kubelet failing to reach the app (`probes.liveness`). Wrong credentials are rejected by a
    reachable server (`app.config-invalid`).
    """
    for c, an, cand in _log_rule_hits(pod, pt.DEPENDENCY):
        who = _who(c)
        host, port = _endpoint(cand)
        # The decisive line may be a bare "Connection refused"; the lines around it name the rest.
        siblings = sorted((o for o in an.candidates if o.cause == pt.DEPENDENCY and o is not cand
                           and o.line.segment == cand.line.segment), key=lambda o: -o.index)
        for other in siblings:
            if host is not None:
                break
            host, port = _endpoint(other)
        mode = _mode(cand)
        kind = next((k for k in (_dep_kind(o, port) for o in (cand, *siblings)) if k != "service"), "service")
        target = f"{host}:{port}" if host and port else (host or (f"the {kind} it uses" if kind != "service"
                                                                    else "a service it needs"))
        socket = host is not None and host.startswith("/")
        loopback = socket or (host is not None and host.lower().strip("[]") in {h.strip("[]") for h in pt.LOOPBACK})
        if socket:
            target = f"the Unix socket {host}"
        detail = f"{kind}-{_MODE_WORDS.get(mode, 'unreachable')}" + ("-localhost" if loopback else "")
        ns = _ns(pod)
        namespace = pod.namespace or "NAMESPACE"
        cmds = [*_base_commands(pod, c), f"kubectl get svc,endpoints{ns}"]
        patch = None
        if loopback and mode != "tls":  # a TLS handshake means something did answer there
            env = _loopback_env(c, host or "")
            env_text = f" The spec sets {', '.join(env)}." if env else ""
            summary = (f"{who} cannot reach {target}: {_quoted(cand)}. That address is the pod itself and nothing "
                       f"listens there inside the pod, so the app is pointed at the wrong address.{env_text}")
            fix = (f"Point the app at the Service name of the {kind} (for example {kind}.{namespace}.svc.cluster.local"
                   f"{':' + port if port else ''}) instead of {host}; only a sidecar in the same pod is reachable on "
                   "localhost.")
        elif mode == "tls":
            # The server answered, but the app does not trust its certificate: reachable on the network,
            # unusable for the app. The fix is trust (or the server's certificate), never the network.
            summary = (f"{who} cannot connect to {target}: it does not trust the server's TLS certificate "
                       f"(unknown CA, self-signed, expired or issued for another name): {_quoted(cand)}.")
            fix = (f"Give the app the CA that signed {host or 'the server'}'s certificate (mount the CA bundle from a "
                   "ConfigMap or Secret and point the client at it: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, "
                   "NODE_EXTRA_CA_CERTS, a JVM truststore), or fix the server's certificate if it expired or does not "
                   "name the host the app uses; do not switch verification off.")
            if host:
                cmds.append(f"kubectl run tls-test{ns} --rm -it --restart=Never --image=alpine/openssl -- s_client "
                            f"-connect {host}:{port or 443} -servername {host} -showcerts")
        elif mode == "dns":
            summary = f"{who} cannot resolve {host or 'the name of a service it needs'}: {_quoted(cand)}."
            fix = (f"Make {host or 'the name'} resolvable: create the Service, or use the right name and namespace "
                   f"(NAME.NAMESPACE.svc.cluster.local); then let the app retry until DNS answers.")
            if host:
                cmds.append(f"kubectl run dns-test{ns} --rm -it --restart=Never --image=busybox:1.36 -- "
                            f"nslookup {host}")
        else:
            what = {"refused": "refuses the connection", "timeout": "does not answer (connect timeout)",
                    "unreachable": "is unreachable (no route)"}.get(mode, "is unreachable")
            summary = f"{who} exits because {target} {what}: {_quoted(cand)}."
            fix = (f"Check that the {kind} is running and that its Service has ready endpoints on the port the app "
                   "uses (and that no NetworkPolicy blocks it); make the app retry, or wait for it in an init "
                   "container.")
            if host and port:
                cmds.append(f"kubectl run net-test{ns} --rm -it --restart=Never --image=busybox:1.36 -- "
                            f"nc -zv -w 3 {host} {port}")
            cmds.append(f"kubectl get networkpolicy{ns}")
        if host and not loopback and not c.init and mode != "tls" \
                and not re.fullmatch(r"[\d.]+|\[?[0-9a-fA-F:]+\]?", host):
            # Wait for the name the app uses (a Service); a raw IP says nothing about what to wait for.
            probe = f"nc -z -w 2 {host} {port}" if port else f"nslookup {host}"
            patch = ("spec:\n  template:\n    spec:\n      initContainers:\n"
                     f"      - name: wait-for-{_safe_name(host)}\n        image: busybox:1.36\n"
                     f"        command: ['sh', '-c', 'until {probe}; do echo waiting for {target}; sleep 2; done']\n")
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, patch, tuple(cmds)),
                  cand.confidence, c.init, detail, cand.strength)


# --- app.port-in-use -----------------------------------------------------------------------------


def _listen_port(cand: _Candidate) -> str | None:
    if cand.subject and cand.subject.isdigit():
        return cand.subject
    m = pt.LISTEN_PORT.search(cand.line.text)
    if m is None:
        return None
    return next((v for v in m.groupdict().values() if v), None)


@rule("listen-port-in-use", cause="app.port-in-use", title="The app cannot bind its listen port",
      needs=("logs",))
def listen_port_in_use(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to listen because the address is taken: "bind: address
    already in use" (Go), `EADDRINUSE` (Node, Ruby, Erlang), `[Errno 98] Address already in use`
    (Python), `java.net.BindException`, Spring Boot's "Port 8080 was already in use", nginx
    `bind() to 0.0.0.0:80 failed (98: Address already in use)`, gunicorn's "Connection in use".

    ## Why the pod crash-loops
    All containers of a pod share one network namespace, and with `hostNetwork: true` they
    share the node's. If another container, another listener of the same app, or a process on
    the node holds the port, the app cannot start, on every restart.

    ## Evidence used
    The bind error in the crashed container's log, the port it names, and the `ports` that the
    pod's other containers declare.

    ## How to fix
    Give every listener in the pod (and on the node, with hostNetwork) its own port: change the
    app's or the sidecar's port setting, or drop `hostNetwork`.

    ## Near misses
    "bind: permission denied" on a port below 1024 is a non-root process that may not bind a
    privileged port (`security.permission-denied`).
    """
    for c, an, cand in _log_rule_hits(pod, pt.PORT_IN_USE):
        port = _listen_port(cand)
        others = []
        if port and port.isdigit():
            for o in pod.containers:
                if o is not c and o.spec is not None and any(p.container_port == int(port) for p in o.spec.ports):
                    others.append(o.name)
        clash = (f" Container {', '.join(others)} in the same pod also declares port {port}; containers of a pod "
                 "share one network namespace." if others else "")
        on = f"port {port}" if port else "its listen port"
        if cand.detail == "address-not-available":
            summary = (f"{_who(c)} cannot listen on {on}: the address it binds is not one of the pod's own "
                       f"addresses: {_quoted(cand)}.")
            fix = ("Bind to 0.0.0.0 (all interfaces) or to the pod IP from the downward API (status.podIP) "
                   "instead of a fixed IP address.")
        else:
            summary = (f"{_who(c)} cannot listen on {on}: another process in the same network namespace already "
                       f"holds it: {_quoted(cand)}.{clash}")
            fix = (f"Give each listener its own port: change the port setting of this app or of the container that "
                   f"also uses {port or 'it'}, or drop hostNetwork if the node itself holds it.")
        name = pod_name(pod)
        cmds = (
            logs_command(pod, c.name or None),
            f"kubectl get pod {name}{_ns(pod)} -o jsonpath='{{range .spec.containers[*]}}{{.name}}{{\"\\t\"}}"
            f"{{.ports[*].containerPort}}{{\"\\n\"}}{{end}}'",
            f"kubectl get pod {name}{_ns(pod)} -o jsonpath='{{.spec.hostNetwork}}'",
            watch_command(pod),
        )
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, None, cmds),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.config-invalid --------------------------------------------------------------------------

_FLAG_DETAILS = frozenset({"unknown-flag", "unknown-option", "required-flag", "invalid-flag-value", "jvm-option"})
_SYNTAX_DETAILS = frozenset({"yaml-syntax", "json-syntax", "toml-syntax", "ini-syntax", "xml-syntax"})


def _mount_for(c: ContainerEvidence, path: str) -> VolumeMount | None:
    if c.spec is None:
        return None
    best: VolumeMount | None = None
    for m in c.spec.mounts:
        mp = m.mount_path.rstrip("/") or "/"
        covers = path == mp or path.startswith(mp + "/") or mp == "/"
        if covers and (best is None or len(mp) > len(best.mount_path.rstrip("/"))):
            best = m
    return best


def _volume_text(pod: PodEvidence, m: VolumeMount) -> str:
    v = pod.volume(m.name)
    if v is None:
        return f"volume {m.name}"
    ref = f" ({v.kind} {v.ref_name})" if v.kind and v.ref_name else (f" ({v.kind})" if v.kind else "")
    return f"volume {m.name}{ref}"


def _args_without(c: ContainerEvidence, flag: str) -> tuple[str, tuple[str, ...]] | None:
    """The spec field (args or command) holding a rejected flag, and that field without it."""
    if c.spec is None:
        return None
    name = flag.split("=", 1)[0].strip("'\" ")
    for field, items in (("args", c.spec.args), ("command", c.spec.command)):
        kept = tuple(a for a in items if a.split("=", 1)[0] != name)
        if len(kept) < len(items):
            return field, kept
    return None


def _yaml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_yaml_str(a) for a in items) + "]"


def _yaml_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _path_near(an: _Analysis, cand: _Candidate) -> str | None:
    """A config path named on the line or the lines just before a syntax error."""
    seg = cand.line.segment
    for k in range(cand.index, max(-1, cand.index - 4), -1):
        ln = an.lines[k]
        if ln.segment != seg:
            break
        m = re.search(r"(/[\w.@+-]+(?:/[\w.@+-]+)*\.(?:ya?ml|json|toml|conf|cfg|ini|properties|xml|env))\b", ln.text)
        if m:
            return m.group(1)
    return None


@rule("config-rejected", cause="app.config-invalid",
      title="The app rejects its configuration (syntax, flag or value)", needs=("logs",))
def config_rejected(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app or server rejects its configuration: unknown or missing
    command-line flags (Go flag/pflag/cobra, argparse, click, getopt, the JVM launcher), invalid
    flag values, YAML/JSON/TOML/INI syntax errors in the parsers' own words, Spring Boot binding
    failures, nginx `[emerg]` directives, Apache, HAProxy, PostgreSQL, MySQL, Redis and
    Elasticsearch config errors, a broken java command line ("Could not find or load main
    class"), and a database server rejecting the configured credentials or database name.

    ## Why the pod crash-loops
    The process checks its configuration at start and exits on the first error; the config
    (ConfigMap, args, env) is the same on every restart.

    ## Evidence used
    The parser's or server's error line in the crashed container's log; the container's args
    when the rejected flag appears there; the volume that holds a rejected config file.

    ## How to fix
    Correct the flag or value (flags differ between image versions: check the image's
    `--help`), or fix the file in its ConfigMap and validate it before rolling out.

    ## Near misses
    A config file that is absent rather than malformed is `app.file-missing`; a variable that is
    not set is `app.missing-env`; an unresolvable upstream host in an nginx config is
    `app.dependency-unreachable`.
    """
    for c, an, cand in _log_rule_hits(pod, pt.CONFIG_INVALID):
        who = _who(c)
        subject = cand.subject
        patch = None
        cmds = _base_commands(pod, c)
        if cand.detail == "jvm-option":
            summary = f"{who} starts a JVM that rejects one of its options: {_quoted(cand)}."
            fix = ("Remove or replace the JVM option: options are removed between Java versions, so check the "
                   "options passed in JAVA_OPTS / JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS and in the args against the "
                   "Java version of the image.")
            cmds.append(f"kubectl set env {workload_ref(pod)}{_ns(pod)} --list")
        elif cand.detail in _FLAG_DETAILS:
            summary = f"{who} rejects its command line: {_quoted(cand)}."
            fix = ("Fix the container's command/args: flags differ between versions, so remove or rename the flag "
                   "this image does not know (check the image's --help), or use the image version the flags are "
                   "written for.")
            where = _args_without(c, subject) if subject else None
            if where is not None:
                field, kept = where
                summary += f" The flag comes from the container's {field}."
                patch = _container_patch(c, f"        {field}: {_yaml_list(kept)}\n")
            cmds.append(f"kubectl get pod {pod_name(pod)}{_ns(pod)} -o jsonpath='{{.spec.containers[*].args}}'")
        elif cand.detail == "java-main-class":
            if subject and re.fullmatch(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", subject):
                summary = (f"{who} starts a JVM that cannot load its main class: {_quoted(cand)}. The class name or "
                           "the classpath given on the java command line is wrong.")
                fix = ("Check the main class name (spelling, package) and the classpath (-cp, or the jar's "
                       "Main-Class manifest entry) of the java command.")
            else:
                summary = (f"{who} starts a JVM whose command line is broken: {_quoted(cand)}. The main class it got "
                           "is not a class name: usually stray quotes or spaces in a variable expanded into the java "
                           "command (JAVA_OPTS-style settings).")
                fix = ("Check the env values expanded into the java command line (no literal quotes inside the "
                       "value), the classpath, and the main class name.")
            cmds.append(f"kubectl set env {workload_ref(pod)}{_ns(pod)} --list")
        elif cand.detail == "credentials-rejected":
            summary = f"{who} reaches its server, which rejects the configured credentials: {_quoted(cand)}."
            fix = ("Make the user and password the app is given (usually env from a Secret) match the server's; "
                   "check which Secret and key the env refers to.")
            cmds.append(f"kubectl set env {workload_ref(pod)}{_ns(pod)} --list")
        else:
            path = subject if subject and subject.startswith("/") else _path_near(an, cand)
            what = f" {path}" if path else ""
            summary = f"{who} cannot use its configuration{what}: {_quoted(cand)}."
            fix = ("Fix the configuration the log points at (line and column where given) and validate it before "
                   "rolling it out.")
            if cand.detail in _SYNTAX_DETAILS:
                fix = ("Fix the syntax error at the line the parser names (indentation, quoting, a missing ':' or "
                       "','); validate the file before rolling it out.")
            if path:
                m = _mount_for(c, path)
                if m is not None:
                    vol = pod.volume(m.name)
                    summary += f" The file comes from {_volume_text(pod, m)} mounted at {m.mount_path}."
                    if vol is not None and vol.kind in ("configMap", "secret") and vol.ref_name:
                        if vol.kind == "configMap":
                            cmds.append(f"kubectl get configmap {vol.ref_name}{_ns(pod)} -o yaml")
                        else:
                            cmds.append(f"kubectl get secret {vol.ref_name}{_ns(pod)} -o go-template="
                                        "'{{range $k, $v := .data}}{{$k}}{{\"\\n\"}}{{end}}'")
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, patch, tuple(cmds)),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.file-missing ----------------------------------------------------------------------------


def _config_mounts(pod: PodEvidence, c: ContainerEvidence) -> list[VolumeMount]:
    """The container's mounts of ConfigMap, Secret and projected volumes: where config files come from."""
    if c.spec is None:
        return []
    found = []
    for m in c.spec.mounts:
        v = pod.volume(m.name)
        if v is not None and v.kind in ("configMap", "secret", "projected"):
            found.append(m)
    return found


@rule("file-not-found", cause="app.file-missing", title="A file or directory the app needs at start is absent",
      needs=("logs",))
def file_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to open a file or directory it needs: "No such file or
    directory" with a path (Python `FileNotFoundError`, Go `open PATH`, Ruby `Errno::ENOENT`,
    coreutils), Node `ENOENT`, Java `FileNotFoundException` / `NoSuchFileException`, .NET "Could
    not find file", nginx `open() "PATH" failed`, a missing main script or jar.

    ## Why the pod crash-loops
    The path is not in the image and no volume provides it there (a volume mounted at another
    path, a ConfigMap key with another name, a subPath mistake, or a volume mounted over the
    image's own directory hides the file). Every restart sees the same filesystem.

    ## Evidence used
    The error line and the path it names; the container's volumeMounts and the pod's volumes,
    to say which volume the path falls under.

    ## How to fix
    Mount the ConfigMap, Secret or volume that holds the file at the path the app reads (or
    point the app at where it is mounted); mount single files with `subPath` so a mount does
    not hide the rest of the image's directory.

    ## Near misses
    A missing executable (the entrypoint or a script the shell runs) is
    `image.command-not-found`; "Permission denied" on an existing file is
    `security.permission-denied`; a missing shared library is `app.missing-module`.
    """
    for c, an, cand in _log_rule_hits(pod, pt.FILE_MISSING):
        who = _who(c)
        path = cand.subject
        shown = f" {path}" if path else ""
        summary = f"{who} exits because{shown or ' a file it needs'} does not exist: {_quoted(cand)}."
        patch = None
        cmds = _base_commands(pod, c)
        if cand.detail in ("entry-script-missing", "jar-missing", "node-entry-script-missing"):
            summary += " That is the program the container was told to run: the image lacks it at that path."
        m = _mount_for(c, path) if path else None
        if m is not None and path:
            vol = pod.volume(m.name)
            rel = posixpath.relpath(path, m.mount_path) if path != m.mount_path else ""
            summary += f" The path is inside {_volume_text(pod, m)} mounted at {m.mount_path}"
            summary += f" (subPath {m.sub_path})." if m.sub_path else "."
            if vol is not None and vol.items and rel and rel not in vol.items:
                summary += f" The volume projects only {', '.join(vol.items)}, not {rel}."
            fix = (f"Make {_volume_text(pod, m)} provide {rel or path} (check the ConfigMap/Secret key names, items "
                   "and subPath), or point the app at where the file really is. A volume mounted over a directory "
                   "of the image hides the image's own files there; mount single files with subPath.")
            if vol is not None and vol.ref_name and vol.kind == "configMap":
                cmds.append(f"kubectl get configmap {vol.ref_name}{_ns(pod)} -o jsonpath='{{.data}}'")
            elif vol is not None and vol.ref_name and vol.kind == "secret":
                cmds.append(f"kubectl get secret {vol.ref_name}{_ns(pod)} -o go-template="
                            "'{{range $k, $v := .data}}{{$k}}{{\"\\n\"}}{{end}}'")
        else:
            fix = ("Mount the ConfigMap, Secret or volume that holds the file at the path the app reads, or fix the "
                   "path the app is given; if the file belongs in the image, add it to the image.")
            elsewhere = _config_mounts(pod, c)
            if c.spec is not None and path:
                summary += " No volume is mounted at that path, so it would have to be in the image."
            if path and path.startswith("/") and len(elsewhere) == 1 and not elsewhere[0].sub_path:
                m = elsewhere[0]
                directory, base = posixpath.split(path)
                summary += (f" {_volume_text(pod, m).capitalize()} is mounted at {m.mount_path} instead; if it holds "
                            f"{base}, the app looks in the wrong place.")
                fix = (f"Mount {_volume_text(pod, m)} where the app reads it ({directory}), or point the app at "
                       f"{posixpath.join(m.mount_path, base)}.")
                patch = _container_patch(c, f"        volumeMounts:\n        - name: {m.name}\n"
                                            f"          mountPath: {directory}\n          readOnly: true\n")
            elif path and path.startswith("/") and cand.detail not in ("entry-script-missing", "jar-missing",
                                                                         "node-entry-script-missing"):
                base = posixpath.basename(path)
                if "." in base:
                    mount = (f"        - name: app-config\n          mountPath: {path}\n          subPath: {base}\n")
                else:
                    mount = f"        - name: app-config\n          mountPath: {path}\n"
                patch = _container_patch(c, "        volumeMounts:\n" + mount) + (
                    "      volumes:\n      - name: app-config\n        configMap:\n          name: CONFIGMAP_NAME\n")
        image = c.spec.image if c.spec and c.spec.image else None
        if image and path:
            look = posixpath.dirname(path.rstrip("/")) or "/"
            cmds.append(f"kubectl run fs-check{_ns(pod)} --rm -it --restart=Never --image={image} --command -- "
                        f"ls -la {quote(look)}")
        else:
            cmds.append(debug_command(pod, c.name or None))
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, patch, tuple(cmds)),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.missing-module --------------------------------------------------------------------------

# Python import names whose distribution has another name: the fix names the package to install.
_PY_DISTRIBUTIONS = {
    "yaml": "PyYAML", "cv2": "opencv-python-headless", "PIL": "Pillow", "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4", "dotenv": "python-dotenv", "jwt": "PyJWT", "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient", "attr": "attrs", "dateutil": "python-dateutil", "Crypto": "pycryptodome",
    "magic": "python-magic", "serial": "pyserial", "OpenSSL": "pyOpenSSL", "jose": "python-jose",
    "multipart": "python-multipart", "docx": "python-docx", "fitz": "PyMuPDF", "git": "GitPython",
    "zmq": "pyzmq", "skimage": "scikit-image", "kafka": "kafka-python", "google.protobuf": "protobuf",
    "ldap": "python-ldap", "socks": "PySocks", "pkg_resources": "setuptools",
}


def _module_fix(detail: str, module: str | None) -> str:
    mod = module or "the module"
    if detail.startswith("python"):
        top = (module or "").split(".")[0]
        dist = _PY_DISTRIBUTIONS.get(module or "", _PY_DISTRIBUTIONS.get(top))
        pkg = f" (the package is {dist})" if dist else ""
        return (f"Install {mod}{pkg} in the image (requirements/pyproject) and rebuild; if it is installed in a "
                "build stage, copy that stage's site-packages/venv into the final image and keep PYTHONPATH/WORKDIR "
                "right.")
    if detail == "node-native-abi":
        return ("Rebuild node_modules inside the image with the Node version it runs (npm rebuild / npm ci in the "
                "final base image); native modules are tied to one Node ABI and one libc.")
    if detail.startswith("node"):
        return (f"Add {mod} to dependencies (not devDependencies: `npm ci --omit=dev` leaves those out) and make "
                "sure node_modules is copied into the final image stage; then rebuild.")
    if detail.startswith("java"):
        if detail == "java-dependency-conflict":
            return ("Two versions of a library meet on the classpath: align the dependency versions (mvn "
                    "dependency:tree / gradle dependencies) and rebuild.")
        return (f"Put the jar that provides {mod} on the classpath in the image (a fat jar, or the dependency "
                "jars next to the app and in -cp), and check that the build did not mark it provided/test-only.")
    if detail in ("shared-library-missing", "glibc-version"):
        return (f"Install the OS package that provides {mod} in the image (apt-get/apk/dnf), or build the binary "
                "on the same base image it runs on (glibc vs musl, same glibc version).")
    if detail.startswith("dotnet"):
        return ("Publish the app with all its dependencies, and use a base image with the .NET runtime version the "
                "app targets (e.g. mcr.microsoft.com/dotnet/aspnet:<same major>).")
    if detail.startswith("ruby"):
        return (f"Install {mod} in the image (bundle install without excluding its group; check BUNDLE_WITHOUT and "
                "Gemfile.lock), then rebuild.")
    if detail.startswith("php"):
        return (f"Install {mod} in the image (composer install, or docker-php-ext-install for an extension), and "
                "check that vendor/ is copied into the final image.")
    return f"Install {mod} in the image the container runs, then rebuild and roll out."


@rule("module-not-found", cause="app.missing-module", title="The image lacks a module or library the code imports",
      needs=("logs",))
def module_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the runtime cannot load code the app imports: Python
    `ModuleNotFoundError` / `ImportError`, Node "Cannot find module" and `ERR_MODULE_NOT_FOUND`,
    Java `NoClassDefFoundError` / `ClassNotFoundException` / `UnsatisfiedLinkError`, the dynamic
    linker's "error while loading shared libraries", .NET "Could not load file or assembly" and
    missing frameworks, Ruby `LoadError` / `Bundler::GemNotFound`, PHP missing classes and
    extensions, Perl `@INC`, Go plugins.

    ## Why the pod crash-loops
    The code and the image do not match: a dependency is not installed, was installed as a dev
    dependency, or lives in a build stage that was not copied into the final image. Restarts run
    the same image, so the import fails every time.

    ## Evidence used
    The runtime's import error in the crashed container's log and the module it names.

    ## How to fix
    Install the module in the image and rebuild (the remedy names the usual packaging mistake per
    runtime); roll out the fixed image.

    ## Near misses
    A missing config or data file is `app.file-missing`; a missing entrypoint binary is
    `image.command-not-found`; a main class that cannot be found because the java command line is
    broken is `app.config-invalid`.
    """
    for c, an, cand in _log_rule_hits(pod, pt.MISSING_MODULE):
        module = cand.subject
        what = module or "a module it imports"
        summary = f"{_who(c)} exits because the image lacks {what}: {_quoted(cand)}."
        cmds = _base_commands(pod, c)
        image = c.spec.image if c.spec and c.spec.image else None
        if image and module and cand.detail.startswith("python") and re.fullmatch(r"[\w.]+", module):
            cmds.append(f"kubectl run import-check{_ns(pod)} --rm -it --restart=Never --image={image} --command -- "
                        f"python -c {quote('import ' + module)}")
        else:
            cmds.append(debug_command(pod, c.name or None))
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand),
                  Remedy(_module_fix(cand.detail, module), None, tuple(cmds)),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.crash -----------------------------------------------------------------------------------

_SIGNALS = {
    132: ("SIGILL", "sigill", "an illegal instruction (often a binary built for CPU features this node lacks)"),
    134: ("SIGABRT", "sigabrt", "an abort (a failed assertion or a runtime that gave up)"),
    135: ("SIGBUS", "sigbus", "a bus error"),
    136: ("SIGFPE", "sigfpe", "an arithmetic fault"),
    139: ("SIGSEGV", "sigsegv", "a segmentation fault"),
}


def _rollback_commands(pod: PodEvidence) -> list[str]:
    wl = workload_ref(pod)
    if wl.startswith(("deployment/", "statefulset/", "daemonset/")):
        return [f"kubectl rollout history {wl}{_ns(pod)}", f"kubectl rollout undo {wl}{_ns(pod)}"]
    return []


@rule("unhandled-crash", cause="app.crash", title="The app died of an unhandled error in its own code",
      needs=("logs",))
def unhandled_crash(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The error that ended the process when no more specific cause explains it: the last
    exception of a Python traceback, a Go `panic:` (nil pointer dereference, index out of range)
    or `fatal error:`, Java `Exception in thread "main"` and its last `Caused by:`, a Node
    uncaught error with its stack, .NET "Unhandled exception.", Ruby `(NoMethodError)`, PHP
    fatal errors, Rust panics, C/C++ aborts, assertions and segmentation faults, and as a last
    resort a fatal-level log record.

    ## Why the pod crash-loops
    The app hits the same bug (or the same input it cannot handle) on every start.

    ## Evidence used
    The exception, panic or signal line in the crashed container's log, and its termination.

    ## How to fix
    Read the trace from the first frame in the app's own code; if a new version started it, roll
    back to the last good image while the bug is fixed.

    ## Near misses
    A traceback that ends in `ModuleNotFoundError`, `FileNotFoundError`, a refused connection or
    a missing variable has that specific cause (`app.missing-module`, `app.file-missing`,
    `app.dependency-unreachable`, `app.missing-env`); an OutOfMemoryError is
    `resources.runtime-oom`. An exit code of 1 with no log says nothing by itself.
    """
    for c, an, cand in _log_rule_hits(pod, pt.CRASH):
        who = _who(c)
        if cand.detail == "go-panic" and "nil pointer" in cand.line.text:
            detail = "go-nil-pointer"
        else:
            detail = cand.detail
        if detail in ("fatal-log-line", "error-exit"):
            summary = (f"{who} exits after logging a fatal error that names no more specific cause: "
                       f"{_quoted(cand)}.")
            strength = 1
        else:
            summary = f"{who} crashed with an unhandled error in its own code: {_quoted(cand)}."
            strength = 2
        fix = ("Find the first frame in the app's own code in the trace and fix the bug or the input that triggers "
               "it; if a new image version started this, roll back to the last good one meanwhile.")
        cmds = [*_base_commands(pod, c), debug_command(pod, c.name or None), *_rollback_commands(pod),
                watch_command(pod)]
        yield Hit(c.name or None, summary, _evidence(pod, c, an, cand), Remedy(fix, None, tuple(cmds)),
                  min(cand.confidence, 0.6), c.init, detail, strength)


def _signal_of(t: Termination) -> int | None:
    if t.exit_code in _SIGNALS:
        return t.exit_code
    if t.signal and t.signal + 128 in _SIGNALS:
        return t.signal + 128
    return None


@rule("crash-signal-exit", cause="app.crash", title="The process died of a fatal signal (segfault, abort)",
      needs=("status",))
def crash_signal_exit(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose last instance ended with exit code 139 (SIGSEGV), 134 (SIGABRT), 132
    (SIGILL), 135 (SIGBUS) or 136 (SIGFPE), not OOMKilled.

    ## Why the pod crash-loops
    The process itself crashed on a signal the kernel or its own runtime raised: a memory
    error in native code, a failed assertion or an abort, an instruction the CPU does not have.
    It does so again on every start.

    ## Evidence used
    The exit code (or signal) and reason of the last termination.

    ## How to fix
    Get the crashed instance's log and any core dump; check native libraries and the CPU
    architecture/features the binary needs; roll back if a new version started it.

    ## Near misses
    Exit 137 is SIGKILL (an OOM kill or a probe kill), exit 143 is SIGTERM; exit 1 or 2 alone
    says nothing about the cause and is left to `unknown`, which asks for the log.
    """
    for c in pod.containers:
        t = c.last_termination
        if t is None or t.reason == "OOMKilled":
            continue
        code = _signal_of(t)
        if code is None:
            continue
        name, detail, what = _SIGNALS[code]
        evidence = [cite_termination(pod, c, t)]
        waiting = cite_waiting(pod, c)
        if waiting is not None:
            evidence.append(waiting)
        summary = f"{_who(c)} died of {name} (exit {code}): {what}."
        fix = ("Get the crashed instance's log to see where it died; check native libraries and that the binary "
               "suits the node's CPU; roll back if a new image version started this.")
        cmds = (logs_command(pod, c.name or None), *_rollback_commands(pod), debug_command(pod, c.name or None))
        yield Hit(c.name or None, summary, tuple(evidence), Remedy(fix, None, cmds), 0.55, c.init, detail, 1)


# --- app.exit-zero -------------------------------------------------------------------------------

_FOREGROUND = (
    (re.compile(r"(?i)nginx|tengine|openresty"), ("nginx", "-g", "daemon off;"),
     "run nginx in the foreground (nginx -g 'daemon off;')"),
    (re.compile(r"(?i)\bhttpd\b|apache"), ("httpd-foreground",), "run Apache in the foreground (httpd-foreground)"),
    (re.compile(r"(?i)php.*fpm|fpm"), ("php-fpm", "-F"), "run php-fpm in the foreground (php-fpm -F)"),
    (re.compile(r"(?i)redis"), ("redis-server", "--daemonize", "no"), "run redis-server with --daemonize no"),
)
_BACKGROUNDING = re.compile(r"&\s*$|\bservice \S+ start\b|\b(?:-d|--daemon|--detach|daemonize yes)\b|\bnohup\b")


def _exit_zero_applies(pod: PodEvidence, c: ContainerEvidence, t: Termination) -> bool:
    if t.exit_code != 0 or (t.reason not in (None, "", "Completed")):
        return False
    if c.init and not c.is_sidecar:
        return False  # init containers are meant to finish
    if pod.owner is not None and pod.owner.kind in ("Job", "CronJob"):
        return False
    if pod.restart_policy in ("OnFailure", "Never"):
        return False
    if pod.restart_policy == "Always":
        return True
    # Policy unknown: a container that exited 0 is only restarted under Always.
    return c.restart_count > 0 or c.waiting_reason == "CrashLoopBackOff"


@rule("main-process-exited-zero", cause="app.exit-zero",
      title="The main process finishes successfully, but the pod restarts it forever", needs=("status",))
def main_process_exited_zero(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    An app container (or a sidecar) whose last instance ended with reason `Completed` and exit
    code 0 while the pod's restartPolicy is `Always` (or unknown, with restarts climbing or
    CrashLoopBackOff, which only `Always` produces after exit 0).

    ## Why the pod crash-loops
    A Deployment, StatefulSet or DaemonSet pod must keep its main process running. If the
    process daemonises (nginx without `daemon off;`, a `service x start`), is started in the
    background (`&`), or is a one-shot script, it exits 0; the kubelet restarts it, with
    back-off, forever.

    ## Evidence used
    The termination reason and exit code, the waiting reason and restart count, the restart
    policy and owner, and the command/args when the spec is known.

    ## How to fix
    Run the server in the foreground as PID 1 (`exec` it at the end of the entrypoint script;
    nginx -g 'daemon off;'); for one-shot work use a Job or CronJob, or an init container.

    ## Near misses
    A Job's pod (restartPolicy OnFailure/Never) that completes is done, not failing; an init
    container that exits 0 did its job.
    """
    for c in pod.containers:
        t = c.last_termination
        if t is None or not _exit_zero_applies(pod, c, t):
            continue
        evidence = [cite_termination(pod, c, t)]
        waiting = cite_waiting(pod, c)
        if waiting is not None:
            evidence.append(waiting)
        lines = [ln for ln in _lines_of(c) if ln.origin is None and ln.text.strip()] if c.logs else []
        if lines:
            last = lines[-1]
            evidence.append(Citation(LOGS, last.text.strip()[:300], f"logs[{c.name or 'container'}]:{last.line_no}"))
        backoff = c.waiting_reason == "CrashLoopBackOff" or c.restart_count >= 2
        spec = c.spec
        command = " ".join((*spec.command, *spec.args)) if spec else ""
        if spec and _BACKGROUNDING.search(command):
            evidence.append(Citation(SPEC, f"command: {command}"[:300],
                                     f"spec.{'initContainers' if c.init else 'containers'}[{c.name}].command"))
        image = (spec.image if spec else None) or (c.status.image if c.status else None) or ""
        patch = None
        fix = ("Keep the main process in the foreground as PID 1: end the entrypoint with `exec <server>`, do not "
               "start it with `&`, `nohup` or `service ... start`; if the work is meant to run once, make it a Job or "
               "CronJob (or an init container) instead of a long-running workload.")
        for regex, argv, how in _FOREGROUND:
            if regex.search(image):
                fix = f"The image looks like a server that daemonises: {how}. " + fix
                patch = _container_patch(c, f"        command: {_yaml_list(argv)}\n")
                break
        if spec and _BACKGROUNDING.search(command):
            fix = ("The command starts the server in the background (or as a daemon), so the shell that is the "
                   "container's main process ends at once: run the server in the foreground with `exec`. " + fix)
        restarts = f" and was restarted {c.restart_count} times" if c.restart_count else ""
        policy = "its restartPolicy Always (a sidecar)" if c.is_sidecar else "the pod's restartPolicy"
        summary = (f"{_who(c)} exits successfully (Completed, exit code 0){restarts}, but {policy} restarts it: its "
                   "main process does not stay running in the foreground.")
        key = "initContainers" if c.init else "containers"
        cmds = [logs_command(pod, c.name or None),
                f"kubectl get pod {pod_name(pod)}{_ns(pod)} -o jsonpath='{{.spec.{key}[*].command}} "
                f"{{.spec.{key}[*].args}}'",
                watch_command(pod)]
        yield Hit(c.name or None, summary, tuple(evidence), Remedy(fix, patch, tuple(cmds)),
                  0.86 if backoff else 0.78, c.init, "completed-under-restart-always", 3)


RULES: tuple[Rule, ...] = (
    env_var_missing,
    dependency_unreachable,
    listen_port_in_use,
    config_rejected,
    file_not_found,
    module_not_found,
    unhandled_crash,
    crash_signal_exit,
    main_process_exited_zero,
)
