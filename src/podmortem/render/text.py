"""Text helpers shared by the human-readable renderers (terminal and Markdown)."""

from __future__ import annotations

from podmortem.render.escape import visible


def clean(text: str) -> str:
    """Text safe to print: control, bidi and other format characters made visible, tabs as spaces.

    Quoted text (a log line, a message) must not reach a terminal or a ticket active: an ESC could
    inject colours, set the title or move the cursor; U+202E could reverse what a reader sees.
    """
    return text if text.isprintable() else visible(text.replace("\t", "    "))
