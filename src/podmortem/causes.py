"""The canonical cause ids (shared/causes.md): the contract every diagnosis is scored against.

An id, once released, is never renamed or reused.
"""

from __future__ import annotations

from enum import StrEnum

from podmortem.kube.typedjson import msgspec


class CauseId(StrEnum):
    """Every cause id, as a type: a misspelt id is a type error or a ValueError, never a new cause.

    tests/core/test_cause_ids.py holds this list to shared/causes.md.
    """

    APP_MISSING_ENV = "app.missing-env"
    APP_DEPENDENCY_UNREACHABLE = "app.dependency-unreachable"
    APP_PORT_IN_USE = "app.port-in-use"
    APP_CONFIG_INVALID = "app.config-invalid"
    APP_FILE_MISSING = "app.file-missing"
    APP_MISSING_MODULE = "app.missing-module"
    APP_CRASH = "app.crash"
    APP_EXIT_ZERO = "app.exit-zero"
    IMAGE_COMMAND_NOT_FOUND = "image.command-not-found"
    IMAGE_EXEC_FORMAT = "image.exec-format"
    IMAGE_PULL = "image.pull"
    RESOURCES_OOM_KILLED = "resources.oom-killed"
    RESOURCES_RUNTIME_OOM = "resources.runtime-oom"
    PROBES_LIVENESS = "probes.liveness"
    PROBES_STARTUP = "probes.startup"
    SECURITY_PERMISSION_DENIED = "security.permission-denied"
    SECURITY_READ_ONLY_FS = "security.read-only-fs"
    SECURITY_RUN_AS_NON_ROOT = "security.run-as-non-root"
    CONFIG_REF_MISSING = "config.ref-missing"
    CONFIG_KEY_MISSING = "config.key-missing"
    VOLUME_MOUNT_FAILED = "volume.mount-failed"
    NODE_PRESSURE = "node.pressure"
    UNKNOWN = "unknown"


class Cause(msgspec.Struct, frozen=True):
    id: CauseId
    category: str
    what: str


CAUSES: dict[CauseId, Cause] = {
    c.id: c
    for c in (
        Cause(CauseId.APP_MISSING_ENV, "application", "a required environment variable is absent, empty or wrong"),
        Cause(CauseId.APP_DEPENDENCY_UNREACHABLE, "application",
              "a service the app needs at start refuses, times out or does not resolve"),
        Cause(CauseId.APP_PORT_IN_USE, "application", "the app cannot bind its listen port"),
        Cause(CauseId.APP_CONFIG_INVALID, "application", "a config file or value the app reads is malformed or rejected"),
        Cause(CauseId.APP_FILE_MISSING, "application", "a file or directory the app needs at start is absent"),
        Cause(CauseId.APP_MISSING_MODULE, "application", "the image lacks a library or module the code imports"),
        Cause(CauseId.APP_CRASH, "application", "an unhandled exception, panic, assertion or segfault in the app's code"),
        Cause(CauseId.APP_EXIT_ZERO, "application",
              "the main process finishes successfully but the pod's restartPolicy is Always"),
        Cause(CauseId.IMAGE_COMMAND_NOT_FOUND, "image", "the entrypoint or command does not exist in the image"),
        Cause(CauseId.IMAGE_EXEC_FORMAT, "image",
              "the binary is built for another CPU architecture, or a script has a bad interpreter line"),
        Cause(CauseId.IMAGE_PULL, "image", "the image cannot be pulled"),
        Cause(CauseId.RESOURCES_OOM_KILLED, "resources", "the container is killed at its memory limit by the kernel"),
        Cause(CauseId.RESOURCES_RUNTIME_OOM, "resources",
              "the language runtime runs out of its own heap before the cgroup limit"),
        Cause(CauseId.PROBES_LIVENESS, "probes",
              "the liveness probe fails and the kubelet kills a container that would otherwise run"),
        Cause(CauseId.PROBES_STARTUP, "probes",
              "the startup probe gives up before the app has started, or probes the wrong endpoint"),
        Cause(CauseId.SECURITY_PERMISSION_DENIED, "security",
              "the process may not read, write or execute something it needs"),
        Cause(CauseId.SECURITY_READ_ONLY_FS, "security",
              "readOnlyRootFilesystem is set and the app writes to its root filesystem"),
        Cause(CauseId.SECURITY_RUN_AS_NON_ROOT, "security",
              "runAsNonRoot is set and the image runs as root (or as a non-numeric user)"),
        Cause(CauseId.CONFIG_REF_MISSING, "config", "a referenced ConfigMap or Secret does not exist in the namespace"),
        Cause(CauseId.CONFIG_KEY_MISSING, "config", "the ConfigMap or Secret exists but lacks the referenced key"),
        Cause(CauseId.VOLUME_MOUNT_FAILED, "volume", "a volume cannot be attached or mounted"),
        Cause(CauseId.NODE_PRESSURE, "node", "the node, not the pod, is the cause: eviction, pressure, sandbox failures"),
        Cause(CauseId.UNKNOWN, "-", "the evidence does not support any cause above"),
    )
}


def category_of(cause_id: str) -> str:
    return CAUSES[CauseId(cause_id)].category
