"""msgspec (typed JSON views: sources/podview.py, sources/listview.py, live's list pages), imported
without typing_extensions when nothing has imported that yet.

msgspec 0.23 imports typing_extensions only for `get_type_hints(include_extras=True)`, `Required`
and `NotRequired`, which the typing module has had since Python 3.11, and falls back to typing when
the import fails (msgspec/_utils.py). typing_extensions is 14 ms of msgspec's 22 ms import (CPU,
best of 8 fresh processes on the shared 2-core machine), paid by every `explain FILE.json`. The
views here use none of its extras (plain classes, Literal, Raw, UNSET), and a test decodes the same
lists either way. A later `import typing_extensions` (by another package) works as usual.
"""

from __future__ import annotations

import sys

if "msgspec" not in sys.modules and "typing_extensions" not in sys.modules:
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # import fails: msgspec uses typing
    try:
        import msgspec
    finally:
        del sys.modules["typing_extensions"]

import msgspec as msgspec

__all__ = ["msgspec"]
