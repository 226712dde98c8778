"""The terminal report: per pod the cause in one line, then the evidence, then the fix.

Built with rich (imported only when this format is asked for): lines are wrapped here with
hanging indents and, when colour is wanted, rendered by an in-memory console, so the renderer
returns text and never prints. With color=False the text carries no escape codes at all. User
text (log lines, messages, patches) is never parsed as rich markup, and its control characters
are shown as visible escapes instead of reaching the terminal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from io import StringIO
from typing import TYPE_CHECKING

from podmortem.kube.durations import format_duration
from podmortem.model import Backoff, Finding, PodDiagnosis
from podmortem.render.commands import command_lines, patch_yaml
from podmortem.render.text import clean

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

DEFAULT_WIDTH = 100
# The end of a line: spaces mixed with colour codes (a styled word's trailing space, then a reset).
_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$", re.M)
_CODE = re.compile(r"\x1b\[[0-9;]*m")
INDENT = 2

# Styles by role; a theme-free mapping keeps the plain-text output identical with colour off.
_STYLE = {
    "pod": "bold",
    "status.bad": "bold red",
    "status.ok": "green",
    "owner": "dim",
    "problem": "bold red",
    "unknown": "bold yellow",
    "ok": "bold green",
    "cause": "bold",
    "confidence": "dim",
    "label": "bold",
    "source": "cyan",
    "path": "dim",
    "patch": "",
    "command": "",
    "prompt": "dim",
    "related": "magenta",
    "other": "yellow",
    "backoff": "",
    "note": "dim",
}


def backoff_line(b: Backoff) -> str:
    """One container's place in the restart back-off, in words."""
    parts: list[str] = []
    if b.state == "back-off" and b.delay_seconds is not None:
        parts.append(f"restart {b.restart_count + 1} held {format_duration(b.delay_seconds)} after the last exit")
        if b.seconds_until_restart is not None:
            if b.seconds_until_restart > 0:
                # Round up: "in 0s" for a restart still half a second away would read as "due".
                parts.append(f"next restart in {format_duration(math.ceil(b.seconds_until_restart))}")
            else:
                parts.append("restart due now (on the kubelet's next sync)")
    elif b.state == "running":
        parts.append(f"running again after {b.restart_count} restart{'s' if b.restart_count != 1 else ''}; "
                     "the back-off resets after 10 minutes of running")
    else:
        parts.append(f"{b.restart_count} restart{'s' if b.restart_count != 1 else ''}")
        if b.delay_seconds is not None:
            parts.append(f"next delay {format_duration(b.delay_seconds)}")
    if b.failing_for_seconds is not None and b.failing_for_seconds > 0:
        parts.append(f"failing for {format_duration(b.failing_for_seconds)}")
    elif b.failing_since:
        parts.append(f"failing since {b.failing_since}")
    return "; ".join(parts)


def _breaks(cmd: str) -> list[int]:
    """Offsets of the spaces in a shell command that separate words (not inside quotes or escaped)."""
    out = []
    quote = ""
    escaped = False
    for i, ch in enumerate(cmd):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == " ":
            out.append(i)
    return out


def shell_lines(cmd: str, width: int) -> list[str]:
    """A command folded to `width` with ` \\` continuations at word breaks (a word longer stays whole)."""
    if len(cmd) <= width or width < 20:
        return [cmd]
    lines = []
    start = 0
    indent = ""
    room = width - 2  # the " \\" at the end of a continued line
    while len(indent) + len(cmd) - start > width:
        cut = None
        for b in _breaks(cmd):
            if b <= start:
                continue
            if len(indent) + b - start <= room:
                cut = b
            else:
                break
        if cut is None:
            cut = next((b for b in _breaks(cmd) if b > start), None)
            if cut is None:
                break
        lines.append(indent + cmd[start:cut] + " \\")
        start = cut + 1
        indent = "    "
    lines.append(indent + cmd[start:])
    return lines


def _shown_backoffs(d: PodDiagnosis, wide: bool) -> list[Backoff]:
    """The back-off entries worth a line: all in wide mode, else those still restarting."""
    if wide:
        return list(d.backoff)
    shown = [b for b in d.backoff if b.state in ("back-off", "waiting", "terminated")]
    if not shown and d.findings:
        shown = [b for b in d.backoff if b.restart_count]
    return shown


