"""The image.pull rules: the kubelet cannot pull the image, or cannot even parse its reference.

Part of the image family (rules/image.py lists these rules in its RULES); kept apart because a
pull failure is decided by the kubelet and the registry before any container exists, while the
other image rules read what the runtime said when it tried to start one. The registry's own
error decides what to do: not found, refused credentials, network or TLS, rate limit, missing
platform, a full node disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from podmortem.kube.kubectl import kubectl
from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Remedy,
    Step,
)
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_waiting,
    main_suspect,
    may_say,
    messages,
    namespace_of,
    pod_arg,
    search_text,
    watch_command,
    workload_ref,
)
from podmortem.rules.facts import PodFacts
from podmortem.rules.patch import container_patch, template_patch
from podmortem.rules.spec import cite_spec, image_of
from podmortem.rules.text import who
from podmortem.rules.textindex import may_match

_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "RegistryUnavailable",
                           "ImageInspectError", "SignatureValidationFailed"})
_PULL_MESSAGE = lazy(
    r'Failed to pull image "(?P<image>[^"]+)"(?::\s*(?P<error>.*))?'
    r'|Back-off pulling image "(?P<backoff>[^"]+)"'
    r"|Error: (?P<reason>ErrImagePull|ImagePullBackOff|ErrImageNeverPull|RegistryUnavailable)\b"
    r'|Container image "(?P<never>[^"]+)" is not present with pull policy of Never',
    re.S,
)
# The registry's error, by what a person has to do about it (checked in this order).
_PULL_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("node-disk-full", lazy(r"no space left on device", re.I)),
    ("rate-limited", lazy(r"toomanyrequests|429 Too Many Requests|pull rate limit", re.I)),
    ("platform-missing", lazy(r"no match for platform in manifest|no matching manifest for", re.I)),
    ("not-found-or-unauthorized", lazy(r"repository does not exist or may require", re.I)),
    ("unauthorized", lazy(
        r"unauthorized|authentication required|no basic auth credentials|\b401\b|\b403\b|forbidden"
        r"|\bdenied\b|insufficient_scope|failed to authorize", re.I)),
    ("not-found", lazy(r"not found|manifest unknown|name unknown|\b404\b|does not exist", re.I)),
    ("registry-tls", lazy(r"x509|certificate|server gave HTTP response to HTTPS client|tls:", re.I)),
    ("registry-unreachable", lazy(
        r"no such host|i/o timeout|connection refused|TLS handshake timeout|dial tcp|network is unreachable"
        r"|context deadline exceeded|connection reset|no route to host|Temporary failure in name resolution"
        r"|server misbehaving|\bEOF\b|Client\.Timeout exceeded|request canceled|timeout", re.I)),
)
_INVALID_NAME = lazy(
    r"invalid reference format|couldn't parse image (?:name|reference)|Failed to apply default image tag"
    r"|InvalidImageName|repository name must (?:be lowercase|have at least one component)", re.I)


def _may_fail_pull(facts: PodFacts) -> bool:
    # image_pull_failed: one of its wordings in a message, or a container waiting on a pull
    return may_match(facts.said, _PULL_MESSAGE) or any(c.waiting_reason in _PULL_REASONS for c in facts.pod.containers)


def _may_have_invalid_name(facts: PodFacts) -> bool:
    # image_reference_invalid: its wording in a message, or a container waiting with InvalidImageName
    return (may_match(facts.said, _INVALID_NAME)
            or any(c.waiting_reason == "InvalidImageName" for c in facts.pod.containers))


def _registry(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _container_for_image(pod: PodEvidence, image: str | None) -> ContainerEvidence | None:
    if image:
        for c in pod.containers:
            if image_of(c) == image:
                return c
    return None


def _pull_kind(error: str) -> str:
    for kind, pattern in _PULL_KINDS:
        if pattern.search(error):
            return kind
    return "unknown"


def _has_run(c: ContainerEvidence) -> bool:
    """The container has started before: an old pull error is then history, not the current failure."""
    st = c.status
    if st is None:
        return False
    return st.state.kind == "running" or c.restart_count > 0 or st.last_state.terminated is not None


_PULL_FIXES = {
    "not-found": "The image {image} does not exist in {registry}: check the repository and tag (typo, tag never "
                 "pushed or deleted) and correct `image:`.",
    "not-found-or-unauthorized": "{registry} says the repository {image} does not exist or needs a login: check "
                                 "the name and tag, and if it is private add an imagePullSecret.",
    "unauthorized": "{registry} refused the pull: create a docker-registry Secret with credentials for it and "
                    "reference it in imagePullSecrets (or attach it to the pod's ServiceAccount).",
    "registry-unreachable": "The node cannot reach {registry} (DNS, firewall, proxy or registry down): fix the "
                            "network path from the nodes or use a reachable mirror.",
    "registry-tls": "The node does not trust {registry}'s TLS certificate: give it a certificate from a trusted CA, "
                    "or configure the container runtime on the nodes to trust its CA.",
    "rate-limited": "{registry} rate-limits anonymous pulls: authenticate pulls with an imagePullSecret or use a "
                    "mirror/cache.",
    "platform-missing": "{image} has no variant for the node's CPU architecture: publish a multi-arch image or "
                        "schedule onto nodes of the architecture it was built for.",
    "never-pull": "imagePullPolicy is Never and {image} is not on the node: load it onto the node "
                  "(kind load docker-image / minikube image load) or allow pulls with IfNotPresent.",
    "node-disk-full": "The node has no disk space left to unpack {image}: free space on the node (image garbage "
                      "collection, old logs) or move the pod to another node.",
    "unknown": "The image {image} cannot be pulled: read the Failed event's registry error and fix the reference, "
               "credentials or network accordingly.",
}


def _pull_patch(kind: str, c: ContainerEvidence | None) -> dict[str, Any] | None:
    if kind in ("unauthorized", "not-found-or-unauthorized", "rate-limited"):
        return template_patch({"imagePullSecrets": [{"name": "regcred"}]})
    if kind == "never-pull" and c is not None:
        return container_patch(c.name or None, c.init, {"imagePullPolicy": "IfNotPresent"})
    return None


def _pull_commands(pod: PodEvidence, kind: str, image: str, patched: bool) -> tuple[Step, ...]:
    ns = namespace_of(pod)
    registry = _registry(image)
    cmds: list[Step] = []
    if kind in ("not-found", "not-found-or-unauthorized", "platform-missing", "unknown"):
        cmds.append(Command(("docker", "manifest", "inspect", image)))
        repo = image.rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
        cmds.append(Command(("skopeo", "list-tags", "docker://" + repo)))
    if kind in ("unauthorized", "not-found-or-unauthorized", "rate-limited"):
        cmds.append(kubectl("get", "pod", pod_arg(pod), "-o", "jsonpath={.spec.imagePullSecrets}", namespace=ns))
        # the patch refers to this Secret: create it first, with credentials only the reader has
        cmds.append(kubectl("create", "secret", "docker-registry", "regcred", Joined(("--docker-server=", registry)),
                            Joined(("--docker-username=", Placeholder("USER"))),
                            Joined(("--docker-password=", Placeholder("PASSWORD"))), namespace=ns))
    if kind in ("registry-unreachable", "registry-tls"):
        node = pod.node if pod.node else Placeholder("NODE")
        cmds.append(kubectl("debug", Joined(("node/", node)), "-it", "--image=busybox", "--", "nslookup",
                            registry.split(":")[0]))
    if kind == "platform-missing":
        cmds.append(kubectl("get", "node", "-o", "jsonpath={.items[*].status.nodeInfo.architecture}"))
    if patched:
        cmds.append(APPLY)
    cmds.append(watch_command(pod))
    return tuple(cmds)


@rule(
    "image-pull-failed",
    cause="image.pull",
    title="The image cannot be pulled",
    needs=("status", "events", "spec"),
    lint_check="image-tag-latest",
    when=_may_fail_pull,
)
def image_pull_failed(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container waiting with `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull` or
    `RegistryUnavailable`, and the kubelet's `Failed to pull image "x": ...`, `Back-off pulling
    image "x"` and `Container image "x" is not present with pull policy of Never` messages. The
    registry's error decides the detail: not found (`manifest unknown`, `not found`), refused
    credentials (`unauthorized`, `no basic auth credentials`, 401/403, `pull access denied`),
    network (`no such host`, `i/o timeout`, `x509`), rate limit (`toomanyrequests`), missing
    platform, or no space left on the node.

    ## Why the pod crash-loops
    It does not start at all: the kubelet retries the pull with its own back-off (10 s up to
    5 min), and the pod stays Pending with `ErrImagePull` / `ImagePullBackOff`.

    ## Evidence used
    Waiting reasons, `Failed` / `BackOff` events and their registry errors, the image reference
    from the spec.

    ## How to fix
    Not found: fix the repository or tag. Unauthorized: add an `imagePullSecrets` entry with a
    `docker-registry` Secret. Network/TLS: fix the nodes' path to the registry or trust its CA.
    `ErrImageNeverPull`: preload the image or use `imagePullPolicy: IfNotPresent`.

    ## Near misses
    `InvalidImageName` is an unparsable reference (rule `image-reference-invalid`). An old pull
    error on a container that has since run is history, not the current failure.
    """
    per_container: dict[str | None, list[tuple[Citation, str | None, str | None]]] = {}
    for m in messages(pod) if may_say(pod, _PULL_MESSAGE) else ():
        hit = search_text(_PULL_MESSAGE, m.text)
        if hit is None or _INVALID_NAME.search(m.text):
            continue
        image = hit.group("image") or hit.group("backoff") or hit.group("never")
        c = pod.container(m.container) if m.container else _container_for_image(pod, image)
        if c is None:
            # "Error: ImagePullBackOff" names no container: it is the one waiting on a pull, if only one is.
            pulling = [x for x in pod.containers if x.waiting_reason in _PULL_REASONS]
            c = pulling[0] if len(pulling) == 1 else main_suspect(pod)
        error = hit.group("error") or ("never-pull" if hit.group("never") else None)
        key = c.name if c is not None else None
        per_container.setdefault(key, []).append((cite_message(m), image, error))
    for c in pod.containers:
        if c.waiting_reason in _PULL_REASONS and c.name not in per_container:
            per_container[c.name] = []
    for key, found in per_container.items():
        c = pod.container(key) if key is not None else None
        image = next((img for _, img, _ in found if img), None) or image_of(c) or "IMAGE"
        errors = [err for _, _, err in found if err]
        if (c is not None and c.waiting_reason == "ErrImageNeverPull") or "never-pull" in errors:
            kind = "never-pull"
        else:
            kind = next((k for k in (_pull_kind(e) for e in errors) if k != "unknown"), "unknown")
        evidence: list[Citation] = []
        if c is not None:
            w = cite_waiting(pod, c)
            if w is not None:
                evidence.append(w)
        fix = _PULL_FIXES[kind].format(image=image, registry=_registry(image))
        missing_secret = next(((m, s) for m, s in _missing_pull_secrets(pod)), None)
        if missing_secret is not None and kind in ("unauthorized", "not-found-or-unauthorized", "unknown"):
            m, secret = missing_secret
            evidence.append(cite_message(m))
            fix = (f"The pod's imagePullSecrets name {secret}, which does not exist in namespace "
                   f"{pod.namespace or 'default'}: create it there (a docker-registry Secret) or fix the name. " + fix)
        # the registry's error first: it is what says why
        ordered = sorted(found, key=lambda f: f[2] is None)
        evidence += [cite for cite, _, _ in ordered[:3]]
        if c is not None and c.spec is not None and c.spec.image:
            evidence.append(cite_spec(pod, c, "image", f"Image: {c.spec.image}"))
        stale = c is not None and _has_run(c) and c.waiting_reason not in _PULL_REASONS
        name = (c.name or None) if c is not None else None
        subject = who(name)
        reason = {"not-found": "the image or tag does not exist", "unauthorized": "the registry refused the credentials",
                  "not-found-or-unauthorized": "the repository does not exist or needs credentials",
                  "registry-unreachable": "the registry cannot be reached from the node",
                  "registry-tls": "the registry's TLS certificate is not trusted",
                  "rate-limited": "the registry rate-limited the pull",
                  "platform-missing": "the image has no variant for the node's architecture",
                  "never-pull": "pull policy is Never and the image is not on the node",
                  "node-disk-full": "the node ran out of disk space while pulling"}.get(kind)
        yield Hit(
            container=name, init=c.init if c is not None else False,
            summary=f"The image {image} of {subject} cannot be pulled" + (f": {reason}." if reason else "."),
            evidence=tuple(evidence),
            remedy=Remedy(fix, (patch := _pull_patch(kind, c)), _pull_commands(pod, kind, image, patch is not None),
                          outside_spec=None if patch is not None else
                          "the image must exist and be reachable where the pod spec points: the registry, not the spec"),
            confidence=0.5 if stale else 0.95, strength=1 if stale else 3, detail=kind,
        )


