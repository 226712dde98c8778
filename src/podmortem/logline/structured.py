"""Structured log records (JSON, logfmt, klog) read down to their level and message text.

Field names, as the loggers write them:

- zap (go.uber.org/zap `zapcore/encoder.go` NewProductionEncoderConfig): level, ts, caller, msg,
  stacktrace; `zap.Error` adds error (and errorVerbose).
- logrus (sirupsen/logrus `formatter.go` FieldKeyMsg/FieldKeyLevel/FieldKeyTime, `logrus.go` ErrorKey):
  msg, level, time, error; its TextFormatter writes the same keys as logfmt.
- log/slog (Go 1.21 `log/slog/handler.go` MessageKey/LevelKey/TimeKey/SourceKey): msg, level (DEBUG,
  INFO, WARN, ERROR), time, source; TextHandler writes logfmt.
- go-kit/log, Heroku logfmt: key=value pairs, values quoted with Go escapes when they need it.
- klog (kubernetes/klog v2 `klog.go` formatHeader): `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`,
  L one of I W E F; the `file:line` is the call site, never an address; its structured form
  (`InfoS`/`ErrorS`, `internal/serialize`) writes `"msg" key="value" err="..."`, and its JSON format
  (k8s.io/component-base `logs/json`) writes ts, v, msg, err.
- bunyan and pino (node): msg, numeric level (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal),
  err {type|name, message, stack}.
- Serilog: compact JSON (Serilog.Formatting.Compact, CLEF) @t, @m, @mt, @l (absent means
  Information), @x; JsonFormatter Timestamp, Level, MessageTemplate, RenderedMessage, Exception.
- Microsoft.Extensions.Logging JsonConsoleFormatter: Timestamp, EventId, LogLevel, Category, Message,
  Exception, State.
- structlog (JSONRenderer): event, level, timestamp, exception; python-json-logger: message,
  levelname, asctime, exc_info.
- MongoDB 4.4+ (mongo `src/mongo/logv2/json_formatter.cpp`): t, s (F E W I D1..D5), c, id, ctx, msg,
  attr {..., error}.
- logstash-logback-encoder, Elastic ECS (and Spring Boot 3.4 structured logging): @timestamp,
  message, level / log.level, stack_trace / error.stack_trace, error.message; Google Cloud: severity,
  message.

The message is the record's message field, followed by its error field when that adds something
(`msg: error`) and by the record's other short string fields as `key="value"` (an app's own
`reason`, `url`, `path`: words a rule may need); multi-line values (tracebacks, stack traces) follow
as lines of their own, the way the program that wrote them would have printed them.
"""

from __future__ import annotations

import json
import re

from podmortem.kube.typedjson import msgspec

MESSAGE_KEYS = ("msg", "message", "Message", "@m", "RenderedMessage", "event", "MessageTemplate", "@mt",
                "textPayload", "log")
# Error fields whose text joins the message line (`msg: error`), and those that hold a stack trace.
JOINED_KEYS = ("error", "err", "error.message")
STACK_KEYS = ("exception", "Exception", "@x", "exc_info", "stack_trace", "stacktrace", "error.stack_trace", "stack",
              "errorVerbose")
LEVEL_KEYS = ("level", "lvl", "severity", "levelname", "@l", "Level", "LogLevel", "log.level", "loglevel")
# MongoDB's one-letter severities (D1..D5 are debug levels).
_MONGO_LEVELS = {"F": "fatal", "E": "error", "W": "warn", "I": "info"}

# bunyan/pino numeric levels (bunyan README "Levels"; pino `lib/constants.js`).
_NUMERIC_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_LEVEL_WORDS = {
    "trace": "trace", "verbose": "debug", "debug": "debug", "dbg": "debug", "info": "info", "information": "info",
    "notice": "info", "inf": "info", "warn": "warn", "warning": "warn", "wrn": "warn", "error": "error", "err": "error",
    "eror": "error", "fatal": "fatal", "ftl": "fatal", "critical": "critical", "crit": "critical", "panic": "panic",
    "dpanic": "panic", "emerg": "critical", "emergency": "critical", "alert": "critical",
}
_KLOG = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^\s\]]{1,256}:\d{1,7}\] ?")
_KLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}
# One logfmt pair: key=value, the value bare or a double-quoted Go string.
_LOGFMT_PAIR = re.compile(r'([A-Za-z_@][\w.@-]{0,63})=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)')
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
# Fields that say when, where in the code and which process: never the message.
_META_KEYS = frozenset({
    "ts", "time", "timestamp", "@timestamp", "t", "asctime", "Timestamp", "@t", "caller", "source", "logger", "name",
    "logger_name", "thread", "thread_name", "ctx", "c", "id", "v", "pid", "hostname", "level_value", "EventId",
    "Category", "s", "@i", "@r", "file", "line", "func", "function", "module", "lineno", "funcName", "filename",
    "process", "processName", "threadName", "stream", "_p", "@version", "service", "version", "host",
})
_MAX_EXTRA = 200  # longest extra field value shown
_MAX_DECODE = 1 << 20  # JSON records longer than this are left as text


class Structured(msgspec.Struct, frozen=True):
    """A record's level (lower-case word, None when it has none) and its message, possibly several lines."""

    level: str | None
    text: str


