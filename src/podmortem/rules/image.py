"""Rules for the image family: the entrypoint is missing, cannot be executed, or the image cannot be pulled.

The three causes are told apart by where the failure happens. A command that is not in the
image fails when runc creates the task (StartError, exit 128, `executable file not found in
$PATH`) or, behind a shell wrapper, as exit 127 (`sh: x: not found`). A file that exists but
cannot run on this node fails at execve: `exec format error` (another CPU architecture) or
ENOENT from a missing interpreter or loader (`bad interpreter`, `'bash\\r'`, `exec user process
caused: no such file or directory`). A pull failure never gets that far: ErrImagePull /
ImagePullBackOff with the registry's own error in the `Failed` event; those rules live in
rules/image_pull.py and are listed in this module's RULES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Remedy,
    Step,
)
from podmortem.model.evolve import evolve
from podmortem.model.remedy import Value
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_termination,
    cite_waiting,
    debug_command,
    logs_command,
    main_suspect,
    may_say,
    messages,
    namespace_of,
    watch_command,
)
from podmortem.rules.facts import PodFacts, printed
from podmortem.rules.image_pull import PULL_RULES
from podmortem.rules.output import OutputMatch, by_container, find_output, placed
from podmortem.rules.patch import container_patch
from podmortem.rules.runtime_wording import DOCKER1_COMMAND_MISSING, EXEC_LOADER_MISSING, EXEC_WORDINGS
from podmortem.rules.spec import (
    cite_command,
    command_line,
    image_of,
    is_service_account_mount,
    mount_covering,
)
from podmortem.rules.text import first_upper, who
from podmortem.rules.textindex import may_match
from podmortem.rules.wording import Wording
from podmortem.shell import render_command

# Terminated reasons of a task that never ran: containerd/CRI-O StartError, dockershim ContainerCannotRun.
START_FAILED = frozenset({"StartError", "ContainerCannotRun"})

# Go's exec.LookPath error as runc (and gosu) print it, possibly inside Docker-era escaped quoting
# (`exec: \"x\": ...`), and crun's wording of the same failure.
_EXEC_NOT_FOUND = lazy(
    r'exec:\s*\\*"(?P<cmd>[^"\\]*)\\*":\s*'
    r"(?:(?P<inpath>executable file not found in \$PATH)|stat (?P<path>[^:\"\\]+): no such file or directory)"
    r"|executable file `(?P<crun>[^`]*)` not found"
    r"|(?P<crun_generic>OCI runtime attempted to invoke a command that was not found)"
)

# What shells, init shims and su-tools print when the command they were told to run is absent.
# dash: `/start.sh: 3: exec: ./app: not found`; bash: `line 3: foo: command not found`;
# busybox ash: `sh: foo: not found`; tini / dumb-init / su-exec name the command and ENOENT.
_SHELL_NOT_FOUND = lazy(
    r"(?:^|[\s\]])(?:[^\s\]]+: line \d+|[^\s\]]+: \d+|(?:/usr)?(?:/bin/)?(?:ba|da|a|z|k)?sh(?:: \d+)?)"
    r": (?:exec: )?(?P<cmd>[^\s:'\"]+): (?:command )?not found\b"
    r"|(?:^|\s)(?P<cmd2>[^\s:'\"]+): command not found\b"
    r"|\[FATAL tini \(\d+\)\] exec (?P<cmd3>\S+) failed: No such file or directory"
    r"|\[dumb-init\] (?P<cmd4>\S+): No such file or directory"
    r"|\b(?:su-exec|gosu|chpst|s6-setuidgid): (?P<cmd5>\S+): No such file or directory"
    # a shell told to run a script file that is not there: bash, dash (`sh: 0: cannot open x`), busybox
    r"|(?:^|\s)(?:/usr)?(?:/bin/)?(?:ba|da|a|z|k)?sh: (?P<cmd6>\.{0,2}/\S+): No such file or directory"
    r"|(?:^|\s)(?:/usr)?(?:/bin/)?(?:ba|da|a|z|k)?sh: (?:0: )?[Cc]an(?:'|no)t open (?:')?(?P<cmd7>[^'\s:]+)"
)

# bash reporting a path it was told to run (`line 10: bin/rails: No such file or directory`). The
# same words follow a missing redirect target or sourced file, so the path must look like a program.
_SHELL_PATH_MISSING = lazy(r"(?<!\S)\S+: line \d+: (?P<cmd>[^\s:'\"]+): No such file or directory\s*$")
_DATA_FILE = lazy(
    r"\.(?:conf|cfg|ini|ya?ml|json|toml|xml|properties|env|txt|log|pid|lock|pem|crt|key|sock|csv|sql|db|html?)$"
    r"|^/(?:etc|var/log|var/run|run|tmp|proc|dev|sys)/"
)

# qemu-user (binfmt) running a foreign binary without that architecture's loader says the same thing its way.
_ARCH_MISMATCH = lazy(r"exec format error|cannot execute binary file|qemu-[\w-]+: Could not open '/lib", re.I)
# CRLF line endings in a script: the interpreter name, an option or an empty line ends in \r.
_CRLF = lazy(
    r"\\r['’\"]?: (?:No such file or directory|not found)|\^M|\$'\\r': command not found"
    r"|set: Illegal option -\s*$|: invalid option(?: name)?\s*$|\r"
)
# execve() failing with ENOENT on a file that exists: its interpreter (shebang) or dynamic loader is absent.
_MISSING_INTERPRETER = lazy(
    r"exec user process caused:?\s*\\*\"?no such file or directory"
    r"|^\s*(?:\S+\.go:\d+: )?exec (?P<path>/\S+): no such file or directory\s*$"
    r"|(?<!\S)(?P<script>\S+): (?P<interp>/\S+): bad interpreter"
    r"|bad interpreter: No such file or directory"
    r"|(?:/usr)?/bin/env: ['‘\"](?P<envinterp>[^'’\"]+)['’\"]: No such file or directory"
    r"|\benv: can't execute '(?P<bbinterp>[^']+)': No such file or directory"
)

NOT_FOUND_WORDINGS: tuple[Wording, ...] = (
    Wording('exec: "%s": executable file not found in $PATH', "Go os/exec LookPath via runc standard_init_linux.go, "
            "all versions (runc, containerd, CRI-O, dockershim)", "a bare name",
            'OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": '
            'executable file not found in $PATH: unknown'),
    Wording('exec: "%s": stat %s: no such file or directory', "Go os/exec LookPath via runc, all versions",
            "an absolute path that is absent",
            'OCI runtime create failed: container_linux.go:344: starting container process caused "exec: '
            '\\"/docker-entrypoint.sh\\": stat /docker-entrypoint.sh: no such file or directory": unknown'),
    Wording("executable file `%s` not found in $PATH", "crun src/libcrun/utils.c, 1.x (CRI-O)", "",
            "container create failed: executable file `gunicorn` not found in $PATH: No such file or directory"),
    Wording("Container command '%s' not found or does not exist.", "Docker 1.8-1.10 daemon",
            "execve ENOENT: file or loader, so below 0.8",
            "Error response from daemon: Container command '/bin/app' not found or does not exist."),
)


def _may_miss_command(facts: PodFacts) -> bool:
    # runtime_exec_not_found: one of its wordings in a message, or a printed line (gosu, su-exec)
    return facts.printed or may_match(facts.said, _EXEC_NOT_FOUND, DOCKER1_COMMAND_MISSING)


def _may_fail_exec(facts: PodFacts) -> bool:
    # exec_format_error: one of its wordings in a message, or a printed line
    return facts.printed or may_match(facts.said, _ARCH_MISMATCH, _MISSING_INTERPRETER, EXEC_LOADER_MISSING)


def _is_probe_message(m: Message) -> bool:
    """Probe output quotes the probe command's errors; they are not about the container's own start."""
    if m.event is not None and (m.event.reason or "").lower() in ("unhealthy", "probewarning"):
        return True
    return "probe failed" in m.text or "probe errored" in m.text


def _container(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    c = pod.container(name) if name is not None else None
    return c if c is not None else main_suspect(pod)


def _termination_evidence(pod: PodEvidence, c: ContainerEvidence | None) -> list[Citation]:
    if c is None:
        return []
    out: list[Citation] = []
    w = cite_waiting(pod, c)
    if w is not None:
        out.append(w)
    t = c.last_termination
    if t is not None:
        out.append(cite_termination(pod, c, t))
    return out


def _image_arg(c: ContainerEvidence | None) -> Value:
    image = image_of(c)
    return image if image else Placeholder("IMAGE")


def _script(text: str, arg: Value) -> str | Joined:
    """A rendered script whose value `arg` may be a placeholder: that stays a bare word for the reader to fill
    in (and is listed), the rest is one quoted argument."""
    if not isinstance(arg, Placeholder):
        return text
    parts: list[str | Placeholder] = []
    for i, piece in enumerate(text.split(arg.name)):
        if i:
            parts.append(arg)
        parts.append(piece)
    return Joined(tuple(parts))


def _run_in_image(pod: PodEvidence, name: str, image: Value, script: str | Joined) -> Command:
    """A throw-away pod of the image that runs a shell script (already quoted where it interpolates)."""
    return kubectl("run", name, "--rm", "-it", "--restart=Never", Joined(("--image=", image)),
                   "--command", "--", "sh", "-c", script, namespace=namespace_of(pod))


def _check_commands(pod: PodEvidence, c: ContainerEvidence | None, program: str | None,
                    patched: bool = False) -> tuple[Step, ...]:
    """How to look inside the image for the program, and how to watch the fix roll out."""
    name = c.name if c is not None else None
    image = _image_arg(c)
    cmds: list[Step] = [debug_command(pod, name)]
    if program:
        probe = render_command(Command(("command", "-v", program))) + " || " + render_command(
            Command(("ls", "-l", program)))
        cmds.append(_run_in_image(pod, "cmd-check", image, probe))
    cmds.append(Command(("docker", "image", "inspect", image, "--format",
                         "{{json .Config.Entrypoint}} {{json .Config.Cmd}}")))
    if patched:
        cmds.append(APPLY)
    cmds.append(watch_command(pod))
    return tuple(cmds)


def _not_found_hit(pod: PodEvidence, c: ContainerEvidence | None, program: str, detail: str,
                   evidence: list[Citation], confidence: float, strength: int) -> Hit:
    name = (c.name or None) if c is not None else None
    init = c.init if c is not None else False
    subject = who(name)
    cmd_cite = cite_command(pod, c) if c is not None else None
    if cmd_cite is not None and cmd_cite.text not in {e.text for e in evidence}:
        evidence.append(cmd_cite)
    patch = None
    covered = mount_covering(pod, c, program) if program.startswith("/") else None
    if detail == "empty-command":
        summary = f"The runtime cannot start {subject}: its command is an empty string."
        fix = ("The command resolves to an empty string (often a template value that rendered empty). "
               "Set command/args to the program to run, or drop `command` so the image's ENTRYPOINT is used; "
               "the patch below removes it.")
        patch = container_patch(name, init, {"command": None})
    elif covered is not None and not is_service_account_mount(covered[0]):
        mount, _vol = covered
        detail = "hidden-by-volume"
        summary = (f"{program} is not in {subject}: volume {mount.name} is mounted at {mount.mount_path} "
                   "and hides what the image has there.")
        fix = (f"The volume mounted at {mount.mount_path} replaces the image's directory, so {program} is gone. "
               "Mount the volume somewhere else, or mount single files with subPath.")
    else:
        where = "is not in the image's $PATH" if detail == "not-in-path" else "does not exist in the image"
        summary = f"The command {program!r} of {subject} {where}, so the container cannot start."
        fix = (f"Fix command/args (a typo, or a relative name that needs its absolute path) or use an image "
               f"that contains {program!r}; look inside the image with the commands below.")
    return Hit(
        container=name, init=init, summary=summary, evidence=tuple(evidence),
        remedy=Remedy(fix, patch, _check_commands(pod, c, program or None, patch is not None),
                      outside_spec=None if patch is not None else "the program must be in the image, or command/args "
                      "must name one it has: only the image's contents can say which"),
        confidence=confidence, strength=strength, detail=detail,
    )


@rule(
    "runtime-exec-not-found",
    cause="image.command-not-found",
    title="The runtime found no executable for the container's command",
    needs=("status", "events", "spec"),
    lint_check="shell-missing",
    wordings=NOT_FOUND_WORDINGS,
    when=_may_miss_command,
)
def runtime_exec_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The runtime's own error for a command that is not in the image: runc's
    `exec: "x": executable file not found in $PATH` (a bare name), `exec: "/app/run": stat
    /app/run: no such file or directory` (an absolute path) or `exec: ""` (an empty command),
    as a StartError / ContainerCannotRun message (exit 128), a RunContainerError waiting
    message, a `Failed` event, or the Docker-era `starting container process caused "exec: \\"x\\"..."`.
    crun's ``executable file `x` not found`` is the same failure.

    ## Why the pod crash-loops
    The command is resolved while the task is created, before any process runs, so the start
    fails every time (`StartError`, exit code 128, zero start time) and the kubelet retries
    with back-off.

    ## Evidence used
    Waiting and terminated messages, `Failed` events, the command and args from the spec, and
    the spec's volume mounts (a volume mounted over the directory hides the image's binary).

    ## How to fix
    Correct `command`/`args` (typo, missing absolute path, empty templated value) or build the
    image with the program in it. Look inside with `kubectl debug ... --copy-to` and check with
    `kubectl run --rm -it --image=IMAGE -- sh -c 'command -v x'`. A distroless image has no
    `sh`: use `command: ["/app/server"]` instead of `sh -c`.

    ## Near misses
    Probe output that quotes the same error (an exec probe whose command is missing) is a probe
    failure (`probes.liveness`). `exec: "x": permission denied` is
    `security.permission-denied`; `exec format error` is `image.exec-format`.
    """
    done: set[str | None] = set()
    for m in messages(pod) if may_say(pod, _EXEC_NOT_FOUND, DOCKER1_COMMAND_MISSING) else ():
        if _is_probe_message(m):
            continue
        hit = _EXEC_NOT_FOUND.search(m.text)
        old = DOCKER1_COMMAND_MISSING.search(m.text) if hit is None else None
        if old is not None:
            c = _container(pod, m.container)
            if (c.name if c is not None else None) not in done:
                done.add(c.name if c is not None else None)
                # Docker 1.x said this for any execve ENOENT: a missing file, or a binary whose loader is missing.
                yield _not_found_hit(pod, c, old.group("cmd"), "path-missing",
                                     [cite_message(m), *_termination_evidence(pod, c)], 0.75, 2)
            continue
        if hit is None:
            continue
        c = _container(pod, m.container)
        key = c.name if c is not None else None
        if key in done:
            continue
        done.add(key)
        program = hit.group("cmd") if hit.group("cmd") is not None else (hit.group("crun") or "")
        if hit.group("crun_generic") and not program:
            program = " ".join(c.spec.command[:1]) if c is not None and c.spec is not None else "?"
        detail = ("empty-command" if program == "" else
                  "not-in-path" if hit.group("inpath") or hit.group("crun") is not None else "path-missing")
        evidence = [cite_message(m)]
        evidence += [e for e in _termination_evidence(pod, c) if e.text != evidence[0].text]
        yield _not_found_hit(pod, c, program, detail, evidence, 0.96, 3)
    # gosu / su-exec print the same LookPath error into the log
    for om in find_output(pod, _EXEC_NOT_FOUND, limit=1):
        key = om.name
        if key in done:
            continue
        done.add(key)
        program = om.match.group("cmd") or om.match.group("crun") or ""
        yield _not_found_hit(pod, om.container, program, "not-in-path" if program else "empty-command",
                             [om.citation, *_termination_evidence(pod, om.container)], 0.88, 2)