# The kubelet's warning when a pull secret the pod names cannot be read (FailedToRetrieveImagePullSecret).
_PULL_SECRET_MISSING = lazy(r"Unable to retrieve some image pull secrets \((?P<names>[^)]+)\)")


def _missing_pull_secrets(pod: PodEvidence) -> Iterator[tuple[Message, str]]:
    if not may_say(pod, _PULL_SECRET_MISSING):
        return
    for m in messages(pod):
        hit = search_text(_PULL_SECRET_MISSING, m.text)
        if hit:
            yield m, hit.group("names")


def _name_problem(image: str) -> tuple[str, str | None]:
    """What is wrong with an image reference, and a corrected one when that is mechanical."""
    if re.search(r"\$\{?\w|\{\{|<no value>", image):
        return "an unrendered template or variable", None
    if image != image.strip() or " " in image:
        return "whitespace", image.strip().replace(" ", "")
    if image.endswith(":") or image.endswith("@"):
        return "an empty tag", None
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    path = repo[: len(repo) - len(last)] + (last.split(":", 1)[0])
    if path != path.lower():
        fixed = path.lower() + image[len(path):]
        return "upper-case letters in the repository name", fixed
    if "://" in image:
        return "a URL scheme", image.split("://", 1)[1]
    return "invalid characters", None


