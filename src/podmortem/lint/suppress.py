"""Suppressions with reasons (the podmortem.dev/ignore annotation) and baselines (`--baseline FILE`).

The annotation lists check ids, each optionally with a reason after `=`:

    podmortem.dev/ignore: "image-tag-latest=pinned by digest in CI, memory-limit-missing"

Entries are separated by commas, semicolons or newlines; a comma inside a reason is kept when
the text after it is not a single check id (so reasons may hold commas). The older form, ids
separated by spaces, still parses. A suppressed finding is not dropped: it is reported apart,
with its reason, so SARIF consumers see it as suppressed (`suppressions[].justification`).

A baseline is a previous `podmortem lint -o json` report. Findings are matched on what stays
put when unrelated lines are edited (check, file, object, namespace, container), not on the line;
a key present n times in the baseline hides at most n findings now, nearest line first.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from podmortem.errors import InputError
from podmortem.lint.model import LintFinding

IGNORE_ANNOTATION = "podmortem.dev/ignore"
EVERY_CHECK = frozenset({"all", "*"})
_ID = re.compile(r"(?:[a-z0-9][a-z0-9-]*|\*)\Z")
MAX_REASON = 500  # a reason is a sentence; longer text is cut (annotations can be 256 KiB)


@dataclass(frozen=True, slots=True)
class Suppressions:
    """Which checks an object silences, each with its reason ("" when none was given)."""

    entries: tuple[tuple[str, str], ...] = ()

    def reason(self, check_id: str) -> str | None:
        """The reason `check_id` is suppressed here, "" without a reason, None when it is not."""
        found = None
        for cid, why in self.entries:
            if cid == check_id or cid in EVERY_CHECK:
                if why:
                    return why
                found = ""
        return found

    def __or__(self, other: Suppressions) -> Suppressions:
        return Suppressions(self.entries + other.entries) if other.entries else self

    def __bool__(self) -> bool:
        return bool(self.entries)


NONE = Suppressions()


def parse_ignore(value: Any) -> Suppressions:
    """The annotation's value as (check id, reason) pairs; anything but a string is no suppression."""
    if not isinstance(value, str) or not value.strip():
        return NONE
    entries: list[list[str]] = []
    for segment in re.split(r"[;\n]", value):
        for piece in segment.split(","):
            text = piece.strip()
            if not text:
                continue
            cid, eq, why = text.partition("=")
            cid = cid.strip()
            continues = bool(entries and entries[-1][1]) and not eq and "-" not in cid and cid not in EVERY_CHECK
            if _ID.match(cid) and (eq or " " not in cid) and not continues:
                entries.append([cid, " ".join(why.split())[:MAX_REASON]])
            elif entries and entries[-1][1]:
                # a comma inside the previous entry's reason
                entries[-1][1] = f"{entries[-1][1]}, {' '.join(text.split())}"[:MAX_REASON]
            elif not eq and all(_ID.match(word) for word in text.split()):
                entries.extend([word, ""] for word in text.split())  # "a b": the older space-separated form
    return Suppressions(tuple((cid, why) for cid, why in entries))


def suppressions_of(meta: Mapping[str, Any] | Any) -> Suppressions:
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return parse_ignore(annotations.get(IGNORE_ANNOTATION)) if isinstance(annotations, dict) else NONE


# --- baselines ------------------------------------------------------------------------------------

BaselineKey = tuple[str, str, str, str, str]


def baseline_key(check: str, file: str, obj: str, namespace: str | None, container: str | None) -> BaselineKey:
    return (check, file, obj, namespace or "", container or "")


@dataclass(frozen=True, slots=True)
class Baseline:
    lines: Mapping[BaselineKey, tuple[int, ...]]

    def split(self, findings: Iterable[LintFinding]) -> tuple[list[LintFinding], int]:
        """(findings not in the baseline, how many it matched)."""
        by_key: dict[BaselineKey, list[LintFinding]] = defaultdict(list)
        for f in findings:
            by_key[baseline_key(f.check, f.file, f.object, f.namespace, f.container)].append(f)
        new: list[LintFinding] = []
        matched = 0
        for key, group in by_key.items():
            known = list(self.lines.get(key, ()))
            for f in sorted(group, key=lambda f: min((abs(f.line - n) for n in known), default=0)):
                if known:
                    known.remove(min(known, key=lambda n: abs(f.line - n)))
                    matched += 1
                else:
                    new.append(f)
        return new, matched


def read_baseline(path: str) -> Baseline:
    """A `podmortem lint -o json` report (its findings and suppressed findings) as a baseline."""
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read())
    except FileNotFoundError:
        raise InputError(f"--baseline {path}: no such file",
                         hint="write one with: podmortem lint -o json PATHS > baseline.json") from None
    except OSError as exc:
        raise InputError(f"--baseline {path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"--baseline {path}: not JSON ({exc})",
                         hint="a baseline is the output of podmortem lint -o json") from None
    if not isinstance(doc, dict) or doc.get("kind") != "LintReport" or not isinstance(doc.get("findings"), list):
        raise InputError(f"--baseline {path}: not a podmortem lint JSON report",
                         hint="a baseline is the output of podmortem lint -o json")
    lines: dict[BaselineKey, list[int]] = defaultdict(list)
    for item in _items(doc):
        try:
            key = baseline_key(str(item["check"]), str(item["file"]), str(item["object"]),
                               item.get("namespace"), item.get("container"))
            line = int(item.get("line") or 0)
        except (KeyError, TypeError, ValueError):
            raise InputError(f"--baseline {path}: a finding lacks check, file or object") from None
        lines[key].append(line)
    return Baseline({k: tuple(v) for k, v in lines.items()})


def _items(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for section in ("findings", "suppressed"):
        for item in doc.get(section) or ():
            if isinstance(item, dict):
                yield item
