"""Escapes neutralised: no byte podmortem prints can drive a terminal or reorder text.

Workload names, images, messages and API errors are chosen by whoever controls a pod or a
server. Printed raw they can set a terminal's title, clear it, plant OSC 8 links or write the
clipboard (OSC 52), and bidi controls (U+202E) make text read differently from what it is.
Two layers use this module: renderers pass each quoted value through `visible` (and `one_line`
for names) as they build output, and the CLI passes every finished output through `neutralise`
before it is written, so a renderer that forgot a field still prints nothing active.

Made visible: C0 controls except tab and newline (`\\x1b`), DEL and C1 controls, and the Unicode
format and separator characters (categories Cf, Zl, Zp: bidi embeddings, overrides and isolates,
zero-width characters, U+2028/2029), written `\\u202e`. For JSON output that is a valid escape of
the same character; in text it is what a careful reader wants to see. Ranges from the Unicode
Character Database 14.0 (Python 3.11's unicodedata), general categories Cf, Zl and Zp.
"""

from __future__ import annotations

import re

# Unicode 14.0 general categories Cf, Zl, Zp, and the C1 block (U+0080-U+009F).
_FORMAT_RANGES = (
    (0x80, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_ASCII_UNSAFE = tuple(chr(c) for c in (*range(0x09), *range(0x0B, 0x20), 0x7F))  # C0 but tab and newline, DEL
_UNSAFE_KEEP_NEWLINES = f"[\\x00-\\x08\\x0b-\\x1f\\x7f{_char_class(_FORMAT_RANGES)}]"
_UNSAFE = re.compile(_UNSAFE_KEEP_NEWLINES)
_UNSAFE_LINE = re.compile(f"[\\x00-\\x1f\\x7f{_char_class(_FORMAT_RANGES)}]")
# Colour is the one terminal control podmortem itself writes (SGR: ESC [ digits ; m).
_SGR_OR_UNSAFE = re.compile(f"(\\x1b\\[[0-9;]*m)|{_UNSAFE_KEEP_NEWLINES}")


def shown(ch: str) -> str:
    """How one unsafe character is written: `\\x1b` below U+0080, `\\u202e` (or `\\U000e0001`) above."""
    code = ord(ch)
    if code < 0x7F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _sub(m: re.Match[str]) -> str:
    return shown(m.group(0))


def visible(text: str) -> str:
    """Text with every unsafe character made visible; tabs and newlines kept."""
    return text if text.isprintable() else _UNSAFE.sub(_sub, text)


def one_line(text: str) -> str:
    """A name or other single-line value: newlines and tabs made visible too, so it cannot forge lines."""
    return text if text.isprintable() else _UNSAFE_LINE.sub(_sub, text)


def neutralise(output: str, *, keep_colour: bool = True) -> str:
    """A finished output made inert: only newlines, tabs and (when asked) SGR colour codes stay active.

    Line by line, and only lines that are not plainly printable go through the regex: a 50 MB
    JSON report of clean names costs one C-speed scan.
    """
    if output.isascii():  # in ASCII only C0 controls and DEL are unsafe: a few C-speed scans, no copy
        for ch in _ASCII_UNSAFE:
            if ch in output:
                break
        else:
            return output
    elif output.replace("\n", "").replace("\t", "").isprintable():
        return output
    pattern = _SGR_OR_UNSAFE if keep_colour else _UNSAFE
    lines = output.split("\n")
    for i, line in enumerate(lines):
        if not line.replace("\t", "").isprintable():
            lines[i] = pattern.sub(_keep_sgr, line)
    return "\n".join(lines)


def _keep_sgr(m: re.Match[str]) -> str:
    return m.group(1) if m.lastindex and m.group(1) else shown(m.group(0))


def has_unsafe(text: str, *, keep_colour: bool = False) -> bool:
    """True when `text` holds a character `neutralise` would escape (tests use it on every output)."""
    if keep_colour:
        return any(not m.group(1) for m in _SGR_OR_UNSAFE.finditer(text))
    return _UNSAFE.search(text) is not None
