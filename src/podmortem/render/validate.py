"""Every remedy is checked before it is printed, so a rule's slip on input nobody has seen yet cannot
reach a reader as a command that does something else than it says.

`check` returns the remedy repaired where a repair is safe, and the problems it found:
- a namespace the evidence does not give (`-n X`, `--namespace X`, `--namespace=X` whose X is not the
  target's, not one the remedy declares from the evidence, not Kubernetes' own kube-system) becomes
  the NAMESPACE placeholder;
- an interpolated value that came out empty (`''`, `--as=`) becomes the VALUE placeholder;
- a placeholder written as literal text (`"NAMESPACE"`, `--from-file=PATH`) becomes a real one, so it
  is listed in `placeholders`;
- `--patch-file` is only said when `--write-patches` wrote that patch: a remedy naming a file that
  does not exist prints its patch inline, and a rule's own command that names a patch file is dropped;
- a command that does not split as shell words (`shlex.split`) is dropped.

The renderers (terminal, Markdown, HTML, JSON, JUnit) all take their command lines from
`podmortem.render.commands.command_lines`, which calls `check` first. Tests call `check` directly
and require no problems on every rule fixture and its metamorphic variants; at run time the repair
protects the output and the problems are not shown.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from typing import Any

from podmortem.kube.kubectl import NAMESPACE_FLAGS
from podmortem.kube.typedjson import msgspec
from podmortem.model.evolve import evolve
from podmortem.model.remedy import PLACEHOLDERS, Arg, Command, Joined, Placeholder, Remedy, Step, all_text

# Namespaces Kubernetes itself defines, which rules about its own components (CoreDNS, kube-proxy) name.
KNOWN_NAMESPACES = frozenset({"kube-system"})
# A placeholder name written inside literal text: a whole word not part of a shell or env reference
# (`$PATH`, `${USER}`) nor of a longer identifier (`DB_PATH`, `KEY_FILE`).
_LITERAL_PLACEHOLDER = re.compile(
    r"(?<![\w$.{-])(?:" + "|".join(re.escape(n) for n in sorted(PLACEHOLDERS, key=len, reverse=True)) + r")(?![\w}-]|:\.)")  # `custom-columns=NAME:.metadata.name` is a column heading

_CAPITAL = re.compile("[A-Z]")


class Checked(msgspec.Struct, frozen=True):
    remedy: Remedy
    problems: tuple[str, ...]


def allowed_namespaces(remedy: Remedy) -> frozenset[str]:
    ns = {n for n in remedy.namespaces if n}
    if remedy.target is not None and remedy.target.namespace:
        ns.add(remedy.target.namespace)
    return frozenset(ns) | KNOWN_NAMESPACES


# The renderers check each remedy twice in a row (its command lines, then its placeholders), and
# the shell-word check is the costliest step of rendering a report: the last answer is kept for the
# same remedy object (frozen), and for the same state of its patch file.
_LAST: list[tuple[Remedy, bool, Checked]] = []


def check(remedy: Remedy) -> Checked:
    written = remedy.patch_file is not None and os.path.isfile(remedy.patch_file)
    last = _LAST[0] if _LAST else None  # one read: another thread may replace it meanwhile
    if last is not None and last[0] is remedy and last[1] == written:
        return last[2]
    checked = _check(remedy)
    _LAST[:] = [(remedy, written, checked)]
    return checked


def repaired(remedy: Remedy) -> Remedy:
    """`check(remedy).remedy`, what every renderer prints. A remedy without a patch file whose every
    command is `untouched` is its own answer, found without listing the problems (nobody reads them
    at run time) or copying anything; any other goes through `check`."""
    if remedy.patch_file is None:
        allowed = allowed_namespaces(remedy)
        for step in remedy.commands:
            if isinstance(step, Command) and not untouched(step, allowed):
                return check(remedy).remedy
        return remedy
    return check(remedy).remedy


def _check(remedy: Remedy) -> Checked:
    problems: list[str] = []
    allowed = allowed_namespaces(remedy)
    steps: list[Step] = []
    same = True  # every step kept as it is: the remedy itself is the answer (no copy)
    for step in remedy.commands:
        if not isinstance(step, Command) or untouched(step, allowed):
            steps.append(step)
            continue
        fixed = _command(step, allowed, problems)
        same = same and fixed is step
        if fixed is not None:
            steps.append(fixed)
    patch_file = remedy.patch_file
    if patch_file is not None and (remedy.patch is None or not os.path.isfile(patch_file)):
        problems.append(f"patch file {patch_file!r} was not written: the patch is printed inline")
        patch_file = None
    if remedy.patch is not None:
        _patch_values(remedy.patch, "patch", problems)
    if same and patch_file is remedy.patch_file:
        return Checked(remedy, tuple(problems))
    return Checked(evolve(remedy, commands=tuple(steps), patch_file=patch_file), tuple(problems))


def _command(cmd: Command, allowed: frozenset[str], problems: list[str]) -> Command | None:
    argv: list[Arg] = []
    namespace_next = False
    same = True  # nothing repaired so far: the command itself is the answer (no copy)
    for given in cmd.argv:
        arg = given
        if isinstance(arg, str):
            if arg == "--patch-file" or arg.startswith("--patch-file="):
                problems.append("a command names a patch file that --write-patches did not write: dropped")
                return None
            if namespace_next and arg not in allowed:
                problems.append(f"namespace {arg!r} is not one the evidence gives: NAMESPACE instead")
                arg = Placeholder("NAMESPACE")
            elif arg.startswith("--namespace=") and arg[len("--namespace="):] not in allowed:
                problems.append(f"namespace {arg[len('--namespace='):]!r} is not one the evidence gives: "
                                "NAMESPACE instead")
                arg = Joined(("--namespace=", Placeholder("NAMESPACE")))
        namespace_next = isinstance(arg, str) and arg in NAMESPACE_FLAGS
        checked = _value(arg, allowed, problems)
        same = same and checked is given
        argv.append(checked)
    pipe = _command(cmd.pipe, allowed, problems) if cmd.pipe is not None else None
    if cmd.pipe is not None and pipe is None:
        return None
    stdout = cmd.stdout
    if stdout == "":
        problems.append("an empty redirection target: VALUE instead")
        stdout = Placeholder("VALUE")
    if same and pipe is cmd.pipe and stdout is cmd.stdout:
        out = cmd
    else:
        out = evolve(cmd, argv=tuple(argv), pipe=pipe, stdout=stdout)
    if quoted_by_construction(out):
        return out
    from podmortem.shell import render_command

    try:
        shlex.split(render_command(out))
    except (ValueError, TypeError) as e:  # something podmortem.shell does not quote: checked the slow way
        problems.append(f"a command does not split as shell words ({e}): dropped")
        return None
    return out


def untouched(cmd: Command, allowed: frozenset[str]) -> bool:
    """True only when `_command` would give `cmd` back as it is (an equal command) with no problem and
    without the shell-word check: the common case of a rule's command (names from the evidence, `-n`
    with an allowed namespace, no upper-case word that spells a placeholder), decided by scans of the
    whole vector and of its texts joined rather than by the repairs' per-value steps. Anything unusual
    answers False and takes `_command`, so this never decides a repair
    (tests/render/test_validate_fast.py compares them)."""
    argv = cmd.argv
    texts: tuple[Arg, ...] | list[str] = argv
    if not all_text(argv):
        texts = [a for a in argv if type(a) is str]
        for arg in [a for a in argv if type(a) is not str]:
            if type(arg) is Joined:
                if not arg.parts:
                    return False
                for p in arg.parts:
                    if type(p) is str:
                        texts.append(p)  # checked with the values below
                    elif type(p) is not Placeholder:
                        return False
            elif type(arg) is Command:
                if not untouched(arg, allowed):
                    return False
            elif type(arg) is not Placeholder:
                return False
    if not _plain_texts(texts):  # type: ignore[arg-type]  # every text is a str
        return False
    for flag in NAMESPACE_FLAGS:  # the value after a namespace flag: one the evidence gives
        at = -1
        for _ in range(argv.count(flag)):
            at = argv.index(flag, at + 1)
            if at + 1 < len(argv) and type(value := argv[at + 1]) is str and value not in allowed:
                return False
    stdout = cmd.stdout
    if stdout is not None and not ((type(stdout) is str and stdout) or type(stdout) is Placeholder):
        return False
    return cmd.pipe is None or untouched(cmd.pipe, allowed)




def _plain_texts(texts: tuple[str, ...] | list[str]) -> bool:
    """No text empty, none a patch-file or `--namespace=` flag, none spelling a placeholder name: the
    checks of each literal text, made on all of them joined by NUL. NUL is no word character, so
    `_LITERAL_PLACEHOLDER`'s look-arounds see it as they see a text's start or end, and a match
    (upper-case letters) lies inside one text."""
    joined = "\x00".join(texts)
    if "" in texts or "--patch-file" in joined or "--namespace=" in joined:
        return False
    return not (_CAPITAL.search(joined) and _LITERAL_PLACEHOLDER.search(joined))  # most texts have no capital


def quoted_by_construction(cmd: Command) -> bool:
    """True when every part of the command is one podmortem.shell renders as whole shell words: plain
    `str` values (each `shlex.quote`d), placeholders (upper-case words), joined parts of those, nested
    commands of the same. Such a line always splits as shell words, so `shlex.split` (the costliest step
    of rendering a report) is kept for anything else: a value of another type that a rule let through."""
    if cmd.stdout is not None and not _leaf(cmd.stdout):
        return False
    if cmd.pipe is not None and not quoted_by_construction(cmd.pipe):
        return False
    for arg in cmd.argv:
        if isinstance(arg, Joined):
            if not all(_leaf(p) for p in arg.parts):
                return False
        elif isinstance(arg, Command):
            if not quoted_by_construction(arg):
                return False
        elif not _leaf(arg):
            return False
    return True


def _leaf(value: object) -> bool:
    return type(value) is str or type(value) is Placeholder


def _value(arg: Arg, allowed: frozenset[str], problems: list[str]) -> Arg:
    if isinstance(arg, Command):
        inner = _command(arg, allowed, problems)
        return inner if inner is not None else Placeholder("SCRIPT")
    if isinstance(arg, Placeholder):
        return arg
    if isinstance(arg, Joined):
        parts: list[str | Placeholder] = []
        for i, p in enumerate(arg.parts):
            if p == "" and i > 0 and not any(isinstance(q, Placeholder) or q for q in arg.parts[i + 1:]):
                problems.append(f"an empty value after {''.join(_text(q) for q in arg.parts[:i])!r}: VALUE instead")
                parts.append(Placeholder("VALUE"))
            elif isinstance(p, str):
                parts.extend(_literal_parts(p, problems))
            else:
                parts.append(p)
        if all(p == "" for p in parts):
            problems.append("an empty argument: VALUE instead")
            return Placeholder("VALUE")
        if len(parts) == len(arg.parts) and all(a is b for a, b in zip(parts, arg.parts, strict=True)):
            return arg
        return Joined(tuple(parts))
    if arg == "":
        problems.append("an empty argument: VALUE instead")
        return Placeholder("VALUE")
    split = _literal_parts(arg, problems)
    if len(split) == 1 and isinstance(split[0], str):
        return split[0]
    if len(split) == 1:
        return split[0]
    return Joined(tuple(split))


def _literal_parts(text: str, problems: list[str]) -> list[str | Placeholder]:
    """A literal string with the placeholder names it spells out turned into placeholders."""
    if type(text) is str and not _CAPITAL.search(text):  # placeholder names are upper case
        return [text]
    out: list[str | Placeholder] = []
    pos = 0
    for m in _LITERAL_PLACEHOLDER.finditer(text):
        problems.append(f"placeholder {m.group(0)} written as literal text in {text!r}")
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append(Placeholder(m.group(0)))
        pos = m.end()
    if pos < len(text) or not out:
        out.append(text[pos:])
    return out


def _text(p: str | Placeholder) -> str:
    return p.name if isinstance(p, Placeholder) else p


_PATCH_NAMES = ("name", "mountPath", "image", "claimName", "path")


def _patch_values(value: Any, where: str, problems: list[str]) -> None:
    """Empty names and paths in a patch: a strategic merge keyed on an empty name changes nothing sensible."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in _PATCH_NAMES and (v == "" or v is None):
                problems.append(f"{where}.{k} is empty")
            _patch_values(v, f"{where}.{k}", problems)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _patch_values(v, f"{where}[{i}]", problems)


__all__ = ["KNOWN_NAMESPACES", "Checked", "allowed_namespaces", "check", "quoted_by_construction", "repaired",
           "untouched"]
