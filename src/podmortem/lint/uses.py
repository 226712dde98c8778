"""What a workload uses that only a look across workloads or objects can judge.

- Host ports: the ports a pod takes on its node (hostPort, or every port under hostNetwork, where
  API defaulting sets hostPort = containerPort), and ports its containers listen on by flag
  without declaring them, together with the node selection that says which nodes it shares.
- Paths into ConfigMap and Secret volumes: a path in a container's command, args or environment
  (`--config.file=/etc/prometheus/prometheus.yml`, `CONFIG_PATH=/etc/app/app.yaml`) that lies in a
  mounted ConfigMap or Secret volume names a key of that object (or an `items` path).

Kept as small records in the bundle while files stream past; judged by checks at the end.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from podmortem.lint.workloads import Workload, as_dict, as_list, listen_flags

SiteFactory = Callable[[int, str | None], Any]


@dataclass(frozen=True, slots=True)
class HostPortUse:
    port: int
    protocol: str
    declared: bool  # the scheduler knows (hostPort, or a containerPort under hostNetwork)
    how: str  # for messages: "hostPort 80", "containerPort 9100 with hostNetwork", "--port=9100 with hostNetwork"
    workload: str  # Kind/name (namespace-qualified when known)
    node_selector: tuple[tuple[str, str], ...]
    site: Any  # bundle.Site


def host_port_uses(w: Workload, site: SiteFactory) -> Iterator[HostPortUse]:
    host_network = w.pod_spec.get("hostNetwork") is True
    selector = tuple(sorted((str(k), str(v)) for k, v in as_dict(w.pod_spec.get("nodeSelector")).items()))
    m = w.manifest
    label = f"{m.namespace}/{m.label}" if m.namespace else m.label
    for c in w.containers:
        if not c.runs_alongside:
            continue
        declared: set[tuple[int, str]] = set()
        for p in as_list(c.spec.get("ports")):
            if not isinstance(p, dict):
                continue
            protocol = str(p.get("protocol") or "TCP").upper()
            host_port = p.get("hostPort")
            container_port = p.get("containerPort")
            if isinstance(host_port, int) and not isinstance(host_port, bool) and 0 < host_port < 65536:
                declared.add((host_port, protocol))
                yield HostPortUse(host_port, protocol, True, f"hostPort {host_port}/{protocol}", label, selector,
                                  site(w.line(p, "hostPort"), c.name))
            elif host_network and isinstance(container_port, int) and 0 < container_port < 65536:
                declared.add((container_port, protocol))
                yield HostPortUse(container_port, protocol, True,
                                  f"containerPort {container_port}/{protocol} with hostNetwork", label, selector,
                                  site(w.line(p, "containerPort"), c.name))
        if host_network:
            for port, flag, line in listen_flags(w, c):
                if (port, "TCP") not in declared:
                    declared.add((port, "TCP"))
                    yield HostPortUse(port, "TCP", False, f"{flag} with hostNetwork (not declared in ports)", label,
                                      selector, site(line, c.name))


def share_nodes(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> bool:
    """Whether two nodeSelectors can select the same node: no label required with two values."""
    other = dict(b)
    return all(other.get(k, v) == v for k, v in a)


# --- paths into ConfigMap and Secret volumes ------------------------------------------------------

# An absolute path as a whole argument, after `=` or `:` of a flag, or inside a shell script;
# no `$` (a variable the kubelet or a shell expands) and no glob.
_PATH = re.compile(r"(?:^|(?<=[=\s:'\"]))(/[A-Za-z0-9_.@+-]+(?:/[A-Za-z0-9_.@+-]+)*)(?=$|[\s'\";,)])")
_MAX_TEXT = 4096  # arguments and values longer than this are scripts or data, read only this far


@dataclass(frozen=True, slots=True)
class PathRef:
    kind: str  # ConfigMap or Secret
    name: str
    optional: bool
    files: tuple[str, ...] | None  # the `items` paths, when the volume lists them (None: every key)
    mount: str
    relative: str  # the path inside the mount
    path: str
    via: str  # "args --config.file=...", "env CONFIG_PATH"
    site: Any  # bundle.Site


def _volume_source(volume: dict[str, Any]) -> tuple[str, str, bool, tuple[str, ...] | None] | None:
    for kind, key, name_key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
        spec = volume.get(key)
        if isinstance(spec, dict) and spec.get(name_key):
            items = [it for it in as_list(spec.get("items")) if isinstance(it, dict) and it.get("path")]
            files = tuple(posixpath.normpath(str(it["path"])) for it in items) if "items" in spec else None
            return kind, str(spec[name_key]), spec.get("optional") is True, files
    return None


def config_path_refs(w: Workload, site: SiteFactory) -> Iterator[PathRef]:
    volumes = w.volumes()
    for c in w.containers:
        mounts: list[tuple[str, tuple[str, str, bool, tuple[str, ...] | None]]] = []
        others: list[str] = []
        for m in as_list(c.spec.get("volumeMounts")):
            if not isinstance(m, dict) or not isinstance(m.get("mountPath"), str):
                continue
            path = posixpath.normpath(m["mountPath"])
            source = _volume_source(volumes.get(str(m.get("name")), {}))
            if source is None or m.get("subPath") or m.get("subPathExpr"):
                others.append(path)  # another volume, or one file of the object: nothing to judge here
            else:
                mounts.append((path, source))
        if not mounts:
            continue
        for text, via, line in _texts(w, c):
            for match in _PATH.finditer(text[:_MAX_TEXT]):
                path = posixpath.normpath(match.group(1))
                best = max(((mount, src) for mount, src in mounts if path.startswith(mount.rstrip("/") + "/")),
                           key=lambda ms: len(ms[0]), default=None)
                if best is None:
                    continue
                mount, (kind, name, optional, files) = best
                if any(len(o) > len(mount) and (path == o or path.startswith(o + "/")) for o in others):
                    continue  # a deeper mount of another volume holds the path
                relative = path[len(mount.rstrip("/")) + 1:]
                if not relative or relative.startswith(".."):
                    continue  # the mount itself, or the kubelet's ..data links
                yield PathRef(kind, name, optional, files, mount, relative, path, via, site(line, c.name))


def _texts(w: Workload, c: Any) -> Iterator[tuple[str, str, int]]:
    for key in ("command", "args"):
        items = as_list(c.spec.get(key))
        for i, item in enumerate(items):
            if isinstance(item, str) and "/" in item:
                yield item, f"{key} {item[:60]}", w.line(items, i)
    for e in c.env_entries():
        value = e.get("value")
        if isinstance(value, str) and "/" in value:
            yield value, f"env {e.get('name')}", w.line(e, "value")
