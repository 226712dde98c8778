"""The fleet summary: one row per namespace, owner and cause, most pods first.

Shared by the terminal's summary-first output and the HTML report's group table, so both name the
same groups in the same order. A pod without an owner is its own group (`pod/NAME`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from podmortem.model import PodDiagnosis
from podmortem.podstatus import human_duration
from podmortem.render.escape import one_line


@dataclass
class SummaryRow:
    namespace: str
    owner: str
    cause: str
    container: str | None
    summary: str
    pods: list[PodDiagnosis] = field(default_factory=list)
    restarts: int = 0
    since: str | None = None  # the earliest failing_since (RFC 3339) of the group's pods

    @property
    def representative(self) -> PodDiagnosis:
        """The pod shown in detail: the one that restarted most (ties: the first listed)."""
        return max(self.pods, key=lambda d: sum(b.restart_count for b in d.backoff))


def owner_of(d: PodDiagnosis, owners: Mapping[tuple[str, str], str] | None = None) -> str:
    if owners:
        found = owners.get((d.namespace or "", d.name or ""))
        if found:
            return found
    if d.owner:
        kind, _, name = d.owner.partition("/")
        return f"{kind.lower()}/{name}" if name else d.owner
    return f"pod/{d.name or 'unnamed'}"


def summarise(diagnoses: Sequence[PodDiagnosis], owners: Mapping[tuple[str, str], str] | None = None) -> list[SummaryRow]:
    """Rows for the pods with findings, keyed by (namespace, owner, cause, container)."""
    rows: dict[tuple[str, str, str, str | None], SummaryRow] = {}
    for d in diagnoses:
        if not d.findings:
            continue
        top = d.findings[0]
        key = (d.namespace or "", owner_of(d, owners), top.cause, top.container)
        row = rows.get(key)
        if row is None:
            row = rows[key] = SummaryRow(key[0], key[1], top.cause, top.container, top.summary)
        row.pods.append(d)
        row.restarts += max((b.restart_count for b in d.backoff), default=0)
        for b in d.backoff:
            if b.failing_since and (row.since is None or b.failing_since < row.since):
                row.since = b.failing_since
    return sorted(rows.values(), key=lambda r: (-len(r.pods), -r.restarts, r.namespace, r.owner, r.cause))


# -- the terminal table ----------------------------------------------------------------------------

TABLE_ROWS = 40  # rows shown before "and N more groups"; each distinct cause is among the first ones


def table_order(rows: Sequence[SummaryRow]) -> list[SummaryRow]:
    """Each cause's largest group first (so a screen names every cause), then the rest, by size."""
    seen: set[str] = set()
    first: list[SummaryRow] = []
    rest: list[SummaryRow] = []
    for r in rows:
        (rest if r.cause in seen else first).append(r)
        seen.add(r.cause)
    return first + rest


def _age(since: str | None, now: datetime | None) -> str:
    if since is None or now is None:
        return "-"
    from podmortem.kube.times import parse_rfc3339

    t = parse_rfc3339(since)
    if t is None:
        return "-"
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    # Whole seconds: a snapshot stores its capture time without the fraction, and its report must
    # read the same as the live one.
    return human_duration(max(0.0, (now.replace(microsecond=0) - t).total_seconds()))


