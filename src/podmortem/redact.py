"""Redaction of credentials that appear in quoted text (logs, messages) before anything is shown.

Applied by the sources to log lines as they are read, so no renderer can print a password
that a crashing app logged. Replaces the secret part only and keeps the line readable.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  (database URLs, AMQP, Redis, HTTP basic auth)
    (re.compile(r"((?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)"), r"\1" + REDACTED + r"\3"),
    # key=value / key: value for secret-ish keys, also as the end of a longer name (DB_PASSWORD=...)
    (re.compile(
        r"(?i)((?:\b|(?<=_))(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key"
        r"|client[_-]?secret|auth[_-]?token|credentials?)\b[\"']?\s*[:=]\s*[\"']?)"
        # MySQL's "(using password: YES|NO)" says whether one was sent, it is not one
        r"(?!(?:YES|NO)\))([^\s\"',;&]{3,})"),
     r"\1" + REDACTED),
    # Authorization headers
    (re.compile(r"(?i)(\bauthorization\b[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/=-]{8,})"),
     r"\1" + REDACTED),
    (re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{16,})"), r"\1" + REDACTED),
    # JWTs, AWS access key ids, GitHub and Slack tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), REDACTED),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b"), REDACTED),
    (re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"), REDACTED),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), REDACTED),
)

_TRIGGERS = re.compile(r"(?i)://[^\s/@]+:[^\s@]*@|pass|pwd|secret|token|key|auth|cred|eyJ|AKIA|ASIA|gh[posu]_|xox|BEGIN")


def redact(text: str) -> str:
    """The text with credentials replaced by [REDACTED]."""
    if not _TRIGGERS.search(text):  # most lines carry nothing secret: skip the patterns
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
