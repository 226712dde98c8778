"""Values of single describe fields: probes, env values, ports, mounts, resources, scalars.

A probe in describe's one-line form, an env value that names a Secret or ConfigMap key, a
field or a resource, `envFrom` lines, ports, mount lines, resource quantities, and the small
readers for `<none>`, integers and booleans. It imports the evidence model and the env
builder only; never the line-driven parser.
"""

from __future__ import annotations

import re

from podmortem.model import Probe
from podmortem.sources.describe.builders import EnvB

_PROBE_HANDLER = re.compile(r"^(?P<handler>http-get|tcp-socket|exec|grpc|unknown)\b[ \t]*(?P<target>.*)$")
_PROBE_ATTR = re.compile(
    r"(?:^|[ \t])(?P<k>delay|timeout|period|#success|#failure|successThreshold|failureThreshold)=(?P<v>-?\d+)"
)
_PROBE_KEYS = {"delay": "initial_delay_seconds", "timeout": "timeout_seconds", "period": "period_seconds",
               "#success": "success_threshold", "successThreshold": "success_threshold",
               "#failure": "failure_threshold", "failureThreshold": "failure_threshold"}


def parse_probe(kind: str, text: str) -> Probe | None:
    """A probe in describe's one-line form, e.g. `http-get http://:8080/healthz delay=0s timeout=1s
    period=10s #success=1 #failure=3` (`successThreshold=`/`failureThreshold=` since kubectl 1.37)."""
    m = _PROBE_HANDLER.match(text.strip())
    if not m:
        return None
    handler = m["handler"]
    attrs = {"initial_delay_seconds": 0, "timeout_seconds": 1, "period_seconds": 10,
             "success_threshold": 1, "failure_threshold": 3}
    first_attr = len(m["target"])
    for a in _PROBE_ATTR.finditer(m["target"]):
        first_attr = min(first_attr, a.start())
        try:
            attrs[_PROBE_KEYS[a["k"]]] = int(a["v"])
        except ValueError:
            continue
    target = m["target"][:first_attr].strip()
    path = port = scheme = None
    command: tuple[str, ...] = ()
    if handler == "http-get":
        scheme, sep, after = target.partition("://")
        if not sep:
            scheme, after = "http", target
        host_port, slash, rest = after.partition("/")
        path = slash + rest if slash else "/"
        port = _port_of(host_port)
        scheme = scheme.upper() or "HTTP"
    elif handler in ("tcp-socket", "grpc"):
        port = _port_of(target.split()[0] if target else "")
    elif handler == "exec":
        inner = target[1:-1] if target.startswith("[") and target.endswith("]") else target
        command = tuple(inner.split())
    return Probe(kind=kind, handler=None if handler == "unknown" else handler, path=path, port=port,
                 scheme=scheme, command=command, **attrs)


def _port_of(host_port: str) -> str | None:
    """`:8080`, `10.0.0.1:8080`, `[::1]:8080`, `<pod>:9090` -> the port as written."""
    if host_port.startswith("[") and "]" in host_port:
        host_port = host_port[host_port.index("]") + 1:]
    if ":" not in host_port:
        return None
    port = host_port.rsplit(":", 1)[1].strip()
    return port or None


PORT = re.compile(r"(?P<port>\d+)(?:/(?P<proto>[A-Za-z]+))?(?:[ \t]*\((?P<name>[^)]*)\))?")
_ENV_SECRET = re.compile(r"^<set to the key '(?P<key>[^']*)' in secret '(?P<name>[^']*)'>(?P<rest>.*)$")
_ENV_CONFIGMAP = re.compile(r"^<set to the key '(?P<key>[^']*)' of config map '(?P<name>[^']*)'>(?P<rest>.*)$")
_ENV_OPTIONAL = re.compile(r"Optional:[ \t]*(?P<v>true|false)", re.I)
_ENV_FIELD = re.compile(r"^(?P<value>.*?)[ \t]*\((?P<api>v\d\w*(?:/\w+)?):(?P<path>[^()]+)\)$")
_ENV_RESOURCE = re.compile(r"^(?P<value>.*?)[ \t]*\((?P<res>(?:limits|requests)\.[\w.-]+)\)$")
ENV_NAME = re.compile(r"^(?P<name>[A-Za-z_][\w.-]*):(?:[ \t]+(?P<value>.*))?$")
ENV_FROM = re.compile(
    r"^(?P<name>\S+)[ \t]+(?P<kind>ConfigMap|Secret)(?:[ \t]+with prefix '(?P<prefix>[^']*)')?"
    r"(?:[ \t]+Optional:[ \t]*(?P<opt>true|false))?[ \t]*$", re.I)
MOUNT = re.compile(r"^(?P<path>\S.*?) from (?P<name>\S+)(?:[ \t]+\((?P<flags>[^)]*)\))?[ \t]*$")
RESOURCE_LINE = re.compile(r"^(?P<name>[a-z][\w./-]*):[ \t]*(?P<value>\S+)$")


def env_value(name: str, value: str | None) -> EnvB:
    v = (value or "").strip()
    for pattern, kind in ((_ENV_SECRET, "secret"), (_ENV_CONFIGMAP, "configmap")):
        m = pattern.match(v)
        if m:
            opt = _ENV_OPTIONAL.search(m["rest"])
            return EnvB(name, None, kind, m["name"], m["key"], bool(opt and opt["v"].lower() == "true"))
    m = _ENV_FIELD.match(v)
    if m:
        return EnvB(name, None, "field", None, m["path"].strip())
    m = _ENV_RESOURCE.match(v)
    if m:
        return EnvB(name, None, "resource", None, m["res"])
    return EnvB(name, v)


def none_if_unset(value: str | None) -> str | None:
    v = (value or "").strip()
    return None if v in ("", "<none>", "<unset>", "<nil>") else v


def leading_int(value: str | None) -> int | None:
    m = re.match(r"^[ \t]*(-?\d+)", value or "")
    return int(m.group(1)) if m else None


def bool_field(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    return True if v == "true" else False if v == "false" else None