def _fit(text: str, width: int) -> str:
    text = one_line(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


_SHORT_KIND = {"deployment": "deploy", "statefulset": "sts", "daemonset": "ds", "replicaset": "rs",
               "cronjob": "cj", "replicationcontroller": "rc"}  # kubectl's short names


def short_owner(owner: str) -> str:
    kind, _, name = owner.partition("/")
    return f"{_SHORT_KIND.get(kind, kind)}/{name}" if name else owner


# Columns: header, cap on width, minimum width, right-aligned. Dropped from the end of DROP_ORDER
# when the terminal is too narrow; NAMESPACE, OWNER and CAUSE always stay.
_COLUMNS = (("NAMESPACE", 20, 9, False), ("OWNER", 40, 18, False), ("CAUSE", 30, 30, False),
            ("PODS", 6, 4, True), ("RESTARTS", 8, 8, True), ("SINCE", 6, 5, False))
DROP_ORDER = ("SUMMARY", "SINCE", "RESTARTS")
MIN_SUMMARY = 16


def summary_table(rows: Sequence[SummaryRow], *, now: datetime | None, width: int,
                  limit: int = TABLE_ROWS) -> list[str]:
    """kubectl-style columns, one line per row, never wider than `width`: narrow terminals lose
    SUMMARY, then SINCE, then RESTARTS, and names are cut with an ellipsis before that."""
    ordered = table_order(rows)
    shown = ordered[:limit]
    cells = [[r.namespace or "-", short_owner(r.owner), r.cause,
              str(len(r.pods)), str(r.restarts), _age(r.since, now)] for r in shown]
    cols = list(range(len(_COLUMNS)))
    widths = [min(cap, max(len(h), *(len(c[i]) for c in cells))) for i, (h, cap, _, _) in enumerate(_COLUMNS)]
    summary = True

    def used() -> int:
        return sum(widths[i] + 2 for i in cols) - 2

    for dropping in DROP_ORDER:
        # Shrink names to their minimum before giving up a column.
        for i in (1, 0, 2):
            while used() + (MIN_SUMMARY + 2 if summary else 0) > width and widths[i] > _COLUMNS[i][2]:
                widths[i] -= 1
        if used() + (MIN_SUMMARY + 2 if summary else 0) <= width:
            break
        if dropping == "SUMMARY":
            summary = False
        else:
            cols.remove([h for h, *_ in _COLUMNS].index(dropping))

    def line(values: list[str], text: str) -> str:
        parts = []
        for i in cols:
            v = _fit(values[i], widths[i])
            parts.append(v.rjust(widths[i]) if _COLUMNS[i][3] else v.ljust(widths[i]))
        out = "  ".join(parts)
        if summary:
            out += "  " + _fit(text, width - len(out) - 2)
        return _fit(out.rstrip(), width)

    lines = [line([h for h, *_ in _COLUMNS], "SUMMARY")]
    for r, c in zip(shown, cells, strict=True):
        lines.append(line(c, r.summary))
    if len(ordered) > len(shown):
        more = ordered[len(shown):]
        lines.append(_fit(f"... and {len(more)} more groups ({sum(len(r.pods) for r in more)} pods)", width))
    return lines


def parse_details(value: str) -> int | None:
    """`--details all|none|N`: None for all, else how many groups are shown in full."""
    v = value.strip().lower()
    if v == "all":
        return None
    if v == "none":
        return 0
    if v.isdigit():
        return int(v)
    raise ValueError(f"{value!r} is not all, none or a number of groups")


def details_count(details: str, table: bool, default: int) -> int | None:
    """How many groups to show in full: None for all. `auto` is all without a table, else `default`."""
    if details == "auto":
        return default if table else None
    return parse_details(details)


def summary_first(diagnoses: Sequence[PodDiagnosis], fmt: str, *, color: bool, width: int | None, details: str,
                  now: datetime | None, default_details: int = 10) -> str | None:
    """The text report led by the summary table, or None when there is one group or fewer (no table)."""
    from podmortem.render.terminal import DEFAULT_WIDTH, render_terminal

    rows = summarise(diagnoses)
    if len(rows) <= 1:
        return None
    width = width or DEFAULT_WIDTH
    n = details_count(details, True, default_details)
    ordered = table_order(rows)
    shown = ordered if n is None else ordered[:n]
    parts = ["\n".join(summary_table(rows, now=now, width=width))]
    chosen = {id(d) for r in shown for d in r.pods}
    pods = [d for d in diagnoses if id(d) in chosen or (n is None and not d.findings)]
    if pods:
        parts.append(render_terminal(pods, color=color, width=width, wide=fmt == "wide", footer=False).rstrip("\n"))
    bad = sum(1 for d in diagnoses if d.findings)
    tail = f"{len(diagnoses)} pods, {bad} with problems in {len(rows)} groups"
    if len(shown) < len(rows):
        tail += f"; details for {len(shown)} of them (--details all shows every group)"
    import textwrap

    parts.append(textwrap.fill(tail, width, break_on_hyphens=False))
    return "\n\n".join(parts) + "\n"
