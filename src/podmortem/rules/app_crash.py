"""The app.crash and app.exit-zero rules: the process ends on its own, of an error, a signal or success.

Part of the application family (rules/app.py lists them in its RULES). `unhandled-crash` is the
fallback for a log that ends in an error none of the specific app causes explains;
`crash-signal-exit` and `main-process-exited-zero` read the termination (and the restart policy)
alone, since a segfault or a clean exit under restartPolicy Always needs no log to be told.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Remedy,
    Step,
)
from podmortem.model.evidence import LOGS, SPEC, Termination
from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import lines_of
from podmortem.rules.app_findings import (
    app_citations,
    base_commands,
    container_title,
    log_rule_hits,
    one_container_patch,
    quoted_match,
)
from podmortem.rules.base import rule
from podmortem.rules.evidence import (
    cite_termination,
    cite_waiting,
    debug_command,
    is_bare_pod,
    logs_command,
    namespace_of,
    pod_arg,
    quoted_original,
    watch_command,
    workload_ref,
    workload_target,
)
from podmortem.rules.facts import printed
from podmortem.rules.outside import APP_CODE, ONE_SHOT
from podmortem.rules.probes import hair_trigger, hair_trigger_exec, probe_kill_reported

# --- app.crash -----------------------------------------------------------------------------------

_SIGNALS = {
    132: ("SIGILL", "sigill", "an illegal instruction (often a binary built for CPU features this node lacks)"),
    134: ("SIGABRT", "sigabrt", "an abort (a failed assertion or a runtime that gave up)"),
    135: ("SIGBUS", "sigbus", "a bus error"),
    136: ("SIGFPE", "sigfpe", "an arithmetic fault"),
    139: ("SIGSEGV", "sigsegv", "a segmentation fault"),
}


def _crash_confidence(weighed: float) -> float:
    """How often a quoted crash line with no more specific cause is the right answer.

    The log tables rate a crash form 0.45-0.6 *as a line* (lower for a bare fatal record, lower
    again far from the log's end); as the verdict for a log that shows nothing more specific it is
    right more often than that (benchmarks/calibration.py measures it on every fixture), but never
    certain: a crash can be the symptom of a setting or a dependency the log does not name, so it
    stays below 0.8.
    """
    return round(min(weighed + 0.12, 0.78), 2)


def _rollback_commands(pod: PodEvidence) -> list[Step]:
    if workload_target(pod).kind not in ("Deployment", "StatefulSet", "DaemonSet"):
        return []
    wl = workload_ref(pod)
    return [kubectl("rollout", "history", wl,
                    namespace=namespace_of(pod)), kubectl("rollout", "undo", wl, namespace=namespace_of(pod))]


@rule("unhandled-crash", cause="app.crash", title="The app died of an unhandled error in its own code",
      needs=("logs", "status"), when=printed)
def unhandled_crash(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The error that ended the process when no more specific cause explains it: the last
    exception of a Python traceback, a Go `panic:` (nil pointer dereference, index out of range)
    or `fatal error:`, Java `Exception in thread "main"` and its last `Caused by:`, a Node
    uncaught error with its stack, .NET "Unhandled exception.", Ruby `(NoMethodError)`, PHP
    fatal errors, Rust panics, C/C++ aborts, assertions and segmentation faults, and as a last
    resort a fatal-level log record.

    ## Why the pod crash-loops
    The app hits the same bug (or the same input it cannot handle) on every start.

    ## Evidence used
    The exception, panic or signal line in the crashed container's log, and its termination.

    ## How to fix
    Read the trace from the first frame in the app's own code; if a new version started it, roll
    back to the last good image while the bug is fixed.

    ## Near misses
    A traceback that ends in `ModuleNotFoundError`, `FileNotFoundError`, a refused connection or
    a missing variable has that specific cause (`app.missing-module`, `app.file-missing`,
    `app.dependency-unreachable`, `app.missing-env`); an OutOfMemoryError is
    `resources.runtime-oom`. An exit code of 1 with no log says nothing by itself.
    """
    for c, an, cand in log_rule_hits(pod, pt.CRASH):
        who = container_title(c)
        if cand.detail == "go-panic" and "nil pointer" in cand.line.text:
            detail = "go-nil-pointer"
        else:
            detail = cand.detail
        if detail in ("fatal-log-line", "error-exit"):
            summary = (f"{who} exits after logging a fatal error that names no more specific cause: "
                       f"{quoted_match(cand)}.")
            strength = 1
        else:
            summary = f"{who} crashed with an unhandled error in its own code: {quoted_match(cand)}."
            strength = 2
        fix = ("Find the first frame in the app's own code in the trace and fix the bug or the input that triggers "
               "it; if a new image version started this, roll back to the last good one meanwhile.")
        cmds = [*base_commands(pod, c), debug_command(pod, c.name or None), *_rollback_commands(pod),
                watch_command(pod)]
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, None, tuple(cmds), outside_spec=APP_CODE),
                  _crash_confidence(cand.confidence), c.init, detail, strength)