def _looks_like_program(path: str) -> bool:
    return not _DATA_FILE.search(path) and not path.endswith("/")


def _shell_program(om: OutputMatch) -> str | None:
    m = om.match
    for group in ("cmd", "cmd2", "cmd3", "cmd4", "cmd5", "cmd6", "cmd7"):
        value = m.groupdict().get(group)
        if value:
            return value
    return None


@rule(
    "shell-command-not-found",
    cause="image.command-not-found",
    title="A shell or init wrapper could not find the command it was told to run",
    needs=("logs", "status", "spec"),
    when=printed,
)
def shell_command_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A shell, init shim or entrypoint script reporting that the program it runs is absent:
    `sh: x: not found`, `/bin/sh: 1: x: not found` (dash), `exec: ./x: not found`,
    `bash: x: command not found`, `/entrypoint.sh: line 12: gosu: command not found`,
    `line 10: bin/app: No such file or directory` when the path is a program,
    `[FATAL tini (7)] exec x failed: No such file or directory`. Exit code 127 (the shell's
    "command not found") raises the confidence.

    ## Why the pod crash-loops
    The image's entrypoint script or `sh -c` wrapper runs, cannot find the real program and
    exits 127 (or 1 under `set -e`), so the container ends at once on every restart.

    ## Evidence used
    The crashed container's log (or its termination message), its exit code, command and args.

    ## How to fix
    Install the program in the image, call it by a path that exists, or fix the command's
    spelling; check inside the image with `kubectl run --rm -it --image=IMAGE -- sh -c 'command -v x'`.

    ## Near misses
    `$'\\r': command not found` and other names ending in `\\r` are CRLF line endings
    (`image.exec-format`). `No such file or directory` for a config or data file is
    `app.file-missing`. The runtime's own `executable file not found in $PATH` (exit 128) is
    rule `runtime-exec-not-found`.
    """
    def named_program(m: re.Match[str]) -> bool:
        program = next((v for k, v in m.groupdict().items() if k.startswith("cmd") and v), None)
        return bool(program) and "\\r" not in str(program)

    def program_path(m: re.Match[str]) -> bool:
        return "\\r" not in m.group("cmd") and _looks_like_program(m.group("cmd"))

    seen: set[str | None] = set()
    for name, found in by_container(find_output(pod, _SHELL_NOT_FOUND, limit=10, keep=named_program)).items():
        seen.add(name)
        yield _shell_hit(pod, found[0], _shell_program(found[0]) or "?")
    for name, found in by_container(find_output(pod, _SHELL_PATH_MISSING, limit=10, keep=program_path)).items():
        if name not in seen:
            yield _shell_hit(pod, found[0], found[0].match.group("cmd"), path_form=True)


def _shell_hit(pod: PodEvidence, om: OutputMatch, program: str, path_form: bool = False) -> Hit:
    c = om.container
    t = c.last_termination if c is not None else None
    code = t.exit_code if t is not None else None
    confidence, strength = placed(om, 0.9 if code == 127 else 0.84)
    if path_form:  # the same words can follow a missing redirect target
        confidence -= 0.08
    evidence = [om.citation]
    if t is not None and c is not None:
        evidence.append(cite_termination(pod, c, t))
    return _not_found_hit(pod, c, program, "shell-not-found", evidence, confidence, strength)


@rule(
    "exit-127",
    cause="image.command-not-found",
    title="The container exited 127, the shell's code for a command that was not found",
    needs=("status", "logs", "spec"),
)
def exit_127(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose last termination has exit code 127, or a StartError / ContainerCannotRun
    (exit 128) with no message to say more. Exit code alone is weak evidence; it only leads
    when nothing better is known.

    ## Why the pod crash-loops
    127 is what a shell returns when the command it should run does not exist; a start error
    with exit 128 is the runtime failing to create the process, most often for the same reason.

    ## Evidence used
    The terminated state's exit code and reason.

    ## How to fix
    Read the container's log (`kubectl logs --previous`) for the missing command and correct
    command/args or the image.

    ## Near misses
    A StartError whose message says `permission denied`, `exec format error` or names a mount
    is another cause; this rule stays silent when the message is there.
    """
    # 127 also follows a missing interpreter (`env: 'bash\r'`): leave those to exec-format-error
    explained: set[str | None] | None = None  # read only when a container shows one of the two exits
    for c in pod.containers:
        t = c.last_termination
        if t is None:
            continue
        if t.exit_code != 127 and not (
                (t.reason in START_FAILED or c.waiting_reason == "RunContainerError") and not t.message):
            continue
        if explained is None:
            explained = {om.name for pattern in (_CRLF, _MISSING_INTERPRETER, _ARCH_MISMATCH)
                         for om in find_output(pod, pattern, limit=1)}
        if (c.name or None) in explained:
            continue
        if t.exit_code == 127:
            conf = 0.55
        elif (t.reason in START_FAILED or c.waiting_reason == "RunContainerError") and not t.message:
            conf = 0.45
        else:
            continue
        evidence = _termination_evidence(pod, c)
        cmd = cite_command(pod, c)
        if cmd is not None:
            evidence.append(cmd)
        name = c.name or None
        yield Hit(
            container=name, init=c.init,
            summary=(f"{first_upper(who(name))} exited {t.exit_code}: the command it runs was most likely not found "
                     "in the image.").replace("  ", " "),
            evidence=tuple(evidence),
            remedy=Remedy("Check the log for the missing command, then fix command/args or the image.",
                          None, (logs_command(pod, name), *_check_commands(pod, c, None))),
            confidence=conf, strength=1, detail="exit-code-only",
        )


