"""Rules for the security family: the process may not do what it needs, as the pod's securityContext set it up.

Three causes. `security.run-as-non-root` is decided by the kubelet before the container exists
(CreateContainerConfigError with its own words; those rules live in rules/run_as_non_root.py
and are listed in this module's RULES). `security.read-only-fs` is EROFS from a
process writing to a root filesystem mounted read-only. `security.permission-denied` is EACCES /
EPERM in any other form: a file or volume owned by another uid, a port below 1024 for a
non-root user, a program without its execute bit (exit 126). Each remedy is chosen by sub-kind
because the fixes differ: fsGroup for volume ownership, an unprivileged port or the
`ip_unprivileged_port_start` sysctl for binds, chmod or `defaultMode` for execute bits. The
Kubernetes API's own Forbidden answer (RBAC) is permission-denied too: the process may not do
what it needs, and the fix is a Role bound to the pod's ServiceAccount.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from podmortem.datadirs import data_dir as data_dir_of
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
    SecurityContext,
    Step,
    Volume,
    VolumeMount,
)
from podmortem.model.remedy import Value
from podmortem.remedy_math import file_capabilities, image_writes
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    cite_message,
    cite_termination,
    cite_waiting,
    container_arg,
    debug_command,
    find_messages,
    main_suspect,
    namespace_of,
    pod_arg,
    watch_command,
    workload_ref,
)
from podmortem.rules.facts import PodFacts, printed, says
from podmortem.rules.output import by_container, find_output, placed
from podmortem.rules.patch import container_patch, template_patch, volume_name_for
from podmortem.rules.run_as_non_root import NON_ROOT_RULES
from podmortem.rules.runtime_wording import CWD_DENIED, CWD_WORDINGS
from podmortem.rules.spec import cite_command, cite_spec, command_line, image_of, mount_covering
from podmortem.rules.text import who
from podmortem.rules.textindex import may_match
from podmortem.shell import render_command

# --- execute permission -------------------------------------------------------------------------

_EXEC_DENIED_RUNTIME = lazy(
    r'exec:\s*\\*"(?P<cmd>[^"\\]+)\\*":\s*permission denied|\bexec (?P<cmd2>/\S+): permission denied'
    r'|exec user process caused:?\s*\\*"?permission denied'
    # crun src/libcrun/container.c: execve refused
    r"|exec container process `(?P<cmd3>[^`]+)`:\s*permission denied", re.I)
_SHELL_DENIED = lazy(
    r"(?:^|[\s\]])(?:[^\s\]]+: line \d+|[^\s\]]+: \d+|(?:/usr)?(?:/bin/)?(?:ba|da|a|z|k)?sh(?:: \d+)?)"
    r": (?:exec: )?(?P<cmd>[^\s:'\"]+): Permission denied\s*$"
    r"|\[FATAL tini \(\d+\)\] exec (?P<cmd2>\S+) failed: Permission denied"
)


def _may_deny_exec(facts: PodFacts) -> bool:
    # exec_permission_denied: the runtime's wording in a message, a printed line, or exit code 126
    return (facts.printed or may_match(facts.said, _EXEC_DENIED_RUNTIME)
            or any((t := c.last_termination) is not None and t.exit_code == 126 for c in facts.pod.containers))


def _exec_fix(pod: PodEvidence, c: ContainerEvidence | None, program: str) -> tuple[str, dict[str, Any] | None, str]:
    """(fix, patch, detail) for a program that may not be executed."""
    covered = mount_covering(pod, c, program) if c is not None else None
    if covered is not None and c is not None:
        mount, vol = covered
        if vol is not None and vol.kind in ("configMap", "secret", "projected"):
            key = "secret" if vol.kind == "secret" else vol.kind
            ref: dict[str, Any] = {"defaultMode": 0o755}
            if vol.kind == "configMap" and vol.ref_name:
                ref = {"name": vol.ref_name, "defaultMode": 0o755}
            elif vol.kind == "secret" and vol.ref_name:
                ref = {"secretName": vol.ref_name, "defaultMode": 0o755}
            patch = template_patch({"volumes": [{"name": vol.name, key: ref}]})
            return (f"{program} comes from {vol.kind} volume {vol.name}, whose files are mode 0644 by default; set "
                    "defaultMode 0755 (493 in decimal, as the patch writes it) or run it through its interpreter "
                    f"(`sh {program}`).", patch, "volume-not-executable")
        return (f"{program} is on volume {mount.name} ({mount.mount_path}), which is not executable for this user "
                "(mode or a noexec mount): fix its mode, or run it through its interpreter.", None, "not-executable")
    return (f"{program} lacks the execute bit for the container's user: `chmod +x` it in the Dockerfile "
            "(or `COPY --chmod=755`), or run it through its interpreter.", None, "not-executable")


@rule(
    "exec-permission-denied",
    cause="security.permission-denied",
    title="The container's program exists but may not be executed",
    needs=("status", "events", "logs", "spec"),
    when=_may_deny_exec,
)
def exec_permission_denied(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    runc's `exec: "/app/run": permission denied` (StartError, exit 128) and a shell's
    `sh: /app/run: Permission denied` / `line 3: ./start.sh: Permission denied` with exit 126,
    the shell's code for "found but not executable". Exit code 126 alone is weak evidence.

    ## Why the pod crash-loops
    The file has no execute bit for the container's user (a script copied without `chmod +x`,
    a ConfigMap-mounted script with the default mode 0644, a `noexec` mount), so the start fails
    on every attempt.

    ## Evidence used
    Terminated/waiting messages, events, the log, the exit code, the command and the volume
    mounts (a script under a ConfigMap or Secret volume gets a `defaultMode` patch).

    ## How to fix
    `chmod +x` in the Dockerfile or `COPY --chmod=755`; for ConfigMap/Secret volumes set
    `defaultMode: 0755`; or invoke the script through its interpreter (`sh /scripts/run.sh`).

    ## Near misses
    `executable file not found` is `image.command-not-found`. Permission denied on a data file
    or a port is the file/port rules of this family.
    """
    done: set[str | None] = set()
    for m, hit in find_messages(pod, _EXEC_DENIED_RUNTIME):
        if m.event is not None and (m.event.reason or "").lower() == "unhealthy":
            continue
        c = _container_from_message(pod, m.container)
        key = c.name if c is not None else None
        if key in done:
            continue
        done.add(key)
        program = hit.group("cmd") or hit.group("cmd2") or hit.group("cmd3") or "the entrypoint"
        evidence = [cite_message(m), *_status_evidence(pod, c, exclude=m.text)]
        yield _exec_hit(pod, c, program, evidence, 0.95, 3)
    for om in find_output(pod, _EXEC_DENIED_RUNTIME, limit=1):  # runc init's own words in the log
        if om.name in done:
            continue
        done.add(om.name)
        program = om.match.group("cmd") or om.match.group("cmd2") or "the entrypoint"
        yield _exec_hit(pod, om.container, program, [om.citation, *_status_evidence(pod, om.container)], 0.88, 2)
    for om in find_output(pod, _SHELL_DENIED, limit=2):
        if om.name in done:
            continue
        program = om.match.group("cmd") or om.match.group("cmd2")
        t = om.container.last_termination if om.container is not None else None
        code = t.exit_code if t is not None else None
        if not program.startswith(("/", "./", "../")) and code != 126:
            continue  # `line 3: out.log: Permission denied` is a redirect; the file rule covers it
        done.add(om.name)
        yield _exec_hit(pod, om.container, program, [om.citation, *_status_evidence(pod, om.container)],
                        0.9 if code == 126 else 0.8, 2)
    for c in pod.containers:
        t = c.last_termination
        if t is None or t.exit_code != 126 or c.name in done:
            continue
        yield Hit(
            container=c.name or None, init=c.init,
            summary=f"Container {c.name} exited 126: its program was found but could not be executed.",
            evidence=tuple(_status_evidence(pod, c)),
            remedy=Remedy("Check the log for the program that was refused; give it the execute bit or run it through "
                          "its interpreter.", None, (debug_command(pod, c.name), watch_command(pod))),
            confidence=0.5, strength=1, detail="exit-code-only",
        )