def _signal_of(t: Termination) -> int | None:
    if t.exit_code in _SIGNALS:
        return t.exit_code
    if t.signal and t.signal + 128 in _SIGNALS:
        return t.signal + 128
    return None


@rule("crash-signal-exit", cause="app.crash", title="The process died of a fatal signal (segfault, abort)",
      needs=("status",))
def crash_signal_exit(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container whose last instance ended with exit code 139 (SIGSEGV), 134 (SIGABRT), 132
    (SIGILL), 135 (SIGBUS) or 136 (SIGFPE), not OOMKilled.

    ## Why the pod crash-loops
    The process itself crashed on a signal the kernel or its own runtime raised: a memory
    error in native code, a failed assertion or an abort, an instruction the CPU does not have.
    It does so again on every start.

    ## Evidence used
    The exit code (or signal) and reason of the last termination.

    ## How to fix
    Get the crashed instance's log and any core dump; check native libraries and the CPU
    architecture/features the binary needs; roll back if a new version started it.

    ## Near misses
    Exit 137 is SIGKILL (an OOM kill or a probe kill), exit 143 is SIGTERM; exit 1 or 2 alone
    says nothing about the cause and is left to `unknown`, which asks for the log.
    """
    for c in pod.containers:
        t = c.last_termination
        if t is None or t.reason == "OOMKilled":
            continue
        code = _signal_of(t)
        if code is None:
            continue
        name, detail, what = _SIGNALS[code]
        evidence = [cite_termination(pod, c, t)]
        waiting = cite_waiting(pod, c)
        if waiting is not None:
            evidence.append(waiting)
        summary = f"{container_title(c)} died of {name} (exit {code}): {what}."
        fix = ("Get the crashed instance's log to see where it died; check native libraries and that the binary "
               "suits the node's CPU; roll back if a new image version started this.")
        cmds = (logs_command(pod, c.name or None), *_rollback_commands(pod), debug_command(pod, c.name or None))
        yield Hit(c.name or None, summary, tuple(evidence), Remedy(fix, None, cmds, outside_spec=APP_CODE), 0.55, c.init, detail, 1)


# --- app.exit-zero -------------------------------------------------------------------------------

_FOREGROUND = (
    (lazy(r"(?i)nginx|tengine|openresty"), ("nginx", "-g", "daemon off;"),
     "run nginx in the foreground (nginx -g 'daemon off;')"),
    (lazy(r"(?i)\bhttpd\b|apache"), ("httpd-foreground",), "run Apache in the foreground (httpd-foreground)"),
    (lazy(r"(?i)php.*fpm|fpm"), ("php-fpm", "-F"), "run php-fpm in the foreground (php-fpm -F)"),
    (lazy(r"(?i)redis"), ("redis-server", "--daemonize", "no"), "run redis-server with --daemonize no"),
)
# Programs that do their work and exit: as a container's command under restartPolicy Always they finish,
# exit 0 and are restarted forever. `sleep N` ends too (`sleep infinity` does not); `tail -f` does not.
_ONE_SHOT = frozenset({"echo", "printf", "true", ":", "sleep", "date", "env", "printenv", "cat", "ls", "exit",
                       "touch", "mkdir", "cp", "mv", "rm", "ln", "chmod", "chown", "test", "[", "whoami", "id",
                       "hostname", "uname", "pwd", "curl", "wget", "tar", "sed", "grep", "awk", "find", "wc", "df"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})
_STATEMENT = lazy(r"(?:;|&&|\|\||\n)")


def one_shot_command(argv: list[str]) -> str | None:
    """The program a container's command ends with when it is one that does its work and exits (`echo`,
    `sleep 30`, `sh -c 'date; echo done'`); None for a server, `sleep infinity` or an unknown program."""
    if not argv:
        return None
    words = list(argv)
    if words[0].rsplit("/", 1)[-1] in _SHELLS and "-c" in words[:3]:
        script = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else ""
        statements = [st for st in _STATEMENT.split(script[:2000]) if st.strip()]
        if not statements:
            return None
        words = statements[-1].split()
        if words and words[0] == "exec":
            words = words[1:]
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program not in _ONE_SHOT:
        return None
    if program == "sleep" and any(w in ("infinity", "inf") for w in words[1:]):
        return None
    return program


_BACKGROUNDING = lazy(r"&\s*$|\bservice \S+ start\b|\b(?:-d|--daemon|--detach|daemonize yes)\b|\bnohup\b")


def _exit_zero_applies(pod: PodEvidence, c: ContainerEvidence, t: Termination) -> bool:
    if t.exit_code != 0 or (t.reason not in (None, "", "Completed")):
        return False
    if c.init and not c.is_sidecar:
        return False  # init containers are meant to finish
    if pod.owner is not None and pod.owner.kind in ("Job", "CronJob"):
        return False
    if pod.restart_policy in ("OnFailure", "Never"):
        return False
    if pod.restart_policy == "Always":
        return True
    # Policy unknown: a container that exited 0 is only restarted under Always.
    return c.restart_count > 0 or c.waiting_reason == "CrashLoopBackOff"


@rule("main-process-exited-zero", cause="app.exit-zero",
      title="The main process finishes successfully, but the pod restarts it forever", needs=("status", "events", "logs", "spec"))
def main_process_exited_zero(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    An app container (or a sidecar) whose last instance ended with reason `Completed` and exit
    code 0 while the pod's restartPolicy is `Always` (or unknown, with restarts climbing or
    CrashLoopBackOff, which only `Always` produces after exit 0).

    ## Why the pod crash-loops
    A Deployment, StatefulSet or DaemonSet pod must keep its main process running. If the
    process daemonises (nginx without `daemon off;`, a `service x start`), is started in the
    background (`&`), or is a one-shot script, it exits 0; the kubelet restarts it, with
    back-off, forever.

    ## Evidence used
    The termination reason and exit code, the waiting reason and restart count, the restart
    policy and owner, and the command/args when the spec is known.

    ## How to fix
    Run the server in the foreground as PID 1 (`exec` it at the end of the entrypoint script;
    nginx -g 'daemon off;'); for one-shot work use a Job or CronJob, or an init container. When
    the container's own command is one-shot work (`echo`, `sleep 30`, a script ending in one),
    the remedy never swaps in a server: on a server image it drops the command override (the
    image's own command runs), for a pod no controller owns it sets restartPolicy OnFailure,
    otherwise it gives the `kubectl create job` that runs the work once.

    ## Near misses
    A Job's pod (restartPolicy OnFailure/Never) that completes is done, not failing; an init
    container that exits 0 did its job.
    """
    for c in pod.containers:
        t = c.last_termination
        if t is None or not _exit_zero_applies(pod, c, t):
            continue
        evidence = [cite_termination(pod, c, t)]
        waiting = cite_waiting(pod, c)
        if waiting is not None:
            evidence.append(waiting)
        lines = [ln for ln in lines_of(c) if ln.origin is None and ln.text.strip()] if c.logs else []
        if lines:
            last = lines[-1]
            evidence.append(Citation(LOGS, quoted_original(last.text, last.raw, None),
                                     f"logs[{c.name or 'container'}]:{last.line_no}"))
        backoff = c.waiting_reason == "CrashLoopBackOff" or c.restart_count >= 2
        spec = c.spec
        command = " ".join((*spec.command, *spec.args)) if spec else ""
        if spec and _BACKGROUNDING.search(command):
            evidence.append(Citation(SPEC, f"command: {command}"[:300],
                                     f"spec.{'initContainers' if c.init else 'containers'}[{c.name}].command"))
        image = (spec.image if spec else None) or (c.status.image if c.status else None) or ""
        patch = None
        outside: str | None = None
        extra: list[Step] = []
        fix = ("Keep the main process in the foreground as PID 1: end the entrypoint with `exec <server>`, do not "
               "start it with `&`, `nohup` or `service ... start`; if the work is meant to run once, make it a Job or "
               "CronJob (or an init container) instead of a long-running workload.")
        one_shot = one_shot_command([*spec.command, *spec.args]) if spec else None
        server_image = next(((argv, how) for regex, argv, how in _FOREGROUND if regex.search(image)), None)
        if spec and one_shot is not None:
            # the container's own command does its work and exits: running a server instead would not be it
            evidence.append(Citation(SPEC, f"command: {command}"[:300],
                                     f"spec.{'initContainers' if c.init else 'containers'}[{c.name}].command"))
            fix, patch, outside, extra = _one_shot_fix(pod, c, one_shot, command, image, server_image is not None)
        elif server_image is not None:
            fix = f"The image looks like a server that daemonises: {server_image[1]}. " + fix
            patch = one_container_patch(c, {"command": list(server_image[0])})
        if spec and one_shot is None and _BACKGROUNDING.search(command):
            fix = ("The command starts the server in the background (or as a daemon), so the shell that is the "
                   "container's main process ends at once: run the server in the foreground with `exec`. " + fix)
        restarts = f" and was restarted {c.restart_count} times" if c.restart_count else ""
        policy = "its restartPolicy Always (a sidecar)" if c.is_sidecar else "the pod's restartPolicy"
        summary = (f"{container_title(c)} exits successfully (Completed, exit code 0){restarts}, but {policy} restarts it: its "
                   "main process does not stay running in the foreground.")
        key = "initContainers" if c.init else "containers"
        cmds: list[Step] = [logs_command(pod, c.name or None),
                            kubectl("get", "pod", pod_arg(pod), "-o",
                                    f"jsonpath={{.spec.{key}[*].command}} {{.spec.{key}[*].args}}",
                                    namespace=namespace_of(pod)),
                            *extra, *((APPLY,) if patch is not None else ()), watch_command(pod)]
        confidence = 0.86 if backoff else 0.78
        probe = spec.liveness if spec is not None else None
        if probe_kill_reported(pod, c.name or None):
            # the kubelet killed it for a failed probe and it exited cleanly on SIGTERM: the exit is the symptom
            confidence = 0.45
        elif hair_trigger(probe):
            # an app that exits 0 on SIGTERM after a probe kill looks the same: say so, rank below 0.8
            confidence = 0.55 if hair_trigger_exec(probe) else 0.62
            summary += (" Its liveness probe kills on one slow answer, though, so a probe kill is the other "
                        "reading; probe events would tell them apart.")
        if outside is None and patch is None:
            outside = ONE_SHOT
        yield Hit(c.name or None, summary, tuple(evidence), Remedy(fix, patch, tuple(cmds), outside_spec=outside),
                  confidence, c.init, "completed-under-restart-always", 3)


