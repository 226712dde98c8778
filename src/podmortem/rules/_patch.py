"""Strategic-merge patches for remedies, built as data and dumped as YAML.

Every patch targets a workload's pod template (`spec.template.spec`), the form `kubectl patch
deployment/NAME --patch-file fix.yaml` takes; containers and volumes merge by name, so a patch
only lists the fields it changes. Building dicts and dumping them (instead of formatting YAML
by hand) keeps every patch valid YAML whatever names and paths it carries.
"""

from __future__ import annotations

import re
from typing import Any

from podmortem.model import ContainerEvidence, PodEvidence


def template_patch(pod_spec: dict[str, Any]) -> str:
    """`spec.template.spec` wrapped around the given pod-spec fields, as YAML."""
    import yaml  # here, not at the top: `explain -o json` on healthy pods never needs it

    return yaml.safe_dump({"spec": {"template": {"spec": pod_spec}}}, sort_keys=False, default_flow_style=False)


def container_patch(
    name: str | None, init: bool, fields: dict[str, Any], pod_fields: dict[str, Any] | None = None
) -> str:
    """A patch changing one container (merged by name) and optionally pod-level fields."""
    spec: dict[str, Any] = dict(pod_fields or {})
    key = "initContainers" if init else "containers"
    spec[key] = [{"name": name or "CONTAINER", **fields}]
    return template_patch(spec)


def container_of(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    return pod.container(name) if name is not None else None


def volume_name_for(path: str) -> str:
    """A DNS-1123 volume name derived from a mount path (`/var/cache/nginx` -> `var-cache-nginx`)."""
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return (name or "data")[:63].rstrip("-") or "data"


__all__ = ["container_of", "container_patch", "template_patch", "volume_name_for"]