def _symbol(f: Finding) -> tuple[str, str]:
    return ("?", "unknown") if f.cause == "unknown" else ("✗", "problem")


class _Report:
    """Builds the report as lines of rich Text, wrapped here so each value hangs under itself.

    Wrapping by hand (Text.wrap at the column a value starts in) instead of rich tables keeps a
    report of thousands of pods fast, and gives one print at the end.
    """

    def __init__(self, console: Console, wide: bool) -> None:
        from rich.text import Text

        self.console = console
        self.width = console.width
        self.wide = wide
        self.Text = Text
        self.lines: list[Text] = []

    def text(self, *parts: tuple[str, str] | str) -> Text:
        t = self.Text()
        for p in parts:
            if isinstance(p, str):
                t.append(clean(p))
            else:
                t.append(clean(p[0]), style=_STYLE.get(p[1], p[1]))
        return t

    def blank(self) -> None:
        self.lines.append(self.Text())

    def hang(self, indent: int, label: Text | None, body: Text, gap: int = 2, label_width: int = 0) -> None:
        """`label  body` at `indent`, the body wrapped in its own column, under itself."""
        lead = indent
        if label is not None:
            lead += max(label.cell_len, label_width) + gap
        room = max(self.width - lead, 20)
        fits = body.cell_len <= room and "\n" not in body.plain
        for k, piece in enumerate([body] if fits else body.wrap(self.console, room, overflow="fold")):
            line = self.Text(" " * indent)
            if label is not None:
                if k == 0:
                    line.append_text(label)
                    line.append(" " * (lead - indent - label.cell_len))
                else:
                    line.append(" " * (lead - indent))
            line.append_text(piece)
            self.lines.append(line)

    def one_line(self, indent: int, body: Text) -> None:
        """A line cut with an ellipsis at the width instead of wrapped."""
        body.truncate(max(self.width - indent, 20), overflow="ellipsis")
        self.lines.append(self.Text(" " * indent) + body)

    def verbatim(self, lines: Sequence[str], indent: int, prefix: tuple[str, str] | None = None,
                 style: str = "", shell: bool = False) -> None:
        """Lines a person copies (patches, commands): never cut. A command wider than the terminal is
        continued with ` \\` at spaces outside quotes, so pasted into a shell it is the same command."""
        lead = indent + (len(prefix[0]) if prefix else 0)
        for line in lines:
            pieces = shell_lines(clean(line), self.width - lead) if shell else [clean(line)]
            for k, piece in enumerate(pieces):
                t = self.Text(" " * indent)
                if prefix:
                    t.append(prefix[0] if k == 0 else " " * len(prefix[0]), style=_STYLE.get(prefix[1], prefix[1]))
                t.append(piece, style=_STYLE.get(style, style))
                self.lines.append(t)

    def labelled(self, indent: int, rows: list[tuple[tuple[str, str], Text]]) -> None:
        """Label/value rows with the values aligned in one column."""
        width = max(len(label) for (label, _), _ in rows)
        for (label, style), value in rows:
            self.hang(indent, self.Text(label, style=_STYLE.get(style, style)), value, label_width=width)

    def pod(self, d: PodDiagnosis) -> None:
        name = f"{d.namespace}/{d.name}" if d.namespace else (d.name or "<unnamed pod>")
        if not d.findings:
            self.hang(0, None, self.text(("✓ ", "ok"), (name, "pod"), " ", (d.status, "status.ok"),
                                         ": nothing wrong found"))
            for b in _shown_backoffs(d, self.wide):
                self.backoff(b)
            return
        header = self.text((name, "pod"), "  ", (d.status, "status.bad"))
        if d.owner:
            header.append("  ")
            header.append(d.owner, style=_STYLE["owner"])
        self.hang(0, None, header)
        top, *others = d.findings
        self.finding(top)
        for f in others:
            if self.wide:
                self.finding(f)
            else:
                self.other(f)
        for b in _shown_backoffs(d, self.wide):
            self.backoff(b)
        rows: list[tuple[tuple[str, str], Text]] = []
        if d.missing and (self.wide or top.cause == "unknown" or top.confidence < 0.6):
            rows.append((("missing", "label"), self.text(("evidence not supplied: " + ", ".join(d.missing), "note"))))
        rows.extend((("note", "label"), self.text((note, "note"))) for note in d.notes)
        if rows:
            self.labelled(INDENT, rows)

    def finding(self, f: Finding) -> None:
        symbol, style = _symbol(f)
        line = self.text((f.cause, style), "  ", f.summary, (f"  (confidence {f.confidence:.2f})", "confidence"))
        self.hang(0, self.text((symbol, style)), line, gap=1)
        if self.wide:
            where = f.container or "-"
            if f.init:
                where += " (init container)"
            meta = f"rule {f.rule}; container {where}"
            if f.detail:
                meta += f"; detail {f.detail}"
            if f.lint_check:
                meta += f"; lint check {f.lint_check}"
            self.hang(INDENT, None, self.text((meta, "note")))
        if f.evidence:
            self.hang(INDENT, None, self.text(("evidence", "label")))
            rows: list[tuple[tuple[str, str], Text]] = []
            for c in f.evidence:
                value = self.Text(clean(c.text))
                if self.wide and c.path:
                    value.append(f"  ({c.path})", style=_STYLE["path"])
                rows.append(((c.source, "source"), value))
            self.labelled(2 * INDENT, rows)
        self.remedy(f)
        if f.related:
            self.labelled(INDENT, [(("related", "label"), self.text((rel, "related"))) for rel in f.related])

    def remedy(self, f: Finding) -> None:
        label = "next" if f.cause == "unknown" else "fix"
        self.labelled(INDENT, [((label, "label"), self.text(f.remedy.summary))])
        patch = patch_yaml(f.remedy.patch)
        if patch:
            self.verbatim(patch.rstrip("\n").splitlines(), 2 * INDENT, style="patch")
        self.verbatim(command_lines(f.remedy), 2 * INDENT, prefix=("$ ", "prompt"), style="command", shell=True)

    def other(self, f: Finding) -> None:
        where = f" [{f.container}{' init' if f.init else ''}]" if f.container else ""
        self.one_line(INDENT, self.text(("also  ", "label"), (f.cause, "other"), where, "  ", f.summary,
                                        (f"  ({f.confidence:.2f})", "confidence")))

    def backoff(self, b: Backoff) -> None:
        # A paste can lose the container's name; "back-off  : restart 133" reads as a glitch.
        who = f"{b.container}{' (init)' if b.init else ''}: " if b.container else ("init container: " if b.init else "")
        self.labelled(INDENT, [(("back-off", "label"), self.text(who, (backoff_line(b), "backoff")))])


