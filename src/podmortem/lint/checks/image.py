"""Image checks: references the kubelet cannot parse, mutable :latest tags, and shells an image lacks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from podmortem.kube.images import ImageFacts, ImageReferenceError, parse_reference
from podmortem.lint.checks.base import check
from podmortem.lint.commands import Invocation, invocation, shell_of, shell_present
from podmortem.lint.model import Emit
from podmortem.lint.workloads import ContainerView, Workload, iter_probes


@check(
    "image-reference-invalid",
    cause="image.pull",
    severity="error",
    title="Image reference does not parse",
    fix="Write the image as [registry[:port]/]lowercase/path[:tag][@sha256:<64 hex digits>].",
)
def image_reference_invalid(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A container without an image, or whose image is not a valid reference: capitals in the
    repository, whitespace, an empty path component, a tag longer than 128 characters or with
    characters other than letters, digits, `_`, `.`, `-`, a digest whose hex length does not
    match its algorithm, an unrendered `{{ template }}` or `$(VAR)`.

    ## Why the pod fails
    A missing image is rejected by the API server. An image that does not parse makes the
    kubelet give up before any pull: the container waits with `InvalidImageName` and never starts.

    ## How to fix
    Correct the reference; render Helm/Kustomize templates before applying.

    ## Near misses
    A valid reference to an image that does not exist is not detectable offline (it fails with
    ErrImagePull once applied).
    """
    for c in w.containers:
        line = w.line(c.spec, "image") if "image" in c.spec else w.line(c.spec)
        if not c.image:
            yield Emit(line, f"container {c.name} has no image: the API server rejects the pod", container=c.name,
                       fix="Set the container's image.")
            continue
        try:
            parse_reference(c.image)
        except ImageReferenceError as exc:
            yield Emit(line, f"image {c.image!r} of container {c.name} is not a valid reference: {exc}; "
                             "the kubelet reports InvalidImageName and never starts it", container=c.name)


@check(
    "image-tag-latest",
    cause="image.pull",
    severity="warning",
    title="Image uses the mutable :latest tag (or no tag)",
    fix="Pin a version tag (or a digest) and roll out new versions by changing it.",
)
def image_tag_latest(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    An image with the tag `latest` or no tag at all (which means `latest`) and no digest.

    ## Why the pod fails
    With `:latest` the default imagePullPolicy is Always: every container start pulls, so a
    registry outage, a rate limit or an expired pull secret turns each restart into
    `ErrImagePull`; a push changes what runs without any rollout. With IfNotPresent each node
    keeps whichever `latest` it pulled first; with Never the pod starts only where the image is
    already present (`ErrImageNeverPull` elsewhere).

    ## How to fix
    Use an immutable version tag or a digest, and change it to roll out.

    ## Near misses
    `image@sha256:...` is pinned whatever its tag says and is not reported.
    """
    for c in w.containers:
        if not c.image:
            continue
        try:
            ref = parse_reference(c.image)
        except ImageReferenceError:
            continue
        if ref.digest or (ref.tag is not None and ref.tag != "latest"):
            continue
        policy = c.spec.get("imagePullPolicy")
        what = "has no tag (which means :latest)" if ref.tag is None else "uses the :latest tag"
        if policy == "Never":
            why = ("with imagePullPolicy Never the pod starts only on nodes that already have this image "
                   "(ErrImageNeverPull elsewhere)")
        elif policy == "IfNotPresent":
            why = ("with imagePullPolicy IfNotPresent each node keeps whichever version it pulled first, so pods "
                   "run different code and new pushes are never picked up")
        else:
            why = ("it is pulled at every container start (imagePullPolicy Always): a registry outage or rate "
                   "limit makes every restart fail with ErrImagePull, and a push changes what runs")
        line = w.line(c.spec, "image")
        yield Emit(line, f"image {c.image!r} of container {c.name} {what}; {why}", container=c.name)


def _missing_shell(inv: Invocation, facts: ImageFacts) -> str | None:
    shell = shell_of(inv)
    if shell is None or facts.shells is None:
        return None
    return None if shell_present(shell, facts.shells) else shell


def _no_shell_text(facts: ImageFacts) -> str:
    if not facts.shells:
        return "which ships no shell at all"
    return "whose shells are " + ", ".join(facts.shells)


@check(
    "shell-missing",
    cause="image.command-not-found",
    severity="error",
    title="Command needs a shell the image does not have",
    fix="Use a shell the image has (sh instead of bash on Alpine/BusyBox), a :debug image, or exec the binary directly.",
)
def shell_missing(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A command (or exec probe) that starts `bash`, `sh` or another shell, directly or through
    `/usr/bin/env`, on an image known (image_facts.yaml) not to ship it: distroless and Chainguard
    images have no shell, BusyBox and Alpine have `sh` but not `bash`.

    ## Why the pod fails
    The runtime cannot find the executable: the container fails to start (`StartError`, exit 128,
    `exec: "bash": executable file not found in $PATH`) and the kubelet retries it in back-off. An
    exec liveness probe that needs a missing shell fails every time and gets the container killed.

    ## How to fix
    Run the program directly in exec form (`command: ["/app/server", "--flag"]`), use `sh` on
    BusyBox/Alpine, or pick an image variant with a shell (distroless `:debug` has /busybox/sh).

    ## Near misses
    Images not in image_facts.yaml are never reported. Only unconfirmed facts lower this to a warning.
    """
    for c in w.containers:
        facts = c.facts
        if facts is None or facts.shells is None:
            continue
        inv = invocation(c.spec.get("command"), c.spec.get("args"), facts.entrypoint)
        if inv is not None:
            shell = _missing_shell(inv, facts)
            if shell:
                yield Emit(w.line(c.spec, inv.source), f"container {c.name} runs {shell!r} but its image {c.image} "
                           f"is {facts.name}, {_no_shell_text(facts)}: the container cannot start "
                           f"(exec: \"{shell}\": executable file not found)",
                           container=c.name, severity=None if facts.confirmed else "warning")
        yield from _probe_shells(w, c, facts)


def _probe_shells(w: Workload, c: ContainerView, facts: ImageFacts) -> Iterator[Emit]:
    for key, probe in iter_probes(c):
        exec_ = probe.get("exec")
        command: Any = exec_.get("command") if isinstance(exec_, dict) else None
        inv = invocation(command, None, True)
        if inv is None:
            continue
        shell = _missing_shell(inv, facts)
        if not shell:
            continue
        kind = key.removesuffix("Probe")
        severity = "warning" if kind == "readiness" or not facts.confirmed else None
        yield Emit(w.line(exec_, "command"), f"{kind} probe of container {c.name} runs {shell!r} but image "
                   f"{c.image} is {facts.name}, {_no_shell_text(facts)}: the probe fails every time",
                   container=c.name, severity=severity,
                   cause="probes.startup" if kind == "startup" else "probes.liveness")