def level_word(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _NUMERIC_LEVELS.get(value)
    if isinstance(value, str):
        return _LEVEL_WORDS.get(value.strip().lower())
    return None


def _text_of(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # err: {message, stack}, error: {message, stack_trace}, @x objects
        stack = next((v for k in ("stack", "stack_trace", "stacktrace", "StackTrace") if isinstance(v := value.get(k), str)), None)
        msg = next((v for k in ("message", "msg", "Message") if isinstance(v := value.get(k), str)), None)
        if stack and msg and msg in stack:
            return stack
        parts = [p for p in (msg, stack) if p]
        return "\n".join(parts) if parts else None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value[:50]):
        return "\n".join(value[:200])  # Python's exc_info as a list of formatted lines
    return None


def _field(record: dict[str, object], keys: tuple[str, ...]) -> tuple[str, str | None]:
    for k in keys:
        if k in record:
            return k, _text_of(record[k])
        if "." in k:  # ECS writes dotted names nested: {"error": {"message": ...}}
            outer, inner = k.split(".", 1)
            sub = record.get(outer)
            if isinstance(sub, dict) and inner in sub:
                return k, _text_of(sub[inner])
    return "", None


def _compose(message: str | None, joined: list[str], stacks: list[str]) -> str | None:
    """`message: error` on the first line; stack traces and the rest of multi-line values below it."""
    if message is None and not joined and not stacks:
        return None
    lines = (message or "").rstrip("\n").split("\n")
    for value in joined:
        value = value.rstrip("\n")
        if not value or value in "\n".join(lines):
            continue
        first, _, rest = value.partition("\n")
        lines[0] = f"{lines[0]}: {first}" if lines[0] else first
        if rest:  # a multi-line error (an err.stack): below as the program printed it, its first line too
            lines.extend(value.split("\n"))
    for value in stacks:
        value = value.rstrip("\n")
        if value and value not in "\n".join(lines):
            lines.extend(value.split("\n"))
    return "\n".join(lines)


def _level(record: dict[str, object]) -> str | None:
    for k in LEVEL_KEYS:
        if k in record:
            return level_word(record[k])
    s = record.get("s")
    if isinstance(s, str) and "t" in record and "c" in record:
        return _MONGO_LEVELS.get(s[:1])
    log = record.get("log")
    return level_word(log.get("level")) if isinstance(log, dict) else None


def json_record(line: str) -> Structured | None:
    """A JSON logger record's level and message; None when the line is not one."""
    if len(line) > _MAX_DECODE or not (line.startswith("{") and line.rstrip().endswith("}")):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    key, message = _field(record, MESSAGE_KEYS)
    attr = record.get("attr")
    if isinstance(attr, dict):  # MongoDB puts the error among the attributes
        record = {**attr, **record}
    joined = [v for k in JOINED_KEYS if k != key and (v := _field(record, (k,))[1])]
    stacks = [v for k in STACK_KEYS if k != key and (v := _field(record, (k,))[1])]
    if message is None and not joined and not stacks:
        return None
    level = _level(record)
    used = {key, *JOINED_KEYS, *STACK_KEYS, *LEVEL_KEYS, *MESSAGE_KEYS, "attr"}
    extras = [f'{k}="{v}"' for k, v in record.items()
              if isinstance(v, str) and k not in used and k not in _META_KEYS and v and len(v) <= _MAX_EXTRA
              and "\n" not in v]
    if extras:
        joined.append(" ".join(extras[:8]))
    if level is None and ("@m" in record or "@mt" in record):
        level = "info"  # CLEF leaves @l out at Information level
    text = _compose(message, joined, stacks)
    return None if text is None else Structured(level, text)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value[1:-1]
    return value


def logfmt_pairs(text: str) -> dict[str, str] | None:
    """key=value pairs covering the whole text; None when the text is not logfmt."""
    pairs: dict[str, str] = {}
    pos = 0
    n = len(text)
    while pos < n:
        m = _LOGFMT_PAIR.match(text, pos)
        if m is None:
            return None
        pairs.setdefault(m.group(1), _unquote(m.group(2)))
        pos = m.end()
    return pairs


def logfmt_record(line: str) -> Structured | None:
    """A logfmt record's (logrus text, slog TextHandler, go-kit) level and message; None for other lines."""
    if "=" not in line[:64] or not ("msg=" in line or "level=" in line or "lvl=" in line or "message=" in line):
        return None
    pairs = logfmt_pairs(line.strip())
    if not pairs or len(pairs) < 2:
        return None
    message = pairs.get("msg", pairs.get("message"))
    joined = [pairs[k] for k in ("err", "error") if pairs.get(k)]
    stacks = [pairs[k] for k in ("exception", "stacktrace", "stack") if pairs.get(k)]
    if message is None and not joined:
        return None
    level = level_word(pairs.get("level", pairs.get("lvl", pairs.get("severity", ""))))
    text = _compose(message, joined, stacks)
    return None if text is None else Structured(level, text)


def klog_record(line: str) -> Structured | None:
    """A klog/glog record's level and message (structured `"msg" key=value` form unwrapped)."""
    m = _KLOG.match(line)
    if m is None:
        return None
    level = _KLOG_LEVELS[m.group(1)]
    rest = line[m.end():]
    if rest.startswith('"'):
        q = _QUOTED.match(rest)
        if q is not None:
            msg = _unquote(q.group(0))
            pairs = logfmt_pairs(rest[q.end():].strip()) or {}
            joined = [pairs[k] for k in ("err", "error") if pairs.get(k)]
            return Structured(level, _compose(msg, joined, []) or msg)
    return Structured(level, rest)
