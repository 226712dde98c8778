"""The paste as lines: text preparation and the shape of a line.

Line endings, non-breaking and zero-width spaces, a paste quoted with `> `; the lines that
carry nothing (cut marks such as `...` or `<snip>`, code fences, `----` rules); indentation
with tabs; and lines a terminal cut at its width. Standard library only: it must not import
the rest of the parser.
"""

from __future__ import annotations

import re

SEPARATOR = re.compile(r"^[ \t]*[-=_][-=_ \t]*[-=_][ \t]*$")  # `----  ------` rules, `====`

# Lines that mark a cut in the paste; they carry nothing and break any continuation.
SNIP = re.compile(
    r"^(?:\.{2,}|…+|\[\s*(?:\.{2,}|…|snip(?:ped)?|truncated|trimmed|cut|omitted)[^\]]*\]|"
    r"<\s*(?:snip(?:ped)?|truncated|\.{2,}|…|omitted)[^>]*>|\(\s*(?:snip(?:ped)?|\.{2,}|…|truncated)\s*\)|"
    r"[-=#*\s]*snip[-=#*\s]*|\.{2,}\s*(?:snip(?:ped)?|truncated|more|omitted)\b.*)$", re.I)
FENCE = re.compile(r"^(?:```|~~~)")


def indent(raw: str) -> int:
    n = 0
    for ch in raw:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 8 - n % 8
        else:
            break
    return n


def dedent(raw: str, margin: int) -> str:
    """`raw` without the paste's own left margin (`margin` columns of leading blanks, no more)."""
    col = i = 0
    while i < len(raw) and col < margin and raw[i] in " \t":
        col += 1 if raw[i] == " " else 8 - col % 8
        i += 1
    return raw[i:]


def hard_wrapped(prev_raw: str, raw: str, width: int, at_width: int) -> bool:
    """Whether `raw` is the rest of `prev_raw`, cut by a terminal at its width.

    A terminal caps every line at its width, so a cut line is as long as the longest line of
    the paste; with one such line only, a cut is trusted only when it splits a word.
    """
    if width < 72 or len(prev_raw) != width:
        return False
    return at_width >= 2 or (prev_raw[-1:].isalnum() and raw[:1].isalnum())



def prepare(text: str) -> list[str]:
    text = (text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
            .replace("\ufeff", "").replace("\u200b", ""))
    lines = text.split("\n")
    body = [ln for ln in lines if ln.strip()]
    # A paste quoted as a Markdown/e-mail block: drop the `> ` in front of every line.
    if body and sum(1 for ln in body if ln.lstrip().startswith(">")) >= 0.8 * len(body):
        lines = [re.sub(r"^[ \t]*> ?", "", ln) for ln in lines]
    return lines
