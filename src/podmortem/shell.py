"""Commands as data into shell text: the one place where an interpolated value is quoted (`shlex.quote`).

Every command podmortem prints, and every shell script it puts into a patch, is built as a
`Command` and rendered here, so a name, path or image from hostile input stays one word.
Placeholders render bare: they are upper-case words by construction.
"""

from __future__ import annotations

import re
import shlex

from podmortem.model.remedy import Arg, Command, Joined, Placeholder, all_text


def render_arg(arg: Arg) -> str:
    if type(arg) is str:  # most words: the one test first (a subclass takes the isinstance chain below)
        return shlex.quote(arg)
    if isinstance(arg, Placeholder):
        return arg.name
    if isinstance(arg, Joined):
        out = []
        for p in arg.parts:
            out.append(p.name if isinstance(p, Placeholder) else (shlex.quote(p) if p else ""))
        return "".join(out) or "''"
    if isinstance(arg, Command):
        return shlex.quote(render_command(arg))
    return shlex.quote(arg)


# shlex.quote leaves a word as it is when it is not empty and holds only these characters (Python
# 3.11's shlex._find_unsafe: `[^\w@%+=:,./-]`, ASCII); here with the space that joins the words.
_UNSAFE_OR_SPACE = re.compile(r"[^\w@%+=:,./ -]", re.ASCII)


def _unquoted_line(argv: tuple[Arg, ...]) -> str | None:
    """The words as `render_arg` writes them, joined, when none of them needs a quote: most commands.
    Each word is written as it reads (a placeholder's name, a joined word's parts run together) and
    one scan of the joined line shows that no value is empty or holds a space or a character
    shlex.quote would quote, so quoting them one by one would change nothing. None otherwise (a
    nested command, an empty part, a value of another type): then they are quoted one by one."""
    words: tuple[Arg, ...] | list[str] = argv
    if not all_text(argv):
        words = []
        for arg in argv:
            if type(arg) is str:
                words.append(arg)
            elif type(arg) is Placeholder:
                words.append(arg.name)
            elif type(arg) is Joined:
                parts = []
                for p in arg.parts:
                    if type(p) is str and p:
                        parts.append(p)
                    elif type(p) is Placeholder:
                        parts.append(p.name)
                    else:
                        return None
                words.append("".join(parts))
            else:
                return None
    line = " ".join(words)  # type: ignore[arg-type]  # every word is a str here
    if all(words) and line.count(" ") == len(words) - 1 and not _UNSAFE_OR_SPACE.search(line):
        return line
    return None


def render_command(cmd: Command) -> str:
    argv = cmd.argv
    line = _unquoted_line(argv)
    if line is None:
        line = " ".join([render_arg(a) for a in argv])
    if cmd.stdout is not None:
        line += " > " + render_arg(cmd.stdout)
    if cmd.pipe is not None:
        line += " | " + render_command(cmd.pipe)
    if cmd.background:
        line += " &"
    return line


def script(*commands: Command, joiner: str = "; ") -> str:
    """Several commands as one shell script (for `sh -c` in a container the patch adds)."""
    return joiner.join(render_command(c) for c in commands)


__all__ = ["render_arg", "render_command", "script"]
