"""Regular expressions compiled on first use instead of at import.

podmortem's rules carry several hundred patterns; compiling them all costs about as much as
parsing a 20 MB PodList, while one run only ever uses those whose cheap needles a line contains.
`lazy(pattern, flags)` stands in for `re.compile(pattern, flags)`: the same methods, compiled the
first time one is called. patterns_index compiles every lazy pattern it finds, so the ReDoS checks
still see all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast


class LazyPattern:
    """A `re.Pattern[str]` that compiles itself when first used."""

    __slots__ = ("_compiled", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self.pattern, self._flags)
        return c

    @property
    def flags(self) -> int:
        return self.compiled.flags  # as compiled: re adds UNICODE to str patterns

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.search(string, *args)

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.match(string, *args)

    def fullmatch(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, *args)

    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, *args)

    def findall(self, string: str, *args: int) -> list[Any]:
        return self.compiled.findall(string, *args)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def subn(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        return self.compiled.subn(repl, string, count)

    @property
    def groups(self) -> int:
        return self.compiled.groups

    @property
    def groupindex(self) -> Any:
        return self.compiled.groupindex

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, compiled on first use (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, int(flags)))
