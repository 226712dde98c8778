"""Ports of a container spec and `host:port` targets of a profile.

Pure functions. Imports no other module of the kubelet package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def spec_ports(spec: Mapping[str, Any]) -> tuple[int, ...]:
    return tuple(int(p["containerPort"]) for p in spec.get("ports") or [] if isinstance(p.get("containerPort"), int))


def resolve_port(port: Any, spec: Mapping[str, Any]) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        if port.isdigit():
            return int(port)
        for p in spec.get("ports") or []:
            if p.get("name") == port:
                return int(p.get("containerPort"))
    return None


def split_target(target: str) -> tuple[str, int]:
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", target.strip())
    text = text.split("/", 1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        return text, 80
    return host, int(port)
