"""Where the describe parser stands: the pods so far and the block open at the current line.

One paste may hold several pods and any piece of one; this is the parser's position in it
(section, container, sub-block, state, volume, annotation, where a continuation line goes)
and the moves every part of the parser makes (start a pod, close blocks, look ahead for a
key). It imports the builders and the vocabulary; the line handlers build on it
(`blocks`, `parser`), never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable

from podmortem.sources.describe.builders import ContainerB, PodB, StateB, VolumeB
from podmortem.sources.describe.lines import SNIP
from podmortem.sources.describe.vocabulary import KEY

# Where a continuation line goes: a value's append(text, glue).
_Append = Callable[[str, str], None]


class ParserState:
    """The parser's position; the line handlers live in its subclasses."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pods: list[PodB] = [PodB()]
        self.section = "top"  # top, labels, annotations, containers, conditions, volumes, events, ...
        self.section_indent = 0
        self.value_col = 0  # where values of a multi-line top-level field start (labels, annotations)
        self.init = False
        self.ephemeral = False
        self.container: ContainerB | None = None
        self.container_indent = -1
        self.sub: str | None = None  # command, args, state, limits, requests, env, envfrom, mounts, qos
        self.sub_indent = 0
        self.state: StateB | None = None
        self.volume: VolumeB | None = None
        self.volume_indent = 0
        self.annotation: str | None = None
        self.columns: list[int] | None = None
        self.cont: _Append | None = None  # where a continuation line goes
        # A container state's Message is printed raw (describe.go writes it as is): its lines keep
        # their own indentation and blank lines, and it runs until the next state key.
        self.raw_cont: _Append | None = None
        self.prev_raw = ""
        # The paste's left margin, from the pod's `Name:` line: a list item or code block indents the
        # whole paste, and lines that kubectl prints at column 0 (a raw Message's) then carry it too.
        self.margin = 0
        self.pending_reason = -1  # line index of a top-level Reason: that may belong to a state
        lengths = [len(ln) for ln in lines]
        self.width = max(lengths, default=0)  # the terminal width, if the paste was hard-wrapped
        self.at_width = lengths.count(self.width)

    @property
    def pod(self) -> PodB:
        return self.pods[-1]

    # -- helpers -------------------------------------------------------------------------------
    def _loose(self, text: str) -> None:
        self.pod.loose.append(text)

    def _next_key(self, idx: int) -> str | None:
        """The describe key on the next meaningful line (for telling a `name:` header)."""
        for raw in self.lines[idx + 1: idx + 4]:
            s = raw.strip()
            if not s or SNIP.match(s):
                continue
            m = KEY.match(s)
            return m["key"] if m else None
        return None

    def _new_pod(self) -> None:
        self.pods.append(PodB())
        self._reset("top", 0)

    def _reset(self, section: str, indent: int) -> None:
        self.section, self.section_indent = section, indent
        self.container, self.container_indent = None, -1
        self.sub, self.state, self.volume, self.annotation = None, None, None, None
        self.cont = None
