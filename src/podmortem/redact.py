"""Redaction of credentials in any text that enters the evidence model, before anything is shown.

Applied at the evidence boundary: container log lines as they are read (sources/logs.py, with
`redact_lines` following PEM blocks across lines) and every other free text in
sources/boundary.py. Replaces the secret part only and keeps the line readable.

Formats, from the public rule sets of gitleaks (config/gitleaks.toml: aws-access-token,
gcp-api-key, github-pat / github-oauth / github-app-token / github-refresh-token /
github-fine-grained-pat, slack-bot-token / slack-user-token / slack-app-token / slack-webhook-url,
jwt, private-key, azure storage) and Yelp's detect-secrets plugins (aws.py, basic_auth.py,
keyword.py, jwt.py, private_key.py, slack.py, github_token.py, azure_storage_key.py):
- URL credentials of any scheme, also with an empty user (`redis://:pw@host`);
- password / secret / token / key words followed by `=`, `:`, JSON `": "`, or a space and a value
  shaped like a credential (digits or symbols or mixed case: `password authentication failed`
  and MySQL's `(using password: YES)` are words, not credentials);
- Kubernetes env entries in JSON (`{"name":"DB_PASSWORD","value":"..."}`, as in kubectl's
  last-applied-configuration);
- Authorization headers and bearer tokens; JWTs (`eyJ...` three base64url parts);
- AWS access key ids (AKIA/ASIA/ABIA/ACCA/A3T.. + 16) and secret keys (40 base64 characters near
  `aws` or `secret`); GCP API keys (`AIza` + 35) and service-account `private_key_id`s;
  Azure connection-string keys (AccountKey=, SharedAccessKey=, SAS `sig=`);
- GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), Slack tokens (xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/
  xoxe-, xapp-) and webhook URLs;
- PEM private key blocks, the whole body (BEGIN to END, in one text or across log lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from podmortem.lazyre import lazy

REDACTED = "[REDACTED]"

_KEYWORD = (r"(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key"
            r"|private_key_id|client[_-]?secret|auth[_-]?token|access[_-]?token|refresh[_-]?token|credentials?"
            r"|account[_-]?key|sas[_-]?token|passphrase)")
# Words that follow "password"/"token" in ordinary messages and are never the credential itself.
_NOT_A_VALUE = (r"(?:YES|NO|authentication|auth|for|is|was|must|not|required|missing|empty|incorrect|invalid|mismatch"
                r"|expired|too|has|does|did|should|cannot|can't|file|policy|changed|reset|hash|length|field|prompt"
                r"|provided|given|set|unset|specified|supplied|of|to|and|or|the|from|in|with|without|store|manager"
                r"|rotation|type|request|refresh|endpoint|url|exchange|verification|validation|error|failed|null|none"
                r"|true|false|\*+|\[REDACTED\])\b")
_PEM_BEGIN = lazy(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = lazy(r"-----END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private key blocks in one text (escaped \n in JSON, or real newlines): the whole body
    (lazy(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----(?:(?!-----END ).){0,65536}?"
                r"(?:-----END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----|$)", re.S), REDACTED),
    # scheme://user:password@host and scheme://:password@host (databases, AMQP, Redis, HTTP basic auth)
    (lazy(r"((?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s:/@]{0,256}:)([^\s@/]{1,512})(@)"),
     r"\1" + REDACTED + r"\3"),
    # Kubernetes env entries in JSON: {"name":"DB_PASSWORD","value":"..."}
    (lazy(r"(?i)(\"name\"\s*:\s*\"[A-Z0-9_]{0,64}(?:PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH)[A-Z0-9_]{0,64}\"\s*,\s*"
                r"\"value\"\s*:\s*\")([^\"]{1,4096})"), r"\1" + REDACTED),
    # keyword = value, keyword: value, "keyword": "value" (also as the end of a longer name: DB_PASSWORD=...)
    (lazy(
        # not a qualified type name (`*v1.Secret: failed to list`, `corev1.Secret:`)
        r"(?i)((?:\b|(?<=_))(?<!\.)" + _KEYWORD + r"\b[\"']?\s{0,4}[:=]\s{0,4}[\"']?)"
        # MySQL's "(using password: YES|NO)" says whether one was sent, it is not one; nor is a
        # message word after a colon (`Secret: failed to list`, `password: required`)
        r"(?!(?:YES|NO)\))(?!\[REDACTED\])(?!" + _NOT_A_VALUE + r")([^\s\"',;&]{3,})"),
     r"\1" + REDACTED),
    # keyword followed by a space and a credential-shaped value ("secret wJalrXUtnFEMI/K7MDENG...")
    # (not a Kubernetes reference: "Secret shop/db-creds" names an object)
    (lazy(r"(?i)(\b" + _KEYWORD + r"\s{1,4})(?!" + _NOT_A_VALUE + r")"
                r"(?![a-z0-9][-a-z0-9.]{0,252}/[a-z0-9][-a-z0-9.]{0,252}(?:[\s\"',;]|$))"
                r"(?=[^\s\"',;]{6,})(?=[^\s\"',;]*(?:\d|[^\w\s\"',;]|[a-z][^\s\"',;]*[A-Z]|[A-Z][^\s\"',;]*[a-z]))"
                r"([^\s\"',;]{6,})"), r"\1" + REDACTED),
    # Authorization headers and bearer tokens
    (lazy(r"(?i)(\bauthorization\b[\"']?\s{0,4}[:=]\s{0,4}[\"']?(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/=-]{8,})"),
     r"\1" + REDACTED),
    (lazy(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{16,})"), r"\1" + REDACTED),
    # JWTs
    (lazy(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{0,2048}"), REDACTED),
    # AWS access key ids and secret access keys
    (lazy(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b"), REDACTED),
    (lazy(r"(?i)((?:aws|secret)[\w.-]{0,30}?[\"']?\s{0,4}[:=\s]\s{0,4}[\"']?)(?-i:[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
     r"\1" + REDACTED),
    # GCP API keys
    (lazy(r"\bAIza[0-9A-Za-z_-]{35}"), REDACTED),
    # Azure connection strings and SAS signatures
    (lazy(r"(?i)(\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=)([^;\s&\"']{8,})"), r"\1" + REDACTED),
    # GitHub and Slack tokens, Slack webhooks
    (lazy(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}\b|\bgithub_pat_[A-Za-z0-9_]{20,}\b"), REDACTED),
    (lazy(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"), REDACTED),
    (lazy(r"(hooks\.slack\.com/services/)[A-Za-z0-9_/]{8,}"), r"\1" + REDACTED),
)

# Words one of which every pattern above needs (or a URL with a password), lower case. Most texts
# hold none: the test is a substring search per word in the lower-cased text, 10-15 times faster on
# a kubelet message than one case-insensitive alternation, which re tries at every position.
_TRIGGER_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "cred", "eyj", "akia", "asia", "abia", "acca",
                  "a3t", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "aiza", "gho_", "ghp_", "ghr_", "ghs_",
                  "ghu_", "github_pat", "xox", "xapp", "begin", "sig=", "hooks.slack", "bearer", "aws")
_URL_PASSWORD = lazy(r"://[^\s/@]{0,256}:[^\s@]{0,512}@")
# The patterns ignore case as re does: besides ASCII case, U+0130 and U+0131 match `i`, U+017F `s`
# (and U+212A `k`, which str.lower already maps). str.lower would turn U+0130 into two characters and
# keep the other two, so they are mapped first (tests/core/test_redact_trigger.py checks every code point).
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def triggered(text: str) -> bool:
    """True when the text may hold a credential some pattern redacts; False means none does."""
    hay = text.lower() if text.isascii() else text.translate(_FOLD_TO_ASCII).lower()
    for word in _TRIGGER_WORDS:
        if word in hay:
            return True
    return "://" in hay and _URL_PASSWORD.search(text) is not None


def redact(text: str) -> str:
    """The text with credentials replaced by [REDACTED]."""
    if not triggered(text):  # most lines carry nothing secret: skip the patterns
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_lines(lines: Iterable[str]) -> list[str]:
    """Lines of one log, redacted; a PEM private key's body is redacted on every line up to its END."""
    out: list[str] = []
    in_pem = False
    for line in lines:
        if in_pem:
            end = _PEM_END.search(line)
            if end is None:
                out.append(REDACTED if line.strip() else line)
                continue
            in_pem = False
            line = REDACTED + line[end.end():]
        begin = _PEM_BEGIN.search(line)
        if begin is not None and _PEM_END.search(line, begin.end()) is None:
            in_pem = True
            line = line[: begin.start()] + REDACTED
        out.append(redact(line))
    return out
