"""What the OCI runtimes say when a container fails to start, by the stage that failed.

A StartError / ContainerCannotRun terminated message, a RunContainerError or CreateContainerError
waiting message and a `Failed` event all carry the low-level runtime's error, wrapped by containerd
(`failed to create containerd task: failed to create shim task: OCI runtime create failed: ...`),
CRI-O (`container create failed: ...`) or dockershim (`Error response from daemon: OCI runtime
create failed: container_linux.go:N: starting container process caused "..."`). The stage inside
decides the cause, not the wrapper:

- mounting a volume into the rootfs: the volume (volume.mount-failed);
- changing to the working directory: permission there is security.permission-denied;
- execve of the entrypoint: ENOENT on a path that exists is a missing interpreter or loader
  (image.exec-format), EACCES is security.permission-denied, ENOEXEC is image.exec-format;
- looking the command up: image.command-not-found.

Formats (opencontainers/runc libcontainer, containers/crun src/libcrun, moby/moby daemon):
- runc rc-era (Docker 1.11-18.x): `rootfs_linux.go:N: mounting \\"SRC\\" to rootfs \\"ROOT\\" at
  \\"DST\\" caused \\"no such file or directory\\"`; v1.0.0 rootfs_linux.go `mounting %q to rootfs at
  %q caused: %v`; v1.1.0-v1.5 rootfs_linux.go `error mounting %q to rootfs at %q: %w`.
- crun src/libcrun/linux.c (0.x-1.2x): ``mount `%s` to `%s`: %s``.
- runc init_linux.go v1.0-v1.5: `chdir to cwd (%q) set in config.json failed: %w`; crun linux.c
  ``chdir to `%s`: %s``.
- runc libcontainer/system/linux.go v1.1-v1.5: `exec %s: %v` (an os.PathError from execve, after
  LookPath found the file); runc <=1.0 standard_init_linux.go `exec user process caused: %v`;
  crun container.c ``exec container process (missing dynamic library?) `%s`: %s`` (ENOENT) and
  ``exec container process `%s`: %s``.
- Docker 1.8-1.10 daemon: `Container command '%s' not found or does not exist.` (execve ENOENT:
  a missing file, or a binary whose loader is missing, so it is never certain).
"""

from __future__ import annotations

from podmortem.lazyre import lazy
from podmortem.rules.wording import Wording

_Q = r"\\*[\"']"
_ENOENT = r"(?i:no such file or directory|\bENOENT\b)"

# The rootfs mount stage failing on a missing source or target (any era); `not a directory` is the
# dir-onto-file case the volume rules already tell apart.
MOUNT_MISSING = lazy(
    r"(?:error\s+)?mounting\s+" + _Q + r"(?P<src>[^\"'\\]+)" + _Q + r"\s+to\s+rootfs(?:\s+" + _Q + r"[^\"'\\]*"
    + _Q + r")?\s+at\s+" + _Q + r"(?P<dst>[^\"'\\]+)" + _Q + r"[^\n]{0,600}?" + _ENOENT
    + r"|\bmount\s+`(?P<csrc>[^`]+)`\s+to\s+`(?P<cdst>[^`]+)`:\s*" + _ENOENT)