@rule(
    "image-reference-invalid",
    cause="image.pull",
    title="The image reference cannot be parsed",
    needs=("status", "events", "spec"),
    lint_check="image-reference-invalid",
    when=_may_have_invalid_name,
)
def image_reference_invalid(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A container waiting with `InvalidImageName`, or the kubelet's `Failed to apply default image
    tag "x": couldn't parse image reference "x": invalid reference format` (also the runtime's
    `invalid reference format` / `repository name must be lowercase`).

    ## Why the pod crash-loops
    The kubelet cannot even start a pull; it retries on every sync and the pod stays Pending.

    ## Evidence used
    The waiting reason, `Failed`/`InspectFailed` events and the image string from the spec.

    ## How to fix
    Write a valid reference: lower-case repository, no spaces or URL scheme, a non-empty tag,
    and no unrendered `${VAR}` / `{{ }}` left by a template.

    ## Near misses
    A valid reference that the registry does not have is `image-pull-failed` (`not found`).
    """
    per_container: dict[str | None, list[Message]] = {}
    for m in messages(pod):
        if not _INVALID_NAME.search(m.text):
            continue
        c = pod.container(m.container) if m.container else None
        if c is None:
            c = next((x for x in pod.containers if image_of(x) and f'"{image_of(x)}"' in m.text), None)
        if c is None:
            c = main_suspect(pod)
        per_container.setdefault(c.name if c is not None else None, []).append(m)
    for c in pod.containers:
        if c.waiting_reason == "InvalidImageName":
            per_container.setdefault(c.name, [])
    for key, found in per_container.items():
        c = pod.container(key) if key is not None else None
        image = image_of(c)
        evidence: list[Citation] = []
        w = cite_waiting(pod, c) if c is not None else None
        if w is not None:
            evidence.append(w)
        evidence += [cite_message(m) for m in found[:2]]
        patch = None
        if c is not None and image:
            evidence.append(cite_spec(pod, c, "image", f"Image: {image}"))
            problem, fixed = _name_problem(image)
            fix = f"The image reference {image!r} has {problem}; correct `image:`."
            if fixed:
                patch = container_patch(c.name or None, c.init, {"image": fixed})
        else:
            fix = "Correct the container's `image:` so it is a valid reference (lower-case registry/repository:tag)."
        name = (c.name or None) if c is not None else None
        subject = who(name)
        yield Hit(
            container=name, init=c.init if c is not None else False,
            summary=f"The image reference of {subject} is not valid, so it is never pulled.",
            evidence=tuple(evidence),
            remedy=Remedy(fix, patch, (*((APPLY,) if patch is not None else (
                kubectl("set", "image", workload_ref(pod),
                        Joined((name if name else Placeholder("CONTAINER"), "=", Placeholder("IMAGE:TAG"))),
                        namespace=namespace_of(pod), flags_after=3),)),
                watch_command(pod))),
            confidence=0.95, strength=3, detail="invalid-name",
        )


PULL_RULES: tuple[Rule, ...] = (image_pull_failed, image_reference_invalid)
