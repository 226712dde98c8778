"""The Markdown report, for pasting into an incident ticket or a pull request.

One section per pod: the root cause, the evidence quoted verbatim in code spans, the fix with
its patch and commands in fenced blocks, the back-off as a table, then the other findings.
Quoted text is never interpreted as Markdown: code spans and fences are sized to what they hold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from podmortem.kube.durations import format_duration
from podmortem.model import Backoff, Finding, PodDiagnosis
from podmortem.render.commands import command_lines, patch_yaml
from podmortem.render.text import clean

_PROSE_SPECIAL = re.compile(r"([\\*<>\[\]|])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def prose(text: str) -> str:
    """Text that reads as itself in Markdown: emphasis, HTML, link and table characters escaped."""
    return _PROSE_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(clean(text).split()))


def code_span(text: str) -> str:
    """An inline code span that survives backticks inside the text (CommonMark's rule)."""
    text = " ".join(clean(text).split())
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, lang: str) -> str:
    """A fenced block longer than any backtick run in the text, so the text cannot close it."""
    text = "\n".join(clean(line) for line in text.split("\n"))
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


def _cell(text: str) -> str:
    """Prose in a GFM table cell (prose escapes `|`, which would end the cell)."""
    return prose(text) if text else "-"


def cell_code(text: str) -> str:
    """A code span in a GFM table cell: the table splits on `|` even inside code spans, unless escaped."""
    return code_span(text).replace("|", "\\|")


def _pod_title(d: PodDiagnosis) -> str:
    return f"{d.namespace}/{d.name}" if d.namespace else (d.name or "unnamed pod")


def _where(f: Finding) -> str:
    if not f.container:
        return ""
    return f" (init container {code_span(f.container)})" if f.init else f" (container {code_span(f.container)})"


def _finding(f: Finding, lines: list[str], heading: str) -> None:
    lines.append(f"**{heading}:** `{f.cause}`{_where(f)}: {prose(f.summary)} (confidence {f.confidence:.2f})")
    lines.append("")
    if f.evidence:
        lines.append("**Evidence:**")
        lines.append("")
        lines.extend(f"- {c.source}: {code_span(c.text)}" for c in f.evidence)
        lines.append("")
    label = "Next steps" if f.cause == "unknown" else "Fix"
    lines.append(f"**{label}:** {prose(f.remedy.summary)}")
    lines.append("")
    patch = patch_yaml(f.remedy.patch)
    if patch:
        lines.append(fenced(patch, "yaml"))
        lines.append("")
    commands = command_lines(f.remedy)
    if commands:
        lines.append(fenced("\n".join(commands), "sh"))
        lines.append("")
    for rel in f.related:
        lines.append(f"_Related:_ {prose(rel)}")
        lines.append("")
    meta = [f"rule `{f.rule}`"]
    if f.detail:
        meta.append(f"detail {code_span(f.detail)}")
    if f.lint_check:
        meta.append(f"would have been caught by lint check {code_span(f.lint_check)}")
    lines.append("<sub>" + "; ".join(meta) + "</sub>")
    lines.append("")


def _seconds(value: float | None) -> str:
    return format_duration(value) if value is not None and value >= 0 else "-"


def _next_restart(b: Backoff) -> str:
    if b.next_restart_at is None:
        return "-"
    if b.seconds_until_restart is None:
        return b.next_restart_at
    if b.seconds_until_restart <= 0:
        return f"{b.next_restart_at} (due)"
    return f"{b.next_restart_at} (in {format_duration(math.ceil(b.seconds_until_restart))})"


def _backoff_table(entries: Sequence[Backoff], lines: list[str]) -> None:
    lines.append("**Back-off:**")
    lines.append("")
    lines.append("| container | restarts | state | current delay | last exit | next restart | failing for |")
    lines.append("|---|---:|---|---:|---|---|---|")
    for b in entries:
        name = (f"{b.container} (init)" if b.init else b.container) or "(container name not in the evidence)"
        delay = format_duration(b.delay_seconds) if b.delay_seconds is not None else "-"
        lines.append(
            f"| {_cell(name)} | {b.restart_count} | {_cell(b.state)} | {delay} | {_cell(b.last_exit_at or '')} "
            f"| {_cell(_next_restart(b))} | {_seconds(b.failing_for_seconds)} |"
        )
    lines.append("")
    default = entries[0]
    lines.append(f"<sub>kubelet back-off: {format_duration(default.initial_delay_seconds)} doubling to "
                 f"{format_duration(default.max_delay_seconds)}, reset after 10 minutes of running</sub>")
    lines.append("")


def _pod(d: PodDiagnosis, lines: list[str]) -> None:
    lines.append(f"## {prose(_pod_title(d))} — {prose(d.status)}")
    lines.append("")
    if d.owner:
        lines.append(f"Owner: {code_span(str(d.owner))}")
        lines.append("")
    if not d.findings:
        lines.append("Nothing wrong found.")
        lines.append("")
        return
    top, *others = d.findings
    _finding(top, lines, "Unknown cause" if top.cause == "unknown" else "Root cause")
    if d.backoff:
        _backoff_table(d.backoff, lines)
    if others:
        lines.append("**Other findings:**")
        lines.append("")
        for f in others:
            lines.append(f"- `{f.cause}`{_where(f)}: {prose(f.summary)} (confidence {f.confidence:.2f})")
            lines.extend(f"  - {c.source}: {code_span(c.text)}" for c in f.evidence)
        lines.append("")
    if d.missing:
        lines.append("**Missing evidence:** " + ", ".join(prose(m) for m in d.missing))
        lines.append("")
    for note in d.notes:
        lines.append(f"> Note: {prose(note)}")
        lines.append("")


def render_markdown(diagnoses: Sequence[PodDiagnosis]) -> str:
    """The whole report as one Markdown document."""
    lines: list[str] = []
    bad = sum(1 for d in diagnoses if d.findings)
    if len(diagnoses) > 1:
        lines.append(f"# podmortem: {len(diagnoses)} pods, {bad} with problems")
        lines.append("")
    elif not diagnoses:
        lines.append("# podmortem: no pods found in the input")
        lines.append("")
    healthy = [d for d in diagnoses if not d.findings]
    for d in diagnoses:
        if d.findings or len(diagnoses) == 1:
            _pod(d, lines)
    if healthy and len(diagnoses) > 1:
        # Healthy pods matter to a ticket only as "checked, fine": one list, not a section each.
        lines.append("## Nothing wrong found")
        lines.append("")
        lines.extend(f"- {prose(_pod_title(d))} — {prose(d.status)}" for d in healthy)
        lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
