"""Pasted `kubectl describe pod` text -> PodEvidence.

The public surface of the describe parser; its modules, one job each:

- `parser`      the line-driven parser (`parse_describe`): one pass, a state machine keyed on
                describe's vocabulary, built on `state` (its position) and `blocks` (lines
                inside a container, volume, label or annotation block)
- `events`      Events rows in every layout (`parse_event_line`)
- `fields`      one field's value: probes (`parse_probe`), env values, ports, mounts, scalars
- `times`       RFC 1123 / RFC 3339 timestamps and zero times (`parse_time`)
- `builders`    the mutable pod/container/state/env/volume builders -> the frozen evidence model
- `vocabulary`  the keys describe writes and the line shapes that carry them
- `lines`       text preparation, cut marks, indentation, hard-wrapped lines
- `prompts`     shell prompts and `kubectl describe` commands in a paste
- `detect`      whether a text is describe output (`looks_like_describe`)

Only the names below are API; the underscore names the modules share are the package's own.
Importing this package is not free (the regexes compile): import it only when describe text
is at hand. It imports only the evidence model.
"""

from __future__ import annotations

from podmortem.sources.describe.detect import looks_like_describe
from podmortem.sources.describe.events import parse_event_line
from podmortem.sources.describe.fields import parse_probe
from podmortem.sources.describe.parser import parse_describe
from podmortem.sources.describe.times import parse_time

__all__ = ["looks_like_describe", "parse_describe", "parse_event_line", "parse_probe", "parse_time"]
