"""Object names checked as kube-apiserver v1.32 checks them, with its error texts.

The rules and texts are those of staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go
(`IsDNS1123Subdomain`, `IsDNS1123Label`, `IsDNS1035Label`, `MaxLenError`, `RegexError`) and
apimachinery/pkg/api/validation/objectmeta.go (`ValidateObjectMeta`: a generateName is checked as a
prefix, trailing dash allowed; a missing name is "Required value: name or generateName is required").
Which rule a kind uses comes from pkg/apis/core/validation/validation.go (`ValidateNamespaceName`:
label, `ValidateServiceName`: DNS-1035 label, the others subdomain) and pkg/apis/batch/validation
(`ValidateCronJob`: at most 52 characters, room for the Job suffix).

The regular expressions are anchored and have no nested quantifiers over overlapping classes, so
they run in linear time on hostile names.
"""

from __future__ import annotations

import re

from podmortem.sim.cluster import ApiError
from podmortem.sim.resources import ResourceType

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = _LABEL + "(\\." + _LABEL + ")*"
_DNS1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"

_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
              "and end with an alphanumeric character")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                "character, and end with an alphanumeric character")

_LABEL_RE = re.compile(_LABEL)
_SUBDOMAIN_RE = re.compile(_SUBDOMAIN)
_DNS1035_RE = re.compile(_DNS1035)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def _subdomain(value: str) -> list[str]:
    errs = [_max_len(253)] if len(value) > 253 else []
    if not _SUBDOMAIN_RE.fullmatch(value):
        errs.append(_regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN, "example.com"))
    return errs


def _label(value: str) -> list[str]:
    errs = [_max_len(63)] if len(value) > 63 else []
    if not _LABEL_RE.fullmatch(value):
        if _SUBDOMAIN_RE.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error(_LABEL_MSG, _LABEL, "my-name", "123-abc"))
    return errs


def _dns1035(value: str) -> list[str]:
    errs = [_max_len(63)] if len(value) > 63 else []
    if not _DNS1035_RE.fullmatch(value):
        errs.append(_regex_error(_DNS1035_MSG, _DNS1035, "my-name", "abc-123"))
    return errs


def name_errors(rt: ResourceType, name: str, prefix: bool = False) -> list[str]:
    """The messages the API server gives for this name of this kind (empty: valid)."""
    value = name[:-1] + "a" if prefix and name.endswith("-") else name  # maskTrailingDash
    if rt.plural == "namespaces":
        errs = _label(value)
    elif rt.plural == "services":
        errs = _dns1035(value)
    else:
        errs = _subdomain(value)
    if rt.plural == "cronjobs" and not prefix and len(name) > 52:
        errs.append("must be no more than 52 characters")
    return errs


def _go_quote(value: str) -> str:
    """Go's %q for the names shown in messages: printable ASCII kept, the rest escaped."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~" or (ch > "~" and ch.isprintable()):
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def check_object_name(rt: ResourceType, meta: dict[str, object]) -> None:
    """Raise the API server's 422 Invalid for a name (or generateName) this kind may not have."""
    causes: list[tuple[str, str]] = []
    name = meta.get("name")
    generate = meta.get("generateName")
    if isinstance(generate, str) and generate:
        causes += [("metadata.generateName", f"Invalid value: {_go_quote(generate)}: {m}")
                   for m in name_errors(rt, generate, prefix=True)]
    if isinstance(name, str) and name:
        causes += [("metadata.name", f"Invalid value: {_go_quote(name)}: {m}") for m in name_errors(rt, name)]
    elif not generate:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    if not causes:
        return
    shown = name if isinstance(name, str) else ""
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    listed = [f"{f}: {m}" for f, m in causes]
    text = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    reason = {"Invalid": "FieldValueInvalid", "Required": "FieldValueRequired"}
    raise ApiError(422, "Invalid", f"{kind} {_go_quote(shown)} is invalid: {text}",
                   {"name": shown, **({"group": rt.group} if rt.group else {}), "kind": rt.kind,
                    "causes": [{"reason": reason[m.split(" ", 1)[0]], "message": m, "field": f} for f, m in causes]})
