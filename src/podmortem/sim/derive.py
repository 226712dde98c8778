"""A container's behaviour from its image and command, when no profile describes it.

The kubelet runs `command` (or the image's ENTRYPOINT) with `args` (or, without a command, the
image's CMD), as the container runtime does. What that program does comes from the image
catalogue (catalogue.py), the simulated registry (registry.py) and, for `sh -c` scripts, the
shell interpreter (shell.py); the result is an ordinary `Profile`, so the rest of the kubelet model
(pull back-off, StartError, exits and restarts, read-only file systems, ports) applies unchanged.
An image the catalogue does not know runs as a healthy long-running program, as before; the
simulator logs that at debug level (logger `podmortem.sim.derive`), never in the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from podmortem.sim.catalogue import Image
from podmortem.sim.profile import DEFAULT, Profile
from podmortem.sim.registry import resolve
from podmortem.sim.shell import Flavour, Unsupported, run_script

log = logging.getLogger(__name__)

SHELLS = ("sh", "ash", "dash", "bash")
_EXIT_DELAY = 0.05  # a program that exits at once still runs a few milliseconds


def argv_of(spec: Mapping[str, Any], image: Image | None) -> list[str]:
    """What the runtime executes: command (or ENTRYPOINT) + args (or, without a command, CMD)."""
    command = [str(x) for x in spec.get("command") or []]
    args = [str(x) for x in spec.get("args") or []]
    if command:
        return command + args
    entry = list(image.entrypoint) if image else []
    return entry + (args if args else list(image.cmd) if image else [])


def _flavour(image: Image, argv0: str) -> Flavour:
    name = argv0.rsplit("/", 1)[-1]
    if name == "bash":
        return Flavour("bash", "bash")
    return Flavour("busybox" if image.shell == "busybox" else "dash", name)


def derive_profile(spec: Mapping[str, Any], env: Mapping[str, str], read_file: Callable[[str], str | None],
                   hostname: str) -> Profile:
    """The profile of a container nobody wrote one for."""
    image_name = str(spec.get("image") or "")
    found = resolve(image_name)
    if found.outcome in ("invalid", "not-found", "unauthorized"):
        return replace(DEFAULT, pull_error=found.outcome, pull_message=found.message)
    image = found.image
    if image is None:
        log.debug("image %s is not in the simulator's catalogue: it runs as a healthy program", image_name)
        return DEFAULT
    argv = argv_of(spec, image)
    files = set(image.files())
    # The program the runtime executes first: an exec format error names it.
    first = [f for f in (argv[0], f"/usr/local/bin/{argv[0]}") if f in files and f.startswith("/")][:1] if argv else []
    base = replace(DEFAULT, image_user=image.user, arch=image.arch, runtime=image.runtime,
                   executables=tuple(dict.fromkeys([*first, *image.files()])))
    if not argv:
        return replace(base, exit_after=_EXIT_DELAY, exit_code=0)

    def has_command(cmd: str) -> bool:
        return cmd in files if "/" in cmd else any(f.rsplit("/", 1)[-1] == cmd for f in files)

    name = argv[0].rsplit("/", 1)[-1]
    if name in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        try:
            run = run_script(argv[2], _flavour(image, argv[0]), env, has_command, read_file, hostname)
        except Unsupported as exc:
            log.debug("%s: the script uses %s, which the simulator does not follow: it runs as a healthy program",
                      image_name, exc)
            return base
        if run.exec_argv is not None:
            return _program(base, image, run.exec_argv, env, [text for _, text in run.lines])
        first = [text for when, text in run.lines if when <= 0]
        later = [text for when, text in run.lines if when > 0]
        if run.exit_code is None:
            return replace(base, logs=tuple(first + later), repeat_logs=run.repeat[0] if run.repeat else (),
                           repeat_every=run.repeat[1] if run.repeat else 30.0)
        return replace(base, logs=tuple(first), exit_logs=tuple(later), exit_after=run.seconds + _EXIT_DELAY,
                       exit_code=run.exit_code)
    if name in SHELLS and len(argv) == 1 and not spec.get("stdin"):
        # A shell (or REPL) with no terminal reads end of input at once and exits 0.
        return replace(base, exit_after=_EXIT_DELAY, exit_code=0)
    return _program(base, image, argv, env, [])


def _program(base: Profile, image: Image, argv: list[str], env: Mapping[str, str], printed: list[str]) -> Profile:
    """A program started directly (or by `exec` at the end of a script)."""
    name = argv[0].rsplit("/", 1)[-1]
    if name in ("python", "python3", "node") and len(argv) == 1:
        return replace(base, logs=tuple(printed), exit_after=_EXIT_DELAY, exit_code=0)
    if name in SHELLS and len(argv) == 1:
        return replace(base, logs=tuple(printed), exit_after=_EXIT_DELAY, exit_code=0)
    if name in {s.rsplit("/", 1)[-1] for s in image.server}:
        for names, lines in image.requires:
            if not any(env.get(n) for n in names):
                return replace(base, logs=tuple(printed), exit_logs=lines, exit_after=0.3, exit_code=1)
        return replace(base, logs=tuple(printed) + image.start_logs, writes=image.writes,
                       listens=image.ports or None)
    if name in ("sleep", "echo", "printf", "cat", "true", "false", "tail", "env", "printenv", "exit"):
        flavour = Flavour("busybox" if image.shell == "busybox" else "dash")
        files = set(image.files())
        try:
            run = run_script(" ".join(_quote(a) for a in argv), flavour, env,
                             lambda c: c in files if "/" in c else any(f.endswith("/" + c) for f in files),
                             lambda p: None)
        except Unsupported:
            return replace(base, logs=tuple(printed))
        lines = tuple(printed) + tuple(text for _, text in run.lines)
        if run.exit_code is None:
            return replace(base, logs=lines)
        return replace(base, exit_logs=lines, exit_after=run.seconds + _EXIT_DELAY, exit_code=run.exit_code)
    return replace(base, logs=tuple(printed))


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"
