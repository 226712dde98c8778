"""Text helpers shared by the human-readable renderers (terminal and Markdown)."""

from __future__ import annotations

# Control characters in quoted text (a log line, a message) must not reach a terminal or a ticket:
# an ESC could inject colours or move the cursor. Tabs become spaces, the rest a visible \xNN.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (0x09, 0x0A)}
_CONTROL[0x09] = "    "


def clean(text: str) -> str:
    """Text safe to print: control characters made visible, tabs as spaces."""
    return text if text.isprintable() else text.translate(_CONTROL)