def _one_shot_fix(pod: PodEvidence, c: ContainerEvidence, program: str, command: str, image: str,
                  server_image: bool) -> tuple[str, dict[str, Any] | None, str | None, list[Step]]:
    """(fix, patch, outside_spec, commands) for a container whose command is one-shot work under restartPolicy
    Always: a Job, restartPolicy OnFailure/Never for a pod no controller owns, or (on a server image) dropping
    the command override so the image's own server runs. Never a server command the evidence does not show."""
    spec = c.spec
    assert spec is not None
    said = f"The container's command ({command[:120]}) ends with `{program}`, which does its work and exits"
    if server_image:
        fix = (f"{said}: it overrides the image's own command, so the server the image ({image}) would run never "
               "starts. If the container is meant to serve, drop the command override (patch: command and args "
               "removed, the image's ENTRYPOINT/CMD run); if the work is meant to run once, make it a Job instead.")
        return fix, one_container_patch(c, {"command": None, "args": None}), None, []
    if is_bare_pod(pod):
        fix = (f"{said}, and a pod under restartPolicy Always is restarted after every exit. If it is meant to run "
               "once, set restartPolicy: OnFailure (or Never) (patch), or run it as a Job.")
        return fix, {"spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}}, None, []
    owner = pod.owner.name if pod.owner is not None else None
    job_name = Joined((owner[:50], "-once")) if owner else Placeholder("NAME")
    job: list[Step] = [kubectl("create", "job", job_name, Joined(("--image=", image if image else Placeholder("IMAGE"))),
                               "--", *spec.command, *spec.args, namespace=namespace_of(pod))]
    kind = f"a {pod.owner.kind}" if pod.owner is not None else "its workload"
    fix = (f"{said}; {kind} restarts it forever (its pods must run restartPolicy Always). If the work "
           "is meant to run once, run it as a Job (command below) or a CronJob, and remove it from this workload; if "
           "it is meant to serve, give it the server's command instead of this one.")
    return fix, None, ONE_SHOT, job
