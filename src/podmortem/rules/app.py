"""Rules for the application family: the app starts, then gives up on something it needs.

All log-reading app rules share one pass over each container's log (rules/app_analysis.py,
cached per container): every line is matched against the tables of rules/patterns.py once,
tracebacks and stack traces are read in context, and each finding gets a confidence that falls
for lines the app shrugged off (warnings, retries) and for lines long before the log ends. Each
rule then reports the decisive line of its own cause; the engine ranks causes against each other.
`app.crash` is the fallback when a process dies of an error none of the specific causes explains.
`app.exit-zero` reads the status alone.

This module holds `app.port-in-use` and the family's RULES; the other rules live in private
modules by what they share: rules/app_env.py (app.missing-env), rules/app_dependency.py
(app.dependency-unreachable), rules/app_config.py (app.config-invalid), rules/app_files.py
(app.file-missing, app.missing-module) and rules/app_crash.py (app.crash, app.exit-zero), with
the pieces of a finding they all use in rules/app_findings.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.model import Hit, PodEvidence, Remedy
from podmortem.remedy_math import ports_in
from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import Candidate
from podmortem.rules.app_config import config_rejected
from podmortem.rules.app_crash import crash_signal_exit, main_process_exited_zero, unhandled_crash
from podmortem.rules.app_dependency import dependency_unreachable
from podmortem.rules.app_env import env_var_missing
from podmortem.rules.app_files import file_not_found, module_not_found
from podmortem.rules.app_findings import app_citations, container_title, log_rule_hits, quoted_match
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import logs_command, namespace_of, pod_arg, watch_command
from podmortem.rules.facts import printed
from podmortem.rules.outside import LISTEN_SETTING

# --- app.port-in-use -----------------------------------------------------------------------------


def _listen_port(cand: Candidate) -> str | None:
    if cand.subject and cand.subject.isdigit():
        return cand.subject
    ports = ports_in(cand.line.text)  # remedy_math: listen/bind/URL context only, never `main.go:197`
    return str(ports[0]) if ports else None


@rule("listen-port-in-use", cause="app.port-in-use", title="The app cannot bind its listen port",
      needs=("logs", "status", "spec"), when=printed)
def listen_port_in_use(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to listen because the address is taken: "bind: address
    already in use" (Go), `EADDRINUSE` (Node, Ruby, Erlang), `[Errno 98] Address already in use`
    (Python), `java.net.BindException`, Spring Boot's "Port 8080 was already in use", nginx
    `bind() to 0.0.0.0:80 failed (98: Address already in use)`, gunicorn's "Connection in use".

    ## Why the pod crash-loops
    All containers of a pod share one network namespace, and with `hostNetwork: true` they
    share the node's. If another container, another listener of the same app, or a process on
    the node holds the port, the app cannot start, on every restart.

    ## Evidence used
    The bind error in the crashed container's log, the port it names, and the `ports` that the
    pod's other containers declare.

    ## How to fix
    Give every listener in the pod (and on the node, with hostNetwork) its own port: change the
    app's or the sidecar's port setting, or drop `hostNetwork`.

    ## Near misses
    "bind: permission denied" on a port below 1024 is a non-root process that may not bind a
    privileged port (`security.permission-denied`).
    """
    for c, an, cand in log_rule_hits(pod, pt.PORT_IN_USE):
        port = _listen_port(cand)
        others = []
        if port and port.isdigit():
            for o in pod.containers:
                if o is not c and o.spec is not None and any(p.container_port == int(port) for p in o.spec.ports):
                    others.append(o.name)
        clash = (f" Container {', '.join(others)} in the same pod also declares port {port}; containers of a pod "
                 "share one network namespace." if others else "")
        on = f"port {port}" if port else "its listen port"
        if cand.detail == "address-not-available":
            summary = (f"{container_title(c)} cannot listen on {on}: the address it binds is not one of the pod's own "
                       f"addresses: {quoted_match(cand)}.")
            fix = ("Bind to 0.0.0.0 (all interfaces) or to the pod IP from the downward API (status.podIP) "
                   "instead of a fixed IP address.")
        else:
            summary = (f"{container_title(c)} cannot listen on {on}: another process in the same network namespace already "
                       f"holds it: {quoted_match(cand)}.{clash}")
            fix = (f"Give each listener its own port: change the port setting of this app or of the container that "
                   f"also uses {port or 'it'}, or drop hostNetwork if the node itself holds it.")
        cmds = (
            logs_command(pod, c.name or None),
            kubectl("get", "pod", pod_arg(pod), "-o",
                    'jsonpath={range .spec.containers[*]}{.name}{"\\t"}{.ports[*].containerPort}{"\\n"}{end}',
                    namespace=namespace_of(pod)),
            kubectl("get", "pod", pod_arg(pod), "-o", "jsonpath={.spec.hostNetwork}", namespace=namespace_of(pod)),
            watch_command(pod),
        )
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, None, cmds, outside_spec=LISTEN_SETTING),
                  cand.confidence, c.init, cand.detail, cand.strength)


RULES: tuple[Rule, ...] = (
    env_var_missing,
    dependency_unreachable,
    listen_port_in_use,
    config_rejected,
    file_not_found,
    module_not_found,
    unhandled_crash,
    crash_signal_exit,
    main_process_exited_zero,
)
