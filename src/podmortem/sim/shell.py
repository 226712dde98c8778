"""A small interpreter for the scripts people put in `sh -c '...'`, enough to say what a container prints and how it ends.

It runs the script once, without side effects: `echo`/`printf` lines, `exit N`, `sleep N` (time
passes), `cat` of files (the caller says which exist), `test`/`[` on variables and files, `set -e`,
`exec`, `&&`, `||`, `;`, `if`/`then`/`else`/`fi`, `for ... in`, `while true` loops (which run
forever and repeat their output), variable expansion (`$X`, `${X}`, `${X:-default}`, `$?`) and
single/double quotes. A command the image does not have is the shell's "not found" (127). What it
cannot follow (command substitution, here-documents, functions) raises `Unsupported`, and the caller
runs the container as a long-running program of unknown behaviour instead of guessing.

The texts are the shells' own: busybox ash (`sh: foo: not found`, shell/ash.c in busybox 1.36),
dash (`sh: 1: foo: not found`, src/exec.c and src/error.c in dash 0.5.12), bash (`bash: line 1: foo:
command not found`, execute_cmd.c in bash 5.2); busybox `cat: can't open 'x': No such file or
directory` (libbb/xfuncs.c bb_perror_msg "can't open '%s'") and GNU coreutils `cat: x: No such file
or directory`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_STEPS = 10_000  # commands run before the interpreter gives up (a loop it cannot see the end of)


class Unsupported(Exception):
    """A construct the interpreter does not follow."""


@dataclass
class Run:
    """What one run of a script does."""

    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds after start, text)
    exit_code: int | None = 0  # None: still running (a loop or a long sleep)
    seconds: float = 0.0  # when it exits
    repeat: tuple[tuple[str, ...], float] | None = None  # lines printed again every so many seconds, forever
    exec_argv: list[str] | None = None  # the program the script replaced itself with (`exec prog ...` at the end)


@dataclass(frozen=True)
class Flavour:
    """Which shell and tools an image has: their error texts."""

    name: str  # busybox | dash | bash
    argv0: str = "sh"

    def not_found(self, cmd: str) -> str:
        if self.name == "dash":
            return f"{self.argv0}: 1: {cmd}: not found"
        if self.name == "bash":
            return f"{self.argv0}: line 1: {cmd}: command not found"
        return f"{self.argv0}: {cmd}: not found"

    def exec_not_found(self, cmd: str) -> str:
        if self.name == "dash":
            return f"{self.argv0}: 1: exec: {cmd}: not found"
        if self.name == "bash":
            return f"{self.argv0}: line 1: exec: {cmd}: not found"
        return f"{self.argv0}: exec: {cmd}: not found"

    def cat_missing(self, path: str) -> str:
        if self.name == "busybox":
            return f"cat: can't open '{path}': No such file or directory"
        return f"cat: {path}: No such file or directory"


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class _Forever(Exception):
    pass


# --- lexing ----------------------------------------------------------------------------------------

_OPS = ("&&", "||", ";;", ";", "&", "|", "\n", "(", ")")


@dataclass
class _Word:
    parts: list[tuple[str, str]]  # (kind, text): kind 'lit' (no expansion), 'dq' (expand, no split), 'bare'


def _lex(script: str) -> list[_Word | str]:
    """Words and operators; quotes kept as parts so that expansion knows what was quoted."""
    out: list[_Word | str] = []
    i, n = 0, len(script)
    cur: list[tuple[str, str]] = []
    bare = ""

    def flush() -> None:
        nonlocal bare, cur
        if bare:
            cur.append(("bare", bare))
            bare = ""
        if cur:
            out.append(_Word(cur))
            cur = []

    while i < n:
        ch = script[i]
        if ch == "#" and not bare and not cur:
            while i < n and script[i] != "\n":
                i += 1
            continue
        if ch in " \t":
            flush()
            i += 1
        elif ch == "\\" and i + 1 < n:
            if script[i + 1] == "\n":
                i += 2
                continue
            if bare:
                cur.append(("bare", bare))
                bare = ""
            cur.append(("lit", script[i + 1]))
            i += 2
        elif ch == "'":
            j = script.find("'", i + 1)
            if j < 0:
                raise Unsupported("unterminated quote")
            if bare:
                cur.append(("bare", bare))
                bare = ""
            cur.append(("lit", script[i + 1:j]))
            i = j + 1
        elif ch == '"':
            j = i + 1
            buf = ""
            while j < n and script[j] != '"':
                if script[j] == "\\" and j + 1 < n and script[j + 1] in '"\\$`':
                    buf += "\\" + script[j + 1] if script[j + 1] == "$" else script[j + 1]
                    j += 2
                    continue
                buf += script[j]
                j += 1
            if j >= n:
                raise Unsupported("unterminated quote")
            if bare:
                cur.append(("bare", bare))
                bare = ""
            cur.append(("dq", buf))
            i = j + 1
        elif ch == "`":
            raise Unsupported("command substitution")
        elif ch in "<>" or (ch.isdigit() and i + 1 < n and script[i + 1] in "<>" and not bare):
            flush()
            j = i + (1 if ch.isdigit() else 0)
            if script[j] == "<" and script[j:j + 2] == "<<":
                raise Unsupported("here-document")
            fd_out = script[j] == ">" and (not ch.isdigit() or ch == "1")
            dup = script[j:j + 2] in (">&", "<&")
            j += 2 if script[j:j + 2] in (">>", ">&", "<&") else 1
            while j < n and script[j] in " \t":
                j += 1
            k = j
            while k < n and script[k] not in " \t\n;&|()":
                k += 1
            target = script[j:k]
            # stdout sent to a file (or /dev/null) leaves the container log; `>&2` and `2>&1` keep it there.
            silenced = fd_out and not dup and target not in ("/dev/stdout", "/dev/stderr", "/proc/1/fd/1")
            out.append("REDIR>" if silenced else "REDIR")
            i = k
        else:
            op = next((o for o in _OPS if script.startswith(o, i)), None)
            if op is not None:
                flush()
                out.append(op)
                i += len(op)
            else:
                bare += ch
                i += 1
    flush()
    return out


# --- running -----------------------------------------------------------------------------------------

class Shell:
    """Runs one script. `has_command(name)` says whether the image has a program; `read_file(path)` gives a
    file's text (None: no such file)."""

    BUILTINS = frozenset({"echo", "printf", "exit", "sleep", "true", "false", ":", "cat", "test", "[", "export",
                          "unset", "env", "printenv", "exec", "cd", "set", "trap", "wait", "read", "shift", "umask",
                          "ulimit", "hostname", "date", "pwd", "id", "whoami", "uname", "kill", "touch", "mkdir",
                          "ls", "rm", "cp", "mv", "chmod", "chown", "tail", "head", "grep", "wc", "ln", "nc",
                          "wget", "nslookup", "ping", "curl", "sync", "tee"})

    def __init__(self, flavour: Flavour, env: Mapping[str, str], has_command: Callable[[str], bool],
                 read_file: Callable[[str], str | None], hostname: str = "pod") -> None:
        self.flavour = flavour
        self.vars = dict(env)
        self.has_command = has_command
        self.read_file = read_file
        self.hostname = hostname
        self.run = Run()
        self.now = 0.0
        self.status = 0
        self.errexit = False
        self.steps = 0
        self._capture: list[str] | None = None

    # -- output
    def _print(self, text: str) -> None:
        for line in text.split("\n"):
            if self._capture is not None:
                self._capture.append(line)
            else:
                self.run.lines.append((self.now, line))

    def _print_block(self, text: str) -> None:
        if text.endswith("\n"):
            text = text[:-1]
        self._print(text)

    # -- expansion
    def _param(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "1"
        if name == "0":
            return self.flavour.argv0
        if name in ("HOSTNAME",) and name not in self.vars:
            return self.hostname
        return self.vars.get(name, "")

    def _expand_text(self, text: str) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n and text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            if ch != "$" or i + 1 >= n:
                out.append(ch)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "(":
                raise Unsupported("command substitution")
            if nxt == "{":
                j = text.find("}", i + 2)
                if j < 0:
                    raise Unsupported("unterminated ${")
                body = text[i + 2:j]
                for sep in (":-", ":=", "-", "="):
                    if sep in body:
                        name, default = body.split(sep, 1)
                        value = self._param(name)
                        unset = name not in self.vars if sep in ("-", "=") else not value
                        out.append(self._expand_text(default) if unset else value)
                        break
                else:
                    if body.startswith("#"):
                        out.append(str(len(self._param(body[1:]))))
                    elif any(c in body for c in "#%/:?+"):
                        raise Unsupported(f"parameter expansion ${{{body}}}")
                    else:
                        out.append(self._param(body))
                i = j + 1
                continue
            if nxt in "?$0#@*!-":
                out.append(self._param(nxt) if nxt in "?$0" else "")
                i += 2
                continue
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                out.append("$")
                i += 1
                continue
            out.append(self._param(text[i + 1:j]))
            i = j
        return "".join(out)

    def _expand(self, words: list[_Word]) -> list[str]:
        argv: list[str] = []
        for w in words:
            fields: list[str] = [""]
            quoted = False
            for kind, text in w.parts:
                if kind == "lit":
                    fields[-1] += text
                    quoted = True
                elif kind == "dq":
                    fields[-1] += self._expand_text(text)
                    quoted = True
                else:
                    if any(c in text for c in "*?[") and text != "[":
                        raise Unsupported("globbing")
                    value = self._expand_text(text)
                    pieces = value.split()
                    if not pieces:
                        continue
                    if value[:1].isspace() and fields[-1]:
                        fields.append("")
                    fields[-1] += pieces[0]
                    for p in pieces[1:]:
                        fields.append(p)
                    if value[-1:].isspace():
                        fields.append("")
            fields = [f for f in fields if f] if not quoted else fields
            argv.extend(fields)
        return argv

    # -- parsing and running
    def execute(self, script: str) -> Run:
        tokens = _lex(script)
        try:
            self._list(tokens, 0, len(tokens))
            self.run.exit_code = self.status
        except _Exit as e:
            self.run.exit_code = e.code
        except _Forever:
            self.run.exit_code = None
        self.run.seconds = self.now
        return self.run

    def _list(self, toks: list[_Word | str], i: int, end: int) -> None:
        """Run `a && b || c ; d ...` between i and end."""
        while i < end:
            j, stop = self._and_or_end(toks, i, end)
            self._and_or(toks, i, j)
            i = j + (1 if stop else 0)

    def _and_or_end(self, toks: list[_Word | str], i: int, end: int) -> tuple[int, bool]:
        depth = 0
        k = i
        while k < end:
            t = toks[k]
            if isinstance(t, _Word) and len(t.parts) == 1 and t.parts[0][0] == "bare":
                word = t.parts[0][1]
                if word in ("if", "while", "until", "for", "case") and self._command_start(toks, k, i):
                    depth += 1
                elif word in ("fi", "done", "esac") and self._command_start(toks, k, i):
                    depth -= 1
            elif t in (";", "\n", "&") and depth == 0:
                return k, True
            k += 1
        return end, False

    @staticmethod
    def _command_start(toks: list[_Word | str], k: int, start: int) -> bool:
        if k == start:
            return True
        prev = toks[k - 1]
        return prev in (";", "\n", "&&", "||", "|", "&", "(") or (
            isinstance(prev, _Word) and len(prev.parts) == 1 and prev.parts[0][1] in ("then", "else", "do", "elif"))

    def _and_or(self, toks: list[_Word | str], i: int, end: int) -> None:
        # split on && / || at depth 0
        segments: list[tuple[str, int, int]] = []
        depth = 0
        start = i
        op = ""
        for k in range(i, end):
            t = toks[k]
            if isinstance(t, _Word) and len(t.parts) == 1 and t.parts[0][0] == "bare":
                word = t.parts[0][1]
                if word in ("if", "while", "until", "for") and self._command_start(toks, k, i):
                    depth += 1
                elif word in ("fi", "done") and self._command_start(toks, k, i):
                    depth -= 1
            elif t in ("&&", "||") and depth == 0:
                segments.append((op, start, k))
                op, start = t, k + 1
        segments.append((op, start, end))
        for n, (op, a, b) in enumerate(segments):
            if op == "&&" and self.status != 0:
                continue
            if op == "||" and self.status == 0:
                continue
            last = n == len(segments) - 1
            self._pipeline(toks, a, b, checked=last)

    def _pipeline(self, toks: list[_Word | str], i: int, end: int, checked: bool) -> None:
        parts: list[tuple[int, int]] = []
        start = i
        for k in range(i, end):
            if toks[k] == "|":
                parts.append((start, k))
                start = k + 1
        parts.append((start, end))
        for n, (a, b) in enumerate(parts):
            if n < len(parts) - 1:
                saved = self._capture
                self._capture = []
                try:
                    self._command(toks, a, b)
                finally:
                    self._capture = saved
            else:
                self._command(toks, a, b)
        if checked and self.errexit and self.status != 0:
            raise _Exit(self.status)

    def _word(self, t: _Word | str) -> str | None:
        if isinstance(t, _Word) and len(t.parts) == 1 and t.parts[0][0] == "bare":
            return t.parts[0][1]
        return None

    def _find(self, toks: list[_Word | str], i: int, end: int, names: tuple[str, ...],
              openers: tuple[str, ...], closers: tuple[str, ...]) -> int:
        depth = 0
        for k in range(i, end):
            w = self._word(toks[k])
            if w is None or not self._command_start(toks, k, i):
                continue
            if w in openers:
                depth += 1
            elif w in closers and depth > 0:
                depth -= 1
            elif w in names and depth == 0:
                return k
        raise Unsupported(f"missing {'/'.join(names)}")

    def _command(self, toks: list[_Word | str], i: int, end: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unsupported("too many steps")
        while i < end and toks[i] == "\n":
            i += 1
        if i >= end:
            return
        first = self._word(toks[i])
        blocks = ("if", "while", "until", "for", "case")
        if first == "if":
            self._if(toks, i, end)
            return
        if first in ("while", "until"):
            self._while(toks, i, end, first == "until")
            return
        if first == "for":
            self._for(toks, i, end)
            return
        if first in blocks or first in ("{", "}") or toks[i] in ("(", ")"):
            raise Unsupported(f"{first or toks[i]} blocks")
        words = [t for t in toks[i:end] if isinstance(t, _Word)]
        if any(t not in ("REDIR", "REDIR>", "\n") and not isinstance(t, _Word) for t in toks[i:end]):
            raise Unsupported("operator inside a command")
        if any(self._word(w) in ("{", "}") for w in words):
            raise Unsupported("group")
        argv = self._expand(words)
        assigns = {}
        while argv and "=" in argv[0] and argv[0].split("=", 1)[0].isidentifier():
            k, v = argv.pop(0).split("=", 1)
            assigns[k] = v
        if not argv:
            self.vars.update(assigns)
            self.status = 0
            return
        if "REDIR>" in toks[i:end]:
            saved = self._capture
            self._capture = []
            try:
                self._simple(argv, assigns)
            finally:
                self._capture = saved
            return
        self._simple(argv, assigns)

    def _if(self, toks: list[_Word | str], i: int, end: int) -> None:
        openers, closers = ("if",), ("fi",)
        then = self._find(toks, i + 1, end, ("then",), openers, closers)
        self._list(toks, i + 1, then)
        cond = self.status == 0
        k = then + 1
        branch_end = self._find(toks, k, end, ("elif", "else", "fi"), openers, closers)
        while True:
            w = self._word(toks[branch_end])
            if cond:
                self._list(toks, k, branch_end)
                fi = branch_end if w == "fi" else self._find(toks, branch_end + 1, end, ("fi",), openers, closers)
                self._trailing(toks, fi + 1, end)
                return
            if w == "fi":
                self.status = 0
                self._trailing(toks, branch_end + 1, end)
                return
            if w == "else":
                fi = self._find(toks, branch_end + 1, end, ("fi",), openers, closers)
                self._list(toks, branch_end + 1, fi)
                self._trailing(toks, fi + 1, end)
                return
            then = self._find(toks, branch_end + 1, end, ("then",), openers, closers)
            self._list(toks, branch_end + 1, then)
            cond = self.status == 0
            k = then + 1
            branch_end = self._find(toks, k, end, ("elif", "else", "fi"), openers, closers)

    def _trailing(self, toks: list[_Word | str], i: int, end: int) -> None:
        if any(t not in ("REDIR", "REDIR>") for t in toks[i:end]):
            raise Unsupported("words after a block")

    def _while(self, toks: list[_Word | str], i: int, end: int, until: bool) -> None:
        openers, closers = ("while", "until", "for"), ("done",)
        do = self._find(toks, i + 1, end, ("do",), openers, closers)
        done = self._find(toks, do + 1, end, ("done",), openers, closers)
        self._trailing(toks, done + 1, end)
        start_lines = len(self.run.lines)
        start_time = self.now
        for _ in range(3):
            self._list(toks, i + 1, do)
            if (self.status == 0) == until:
                self.status = 0
                return
            self._list(toks, do + 1, done)
        # The condition held three times with the same state: it always will.
        spent = self.now - start_time
        if spent <= 0:
            raise Unsupported("a busy loop")
        body = tuple(text for _, text in self.run.lines[start_lines:])
        per_round = spent / 3
        del self.run.lines[start_lines + len(body) // 3:]
        self.run.repeat = (tuple(body[: len(body) // 3]), per_round) if body else None
        raise _Forever()

    def _for(self, toks: list[_Word | str], i: int, end: int) -> None:
        openers, closers = ("while", "until", "for"), ("done",)
        name = self._word(toks[i + 1]) if i + 1 < end else None
        if not name or not name.isidentifier() or self._word(toks[i + 2]) != "in":
            raise Unsupported("for without in")
        do = self._find(toks, i + 3, end, ("do",), openers, closers)
        done = self._find(toks, do + 1, end, ("done",), openers, closers)
        self._trailing(toks, done + 1, end)
        items = self._expand([t for t in toks[i + 3:do] if isinstance(t, _Word)])
        self.status = 0
        for item in items:
            self.vars[name] = item
            self._list(toks, do + 1, done)

    # -- commands
    def _simple(self, argv: list[str], assigns: Mapping[str, str]) -> None:
        cmd, args = argv[0], argv[1:]
        name = cmd.rsplit("/", 1)[-1]
        if cmd == "exec":
            if not args:
                self.status = 0
                return
            target = args[0]
            if not self._available(target):
                self._print(self.flavour.exec_not_found(target))
                raise _Exit(127)
            if target.rsplit("/", 1)[-1] in self.BUILTINS:
                self._simple(args, assigns)
                raise _Exit(self.status)
            self.run.exec_argv = args
            raise _Forever()
        if not self._available(cmd):
            self._print(self.flavour.not_found(cmd))
            self.status = 127
            return
        handler = getattr(self, f"_cmd_{name.replace('[', 'bracket').replace(':', 'colon')}", None)
        if handler is None:
            # A program of the image the interpreter does not model: assume it succeeds, silently.
            self.status = 0
            return
        handler(args)

    def _available(self, cmd: str) -> bool:
        name = cmd.rsplit("/", 1)[-1]
        if "/" not in cmd and name in ("echo", "exit", "exec", "export", "unset", "set", "trap", "wait", "read",
                                       "cd", "shift", ":", "true", "false", "test", "[", "printf", "umask", "kill"):
            return True
        return self.has_command(cmd)

    def _cmd_echo(self, args: list[str]) -> None:
        newline = True
        while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
            if "n" in args[0]:
                newline = False
            args = args[1:]
        text = " ".join(args).replace("\\n", "\n") if self.flavour.name != "bash" else " ".join(args)
        if newline or text:
            self._print(text)
        self.status = 0

    def _cmd_printf(self, args: list[str]) -> None:
        if not args:
            self.status = 1
            return
        fmt, rest = args[0], args[1:]
        out = fmt.replace("%%", "\0")
        for value in rest:
            for spec in ("%s", "%d", "%i"):
                if spec in out:
                    out = out.replace(spec, value, 1)
                    break
        out = out.replace("%s", "").replace("%d", "0").replace("\0", "%").replace("\\n", "\n").replace("\\t", "\t")
        if out:
            self._print_block(out)
        self.status = 0

    def _cmd_exit(self, args: list[str]) -> None:
        try:
            code = int(args[0]) & 0xFF if args else self.status
        except ValueError:
            self._print(f"{self.flavour.argv0}: exit: Illegal number: {args[0]}" if self.flavour.name != "bash"
                        else f"{self.flavour.argv0}: line 1: exit: {args[0]}: numeric argument required")
            code = 2
        raise _Exit(code)

    def _cmd_sleep(self, args: list[str]) -> None:
        total = 0.0
        for a in args:
            if a in ("inf", "infinity"):
                raise _Forever()
            unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(a[-1:], 1)
            try:
                total += float(a[:-1] if a[-1:] in "smhd" else a) * unit
            except ValueError:
                self._print(f"sleep: invalid number '{a}'")
                self.status = 1
                return
        if not math.isfinite(total) or total > 10 * 365 * 86400:
            raise _Forever()
        self.now += total
        self.status = 0

    def _cmd_true(self, args: list[str]) -> None:
        self.status = 0

    def _cmd_colon(self, args: list[str]) -> None:
        self.status = 0

    def _cmd_false(self, args: list[str]) -> None:
        self.status = 1

    def _cmd_cat(self, args: list[str]) -> None:
        self.status = 0
        files = [a for a in args if not a.startswith("-") or a == "-"]
        for f in files:
            if f == "-":
                continue
            text = self.read_file(f)
            if text is None:
                self._print(self.flavour.cat_missing(f))
                self.status = 1
            elif text:
                self._print_block(text)

    def _cmd_tail(self, args: list[str]) -> None:
        if "-f" in args or "-F" in args:
            raise _Forever()
        self.status = 0

    def _cmd_test(self, args: list[str]) -> None:
        self.status = 0 if self._test(args) else 1

    def _cmd_bracket(self, args: list[str]) -> None:
        if not args or args[-1] != "]":
            self._print(f"{self.flavour.argv0}: missing ]")
            self.status = 2
            return
        self._cmd_test(args[:-1])

    def _test(self, a: list[str]) -> bool:
        if not a:
            return False
        if a[0] == "!":
            return not self._test(a[1:])
        if len(a) == 1:
            return a[0] != ""
        if len(a) == 2:
            op, v = a
            if op == "-z":
                return v == ""
            if op == "-n":
                return v != ""
            if op in ("-f", "-e", "-r", "-s"):
                text = self.read_file(v)
                return text is not None and (op != "-s" or text != "")
            if op in ("-d", "-x", "-w"):
                raise Unsupported(f"test {op}")
            raise Unsupported(f"test {op}")
        if len(a) == 3:
            x, op, y = a
            if op in ("=", "=="):
                return x == y
            if op == "!=":
                return x != y
            try:
                xi, yi = int(x), int(y)
            except ValueError:
                return False
            return {"-eq": xi == yi, "-ne": xi != yi, "-lt": xi < yi, "-le": xi <= yi, "-gt": xi > yi,
                    "-ge": xi >= yi}.get(op, False)
        raise Unsupported("compound test")

    def _cmd_export(self, args: list[str]) -> None:
        for a in args:
            if "=" in a:
                k, v = a.split("=", 1)
                self.vars[k] = v
        self.status = 0

    def _cmd_unset(self, args: list[str]) -> None:
        for a in args:
            self.vars.pop(a, None)
        self.status = 0

    def _cmd_env(self, args: list[str]) -> None:
        if args:
            raise Unsupported("env with a command")
        for k, v in sorted(self.vars.items()):
            self._print(f"{k}={v}")
        self.status = 0

    def _cmd_printenv(self, args: list[str]) -> None:
        if args:
            values = [self.vars[a] for a in args if a in self.vars]
            for v in values:
                self._print(v)
            self.status = 0 if len(values) == len(args) else 1
            return
        self._cmd_env([])

    def _cmd_set(self, args: list[str]) -> None:
        for a in args:
            if a.startswith("-") and "e" in a:
                self.errexit = True
            if a.startswith("+") and "e" in a:
                self.errexit = False
        self.status = 0

    def _cmd_hostname(self, args: list[str]) -> None:
        self._print(self.hostname)
        self.status = 0

    def _cmd_read(self, args: list[str]) -> None:
        self.status = 1  # stdin is empty: read meets end of file


def run_script(script: str, flavour: Flavour, env: Mapping[str, str], has_command: Callable[[str], bool],
               read_file: Callable[[str], str | None], hostname: str = "pod") -> Run:
    """Run `sh -c script` once; `Unsupported` when the script uses something this interpreter does not follow."""
    return Shell(flavour, env, has_command, read_file, hostname).execute(script)
