"""What a container's command runs: the executable, whether it is a shell, and whether it ever ends.

Knowledge about commands, kept as tables with the reason for each entry. The one-shot analysis
is deliberately one-sided: a command is called one-shot only when every step of it is known to
finish (echo, cp, a short sleep, a server started in the background or told to daemonize). Any
program it does not know is assumed to be the long-running app, so an unknown command never
produces a finding.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})

# Programs that do their job and exit. `cat`/`tail` count only with file arguments and no -f.
ONE_SHOT = frozenset({
    "echo", "printf", "true", ":", "date", "env", "printenv", "hostname", "id", "whoami", "uname", "pwd",
    "ls", "cat", "cp", "mv", "rm", "mkdir", "touch", "chmod", "chown", "chgrp", "ln", "export", "set", "cd",
    "test", "[", "[[", "sed", "envsubst", "head", "wc", "sort", "tee", "basename", "dirname", "stat", "df",
    "du", "free", "nproc", "getent", "umask", "unset", "source", ".", "mktemp", "sync", "which", "command",
    "type", "readlink", "realpath", "cut", "tr", "grep", "awk", "exit", "curl", "wget", "nslookup", "dig",
})
# Shell keywords that only structure a script.
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "for", "in", "case", "esac", "{", "}",
                       "function", "!"})
# A sleep that ends within this many seconds is still a crash loop: the kubelet's back-off only
# resets after a container has run for 10 minutes, so shorter runs keep climbing the back-off.
SLEEP_LOOP_SECONDS = 600
_SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

# Servers that fork into the background and exit unless told to stay in the foreground; the
# container's main process then ends with code 0. (flag that keeps them in the foreground)
_DAEMONIZE = {
    "nginx": ("daemon off", "nginx forks into the background unless its config or -g says `daemon off;`"),
    "httpd": ("-DFOREGROUND", "Apache httpd detaches unless started with -DFOREGROUND (httpd-foreground)"),
    "apachectl": ("-DFOREGROUND", "apachectl start detaches; use httpd -DFOREGROUND"),
    "apache2ctl": ("-DFOREGROUND", "apache2ctl start detaches; use apache2 -DFOREGROUND"),
    "php-fpm": ("--nodaemonize|-F", "php-fpm with -D or daemonize=yes detaches; run it with -F"),
    "redis-server": ("", "redis-server --daemonize yes detaches"),
    "mongod": ("", "mongod --fork detaches"),
    "pg_ctl": ("", "pg_ctl start launches postgres in the background and returns"),
    "service": ("", "`service X start` starts a background service and returns"),
    "systemctl": ("", "systemctl needs systemd as PID 1, which a container does not have, and returns"),
}


_SERVER_CONFIG = {"nginx": ("/etc/nginx",), "httpd": ("/usr/local/apache2/conf", "/etc/httpd", "/etc/apache2")}


@dataclass(frozen=True, slots=True)
class Invocation:
    executable: str  # as written: /bin/sh, bash, java
    argv: tuple[str, ...]
    source: str  # "command" or "args"

    @property
    def name(self) -> str:
        return self.executable.rsplit("/", 1)[-1]


def invocation(command: object, args: object, image_has_entrypoint: bool | None) -> Invocation | None:
    """What the container executes, when the manifest decides it.

    `command` replaces the image's ENTRYPOINT, so command[0] is the executable. `args` alone only
    replace CMD: they are the executable only for an image known to have no ENTRYPOINT.
    """
    cmd = [str(x) for x in command] if isinstance(command, list) else []
    arg = [str(x) for x in args] if isinstance(args, list) else []
    if cmd:
        return Invocation(cmd[0], tuple(cmd + arg), "command")
    if arg and image_has_entrypoint is False:
        return Invocation(arg[0], tuple(arg), "args")
    return None


def shell_of(inv: Invocation) -> str | None:
    """The shell the invocation needs: `bash` for ["/bin/bash", ...] or ["/usr/bin/env", "bash"]."""
    if inv.name in SHELLS:
        return inv.executable
    if inv.name == "env" and len(inv.argv) > 1:
        nxt = next((a for a in inv.argv[1:] if not a.startswith("-") and "=" not in a), None)
        if nxt and nxt.rsplit("/", 1)[-1] in SHELLS:
            return nxt
    return None


def shell_present(shell: str, shells: tuple[str, ...]) -> bool:
    """An absolute path must exist as such; a bare name is looked up on PATH (any directory)."""
    if "/" in shell:
        return shell in shells
    return any(s.rsplit("/", 1)[-1] == shell for s in shells)


def script_of(inv: Invocation) -> str | None:
    """The script of `sh -c SCRIPT` (flags such as -e, -x, -ec allowed before -c)."""
    if inv.name not in SHELLS:
        return None
    argv = list(inv.argv[1:])
    while argv and argv[0].startswith("-"):
        flag = argv.pop(0)
        if flag.startswith("-") and not flag.startswith("--") and "c" in flag[1:]:
            return argv[0] if argv else None
    return None


@dataclass(frozen=True, slots=True)
class OneShot:
    why: str
    # A server told to daemonize only when its config file does not say otherwise: a volume
    # mounted over one of these paths may carry `daemon off;`, so the finding is less certain.
    config_paths: tuple[str, ...] = ()


def one_shot(inv: Invocation) -> OneShot | None:
    """Why this invocation certainly ends soon, or None when it may run for good."""
    script = script_of(inv)
    if script is not None:
        return script_one_shot(script)
    if inv.name in SHELLS:
        if len(inv.argv) == 1:
            return OneShot(f"`{inv.executable}` with no script reads commands from stdin, which is empty in a pod, "
                           "and exits at once")
        return None  # a script file: cannot see inside
    return _simple_one_shot(list(inv.argv))


def _simple_one_shot(words: list[str]) -> OneShot | None:
    if not words:
        return None
    exe = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if exe == "sleep":
        seconds = _sleep_seconds(rest)
        if seconds is not None and seconds < SLEEP_LOOP_SECONDS:
            return OneShot(f"`sleep {' '.join(rest)}` ends after {seconds:g} s")
        return None
    if exe in ("tail", "cat") and (any(a.startswith("-f") or a in ("-F", "--follow") for a in rest)
                                   or (exe == "cat" and not rest)):
        return None  # following a file (or cat waiting on stdin with tty) keeps running
    if exe == "tail" and not rest:
        return None
    if exe in ONE_SHOT:
        return OneShot(f"`{exe}` does its job and exits")
    task = finite_task(words)
    if task is not None:
        return OneShot(task)
    daemon = _DAEMONIZE.get(exe)
    if daemon is not None:
        flag, reason = daemon
        text = " ".join(rest)
        if exe == "redis-server" and re.search(r"--daemonize\s+yes", text):
            return OneShot(reason)
        if exe == "mongod" and "--fork" in rest:
            return OneShot(reason)
        if exe in ("pg_ctl", "service", "systemctl", "apachectl", "apache2ctl") and (
                "start" in rest or "restart" in rest):
            return OneShot(reason)
        if exe == "php-fpm" and ("-D" in rest or "--daemonize" in rest):
            return OneShot(reason)
        if exe in ("nginx", "httpd") and flag and not re.search(flag, text) and not (
                {"-t", "-T", "-v", "-V", "-s"} & set(rest)):
            return OneShot(reason, _SERVER_CONFIG[exe])
    return None


# Tools whose subcommand runs a task to completion: a database migration, an asset build, a
# package install. (program -> subcommands that finish; "*" = any invocation of the program).
# Their long-running siblings (`manage.py runserver`, `npm start`, `rails server`) are absent.
_FINITE_TASKS: dict[str, frozenset[str]] = {
    "manage.py": frozenset({"migrate", "makemigrations", "collectstatic", "createsuperuser", "loaddata",
                            "compilemessages", "check", "showmigrations", "dumpdata"}),
    "alembic": frozenset({"upgrade", "downgrade", "stamp", "current", "history"}),
    "flask": frozenset({"db"}),
    "rake": frozenset({"db:migrate", "db:setup", "db:create", "db:seed", "db:prepare", "assets:precompile"}),
    "rails": frozenset({"db:migrate", "db:setup", "db:create", "db:seed", "db:prepare", "assets:precompile"}),
    "artisan": frozenset({"migrate", "db:seed", "config:cache", "route:cache", "optimize", "key:generate"}),
    "flyway": frozenset({"migrate", "repair", "clean", "info", "validate", "baseline"}),
    "liquibase": frozenset({"update", "rollback", "status", "validate"}),
    "prisma": frozenset({"migrate", "generate", "db"}),
    "npm": frozenset({"ci", "install", "i", "test", "build"}),
    "yarn": frozenset({"install", "build", "test"}),
    "pnpm": frozenset({"install", "build", "test"}),
    "pip": frozenset({"install", "download"}),
    "pip3": frozenset({"install", "download"}),
    "goose": frozenset({"up", "down", "status", "reset"}),
    "dbmate": frozenset({"up", "migrate", "rollback"}),
    "knex": frozenset({"migrate:latest", "migrate:rollback", "seed:run"}),
    "sequelize": frozenset({"db:migrate", "db:seed:all"}),
    "kubectl": frozenset({"apply", "create", "delete", "patch", "label", "annotate", "scale"}),
}
_NPM_FINITE_SCRIPTS = frozenset({"build", "test", "lint", "migrate"})


def finite_task(words: list[str]) -> str | None:
    """`python manage.py migrate`, `bundle exec rake db:migrate`, `npx prisma migrate deploy`..."""
    if not words:
        return None
    exe = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if exe == "bundle" and rest[:1] == ["exec"]:
        rest = rest[1:]
    elif exe in ("npx", "pnpx", "php") or exe.startswith("python"):
        if rest[:1] == ["-m"]:
            rest = rest[1:]
        rest = [a for a in rest if not a.startswith("-")] if exe.startswith("python") else rest
    else:
        rest = words
    if not rest:
        return None
    program = rest[0].rsplit("/", 1)[-1]
    args = [a for a in rest[1:] if not a.startswith("-")]
    if program == "migrate" and ("up" in args or "down" in args):  # golang-migrate
        return "`migrate up` applies the migrations and exits"
    tasks = _FINITE_TASKS.get(program)
    if tasks is None or not args:
        return None
    if program in ("npm", "yarn", "pnpm") and args[0] == "run":
        return f"`{program} run {args[1]}` runs a script that finishes" if args[1:2] and args[1] in _NPM_FINITE_SCRIPTS else None
    if args[0] in tasks:
        return f"`{program} {args[0]}` runs a task to completion and exits"
    return None


def _sleep_seconds(args: list[str]) -> float | None:
    total = 0.0
    if not args:
        return None
    for a in args:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", a)
        if not m:
            return None  # infinity, $VAR, or anything unknown: assume it lasts
        total += float(m.group(1)) * _SLEEP_UNITS[m.group(2)]
    return total


_SEPARATORS = re.compile(r"&&|\|\||;|\n|\|")


def script_one_shot(script: str) -> OneShot | None:
    """A shell script ends soon when every step is a known one-shot, or when it only starts things in
    the background (`app &`) and never waits for them."""
    if re.search(r"\bwhile\b|\buntil\b|\bwait\b", script):
        return None  # loops and wait keep the shell alive
    steps = [s.strip() for s in _SEPARATORS.split(script) if s.strip()]
    if not steps:
        return OneShot("the script is empty")
    backgrounded = False
    config_paths: tuple[str, ...] = ()
    for step in steps:
        if step.startswith("#"):
            continue
        if step.endswith("&"):
            backgrounded = True
            continue
        words = _words(step)
        while words and (words[0] in _KEYWORDS or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0])):
            words = words[1:]
        if not words:
            continue
        if words[0] == "exec":
            words = words[1:]
            if not words:
                continue
            result = _simple_one_shot(words)
            return result  # exec replaces the shell: what it runs decides
        step_result = _simple_one_shot(words)
        if step_result is None:
            return None  # runs something that may last: assume it is the app
        config_paths += step_result.config_paths
    if backgrounded:
        return OneShot("the script starts its process in the background (`&`) and then ends, which ends the container",
                       config_paths)
    return OneShot("every step of the script finishes (" + "; ".join(steps[:3]) + ("; ..." if len(steps) > 3 else "")
                   + ")", config_paths)


def _words(step: str) -> list[str]:
    step = re.sub(r"\s[12]?>>?\s*\S+", " ", step)  # drop redirections: `echo x > /f`
    try:
        return shlex.split(step, comments=True)
    except ValueError:
        return step.split()
