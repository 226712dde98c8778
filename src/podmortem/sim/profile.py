"""The behaviour profile of a container image, kept on ordinary manifests as an annotation.

`sim.podmortem.dev/profile.<container>` on a Pod (or a pod template) holds a small YAML document
describing what the container's image does when it runs: how long it takes to start, what it
needs (env vars, files, ports, other services, a writable path, a user), how much memory it uses,
when and how it exits, what it logs, and how its health endpoint answers. The kubelet model
(the kubelet package) combines it with the pod spec and the cluster's objects to decide what happens.
A container without a profile runs forever and is healthy. docs/sim.md is the reference.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podmortem.errors import InputError
from podmortem.kube.yamldocs import load_one

PROFILE_PREFIX = "sim.podmortem.dev/profile."
EXPECTED_CAUSE = "sim.podmortem.dev/expected-cause"
CREATED_AGO = "sim.podmortem.dev/created-ago"
MEMORY_PRESSURE = "sim.podmortem.dev/memory-pressure"
CSI_DRIVERS = "sim.podmortem.dev/csi-drivers"

RUNTIMES = ("python", "go", "node", "java", "dotnet", "ruby", "php", "nginx", "shell", "generic")
PULL_ERRORS = ("not-found", "unauthorized", "timeout")


@dataclass(frozen=True, slots=True)
class Health:
    """How the app's HTTP/TCP health endpoint answers, relative to the instance's start."""

    paths: tuple[str, ...] = ()  # empty: every path answers
    status: int = 200
    healthy_after: float | None = None  # default: when the app listens (startSeconds)
    unhealthy_after: float | None = None  # then it stops answering in time (a deadlock)
    unhealthy_status: int | None = None  # ... or answers this status instead of hanging
    response_seconds: float = 0.005
    exec_fails: bool = False  # exec probes exit non-zero
    exec_output: str = ""


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: str
    format: str  # yaml | json | properties | ini | toml


@dataclass(frozen=True, slots=True)
class Profile:
    runtime: str = "generic"
    image: str | None = None
    image_user: int | str = 0
    arch: str = "amd64"
    pull_error: str | None = None
    pull_message: str = ""  # why a reference is invalid (derived profiles, registry.py)
    executables: tuple[str, ...] = ()
    start_seconds: float = 1.0
    exit_after: float | None = None
    exit_after_runs: tuple[float, ...] = ()
    exit_code: int = 0
    logs: tuple[str, ...] = ()
    exit_logs: tuple[str, ...] = ()
    repeat_logs: tuple[str, ...] = ()
    repeat_every: float = 30.0
    memory_mib: float = 32.0
    memory_growth_per_minute: float = 0.0
    # Where the growth stops: the working set of a finite job (a batch, a cache). None: it never stops (a leak).
    memory_peak_mib: float | None = None
    needs_env: tuple[str, ...] = ()
    needs_files: tuple[str, ...] = ()
    config_file: ConfigFile | None = None
    writes: tuple[str, ...] = ()
    listens: tuple[int, ...] | None = None  # None: the ports declared in the spec
    connects_to: tuple[str, ...] = ()
    health: Health = field(default_factory=Health)
    on_sigterm: str | None = None  # exit (143) | ignore (SIGKILL after the grace period: 137) | graceful (0)
    fail_after: float = 0.8
    image_size: int | None = None
    explicit: bool = False  # a profile was written for this container

    def listening_ports(self, spec_ports: tuple[int, ...]) -> tuple[int, ...]:
        return self.listens if self.listens is not None else spec_ports

    def run_length(self, instance: int) -> float | None:
        """How long instance number `instance` (0-based) runs before it exits on its own."""
        if self.exit_after_runs:
            return self.exit_after_runs[min(instance, len(self.exit_after_runs) - 1)]
        return self.exit_after


DEFAULT = Profile()

_KEYS = {
    "runtime", "image", "imageUser", "arch", "pullError", "executables", "startSeconds", "exitAfterSeconds",
    "exitCode", "logs", "exitLogs", "repeatLogs", "repeatEverySeconds", "memoryMiB", "memoryGrowthMiBPerMinute",
    "memoryPeakMiB",
    "needsEnv", "needsFiles", "configFile", "writes", "listens", "connectsTo", "health", "onSigterm",
    "failAfterSeconds", "imageSizeBytes",
}
_HEALTH_KEYS = {"paths", "status", "healthyAfterSeconds", "unhealthyAfterSeconds", "unhealthyStatus",
                "responseSeconds", "execFails", "execOutput"}


def _num(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {key} must be a number, not {value!r}")
    if value < 0:
        raise InputError(f"{where}: {key} must not be negative")
    return float(value)


def _strs(where: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.splitlines())
    if not isinstance(value, list):
        raise InputError(f"{where}: {key} must be a list of strings")
    return tuple(str(v) for v in value)


def parse_profile(text: str, where: str) -> Profile:
    """One profile annotation's YAML; InputError naming `where` when it is malformed."""
    try:
        return _parse_cached(text)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message.removeprefix('profile: ')}") from None


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Profile:
    where = "profile"
    # an annotation anyone who can apply a pod writes: the alias budget applies (InputError
    # "profile:LINE: not valid YAML: ..." or "profile: document contains excessive aliasing")
    doc = load_one(where, text) if text.strip() else {}
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise InputError(f"{where}: the profile must be a YAML mapping")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown profile field(s) {', '.join(unknown)}; see docs/sim.md")
    kw: dict[str, Any] = {"explicit": True}
    runtime = str(doc.get("runtime", "generic"))
    if runtime not in RUNTIMES:
        raise InputError(f"{where}: runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")
    kw["runtime"] = runtime
    if "image" in doc:
        kw["image"] = str(doc["image"])
    if "imageUser" in doc:
        user = doc["imageUser"]
        kw["image_user"] = user if isinstance(user, int) and not isinstance(user, bool) else str(user)
    if "arch" in doc:
        kw["arch"] = str(doc["arch"])
    if "pullError" in doc:
        pe = str(doc["pullError"])
        if pe not in PULL_ERRORS:
            raise InputError(f"{where}: pullError must be one of {', '.join(PULL_ERRORS)}")
        kw["pull_error"] = pe
    for key, attr in (("executables", "executables"), ("logs", "logs"), ("exitLogs", "exit_logs"),
                      ("repeatLogs", "repeat_logs"), ("needsEnv", "needs_env"), ("needsFiles", "needs_files"),
                      ("writes", "writes"), ("connectsTo", "connects_to")):
        if key in doc:
            kw[attr] = _strs(where, key, doc[key])
    for key, attr in (("startSeconds", "start_seconds"), ("repeatEverySeconds", "repeat_every"),
                      ("memoryMiB", "memory_mib"), ("memoryGrowthMiBPerMinute", "memory_growth_per_minute"),
                      ("memoryPeakMiB", "memory_peak_mib"),
                      ("failAfterSeconds", "fail_after")):
        if key in doc:
            kw[attr] = _num(where, key, doc[key])
    if doc.get("exitAfterSeconds") is not None:
        value = doc["exitAfterSeconds"]
        if isinstance(value, list):
            # One run length per instance, the last one repeating: an app that sometimes runs longer.
            if not value:
                raise InputError(f"{where}: exitAfterSeconds must not be an empty list")
            kw["exit_after_runs"] = tuple(_num(where, "exitAfterSeconds", v) for v in value)
            kw["exit_after"] = kw["exit_after_runs"][0]
        else:
            kw["exit_after"] = _num(where, "exitAfterSeconds", value)
    if "exitCode" in doc:
        code = doc["exitCode"]
        if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 255:
            raise InputError(f"{where}: exitCode must be an integer from 0 to 255")
        kw["exit_code"] = code
    if "imageSizeBytes" in doc:
        kw["image_size"] = int(_num(where, "imageSizeBytes", doc["imageSizeBytes"]))
    if "listens" in doc:
        ports = doc["listens"] or []
        if not isinstance(ports, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in ports):
            raise InputError(f"{where}: listens must be a list of port numbers")
        kw["listens"] = tuple(ports)
    if "configFile" in doc:
        cf = doc["configFile"]
        if not isinstance(cf, Mapping) or "path" not in cf:
            raise InputError(f"{where}: configFile needs a path (and a format: yaml, json, properties, ini, toml)")
        fmt = str(cf.get("format") or str(cf["path"]).rsplit(".", 1)[-1])
        fmt = {"yml": "yaml", "conf": "ini", "cfg": "ini"}.get(fmt, fmt)
        if fmt not in ("yaml", "json", "properties", "ini", "toml"):
            raise InputError(f"{where}: configFile format {fmt!r} is not yaml, json, properties, ini or toml")
        kw["config_file"] = ConfigFile(str(cf["path"]), fmt)
    if "onSigterm" in doc:
        sig = str(doc["onSigterm"])
        if sig not in ("exit", "ignore", "graceful"):
            raise InputError(f"{where}: onSigterm must be exit, ignore or graceful")
        kw["on_sigterm"] = sig
    if "health" in doc:
        h = doc["health"] or {}
        if not isinstance(h, Mapping):
            raise InputError(f"{where}: health must be a mapping")
        unknown = sorted(set(h) - _HEALTH_KEYS)
        if unknown:
            raise InputError(f"{where}: unknown health field(s) {', '.join(unknown)}; see docs/sim.md")
        hk: dict[str, Any] = {}
        if "paths" in h:
            hk["paths"] = _strs(where, "health.paths", h["paths"])
        if "status" in h:
            hk["status"] = int(_num(where, "health.status", h["status"]))
        if h.get("healthyAfterSeconds") is not None:
            hk["healthy_after"] = _num(where, "health.healthyAfterSeconds", h["healthyAfterSeconds"])
        if h.get("unhealthyAfterSeconds") is not None:
            hk["unhealthy_after"] = _num(where, "health.unhealthyAfterSeconds", h["unhealthyAfterSeconds"])
        if h.get("unhealthyStatus") is not None:
            hk["unhealthy_status"] = int(_num(where, "health.unhealthyStatus", h["unhealthyStatus"]))
        if "responseSeconds" in h:
            hk["response_seconds"] = _num(where, "health.responseSeconds", h["responseSeconds"])
        if "execFails" in h:
            hk["exec_fails"] = bool(h["execFails"])
        if "execOutput" in h:
            hk["exec_output"] = str(h["execOutput"])
        kw["health"] = Health(**hk)
    return Profile(**kw)


def profiles_of(meta: Mapping[str, Any], where: str) -> dict[str, Profile]:
    """Every container profile in an object's annotations, by container name."""
    out: dict[str, Profile] = {}
    for key, value in (meta.get("annotations") or {}).items():
        if str(key).startswith(PROFILE_PREFIX):
            name = str(key)[len(PROFILE_PREFIX):]
            out[name] = parse_profile(str(value), f"{where}: annotation {key}")
    return out