def render_terminal(
    diagnoses: Sequence[PodDiagnosis], *, color: bool = False, width: int | None = None, wide: bool = False,
    footer: bool = True,
) -> str:
    """The report as text; ANSI colours only when color is True."""
    from rich.console import Console

    buf = StringIO()
    console = Console(
        file=buf, force_terminal=color, color_system="standard" if color else None, no_color=not color,
        width=width or DEFAULT_WIDTH, height=25, highlight=False, emoji=False, markup=False,
        force_jupyter=False, force_interactive=False, legacy_windows=False, soft_wrap=False,
    )
    report = _Report(console, wide)
    for i, d in enumerate(diagnoses):
        if i and (d.findings or diagnoses[i - 1].findings):
            report.blank()
        report.pod(d)
    if not diagnoses:
        report.hang(0, None, report.text("no pods found in the input"))
    elif len(diagnoses) > 1 and footer:
        bad = sum(1 for d in diagnoses if d.findings)
        report.blank()
        report.hang(0, None, report.text((f"{len(diagnoses)} pods, {bad} with problems", "problem" if bad else "ok")))
    if not color:
        # Without styles the lines are their plain text: joining them skips rich's render pass,
        # which is most of the time for a report on thousands of pods.
        out = "".join(line.plain + "\n" for line in report.lines)
    elif report.lines:
        from rich.text import Text

        # Already wrapped: soft_wrap stops rich from wrapping or cropping the lines again.
        console.print(Text("\n").join(report.lines), soft_wrap=True)
        out = buf.getvalue()
    else:
        out = ""
    # Wrapping can leave a space at the end of a line; nobody wants them in a copied report.
    return _TRAILING.sub(lambda m: "".join(_CODE.findall(m.group(0))), out)
