"""The canonical cause ids (shared/causes.md): the contract every diagnosis is scored against.

An id, once released, is never renamed or reused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cause:
    id: str
    category: str
    what: str


CAUSES: dict[str, Cause] = {
    c.id: c
    for c in (
        Cause("app.missing-env", "application", "a required environment variable is absent, empty or wrong"),
        Cause("app.dependency-unreachable", "application",
              "a service the app needs at start refuses, times out or does not resolve"),
        Cause("app.port-in-use", "application", "the app cannot bind its listen port"),
        Cause("app.config-invalid", "application", "a config file or value the app reads is malformed or rejected"),
        Cause("app.file-missing", "application", "a file or directory the app needs at start is absent"),
        Cause("app.missing-module", "application", "the image lacks a library or module the code imports"),
        Cause("app.crash", "application", "an unhandled exception, panic, assertion or segfault in the app's code"),
        Cause("app.exit-zero", "application",
              "the main process finishes successfully but the pod's restartPolicy is Always"),
        Cause("image.command-not-found", "image", "the entrypoint or command does not exist in the image"),
        Cause("image.exec-format", "image",
              "the binary is built for another CPU architecture, or a script has a bad interpreter line"),
        Cause("image.pull", "image", "the image cannot be pulled"),
        Cause("resources.oom-killed", "resources", "the container is killed at its memory limit by the kernel"),
        Cause("resources.runtime-oom", "resources",
              "the language runtime runs out of its own heap before the cgroup limit"),
        Cause("probes.liveness", "probes",
              "the liveness probe fails and the kubelet kills a container that would otherwise run"),
        Cause("probes.startup", "probes",
              "the startup probe gives up before the app has started, or probes the wrong endpoint"),
        Cause("security.permission-denied", "security",
              "the process may not read, write or execute something it needs"),
        Cause("security.read-only-fs", "security",
              "readOnlyRootFilesystem is set and the app writes to its root filesystem"),
        Cause("security.run-as-non-root", "security",
              "runAsNonRoot is set and the image runs as root (or as a non-numeric user)"),
        Cause("config.ref-missing", "config", "a referenced ConfigMap or Secret does not exist in the namespace"),
        Cause("config.key-missing", "config", "the ConfigMap or Secret exists but lacks the referenced key"),
        Cause("volume.mount-failed", "volume", "a volume cannot be attached or mounted"),
        Cause("node.pressure", "node", "the node, not the pod, is the cause: eviction, pressure, sandbox failures"),
        Cause("unknown", "-", "the evidence does not support any cause above"),
    )
}


def category_of(cause_id: str) -> str:
    return CAUSES[cause_id].category