def _arch_hint(image: str | None) -> str | None:
    """The architecture an image name announces (`kuard-amd64`, `app:1.0-arm64v8`), if any."""
    if not image:
        return None
    m = re.search(r"(?:^|[-_/:.])(amd64|x86_64|arm64(?:v8)?|aarch64|armv7|armhf|arm32v7|ppc64le|s390x)(?:$|[-_/:.])",
                  image.lower())
    if not m:
        return None
    token = m.group(1)
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64v8": "arm64", "armhf": "arm", "armv7": "arm",
            "arm32v7": "arm"}.get(token, token)


def _exec_format_findings(pod: PodEvidence) -> Iterator[tuple[Citation, ContainerEvidence | None, str, float, int]]:
    """(citation, container, detail, confidence, strength) for every execve failure seen."""
    for m in messages(pod) if may_say(pod, _ARCH_MISMATCH, _MISSING_INTERPRETER, EXEC_LOADER_MISSING) else ():
        if _is_probe_message(m):
            continue
        if _ARCH_MISMATCH.search(m.text):
            yield cite_message(m), _container(pod, m.container), "wrong-architecture", 0.96, 3
        elif _MISSING_INTERPRETER.search(m.text) or EXEC_LOADER_MISSING.search(m.text):
            yield (cite_message(m), _container(pod, m.container),
                   "crlf-line-endings" if _CRLF.search(m.text) else "missing-interpreter", 0.9, 3)
    for om in find_output(pod, _ARCH_MISMATCH, limit=1):
        yield om.citation, om.container, "wrong-architecture", 0.92, 2
    for om in find_output(pod, _CRLF, limit=1):
        # `\r` alone in a line is a Windows-edited log, not proof; the interpreter/option forms are.
        if "\r" in om.match.group(0) and not re.search(r"not found|No such file|invalid option|Illegal", om.line):
            continue
        yield om.citation, om.container, "crlf-line-endings", 0.9, 2
    for om in find_output(pod, _MISSING_INTERPRETER, limit=1):
        if env_target_reading(om) != "interpreter":
            # `env: can't execute '/app/run'`: a missing binary as likely as a missing interpreter
            # (rule env-cannot-execute ranks the two)
            yield om.citation, om.container, "missing-interpreter-or-binary", 0.5, 1
            continue
        yield om.citation, om.container, "missing-interpreter", 0.86, 2


