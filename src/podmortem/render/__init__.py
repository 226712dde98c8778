"""Renderers: diagnoses -> text, one module per output format, chosen by name.

Renderers take data and return a string; they never print, read files or touch the network.
Heavy imports (rich) happen only when that format is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from podmortem.model import PodDiagnosis

FORMATS = ("text", "json", "yaml", "markdown", "wide")


def render(diagnoses: Sequence[PodDiagnosis], fmt: str, *, color: bool = False, width: int | None = None) -> str:
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
