"""Strategic-merge patches for remedies, built as data (rendered to YAML/JSON only by the renderers).

Every patch targets a workload's pod template (`spec.template.spec`), the form `kubectl patch
deployment/NAME --patch-file fix.yaml` takes; containers and volumes merge by name, so a patch
only lists the fields it changes. Building dicts and dumping them (instead of formatting YAML
by hand) keeps every patch valid YAML whatever names and paths it carries. A pod that no
controller owns has no template: `for_pod` turns such a remedy into a change of the Pod's own
manifest and a recreation, since almost every field of a Pod's spec is immutable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.model import ContainerEvidence, PodEvidence
from podmortem.model.evolve import evolve
from podmortem.model.remedy import APPLY, ApplyPatch, Arg, Command, Joined, Remedy, Step
from podmortem.rules.evidence import is_bare_pod, namespace_of, workload_target


def template_patch(pod_spec: dict[str, Any]) -> dict[str, Any]:
    """`spec.template.spec` wrapped around the given pod-spec fields."""
    return {"spec": {"template": {"spec": pod_spec}}}


def container_patch(
    name: str | None, init: bool, fields: dict[str, Any], pod_fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A patch changing one container (merged by name) and optionally pod-level fields."""
    spec: dict[str, Any] = dict(pod_fields or {})
    key = "initContainers" if init else "containers"
    spec[key] = [{"name": name or "CONTAINER", **fields}]
    return template_patch(spec)


def pod_spec_of(patch: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod-spec fields of a template patch (None when it is not one)."""
    spec = patch.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    inner = template.get("spec") if isinstance(template, Mapping) else None
    return dict(inner) if isinstance(inner, Mapping) else None


def _ref_word(cmd: Command, i: int) -> str | None:
    if len(cmd.argv) <= i:
        return None
    a = cmd.argv[i]
    if isinstance(a, Joined):
        return "".join(p if isinstance(p, str) else p.name for p in a.parts)
    return a if isinstance(a, str) else None


def _edits_pod_template(cmd: Command, ref: str) -> bool:
    words = [w for w in (_ref_word(cmd, i) for i in range(len(cmd.argv))) if w is not None]
    if words[:1] != ["kubectl"] or ref not in words:
        return False
    verb = words[1:3]
    return (verb[:1] == ["patch"] or verb == ["rollout", "restart"] or verb == ["rollout", "undo"]
            or verb == ["rollout", "history"] or (verb == ["set", "env"] and "--list" not in words)
            or verb == ["set", "image"])


def _pod_jsonpath(arg: Arg) -> Arg:
    if isinstance(arg, str):
        return arg.replace("{.spec.template.spec.", "{.spec.")
    return arg


def for_pod(pod: PodEvidence, remedy: Remedy, container: str | None = None) -> Remedy:
    """The remedy as it applies to this pod: its target filled in; for a Pod that no controller owns, the
    patch re-rooted at the Pod's `spec` (as data) and commands that would edit a template replaced by
    the recreation that applies the patch."""
    target = remedy.target or workload_target(pod, container)
    ns = namespace_of(pod)
    if target.kind != "Pod" or not is_bare_pod(pod):
        # one copy with both changes: this runs for every finding
        if ns and ns not in remedy.namespaces:  # the pod's own namespace, as the evidence gives it, may be used by -n
            return evolve(remedy, namespaces=(*remedy.namespaces, ns), target=target)
        return evolve(remedy, target=target) if remedy.target is None else remedy
    if ns and ns not in remedy.namespaces:
        remedy = evolve(remedy, namespaces=(*remedy.namespaces, ns))
    ref = f"pod/{pod.name}"
    commands: list[Step] = []
    recreate = False
    for step in remedy.commands:
        if isinstance(step, ApplyPatch):
            commands.append(step)
            continue
        if _edits_pod_template(step, ref):
            recreate = True
            continue
        commands.append(evolve(step, argv=tuple(_pod_jsonpath(a) for a in step.argv)))
    spec = pod_spec_of(remedy.patch) if remedy.patch is not None else None
    patch = {"spec": spec} if spec is not None else remedy.patch
    summary = remedy.summary
    if recreate or patch is not None:
        summary = (summary.rstrip() + f" Pod {pod.name} has no controller and a Pod's spec cannot be changed in "
                   "place: " + ("the command below patches its manifest and recreates it (kubectl replace --force)."
                                if patch is not None else "change its manifest and recreate it with kubectl replace "
                                "--force."))
        if patch is not None and not any(isinstance(s, ApplyPatch) for s in commands):
            commands.insert(0, APPLY)
    return evolve(remedy, summary=summary, patch=patch, commands=tuple(commands), target=target)


def recreate_statefulset_pod(pod: PodEvidence, remedy: Remedy) -> Remedy:
    """For a StatefulSet's pod, add the deletion that lets a fixed template reach it.

    With podManagementPolicy OrderedReady (the default) the StatefulSet controller makes no progress
    while one of its pods is not Running and Ready ("If we have a Pod that has been created but is not
    running and ready we can not make progress", processReplica in kubernetes
    pkg/controller/statefulset/stateful_set_control.go, v1.32): a crash-looping pod keeps its old
    template after the patch (the documented "forced rollback" issue). Deleting it makes the controller
    recreate it from the current template; with podManagementPolicy Parallel the deletion is what the
    controller would do itself, so it is right either way.
    """
    target = remedy.target
    if target is None or target.kind != "StatefulSet" or not target.name or not pod.name:
        return remedy
    ref = f"statefulset/{target.name}"
    steps = list(remedy.commands)
    if remedy.patch is not None and not any(isinstance(s, ApplyPatch) for s in steps):
        steps.insert(0, APPLY)
    edits = [i for i, s in enumerate(steps)
             if isinstance(s, ApplyPatch) or (isinstance(s, Command) and _edits_pod_template(s, ref)
                                              and _ref_word(s, 2) != "history")]
    if not edits:
        return remedy
    delete = kubectl("delete", "pod", pod.name, namespace=namespace_of(pod))
    if delete in steps:
        return remedy
    steps.insert(edits[-1] + 1, delete)
    summary = (remedy.summary.rstrip() + f" Then delete pod {pod.name}: a StatefulSet does not replace a pod that "
               "is not Running and Ready with the changed template (podManagementPolicy OrderedReady, the default), "
               "so it is recreated from the fixed one only once deleted.")
    return evolve(remedy, summary=summary, commands=tuple(steps))


def container_of(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    return pod.container(name) if name is not None else None


def volume_name_for(path: str) -> str:
    """A DNS-1123 volume name derived from a mount path (`/var/cache/nginx` -> `var-cache-nginx`)."""
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return (name or "data")[:63].rstrip("-") or "data"


__all__ = ["container_of", "container_patch", "for_pod", "pod_spec_of", "recreate_statefulset_pod", "template_patch",
           "volume_name_for"]