# What busybox/coreutils `env` failed to run tells the two causes apart only with the spec: a
# shebang names an interpreter (`#!/usr/bin/env bash`), a command names the program.
_INTERPRETER = lazy(r"(?:^|/)(?:ba|da|a|z|k)?sh|(?:^|/)(?:python|node|nodejs|ruby|perl|php|lua|deno|bun|pwsh|"
                          r"Rscript|java|tclsh|wish|awk|gawk|env)[\d.]*$")


def env_target_reading(om: OutputMatch) -> str:
    """'interpreter', 'command' or 'either' for an `env: can't execute X` line (others: 'interpreter')."""
    target = om.match.groupdict().get("bbinterp")
    if not target:
        return "interpreter"
    c = om.container
    argv = command_line(c) if c is not None else []
    if target in argv or any(a.endswith(" " + target) or a.startswith(target + " ") for a in argv):
        return "command"
    if _INTERPRETER.search(target):
        return "interpreter"
    return "either"


@rule(
    "env-cannot-execute",
    cause="image.command-not-found",
    title="`env` could not run a path: a missing program, or a program whose interpreter is missing",
    needs=("logs", "status", "spec"),
    when=printed,
)
def env_cannot_execute(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    busybox `env: can't execute '/app/run': No such file or directory` (and coreutils
    `/usr/bin/env: '/app/run': No such file or directory`) where the path is not an interpreter.
    The same words come from a command that is absent and from a script whose `#!` interpreter
    or a binary whose loader is absent, so this rule and `exec-format-error` both report it,
    ranked, neither sure.

    ## Why the pod crash-loops
    execve() fails with ENOENT before the program runs, on every start.

    ## Evidence used
    The log line and the container's command and args: when the path is the command, a missing
    binary ranks first; a name like `bash` or `python3` is a shebang's interpreter and is left to
    `exec-format-error` alone.

    ## How to fix
    `ls -l PATH` in the image separates them: absent, fix the command or the image; present, read
    its first line (`head -1`) or its loader (`ldd`) and install what it names.

    ## Near misses
    `env: 'bash\\r'` is CRLF line endings (`image.exec-format`); runc's `executable file not found`
    is rule `runtime-exec-not-found`.
    """
    for om in find_output(pod, _MISSING_INTERPRETER, limit=1):
        reading = env_target_reading(om)
        if reading == "interpreter":
            continue
        target = om.match.group("bbinterp")
        confidence = 0.7 if reading == "command" else 0.62
        hit = _not_found_hit(pod, om.container, target, "env-cannot-execute",
                             [om.citation, *_termination_evidence(pod, om.container)], confidence, 2)
        yield evolve(hit, summary=(
            f"`env` could not run {target} in {who(om.name)}: either {target} is not in the image (the likelier "
            f"reading{' - it is the command' if reading == 'command' else ''}), or it exists and its interpreter "
            f"line or dynamic loader names something the image lacks. `ls -l {target}` in the image tells which: "
            "absent means the command is wrong, present means read its first line or run ldd on it."))


@rule(
    "exec-format-error",
    cause="image.exec-format",
    title="The container's program cannot be executed on this node (architecture or interpreter)",
    needs=("status", "events", "logs", "spec"),
    wordings=EXEC_WORDINGS,
    when=_may_fail_exec,
)
def exec_format_error(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The kernel refusing to execute the entrypoint: `exec format error` (a binary for another
    CPU architecture, e.g. an amd64 image on an arm64 node), and ENOENT on a file that exists
    because its interpreter or loader is missing: `exec user process caused: no such file or
    directory`, `exec /app/start.sh: no such file or directory`, `bad interpreter`,
    `/usr/bin/env: 'bash\\r': No such file or directory` (a script saved with CRLF line
    endings), `env: can't execute 'bash'` (no bash in an Alpine image).

    ## Why the pod crash-loops
    The file is found but execve() fails, so the process never starts: the runtime reports a
    StartError, or runc's init prints the error to the log and exits; every restart fails the
    same way.

    ## Evidence used
    Terminated and waiting messages, `Failed` events, the crashed container's log, the image
    name (an `-amd64` suffix) and the node's architecture when known.

    ## How to fix
    Wrong architecture: compare `kubectl get node -o jsonpath='{.items[*].status.nodeInfo.architecture}'`
    with the image's platforms (`docker buildx imagetools inspect IMAGE`) and publish a
    multi-arch image (`docker buildx build --platform linux/amd64,linux/arm64`) or pin the pod to
    matching nodes with `nodeSelector: {kubernetes.io/arch: ...}`. CRLF: convert the script to
    LF (`sed -i 's/\\r$//'`, `.gitattributes`: `*.sh text eol=lf`). Missing interpreter: install
    it, change the shebang to one the image has (`#!/bin/sh`), or build a static binary
    (`CGO_ENABLED=0`) for scratch/Alpine images.

    ## Near misses
    `executable file not found in $PATH` / `stat ...: no such file or directory` from runc means
    the file itself is absent (`image.command-not-found`). `No such file or directory` about a
    config file read by the app is `app.file-missing`.
    """
    best: dict[str | None, tuple[Citation, ContainerEvidence | None, str, float, int]] = {}
    extra: dict[str | None, list[Citation]] = {}
    for cite, c, detail, conf, strength in _exec_format_findings(pod):
        key = c.name if c is not None else None
        if key not in best or conf + 0.05 * strength > best[key][3] + 0.05 * best[key][4]:
            if key in best:
                extra.setdefault(key, []).append(best[key][0])
            best[key] = (cite, c, detail, conf, strength)
        else:
            extra.setdefault(key, []).append(cite)
    for key, (cite, c, detail, conf, strength) in best.items():
        evidence = [cite, *(e for e in extra.get(key, []) if e.text != cite.text)][:3]
        evidence += [e for e in _termination_evidence(pod, c) if e.text not in {x.text for x in evidence}]
        yield _exec_format_hit(pod, c, detail, evidence, conf, strength)


def _exec_format_hit(pod: PodEvidence, c: ContainerEvidence | None, detail: str, evidence: list[Citation],
                     confidence: float, strength: int) -> Hit:
    name = (c.name or None) if c is not None else None
    init = c.init if c is not None else False
    image = image_of(c)
    shown = image or "IMAGE"
    image_arg: Value = image if image else Placeholder("IMAGE")
    subject = who(name)
    script_arg: Value = next((a for a in command_line(c) if a.startswith("/") or a.endswith((".sh", ".py"))),
                           Placeholder("SCRIPT"))
    node_arch = (kubectl("get", "node", pod.node, "-o", "jsonpath={.status.nodeInfo.architecture}") if pod.node
                 else kubectl("get", "node", "-o", "jsonpath={.items[*].status.nodeInfo.architecture}"))
    patch = None
    outside = "the image must be rebuilt or replaced: its files are not in the pod spec"
    commands: tuple[Step, ...]
    if detail == "wrong-architecture":
        arch = _arch_hint(image)
        summary = (f"The entrypoint of {subject} is built for another CPU architecture than the node's "
                   "(exec format error).")
        fix = (f"Use an image that has a variant for the node's architecture: publish {shown} as a multi-arch image "
               "(docker buildx build --platform linux/amd64,linux/arm64 --push) or pick the matching tag")
        if arch:
            # Not a patch to apply blindly: pinning helps only where the cluster has such nodes.
            fix += (f"; the image name says {arch} (a guess from the name), so if the cluster has {arch} nodes "
                    f"(kubectl get nodes -L kubernetes.io/arch) you can pin the pod to them meanwhile with "
                    f"nodeSelector kubernetes.io/arch: {arch}.")
        else:
            fix += "."
        commands = (node_arch, kubectl("get", "nodes", "-L", "kubernetes.io/arch"),
                    Command(("docker", "buildx", "imagetools", "inspect", image_arg)), watch_command(pod))
    elif detail == "crlf-line-endings":
        summary = f"A script run by {subject} has Windows (CRLF) line endings, so its interpreter line ends in \\r."
        fix = ("Convert the script to LF line endings before building the image (`sed -i 's/\\r$//' script.sh` or "
               "dos2unix in the Dockerfile) and keep them with `*.sh text eol=lf` in .gitattributes.")
        look = render_command(Command(("head", "-n1", script_arg), pipe=Command(("od", "-c"),
                                                                                pipe=Command(("head", "-n2")))))
        commands = (_run_in_image(pod, "crlf-check", image_arg, _script(look, script_arg)), watch_command(pod))
    else:
        summary = (f"The entrypoint of {subject} exists but cannot be executed: its interpreter (shebang) or dynamic "
                   "loader is missing from the image.")
        if detail == "missing-interpreter-or-binary":
            summary = (f"If the program `env` ran exists in {subject}, its interpreter (shebang) or dynamic loader is "
                       "missing from the image; the likelier reading is that the program itself is absent "
                       "(`ls -l` on it in the image tells which).")
        fix = ("Install the interpreter the script names (e.g. bash on Alpine), change the shebang to one the image "
               "has (#!/bin/sh), or for a binary use a base image with its libc or build it static (CGO_ENABLED=0).")
        look = render_command(Command(("head", "-n1", script_arg))) + "; ls -l /bin/bash /lib/ld-*"
        commands = (_run_in_image(pod, "interp-check", image_arg, _script(look, script_arg)), node_arch,
                    watch_command(pod))
    return Hit(container=name, init=init, summary=summary, evidence=tuple(evidence),
               remedy=Remedy(fix, patch, commands, outside_spec=outside), confidence=confidence, strength=strength,
               detail=detail)


RULES: tuple[Rule, ...] = (
    runtime_exec_not_found,
    shell_command_not_found,
    exit_127,
    exec_format_error,
    env_cannot_execute,
    *PULL_RULES,
)
