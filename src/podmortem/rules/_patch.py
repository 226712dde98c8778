"""Strategic-merge patches for remedies, built as data and dumped as YAML.

Every patch targets a workload's pod template (`spec.template.spec`), the form `kubectl patch
deployment/NAME --patch-file fix.yaml` takes; containers and volumes merge by name, so a patch
only lists the fields it changes. Building dicts and dumping them (instead of formatting YAML
by hand) keeps every patch valid YAML whatever names and paths it carries. A pod that no
controller owns has no template: `for_pod` turns such a remedy into a change of the Pod's own
manifest and a recreation, since almost every field of a Pod's spec is immutable.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from podmortem.model import ContainerEvidence, PodEvidence, Remedy
from podmortem.rules._evidence import is_bare_pod, watch_command


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


def _pod_manifest_patch(patch: str) -> str:
    """A template patch re-rooted at the Pod's own `spec`."""
    import yaml

    try:
        doc = yaml.safe_load(patch)
    except yaml.YAMLError:
        return patch
    template = doc.get("spec", {}).get("template") if isinstance(doc, dict) and isinstance(doc.get("spec"), dict) \
        else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return patch
    return str(yaml.safe_dump({"spec": template["spec"]}, sort_keys=False, default_flow_style=False))


def for_pod(pod: PodEvidence, remedy: Remedy) -> Remedy:
    """The remedy as it applies to this pod: unchanged for a controller's pod; for a bare pod the patch
    is for the Pod manifest, and commands that would edit a template recreate the pod instead."""
    if not is_bare_pod(pod):
        return remedy
    name = pod.name or "POD"
    ns = f" -n {pod.namespace}" if pod.namespace and pod.namespace != "default" else ""
    ref = f"pod/{name}{ns}"
    commands: list[str] = []
    recreate = False
    for cmd in remedy.commands:
        if cmd.startswith((f"kubectl patch {ref} ", f"kubectl rollout restart {ref}")) or (
                cmd.startswith(f"kubectl set env {ref}") and "--list" not in cmd):
            recreate = True
            continue
        if cmd.startswith(f"kubectl rollout status {ref}"):
            cmd = watch_command(pod)
        elif cmd.startswith(("kubectl rollout history", "kubectl rollout undo")) and f"pod/{name}" in cmd:
            continue
        commands.append(cmd.replace("{.spec.template.spec.", "{.spec."))
    patch = _pod_manifest_patch(remedy.patch) if remedy.patch else None
    if not (recreate or patch):
        return replace(remedy, commands=tuple(commands)) if tuple(commands) != remedy.commands else remedy
    steps = [f"kubectl get pod {name}{ns} -o yaml > {name}.yaml",
             f"kubectl replace --force -f {name}.yaml"]
    summary = (remedy.summary.rstrip() + f" Pod {name} has no controller and a Pod's spec cannot be changed in place: "
               f"make the change in its manifest ({name}.yaml" + (", under spec as the patch shows" if patch else "")
               + ") and recreate it with kubectl replace --force.")
    return Remedy(summary, patch, tuple(steps + [c for c in commands if c not in steps]))


def container_of(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    return pod.container(name) if name is not None else None


def volume_name_for(path: str) -> str:
    """A DNS-1123 volume name derived from a mount path (`/var/cache/nginx` -> `var-cache-nginx`)."""
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return (name or "data")[:63].rstrip("-") or "data"


__all__ = ["container_of", "container_patch", "for_pod", "template_patch", "volume_name_for"]