MOUNT_WORDINGS: tuple[Wording, ...] = (
    Wording('error mounting %q to rootfs at %q: %w', "runc libcontainer/rootfs_linux.go, v1.1.0-v1.5",
            "ENOENT on a kubelet volume-subpaths source: the prepared subPath is gone",
            'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: error during container init: error mounting '
            '"/var/lib/kubelet/pods/9f2/volume-subpaths/cfg/app/0" to rootfs at "/etc/app/app.yaml": mount '
            '/var/lib/kubelet/pods/9f2/volume-subpaths/cfg/app/0:/etc/app/app.yaml (via /proc/self/fd/6), flags: '
            '0x5001: no such file or directory: unknown'),
    Wording('mounting %q to rootfs at %q caused: %v', "runc libcontainer/rootfs_linux.go, v1.0.0",
            "", 'OCI runtime create failed: container_linux.go:367: starting container process caused: '
            'process_linux.go:495: container init caused: rootfs_linux.go:60: mounting '
            '"/var/lib/kubelet/pods/9f2/volume-subpaths/cfg/app/0" to rootfs at "/etc/app/app.yaml" caused: '
            'no such file or directory: unknown'),
    Wording('mounting \\"%s\\" to rootfs \\"%s\\" at \\"%s\\" caused \\"%s\\"',
            "runc libcontainer/rootfs_linux.go, v1.0.0-rc (Docker 1.11-19.03, dockershim)", "",
            'Error response from daemon: OCI runtime create failed: container_linux.go:348: starting container '
            'process caused "process_linux.go:402: container init caused \\"rootfs_linux.go:58: mounting '
            '\\\\\\"/var/lib/kubelet/pods/ab/volume-subpaths/cfg/app/0\\\\\\" to rootfs '
            '\\\\\\"/var/lib/docker/overlay2/x/merged\\\\\\" at \\\\\\"/var/lib/docker/overlay2/x/merged/etc/a.conf'
            '\\\\\\" caused \\\\\\"no such file or directory\\\\\\"\\"": unknown'),
    Wording("mount `%s` to `%s`: %s", "crun src/libcrun/linux.c, 0.x-1.2x (CRI-O)", "",
            "container create failed: mount `/var/lib/kubelet/pods/9f2/volume-subpaths/cfg/app/0` to "
            "`/etc/app/app.yaml`: No such file or directory"),
)

# The working-directory stage refused for the container's user.
CWD_DENIED = lazy(
    r"chdir\s+to\s+cwd\s+\(\\*[\"'](?P<cwd>[^\"'\\]+)\\*[\"']\)\s+set\s+in\s+config\.json\s+failed:\s*"
    r"(?i:permission denied|operation not permitted)"
    r"|chdir\s+to\s+`(?P<ccwd>/[^`]*)`:\s*(?i:permission denied|operation not permitted)")

CWD_WORDINGS: tuple[Wording, ...] = (
    Wording("chdir to cwd (%q) set in config.json failed: %w", "runc libcontainer/init_linux.go, v1.0.0-v1.5",
            "EACCES: workingDir not searchable by runAsUser",
            'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: error during container init: chdir to cwd ("/app") set in '
            'config.json failed: permission denied: unknown'),
    Wording("chdir to cwd (%q) set in config.json failed: %v", "runc libcontainer/init_linux.go, v1.0.0-rc9x",
            "Docker-era escaped quotes",
            'OCI runtime create failed: container_linux.go:345: starting container process caused "chdir to cwd '
            '(\\"/home/app\\") set in config.json failed: permission denied": unknown'),
    Wording("chdir to `%s`: %s", "crun src/libcrun/linux.c, 1.x (CRI-O)", "",
            "container create failed: chdir to `/app`: Permission denied"),
)

# execve of a file that exists failing with ENOENT: its #! interpreter or ELF loader is missing.
EXEC_LOADER_MISSING = lazy(
    r"(?:^|[\s:\"])exec (?P<path>/[^\s:\"\\]+): " + _ENOENT
    + r"|exec container process \(missing dynamic library\?\) `(?P<cpath>[^`]+)`:\s*" + _ENOENT)

# crun's execve refused for the container's user.
EXEC_DENIED_CRUN = lazy(r"exec container process `(?P<cmd>[^`]+)`:\s*(?i:permission denied)")

# Docker 1.8-1.10: execve ENOENT, file or loader.
DOCKER1_COMMAND_MISSING = lazy(r"Container command \\*['\"](?P<cmd>[^'\"\\]+)\\*['\"] not found or does not exist")

EXEC_WORDINGS: tuple[Wording, ...] = (
    Wording("exec %s: %v", "runc libcontainer/system/linux.go (execve as os.PathError), v1.1.0-v1.5",
            "ENOENT after LookPath found the file: interpreter or loader missing",
            'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: exec /app/server: no such file or directory: unknown'),
    Wording("exec container process (missing dynamic library?) `%s`: %s", "crun src/libcrun/container.c, 1.x", "",
            "container create failed: exec container process (missing dynamic library?) `/app/server`: "
            "No such file or directory"),
)