def _container_from_message(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    c = pod.container(name) if name else None
    return c if c is not None else main_suspect(pod)


def _status_evidence(pod: PodEvidence, c: ContainerEvidence | None, exclude: str | None = None) -> list[Citation]:
    if c is None:
        return []
    out = []
    w = cite_waiting(pod, c)
    if w is not None:
        out.append(w)
    t = c.last_termination
    if t is not None:
        out.append(cite_termination(pod, c, t))
    return [e for e in out if e.text != exclude]


def _exec_hit(pod: PodEvidence, c: ContainerEvidence | None, program: str, evidence: list[Citation],
              confidence: float, strength: int) -> Hit:
    fix, patch, detail = _exec_fix(pod, c, program)
    if c is not None:
        cmd = cite_command(pod, c)
        if cmd is not None:
            evidence.append(cmd)
    name = (c.name or None) if c is not None else None
    image: Value = image_of(c) or Placeholder("IMAGE")
    return Hit(
        container=name, init=c.init if c is not None else False,
        summary=f"{program} exists in {who(name)} but may not be executed (permission denied).".replace(
            "  ", " "),
        evidence=tuple(evidence),
        remedy=Remedy(fix, patch, (
            kubectl("run", "perm-check", "--rm", "-it", "--restart=Never", Joined(("--image=", image)),
                    "--command", "--", "ls", "-l", program, namespace=namespace_of(pod)),
            *((APPLY,) if patch is not None else ()), watch_command(pod)),
            outside_spec=None if patch is not None else "the execute bit is set in the image"),
        confidence=confidence, strength=strength, detail=detail,
    )


def _sa_command(pod: PodEvidence) -> Command:
    return kubectl("get", workload_ref(pod), "-o", "jsonpath={.spec.template.spec.serviceAccountName}",
                   namespace=namespace_of(pod))


# --- privileged ports ---------------------------------------------------------------------------

# Bind failures on a port, in each server's or runtime's words (group names carry the port).
_BIND_DENIED = lazy(
    r"listen tcp[46]? [^\s]*?:(?P<p1>\d+): bind: permission denied"                        # Go net
    r"|bind\(\) to \S+?:(?P<p2>\d+) failed \(13: Permission denied\)"                      # nginx
    r"|\(13\)Permission denied: AH00072: make_sock: could not bind to address \S+?:(?P<p3>\d+)"  # Apache httpd
    r"|listen EACCES:? (?:permission denied )?\S*?:?(?P<p4>\d+)\b"                         # Node.js
    r"|Permission denied - bind\(2\) for \"?[^\"\s]*\"? port (?P<p5>\d+)"                  # Ruby
    r"|error while attempting to bind on address \(.*?, (?P<p6>\d+)\): (?:\[Errno 13\] )?permission denied"  # uvicorn
    r"|Could not create server TCP listening socket \S*?:(?P<p7>\d+): bind: Permission denied"  # Redis
    r"|cannot bind socket \(Permission denied\) \[\S*?:(?P<p8>\d+)\]"                       # HAProxy
    r"|java\.net\.(?:Bind|Socket)Exception: Permission denied"                               # JVM
    r"|SocketException \(13\): Permission denied"                                            # .NET
    r"|\bbind: permission denied",                                                           # anything else
    re.I,
)


def _bound_port(m: re.Match[str]) -> int | None:
    for key, value in m.groupdict().items():
        if key.startswith("p") and value:
            return int(value)
    return None


def _bind_capability_note(c: ContainerEvidence | None) -> str:
    """NET_BIND_SERVICE only when the evidence shows the image's binary carries it as a file capability:
    an added capability reaches a non-root process through file capabilities alone (capabilities(7))."""
    image = c.spec.image if c is not None and c.spec is not None else None
    if image and "NET_BIND_SERVICE" in file_capabilities(image):
        return ("; or add NET_BIND_SERVICE to the container's capabilities.add: this image's binary carries it "
                "as a file capability, the only way it reaches a non-root process")
    return ("; adding the NET_BIND_SERVICE capability alone would not help a non-root process (it needs a file "
            "capability on the binary, which the evidence does not show)")


@rule(
    "privileged-port-bind-denied",
    cause="security.permission-denied",
    title="A non-root process may not listen on a port below 1024",
    needs=("logs", "status", "spec"),
    lint_check="privileged-port-non-root",
    when=printed,
)
def privileged_port_bind_denied(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A server failing to bind with permission denied: Go's `listen tcp 0.0.0.0:80: bind:
    permission denied`, nginx's `bind() to 0.0.0.0:80 failed (13: Permission denied)`, Apache's
    `(13)Permission denied: AH00072: make_sock: could not bind to address 0.0.0.0:80`, Node's
    `listen EACCES: permission denied 0.0.0.0:80`, Ruby, uvicorn, Redis, HAProxy, the JVM's
    `java.net.BindException: Permission denied`.

    ## Why the pod crash-loops
    Ports below 1024 need root or `CAP_NET_BIND_SERVICE` (unless the node lowers
    `net.ipv4.ip_unprivileged_port_start`); a non-root user (runAsUser, OpenShift's random uid,
    an image `USER`) cannot listen there, and the server exits at start.

    ## Evidence used
    The server's bind error in the log, the port it names, the container's ports and runAsUser.

    ## How to fix
    Listen on a port >= 1024 (e.g. 8080) and point the Service's `targetPort` there (or use an
    unprivileged image variant such as nginx-unprivileged), or allow low ports with the
    namespaced safe sysctl `net.ipv4.ip_unprivileged_port_start=0` (patch), or add
    `NET_BIND_SERVICE` (which reaches a non-root process only through file capabilities).

    ## Near misses
    `address already in use` is `app.port-in-use`: the port is taken, not forbidden.
    """
    def low_port(m: re.Match[str]) -> bool:
        port = _bound_port(m)
        # a high port refused is a policy (SELinux, seccomp) matter, not the privileged-port rule
        return port is None or port < 1024

    for found in by_container(find_output(pod, _BIND_DENIED, limit=10, keep=low_port)).values():
        om = found[0]
        port = _bound_port(om.match)
        c = om.container
        name = om.name
        init = om.init
        evidence = [om.citation, *_status_evidence(pod, c)]
        if c is not None:
            sc = pod.effective_security(c)
            if sc.run_as_user is not None:
                evidence.append(cite_spec(pod, c, "securityContext.runAsUser", f"runAsUser: {sc.run_as_user}"))
        shown = f"port {port}" if port is not None else "a port below 1024"
        confidence, strength = placed(om, 0.92 if port is not None else 0.86)
        patch = template_patch({"securityContext": {
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}})
        yield Hit(
            container=name, init=init,
            summary=f"The server in {who(name)} may not listen on {shown}: it runs as non-root and ports "
                    "below 1024 are privileged.".replace("  ", " "),
            evidence=tuple(evidence),
            remedy=Remedy(
                "Make the server listen on a port >= 1024 (e.g. 8080) and set the Service's targetPort to it, or let "
                "non-root processes bind low ports with the pod sysctl net.ipv4.ip_unprivileged_port_start=0 (patch; "
                "a safe sysctl since Kubernetes 1.22, not allowed with hostNetwork)" + _bind_capability_note(c) + ".",
                patch, (kubectl("get", workload_ref(pod), "-o",
                                "jsonpath={.spec.template.spec.securityContext}", namespace=namespace_of(pod)),
                        APPLY, watch_command(pod))),
            confidence=confidence, strength=strength, detail="privileged-port",
        )


# --- file and volume permissions ----------------------------------------------------------------

_ACCESS_DENIED = lazy(
    r"permission denied|\bEACCES\b|operation not permitted|\bEPERM\b|AccessDeniedException|\[Errno 13\]"
    r"|OS errno 13|\(13: Permission denied\)|UnauthorizedAccessException|is not writable|Errno::EACCES"
    r"|" + r"has wrong ownership|has invalid permissions|lock file on a read-only directory",
    re.I,
)
# Servers that check the owner and mode of their data directory themselves and refuse it without an
# EACCES: PostgreSQL (`data directory "/x" has wrong ownership` / `has invalid permissions`, it
# wants its own uid and mode 0700 or 0750) and mongod (`Attempted to create a lock file on a
# read-only directory: /data/db`, its words for a directory it may not write).
_DATA_DIR_CHECK = lazy(r"data directory \"(?P<path>/[^\"]+)\" has (?:wrong ownership|invalid permissions)"
                             r"|lock file on a read-only directory: (?P<path2>/[^\s\"',\\]+)")
# "permission denied" that is not about the container's files: database grants, SSH keys, APIs.
_NOT_FILE_ACCESS = lazy(
    r"permission denied for (?:table|relation|schema|database|sequence|function|view|tablespace)"
    r"|Permission denied \(publickey|\b403\b|access denied for user|not authorized|RBAC|forbidden",
    re.I,
)
_PATH_PATTERNS = (
    lazy(r"(?<![^\s'\"’:,()\[\]])(?P<path>/[^\s'\"’:,()\[\]]+)['\"’]?\)?:? \(?(?:13: )?(?:Permission denied|Operation not permitted)",
               re.I),
    lazy(r"(?:Permission denied|EACCES|not permitted)(?::|,| -| @ \w+ -)\s*(?:\w+\(?\)? )?['\"‘]?"
               r"(?P<path>/[^\s'\"’]+)", re.I),
    lazy(r"(?:AccessDeniedException|FileNotFoundException)[:\[]\s*(?P<path>/[^\s\]]+)"),
    lazy(r"\"(?P<path>/[^\"]+)\" failed \(13: Permission denied\)"),
    lazy(r"['\"](?P<path>/[^'\"]+)['\"] is not writable"),
    lazy(r"(?P<path>/[\w.@%+=/-]+)"),
)
_CHOWN = lazy(r"\b(?:chown|chmod|chgrp|changing (?:ownership|permissions) of|lchown|fchown)\b", re.I)


def _denied_path(line: str) -> str | None:
    check = _DATA_DIR_CHECK.search(line)
    if check:
        return check.group("path") or check.group("path2")
    for pattern in _PATH_PATTERNS:
        m = pattern.search(line)
        if m:
            return m.group("path").rstrip(".'\"")
    return None


_CHOWN_TARGET = lazy(r"\bchown\s+(?:-\w+\s+)*(?P<user>\d+)(?::(?P<group>\d+))?")


def _ownership_group(pod: PodEvidence, c: ContainerEvidence | None) -> int:
    """The group to give a volume: the one a chown step aimed at, else the uid/gid the pod's processes run as."""
    chown = _CHOWN_TARGET.search(" ".join(command_line(c)))
    if chown:
        return int(chown.group("group") or chown.group("user"))
    ordered = [c, *pod.containers] if c is not None else list(pod.containers)
    for x in ordered:
        if x is None:
            continue
        sc = pod.effective_security(x)
        for value in (sc.fs_group, sc.run_as_group, sc.run_as_user):
            if value:
                return value
    return 2000


# Why a data directory's fix is not a pod-spec patch podmortem can write.
STORAGE = ("storage: a PersistentVolumeClaim is another object (its size and storage class are yours to choose), "
           "mounted at the data directory once it exists")


def _file_remedy(pod: PodEvidence, c: ContainerEvidence | None, path: str | None, chown: bool) -> tuple[
        str, str, dict[str, Any] | None]:
    """(detail, fix, patch) by where the refused path lives."""
    name = (c.name or None) if c is not None else None
    init = c.init if c is not None else False
    covered = mount_covering(pod, c, path) if path else None
    mount: VolumeMount | None = covered[0] if covered else None
    vol: Volume | None = covered[1] if covered else None
    group = _ownership_group(pod, c)
    fs_patch = template_patch({"securityContext": {"fsGroup": group, "fsGroupChangePolicy": "OnRootMismatch"}})
    if chown:
        fix = ("chown/chmod needs root with CAP_CHOWN/CAP_FOWNER, and on NFS with root_squash even root cannot do it. "
               f"Let the kubelet set group ownership instead: set fsGroup (the patch uses {group}) and drop the chown "
               "step, or run that init container as root with the CHOWN capability, or fix ownership on the storage "
               "server.")
        return "chown-denied", fix, fs_patch
    if mount is not None and vol is not None and vol.kind in ("hostPath", "nfs"):
        fix = (f"{path} is on {vol.kind} volume {vol.name}, which fsGroup does not change: make the directory "
               "writable for the container's uid on the host/server, or chown it from an init container running "
               "as root" + (" (patch; with NFS root_squash only the server can change it)." if vol.kind == "nfs"
                            else " (patch)."))
        sc = pod.effective_security(c) if c is not None else SecurityContext()
        if sc.run_as_user is None:
            return "volume-ownership", fix + " Set runAsUser so the owner to give it is known.", None
        owner = f"{sc.run_as_user}:{sc.run_as_group if sc.run_as_group is not None else group}"
        chown_init: dict[str, Any] = {
            "name": "fix-ownership", "image": "busybox:1.36",
            "command": ["chown", "-R", owner, "/target"],
            "securityContext": {"runAsUser": 0, "runAsNonRoot": False},
            "volumeMounts": [{"name": vol.name, "mountPath": "/target"}],
        }
        return "volume-ownership", fix, template_patch({"initContainers": [chown_init]})
    if mount is not None:
        fix = (f"{path} is on volume {mount.name} (mounted at {mount.mount_path}) and owned by another uid than the "
               f"container runs as. Set the pod's fsGroup (the patch uses {group}) so the kubelet makes the volume "
               "group-writable, or match runAsUser to the volume's owner.")
        return "volume-ownership", fix, fs_patch
    sc = pod.effective_security(c) if c is not None else SecurityContext()
    runner = f"uid {sc.run_as_user}" if sc.run_as_user is not None else "the container's user"
    if path and c is not None and c.spec is not None:
        target = posixpath.dirname(path.rstrip("/")) if "." in posixpath.basename(path) else path
        data = data_dir_of(target, c.spec.image)
        if data is not None:
            fix = (f"{path} is {data}, in the image and not writable by {runner}. Do not mount an emptyDir there: it "
                   "starts empty and is deleted with the pod, so the data would be lost on every restart. Give it a "
                   f"PersistentVolumeClaim mounted at {target} (volumeClaimTemplates for a StatefulSet) and set the "
                   f"pod's fsGroup (e.g. {group}) so the kubelet makes that volume writable, or run as the uid the "
                   "image expects (runAsUser).")
            return "data-dir", fix, None
        if target not in ("", "/"):
            vname = volume_name_for(target)
            patch = container_patch(name, init, {"volumeMounts": [{"name": vname, "mountPath": target}]},
                                    {"volumes": [{"name": vname, "emptyDir": {}}]})
            fix = (f"{path} is in the image and not writable by {runner}. Run as the uid the image expects (runAsUser), "
                   f"make the path group-0 writable in the image (chgrp -R 0 && chmod -R g=u, for OpenShift), or if "
                   f"it is scratch data mount an emptyDir at {target} (patch; it hides what the image has there).")
            return "image-path", fix, patch
    fix = (f"The process may not access {path or 'a path it needs'} as {runner}: run it as the uid that owns the path "
           "(runAsUser), set fsGroup for volumes, or make the path writable in the image.")
    return "image-path" if path else "unknown-path", fix, None


@rule(
    "file-permission-denied",
    cause="security.permission-denied",
    title="The process may not read or write a file or directory it needs",
    needs=("logs", "status", "spec"),
    when=printed,
)
def file_permission_denied(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    EACCES / EPERM on a path in the container's output: `mkdir /data/x: permission denied`,
    `can't create /env: Permission denied`, `chown: /var/lib/app: Operation not permitted`,
    Python's `PermissionError: [Errno 13] Permission denied: '/data'`, Java's
    `AccessDeniedException`, Node's `EACCES: permission denied, open '/x'`, nginx's
    `mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)`, MySQL's
    `OS errno 13`, `'/var/lib/grafana' is not writable`.

    ## Why the pod crash-loops
    The process runs as a uid (runAsUser, an image USER, OpenShift's random uid) that does not
    own the path: a volume created by root, an image directory owned by root, a chown attempted
    without CAP_CHOWN. It exits at start every time.

    ## Evidence used
    The log line and its path, the volume mounts (which volume holds the path, and its kind),
    the pod's runAsUser / runAsGroup / fsGroup.

    ## How to fix
    Volume paths: set `securityContext.fsGroup` (with `fsGroupChangePolicy: OnRootMismatch`) or
    match runAsUser to the owner; hostPath/NFS ignore fsGroup, so fix ownership there or chown
    from a root init container. Image paths: run as the uid the image expects, or make the
    path writable in the image. chown failures: use fsGroup instead of a chown step.

    ## Near misses
    `Read-only file system` is `security.read-only-fs`. `permission denied for table ...` is a
    database grant, not a file. `bind: permission denied` is rule `privileged-port-bind-denied`.
    """

    def is_file_access(m: re.Match[str]) -> bool:
        line = m.string
        return not (_NOT_FILE_ACCESS.search(line) or _BIND_DENIED.search(line) or _SHELL_DENIED.search(line)
                    or _EXEC_DENIED_RUNTIME.search(line) or re.search(r"read-only file system", line, re.I))

    for found in by_container(find_output(pod, _ACCESS_DENIED, limit=20, keep=is_file_access)).values():
        first = found[0]
        c = first.container
        path = _denied_path(first.line)
        chown = bool(_CHOWN.search(first.line))
        detail, fix, patch = _file_remedy(pod, c, path, chown)
        data_dir = "wrong ownership" in first.line or "invalid permissions" in first.line
        if data_dir:
            detail = "data-dir-ownership"
            fix = ("PostgreSQL refuses a data directory that its own uid does not own or whose mode is wider than "
                   "0750. Run as the uid that owns the files (runAsUser 999 for the official image; fsGroup for the "
                   "volume) and keep PGDATA in a subdirectory of the volume, not its mount point (which fsGroup makes "
                   "group-writable), so initdb creates it with the right owner and mode.")
        confidence, strength = placed(first, 0.86 if path else 0.8)
        evidence = [om.citation for om in found[:3]] + _status_evidence(pod, c)
        if c is not None:
            sc = pod.effective_security(c)
            if sc.run_as_user is not None or sc.fs_group is not None:
                evidence.append(cite_spec(pod, c, "securityContext",
                                          f"securityContext: runAsUser={sc.run_as_user}, fsGroup={sc.fs_group}"))
        name = first.name
        subject = who(name)
        summary = (f"The process in {subject} may not {'change ownership of' if chown else 'access'} "
                   f"{path or 'a path it needs'}: permission denied.")
        if data_dir:
            summary = f"The server in {subject} refuses its data directory {path}: wrong owner or mode."
        image: Value = image_of(c) or Placeholder("IMAGE")
        look = "id; " + render_command(Command(("ls", "-ld", path or "/")))
        if detail in ("volume-ownership", "chown-denied", "data-dir-ownership"):
            # a copy of the pod keeps its volumes, so it shows the owner the process really meets
            check = kubectl("debug", pod_arg(pod), "-it", Joined(("--copy-to=", pod_arg(pod), "-debug")),
                            Joined(("--container=", container_arg(name))), "--", "sh", "-c", look,
                            namespace=namespace_of(pod))
        else:
            check = kubectl("run", "perm-check", "--rm", "-it", "--restart=Never",
                            Joined(("--image=", image)), "--command", "--", "sh", "-c", look,
                            namespace=namespace_of(pod))
        commands: tuple[Step, ...] = (check, *((APPLY,) if patch is not None else ()), watch_command(pod))
        outside = (STORAGE if detail == "data-dir" else None)
        yield Hit(container=name, init=first.init, summary=summary, evidence=tuple(evidence),
                  remedy=Remedy(fix, patch, commands, outside_spec=outside), confidence=confidence, strength=strength,
                  detail=detail)


# --- Kubernetes API permissions (RBAC) ----------------------------------------------------------

# The API server's Forbidden status message (apiserver/pkg/endpoints/handlers/responsewriters, as
# quoted by every client: client-go reflectors and leader election, controller-runtime, the Python
# and Java clients, kubectl `Error from server (Forbidden)`): `<resource>[.<group>] ["<name>"] is
# forbidden: User "<user>" cannot <verb> resource "<resource>" in API group "<group>" (in the namespace
# "<ns>" | at the cluster scope)`; kubelets before 1.11 wrote `cannot list pods in the namespace "x"`.
# JSON logs escape the quotes (\" or \\\"). fabric8 adds its own "Forbidden!Configured service account
# doesn't have access".
_Q = r'\\*"'
_API_FORBIDDEN = lazy(
    r"(?:(?<![\w.-])(?P<resource>[\w.-]+)(?: " + _Q + r"(?P<name>[^\"\\]*)" + _Q + r")? is forbidden: )?"
    r"User " + _Q + r"(?P<user>[^\"\\]+)" + _Q + r" cannot (?P<verb>[\w-]+)"
    r" (?:resource " + _Q + r"(?P<res>[^\"\\]+)" + _Q + r"|(?P<res_old>[\w./-]+))"
    r"(?: in API group " + _Q + r"(?P<group>[^\"\\]*)" + _Q + r")?"
    r"(?: in the namespace " + _Q + r"(?P<ns>[^\"\\]+)" + _Q + r"|(?P<cluster> at the cluster scope))?"
    r"|Forbidden!\s*Configured service account doesn.t have access"
)
_MISSING_ROLE = lazy(r"RBAC: (?P<kind>(?:cluster)?role)\.rbac\.authorization\.k8s\.io " + _Q + r"(?P<name>[^\"\\]+)"
                           + _Q + r" not found")
_SERVICE_ACCOUNT_USER = lazy(r"system:serviceaccount:(?P<ns>[^:\s]+):(?P<name>[^\s\"\\]+)")
# Verbs an informer needs together: a controller that may only `get` still cannot list and watch.
_READ_VERBS = ("get", "list", "watch")


def _request_of(m: re.Match[str]) -> tuple[str | None, ...]:
    return m.group("user"), m.group("verb"), m.group("res") or m.group("res_old"), m.group("ns")


def _rbac_commands(pod: PodEvidence, m: re.Match[str]) -> tuple[str, tuple[Command, ...]]:
    """(who, commands) that grant and verify what the API server refused."""
    user = m.group("user")
    resource = m.group("res") or m.group("res_old") or (m.group("resource") or "").split(".", 1)[0] or "RESOURCE"
    group = m.group("group") if m.group("group") is not None else (
        (m.group("resource") or "").partition(".")[2])
    verb = m.group("verb") or "get"
    qualified = f"{resource}.{group}" if group else resource
    sa = _SERVICE_ACCOUNT_USER.search(user or "")
    if sa is None:
        subject = user or "the pod's ServiceAccount"
        return subject, (kubectl("auth", "can-i", verb, qualified, Joined(("--as=", user))) if user else
                         _sa_command(pod),)
    sa_ns, sa_name = sa.group("ns"), sa.group("name")
    verbs = ",".join(_READ_VERBS) if verb in _READ_VERBS else verb
    if resource == "leases":
        verbs = "get,create,update"  # what client-go's leader election does with its lease
    role = f"{sa_name}-{resource}"[:63].replace(".", "-")
    if m.group("cluster") or not m.group("ns"):
        grant = (kubectl("create", "clusterrole", role, Joined(("--verb=", verbs)), Joined(("--resource=", qualified))),
                 kubectl("create", "clusterrolebinding", role, Joined(("--clusterrole=", role)),
                         Joined(("--serviceaccount=", sa_ns, ":", sa_name))))
        check = kubectl("auth", "can-i", verb, qualified, Joined(("--as=", user)), all_namespaces=True)
    else:
        ns = m.group("ns")
        grant = (kubectl("create", "role", role, Joined(("--verb=", verbs)), Joined(("--resource=", qualified)),
                         namespace=ns),
                 kubectl("create", "rolebinding", role, Joined(("--role=", role)),
                         Joined(("--serviceaccount=", sa_ns, ":", sa_name)), namespace=ns))
        check = kubectl("auth", "can-i", verb, qualified, Joined(("--as=", user)), namespace=ns)
    return f"ServiceAccount {sa_ns}/{sa_name}", (check, *grant)


@rule(
    "api-access-forbidden",
    cause="security.permission-denied",
    title="The app's ServiceAccount may not do what it asks the Kubernetes API",
    needs=("logs", "status"),
    when=printed,
)
def api_access_forbidden(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The API server's Forbidden answer quoted in the container's output: `pods is forbidden: User
    "system:serviceaccount:default:default" cannot list resource "pods" in API group "" at the
    cluster scope` (client-go reflectors, leader election, controller-runtime, the Python and
    Java clients, kubectl in a Job), in plain or JSON-escaped form, and fabric8's "Forbidden!
    Configured service account doesn't have access".

    ## Why the pod crash-loops
    Controllers and operators list and watch resources at start and wait for their caches to
    sync, or take a leader-election lease; when RBAC does not allow it they time out ("failed to
    wait for caches to sync", "failed to acquire lease") or exit on the 403, on every restart,
    until a Role or ClusterRole is bound to the pod's ServiceAccount.

    ## Evidence used
    The Forbidden message (the user, verb, resource, API group, and namespace or cluster scope
    it names) in the crashed container's log or termination message.

    ## How to fix
    Bind a Role (namespaced) or ClusterRole (cluster scope) granting that verb on that resource
    to the ServiceAccount the pod runs as, or run the pod as the ServiceAccount the chart's RBAC
    was written for (`serviceAccountName`). A `system:serviceaccount:NS:default` user usually
    means `serviceAccountName` is not set.

    ## Near misses
    An HTTP 403 from some other API (a cloud bucket, a registry pull) is not RBAC. An image pull
    refused with 403 is `image.pull`. A refused Event (`cannot create resource "events"`) is
    dropped by the event recorder and never stops a program. File-system `permission denied` is
    rule `file-permission-denied`.
    """
    def consequential(m: re.Match[str]) -> bool:
        # client-go's event recorder drops an Event it may not create and carries on: never why a pod fails
        return not ((m.group("res") or m.group("res_old") or m.group("resource") or "").split(".")[0] == "events"
                    and m.group("verb") in ("create", "patch", "update"))

    for found in by_container(find_output(pod, _API_FORBIDDEN, limit=10, keep=consequential)).values():
        om = found[0]
        rbac = next((x for x in found if x.match.group("user")), om)
        m = rbac.match
        subject, commands = _rbac_commands(pod, m) if m.group("user") else (
            "the pod's ServiceAccount",
            (_sa_command(pod),))
        resource = m.group("res") or m.group("res_old") or m.group("resource")
        scope = (" at cluster scope" if m.group("cluster") else
                 f" in namespace {m.group('ns')}" if m.group("ns") else "")
        asked = (f"{m.group('verb')} {resource}{scope}" if m.group("user") and resource
                 else "what it asks the API server")
        missing_role = next((r for r in (_MISSING_ROLE.search(x.line) for x in found) if r), None)
        why = ""
        if missing_role is not None:
            why = f" The binding names {missing_role.group('kind')} {missing_role.group('name')}, which does not exist."
        elif subject.endswith("/default"):
            why = (" It runs as the namespace's default ServiceAccount: serviceAccountName is probably not set to the "
                   "one the RBAC rules were written for.")
        confidence, strength = placed(rbac, 0.88)
        # one line per refused request: reflectors repeat the same refusal every few seconds
        asks = {_request_of(rbac.match)}
        evidence = [rbac.citation]
        for x in found:
            if len(evidence) < 3 and _request_of(x.match) not in asks:
                asks.add(_request_of(x.match))
                evidence.append(x.citation)
        evidence += _status_evidence(pod, rbac.container)
        yield Hit(
            container=rbac.name, init=rbac.init,
            summary=f"The Kubernetes API forbids {subject} to {asked}, so the program in {who(rbac.name)} cannot "
                    f"start its work.{why}".replace("  ", " "),
            evidence=tuple(evidence),
            remedy=Remedy(
                f"Grant {subject} the access it needs with a Role (namespaced) or ClusterRole (cluster scope) and a "
                "binding to that ServiceAccount (commands below), or set serviceAccountName to the ServiceAccount "
                "the RBAC was written for.", None, (*commands, watch_command(pod)),
                outside_spec="RBAC objects (Role, binding) are outside the pod spec"),
            confidence=confidence, strength=strength, detail="rbac-forbidden",
        )


# --- read-only root filesystem ------------------------------------------------------------------

_EROFS = lazy(r"read-only file system|\bEROFS\b|\[Errno 30\]|\(30: Read-only|errno 30", re.I)
# A script guessing at a cause and going on ("info: can not modify /x (read-only file system?)", as
# the nginx image's entrypoint says for a ConfigMap-mounted config) is not a failed write.
_EROFS_HEDGED = lazy(r"read-only file system\?|\b(?:info|notice|debug)\b\s*[:\]]|\blevel=\"?(?:info|debug)", re.I)
_EROFS_PATHS = (
    lazy(r"(?<![^\s'\"’:,()\[\]])(?P<path>/[^\s'\"’:,()\[\]]+)['\"’]?\)?:? \(?(?:30: )?Read-only file system", re.I),
    lazy(r"(?:Read-only file system|EROFS)(?::|,)\s*(?:\w+ )?['\"‘]?(?P<path>/[^\s'\"’]+)", re.I),
    lazy(r"(?:of|create|open|write|mkdir|touch|copy|file) ['\"‘]?(?P<path>/[^\s'\"’:]+)", re.I),
    lazy(r"\"(?P<path>/[^\"]+)\" failed \(30: Read-only"),
)
# Writes that change files shipped in the image: an emptyDir over them would hide the originals.
_MODIFIES_IMAGE = lazy(r"changing (?:permissions|ownership) of|\bchmod\b|\bchown\b|sed: couldn't|\bsed -i\b",
                             re.I)
_READ_ONLY_KINDS = frozenset({"configMap", "secret", "projected", "downwardAPI"})


def _erofs_path(line: str) -> str | None:
    if "here-document" in line or "here document" in line:
        return "/tmp"  # shells write here-documents under $TMPDIR, /tmp by default
    for pattern in _EROFS_PATHS:
        m = pattern.search(line)
        if m:
            return m.group("path").rstrip(".'\"")
    return None


def _writable_dir(path: str) -> str:
    """The directory to mount an emptyDir at for a write to `path`."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "/tmp"
    if parts[0] in ("tmp", "run") or parts[:2] == ["var", "tmp"] or parts[:2] == ["var", "run"]:
        return "/" + "/".join(parts[:2] if parts[0] == "var" else parts[:1])
    if parts[0] == "var" and len(parts) >= 3 and parts[1] in ("cache", "log", "lib"):
        return "/" + "/".join(parts[:3])
    base = posixpath.dirname(path.rstrip("/")) if "." in parts[-1] or len(parts) > 2 else path
    return base if base not in ("", "/") else path


_RUN_ALIASES = {"/var/run": "/run"}  # /var/run is a symbolic link to /run in Debian and Alpine images


def _canonical(path: str) -> str:
    path = posixpath.normpath(path)
    for alias, real in _RUN_ALIASES.items():
        if path == alias or path.startswith(alias + "/"):
            return real + path[len(alias):]
    return path


def _same_dir(a: str, b: str) -> bool:
    a, b = _canonical(a), _canonical(b)
    return a == b or a.startswith(b.rstrip("/") + "/")


def _writable_mount_covers(pod: PodEvidence, c: ContainerEvidence | None, path: str) -> bool:
    """A writable volume already mounted at `path` or above it (/run covers /var/run)."""
    if c is None or c.spec is None:
        return False
    for m in c.spec.mounts:
        vol = pod.volume(m.name)
        if (not m.read_only and not (vol is not None and vol.kind in _READ_ONLY_KINDS)
                and _same_dir(path, m.mount_path or "/")):
            return True
    return False


@rule(
    "read-only-root-filesystem",
    cause="security.read-only-fs",
    title="The process writes to a read-only root filesystem",
    needs=("logs", "spec", "status"),
    lint_check="read-only-root-without-writable-volume",
    when=printed,
)
def read_only_root_filesystem(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    EROFS in the container's output: `Read-only file system` from coreutils, shells
    (`cannot create temp file for here-document: Read-only file system`), Go (`open /x:
    read-only file system`), Python (`[Errno 30] Read-only file system`), Node (`EROFS`), the
    JVM (`FileSystemException: ... Read-only file system`), nginx (`(30: Read-only file system)`).

    ## Why the pod crash-loops
    `securityContext.readOnlyRootFilesystem: true` (set in the spec or by a policy) mounts the
    image's filesystem read-only; an app or entrypoint that writes temp files, caches, PID files
    or edits its own config fails at start.

    ## Evidence used
    The log line and the path written, `readOnlyRootFilesystem` in the container's
    securityContext, and the volume mounts (a ConfigMap/Secret volume is read-only too).

    ## How to fix
    Mount an `emptyDir` at each directory the app writes (`/tmp`, `/var/cache/nginx`,
    `/var/run`), patch below: for an image podmortem knows, every path it writes at start (the
    list lint's read-only-root check reads, lint/image_facts.yaml), not only the first that
    failed. If the app modifies files that ship in the image (chmod, sed -i), copy that directory
    into an emptyDir from an init container, or fix the image so it does not edit itself at
    start. Never an emptyDir over a path that may hold data (a database's, queue's or search
    engine's data directory, podmortem/datadirs.py): there the fix is a PersistentVolumeClaim;
    a claim mounted `readOnly` is mounted read-write instead.

    ## Near misses
    `Permission denied` on a writable filesystem is `security.permission-denied`. `No space left
    on device` is a full disk, not a read-only one.
    """
    def failed_write(m: re.Match[str]) -> bool:
        return not _EROFS_HEDGED.search(m.string)

    for found in by_container(find_output(pod, _EROFS, limit=10, keep=failed_write)).values():
        om = found[0]
        c = om.container
        name, init = om.name, om.init
        path = _erofs_path(om.line)
        covered = mount_covering(pod, c, path) if path else None
        ro_root = pod.effective_security(c).read_only_root_filesystem if c is not None else None
        evidence = [om.citation]
        if c is not None and ro_root:
            evidence.append(cite_spec(pod, c, "securityContext.readOnlyRootFilesystem", "readOnlyRootFilesystem: true"))
        evidence += _status_evidence(pod, c)
        image = image_of(c) or "IMAGE"
        patch: dict[str, Any] | None = None
        outside: str | None = None
        image_ref = c.spec.image if c is not None and c.spec is not None else None
        if (covered is not None and covered[0].read_only and covered[1] is not None
                and covered[1].kind == "persistentVolumeClaim"):
            mount, vol = covered
            detail = "read-only-claim"
            summary = (f"The process in {who(name)} writes to {path}, on PersistentVolumeClaim volume {mount.name}, "
                       "which the container mounts read-only.").replace("  ", " ")
            fix = (f"Mount volume {mount.name} read-write at {mount.mount_path} (patch: readOnly false); if the claim's "
                   "access mode is ReadOnlyMany, the app needs a ReadWriteOnce claim instead. Not an emptyDir: the "
                   "claim holds the app's data.")
            patch = container_patch(name, init, {"volumeMounts": [
                {"name": mount.name, "mountPath": mount.mount_path, "readOnly": False}]})
            confidence = 0.84
        elif covered is not None and (covered[0].read_only or (covered[1] is not None
                                                                and covered[1].kind in _READ_ONLY_KINDS)):
            mount, vol = covered
            detail = "read-only-volume"
            kind = vol.kind if vol is not None else "read-only"
            summary = (f"The process in {who(name)} writes to {path}, inside {kind} volume {mount.name}, "
                       "which is always mounted read-only.").replace("  ", " ")
            fix = (f"Do not write into the {kind} volume: copy the files to an emptyDir in an init container and point "
                   "the app there, or have the app write its output elsewhere.")
            confidence = 0.84
        elif path is not None and (data := data_dir_of(path, image_ref)) is not None:
            # a database's (queue's, index's) own directory: an emptyDir would lose the data on every restart
            detail = "data-dir"
            target = posixpath.dirname(path) if _MODIFIES_IMAGE.search(om.line) else _writable_dir(path)
            summary = (f"The process in {who(name)} writes to {path}, in {data}, but the root filesystem is "
                       "read-only (readOnlyRootFilesystem).").replace("  ", " ")
            fix = (f"{target} holds data ({data}): mount a PersistentVolumeClaim there (volumeClaimTemplates for a "
                   "StatefulSet), not an emptyDir, which starts empty and is deleted with the pod; set fsGroup so the "
                   "kubelet makes the volume writable for the container's group. Keep readOnlyRootFilesystem on.")
            outside = STORAGE
            confidence = 0.9 if ro_root or c is None or c.spec is None else 0.78
        elif path is not None and _MODIFIES_IMAGE.search(om.line):
            detail = "modifies-image-files"
            target = posixpath.dirname(path)
            vname = volume_name_for(target)
            summary = (f"The entrypoint of {who(name)} modifies {path}, a file shipped in the image, but the "
                       "root filesystem is read-only.").replace("  ", " ")
            fix = (f"An emptyDir at {target} would hide the image's files, so copy them into one first: the patch adds "
                   f"an init container that copies {target} into an emptyDir mounted there. Better: fix the image so "
                   "its files need no change at start, or allow writes (readOnlyRootFilesystem: false) if policy permits.")
            copier: dict[str, Any] = {"name": f"copy-{vname}"[:63], "image": image,
                                      "command": ["cp", "-a", f"{target}/.", "/writable/"],
                                      "volumeMounts": [{"name": vname, "mountPath": "/writable"}]}
            patch = container_patch(name, init, {"volumeMounts": [{"name": vname, "mountPath": target}]},
                                    {"initContainers": [copier], "volumes": [{"name": vname, "emptyDir": {}}]})
            confidence = 0.9 if ro_root or c is None or c.spec is None else 0.78
        else:
            detail = "writes-root-filesystem"
            target = _writable_dir(path) if path else "/tmp"
            summary = (f"The process in {who(name)} writes to {path or 'its root filesystem'}, but the root "
                       "filesystem is read-only (readOnlyRootFilesystem).").replace("  ", " ")
            # every path the image writes at start, from the list lint's read-only-root check reads, so the
            # second write (nginx's pid file after its cache) does not fail the next start
            env = {v.name: v.value for v in (c.spec.env if c is not None and c.spec is not None else ())}
            known = [w for w in image_writes(image_ref, env) if not _writable_mount_covers(pod, c, w.path)]
            scratch = [target, *(w.path for w in known if not w.data and not _same_dir(w.path, target))]
            data_paths = [w for w in known if w.data]
            mounts = [{"name": volume_name_for(p), "mountPath": p} for p in scratch]
            patch = container_patch(name, init, {"volumeMounts": mounts},
                                    {"volumes": [{"name": m["name"], "emptyDir": {}} for m in mounts]})
            also = (f" ({image_ref} also writes {', '.join(scratch[1:])} at start: the patch mounts every such path)"
                    if len(scratch) > 1 else "")
            fix = (f"Mount a writable emptyDir at {', '.join(scratch)}{also} and at any other directory the app writes "
                   "(patch); keep readOnlyRootFilesystem on.")
            if data_paths:
                fix += " " + " ".join(f"{w.path} holds data ({w.data}): give it a PersistentVolumeClaim, not an "
                                      "emptyDir." for w in data_paths)
            confidence = 0.92 if ro_root or c is None or c.spec is None else 0.78
        confidence, strength = placed(om, confidence)
        yield Hit(
            container=name, init=init, summary=summary, evidence=tuple(evidence),
            remedy=Remedy(fix, patch, (
                kubectl("get", "pod", pod_arg(pod), "-o",
                        Joined(('jsonpath={.spec.containers[?(@.name=="', container_arg(name), '")].securityContext}')),
                        namespace=namespace_of(pod)),
                *((APPLY,) if patch is not None else ()), watch_command(pod)), outside_spec=outside),
            confidence=confidence, strength=strength, detail=detail,
        )


# --- working directory --------------------------------------------------------------------------


@rule(
    "workdir-permission-denied",
    cause="security.permission-denied",
    title="The runtime may not enter the container's working directory as its user",
    needs=("status", "events", "spec"),
    wordings=CWD_WORDINGS,
    when=says(CWD_DENIED),
)
def workdir_permission_denied(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The OCI runtime's working-directory stage refused: runc's `chdir to cwd ("/app") set in
    config.json failed: permission denied` (containerd, CRI-O and Docker-era wrappers alike) and
    crun's ``chdir to `/app`: Permission denied``, in a StartError / RunContainerError message or
    a `Failed` event.

    ## Why the pod crash-loops
    The runtime changes into `workingDir` (or the image's WORKDIR) after switching to the
    container's user; a directory that user may not search (mode 0700 owned by root, a volume
    mounted there with other ownership) fails the start on every attempt, before the program runs.

    ## Evidence used
    The runtime's message, the container's status and its securityContext (runAsUser).

    ## How to fix
    Make the directory searchable for the user (`chmod 755` / `chown` it in the Dockerfile, or
    `fsGroup` for a volume mounted there), run as the user that owns it, or set `workingDir` to a
    directory the user can enter.

    ## Near misses
    `exec: "x": permission denied` is the program itself not being executable (rule
    `exec-permission-denied`); a missing program is `image.command-not-found`.
    """
    done: set[str | None] = set()
    for m, hit in find_messages(pod, CWD_DENIED):
        if m.event is not None and (m.event.reason or "").lower() == "unhealthy":
            continue  # an exec probe's own error
        c = _container_from_message(pod, m.container)
        key = c.name if c is not None else None
        if key in done:
            continue
        done.add(key)
        cwd = hit.group("cwd") or hit.group("ccwd")
        name = (c.name or None) if c is not None else None
        user = c.spec.security.run_as_user if c is not None and c.spec is not None and c.spec.security else None
        as_user = f" as user {user}" if user is not None else " as the container's user"
        image: Value = image_of(c) or Placeholder("IMAGE")
        yield Hit(
            container=name, init=c.init if c is not None else False,
            summary=f"The runtime may not enter the working directory {cwd} of {who(name)}{as_user} "
                    "(permission denied), so the container cannot start.".replace("  ", " "),
            evidence=(cite_message(m), *_status_evidence(pod, c, exclude=m.text)),
            remedy=Remedy(
                f"Make {cwd} searchable by the container's user (chmod 755 or chown it in the Dockerfile; fsGroup if a "
                "volume is mounted there), run as the user that owns it, or set workingDir to a directory that user "
                "can enter.", None,
                (kubectl("run", "cwd-check", "--rm", "-it", "--restart=Never", Joined(("--image=", image)),
                         "--command", "--", "ls", "-ld", cwd if cwd else Placeholder("DIR"), namespace=namespace_of(pod)),
                 watch_command(pod)), outside_spec="the directory's owner and mode are set in the image"),
            confidence=0.93, strength=3, detail="workdir-not-searchable",
        )


RULES: tuple[Rule, ...] = (
    *NON_ROOT_RULES,
    exec_permission_denied,
    workdir_permission_denied,
    privileged_port_bind_denied,
    file_permission_denied,
    api_access_forbidden,
    read_only_root_filesystem,
)
