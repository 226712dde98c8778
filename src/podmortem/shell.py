"""Commands as data into shell text: the one place where an interpolated value is quoted (`shlex.quote`).

Every command podmortem prints, and every shell script it puts into a patch, is built as a
`Command` and rendered here, so a name, path or image from hostile input stays one word.
Placeholders render bare: they are upper-case words by construction.
"""

from __future__ import annotations

import shlex

from podmortem.model.remedy import Arg, Command, Joined, Placeholder


def render_arg(arg: Arg) -> str:
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


def render_command(cmd: Command) -> str:
    line = " ".join(render_arg(a) for a in cmd.argv)
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
