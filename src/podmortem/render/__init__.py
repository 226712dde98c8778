"""Renderers: diagnoses -> text, one module per output format, chosen by name.

Renderers take data and return a string; they never print, read files or touch the network.
Heavy imports (rich) happen only when that format is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported for a JSON report's parts, which need no model
    from podmortem.model import PodDiagnosis

FORMATS = ("text", "json", "yaml", "markdown", "wide", "html")
DEFAULT_DETAILS = 10  # groups shown in full after the summary table unless --details says otherwise


def render(diagnoses: Sequence[PodDiagnosis], fmt: str, *, color: bool = False, width: int | None = None,
           details: str = "auto", now: datetime | None = None) -> str:
    """One output format. Text and wide with pods of more than one owner and cause lead with the
    summary table, then show `details` groups in full (all, none, a number; auto: DEFAULT_DETAILS)."""
    if fmt in ("text", "wide"):
        from podmortem.render.summary import summary_first

        found = summary_first(diagnoses, fmt, color=color, width=width, details=details, now=now)
        if found is not None:
            return found
    if fmt == "html":
        from podmortem.render.html import render_html

        return render_html([(d, None) for d in diagnoses], now=now)
    if fmt == "json":
        from podmortem.render.json import render_json

        return render_json(diagnoses)
    if fmt == "yaml":
        from podmortem.render.json import render_yaml

        return render_yaml(diagnoses)
    if fmt == "markdown":
        from podmortem.render.markdown import render_markdown

        return render_markdown(diagnoses)
    if fmt in ("text", "wide"):
        from podmortem.render.terminal import render_terminal

        return render_terminal(diagnoses, color=color, width=width, wide=fmt == "wide")
    raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
