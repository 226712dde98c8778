"""Application checks: a long-running workload whose command finishes, and two containers on one port."""

from __future__ import annotations

from collections.abc import Iterator

from podmortem.lint.checks.base import check
from podmortem.lint.commands import invocation, one_shot
from podmortem.lint.model import Emit
from podmortem.lint.workloads import Workload, as_list, listen_flags


@check(
    "one-shot-command",
    cause="app.exit-zero",
    severity="error",
    title="Long-running workload whose command finishes",
    fix="Run the server in the foreground (exec it as the last step of a script); use a Job for one-off work.",
)
def one_shot_command(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    In a Deployment, StatefulSet, DaemonSet, ReplicaSet or a Pod with restartPolicy Always, a
    container whose command certainly ends: `echo`, `true`, `date`, `sleep` for under 10 minutes,
    a `sh -c` script whose every step finishes or that only starts its process in the background
    (`app &`), a server told to daemonize (`nginx` without `daemon off;`, `service x start`,
    `redis-server --daemonize yes`), a bare shell; or no command at all on an image whose default
    command is a shell or REPL (busybox, alpine, ubuntu, python, node), which exits at once
    without a terminal.

    ## Why the pod fails
    The process exits 0 ("Completed"), restartPolicy Always starts it again, and after a few
    rounds the kubelet backs off: CrashLoopBackOff with exit code 0.

    ## How to fix
    Keep the main process in the foreground (`exec myserver` as a script's last line,
    `nginx -g 'daemon off;'`); for work that is meant to finish, use a Job or CronJob.

    ## Near misses
    A script that runs any program podmortem does not know is assumed to run the app and passes;
    `sleep infinity`, `tail -f`, `while` loops and `wait` pass; Jobs and init containers are
    meant to finish and are not checked; a container with `stdin: true` keeps a shell alive.
    """
    if not w.long_running:
        return
    for c in w.containers:
        if c.init and not c.sidecar:
            continue
        facts = c.facts
        inv = invocation(c.spec.get("command"), c.spec.get("args"), facts.entrypoint if facts else None)
        restarted = ("with restartPolicy Always the kubelet starts it again each time it exits 0, so the pod ends in "
                     "CrashLoopBackOff (Completed, exit 0)")
        if inv is not None:
            if inv.source == "args" and facts is None:
                continue
            result = one_shot(inv)
            if result is None:
                continue
            shown = " ".join(inv.argv)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            mounts = [str(m.get("mountPath")) for m in as_list(c.spec.get("volumeMounts")) if isinstance(m, dict)]
            config_mounted = any(m == p or m.startswith(p + "/") or p.startswith(m.rstrip("/") + "/")
                                 for m in mounts for p in result.config_paths)
            yield Emit(w.line(c.spec, inv.source), f"container {c.name} runs `{shown}`, which finishes: {result.why}"
                       + ("; unless the config mounted over it says otherwise" if config_mounted else "")
                       + f"; {restarted}", container=c.name, severity="warning" if config_mounted else None)
        elif (facts is not None and facts.default_command_exits and "command" not in c.spec
              and "args" not in c.spec and c.spec.get("stdin") is not True):
            yield Emit(w.line(c.spec, "image"), f"container {c.name} runs the default command of {c.image}, a shell or "
                                                f"REPL that exits at once when stdin is not a terminal; {restarted}",
                       container=c.name, severity=None if facts.confirmed else "warning",
                       fix="Give the container the command of the program it should run.")


@check(
    "duplicate-container-port",
    cause="app.port-in-use",
    severity="error",
    title="Two containers of one pod use the same port",
    fix="Give each container its own port; containers of a pod share one network namespace.",
)
def duplicate_container_port(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    Two containers of the same pod (app containers and sidecars, which run at the same time) that
    declare the same containerPort and protocol, or where one is told to listen on a port the
    other declares or listens on (`--web.listen-address=:9090`, `--port=8080`, `-Dserver.port=...`).

    ## Why the pod fails
    All containers of a pod share one network namespace: one port, one listener. The container that
    binds second fails with "address already in use" (EADDRINUSE) and crash-loops.

    ## How to fix
    Configure one of them to listen elsewhere and update its ports, probes and the Service.

    ## Near misses
    The same number over TCP and UDP is two ports. Regular init containers run before the app
    containers and do not conflict. One container listing a port twice is not a conflict. Flags
    that name a port to connect to (`--db-port`, `--redis-address`) are not listen flags.
    """
    owners: dict[tuple[int, str], tuple[str, str]] = {}  # (port, protocol) -> (container, how)
    for c in w.containers:
        if not c.runs_alongside:
            continue
        uses: list[tuple[tuple[int, str], str, int]] = []
        for p in as_list(c.spec.get("ports")):
            if isinstance(p, dict) and isinstance(p.get("containerPort"), int):
                key = (int(p["containerPort"]), str(p.get("protocol") or "TCP").upper())
                uses.append((key, f"declares port {key[0]}/{key[1]}", w.line(p, "containerPort")))
        for port, flag, line in listen_flags(w, c):
            uses.append(((port, "TCP"), f"listens on port {port} ({flag})", line))
        seen: set[tuple[int, str]] = set()
        for key, how, line in uses:
            if key in seen:
                continue
            seen.add(key)
            first, first_how = owners.setdefault(key, (c.name, how))
            if first != c.name:
                yield Emit(line, f"container {c.name} {how}, and container {first} {first_how.split(' (')[0]}; "
                                 f"containers of a pod share one network namespace, so the second to bind fails "
                                 f"with \"address already in use\"", container=c.name)
