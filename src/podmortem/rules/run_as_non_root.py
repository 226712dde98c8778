"""The security.run-as-non-root rules: the kubelet refuses to create a container under runAsNonRoot.

Part of the security family (rules/security.py lists these rules in its RULES); kept apart
because the kubelet decides it before the container exists, in its own fixed words
(pkg/kubelet/kuberuntime/security_context_others.go), while the other security rules read what
a running process printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from podmortem.lazyre import lazy
from podmortem.model import (
    APPLY,
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Placeholder,
    PodEvidence,
    Remedy,
    SecurityContext,
)
from podmortem.model.remedy import Value
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_waiting,
    find_messages,
    main_suspect,
    watch_command,
)
from podmortem.rules.facts import says
from podmortem.rules.patch import container_patch
from podmortem.rules.spec import cite_spec, image_of
from podmortem.rules.text import first_upper, who

# The kubelet's verifyRunAsNonRoot texts (pkg/kubelet/kuberuntime/security_context_others.go) and the
# pre-CRI sync error name.
_NON_ROOT_IMAGE = lazy(
    r"container has runAsNonRoot and image (?:will run as root"
    r"|has non-numeric user \((?P<user>[^)]*)\), cannot verify user is non-root"
    r"|has an invalid user id)"
    r"|\bVerifyNonRootError\b"
)
_NON_ROOT_UID_ZERO = lazy(r"container's runAsUser breaks non-root policy")
# Those messages end with `(pod: "name_namespace(uid)", container: name)`.
_MESSAGE_CONTAINER = lazy(r"container: (?P<name>[a-z0-9][-a-z0-9.]*)\)")

# Well-known image users and their uids, so a patch can use the uid the image already owns files as.
_KNOWN_UIDS = {
    "nonroot": 65532, "nobody": 65534, "node": 1000, "nginx": 101, "www-data": 33, "postgres": 999,
    "mysql": 999, "redis": 999, "elasticsearch": 1000, "grafana": 472, "jenkins": 1000, "app": 1000,
    "appuser": 1000, "daemon": 1, "git": 1000, "rabbitmq": 999, "mongodb": 999, "kafka": 1000,
}
_DEFAULT_UID = 10001





def _container_from_message(pod: PodEvidence, name: str | None) -> ContainerEvidence | None:
    c = pod.container(name) if name else None
    return c if c is not None else main_suspect(pod)


@rule(
    "run-as-non-root-image-user",
    cause="security.run-as-non-root",
    title="runAsNonRoot is set but the image runs as root or as a user name",
    needs=("status", "events", "spec"),
    lint_check="run-as-non-root-without-user",
    when=says(_NON_ROOT_IMAGE),
)
def run_as_non_root_image_user(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The kubelet refusing to create a container under `runAsNonRoot: true`:
    `container has runAsNonRoot and image will run as root`, `image has non-numeric user (x),
    cannot verify user is non-root`, `image has an invalid user id`, and the older sync error
    `VerifyNonRootError`, as a CreateContainerConfigError waiting message or a `Failed` event.

    ## Why the pod crash-loops
    The container is never created: the kubelet checks the user before every start attempt and
    the pod stays in `CreateContainerConfigError` (Pending, restart count 0).

    ## Evidence used
    The waiting reason and message, `Failed` events ("Error: container has runAsNonRoot ..."),
    and the pod's and container's securityContext.

    ## How to fix
    Set a non-zero numeric `runAsUser` (the uid the image's user has, e.g. 65532 for distroless
    `nonroot`, 101 for nginx), or build the image with a numeric `USER 10001`.

    ## Near misses
    `container's runAsUser breaks non-root policy` is an explicit `runAsUser: 0` (rule
    `run-as-non-root-user-zero`). A process that starts and then hits `Permission denied` is
    `security.permission-denied`.
    """
    yield from _non_root_hits(pod, _NON_ROOT_IMAGE, zero=False)


@rule(
    "run-as-non-root-user-zero",
    cause="security.run-as-non-root",
    title="runAsNonRoot is set together with runAsUser: 0",
    needs=("status", "events", "spec"),
    lint_check="run-as-non-root-user-zero",
    when=says(_NON_ROOT_UID_ZERO),
)
def run_as_non_root_user_zero(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The kubelet's `container's runAsUser breaks non-root policy`: the securityContext asks for
    `runAsNonRoot: true` and `runAsUser: 0` at once (often pod-level one, container-level the other).

    ## Why the pod crash-loops
    The contradiction is checked before every start attempt, so the container is never created
    (CreateContainerConfigError).

    ## Evidence used
    The waiting message or `Failed` event and both securityContext levels.

    ## How to fix
    Remove `runAsUser: 0` or set a non-zero uid; if the container really must run as root, drop
    `runAsNonRoot` for that container (and check the namespace's Pod Security level allows it).

    ## Near misses
    The image's own user being root is rule `run-as-non-root-image-user`.
    """
    yield from _non_root_hits(pod, _NON_ROOT_UID_ZERO, zero=True)


def _non_root_hits(pod: PodEvidence, pattern: re.Pattern[str], zero: bool) -> Iterator[Hit]:
    grouped: dict[str | None, list[tuple[Message, re.Match[str]]]] = {}
    for m, hit in find_messages(pod, pattern):
        c = _container_from_message(pod, m.container)
        grouped.setdefault(c.name if c is not None else None, []).append((m, hit))
    for key, found in grouped.items():
        c = pod.container(key) if key is not None else main_suspect(pod)
        m, hit = found[0]
        evidence: list[Citation] = []
        if c is not None:
            w = cite_waiting(pod, c)
            if w is not None:
                evidence.append(w)
        sources: set[str] = set()
        for other, _ in found:  # the status message and the event both, when both were given
            if other.source not in sources:
                sources.add(other.source)
                evidence.append(cite_message(other))
        user = hit.groupdict().get("user")
        named = _MESSAGE_CONTAINER.search(m.text)
        name = (c.name or None) if c is not None else (named.group("name") if named else None)
        init = c.init if c is not None else False
        sc = pod.effective_security(c) if c is not None else SecurityContext()
        if c is not None and (sc.run_as_non_root or sc.run_as_user is not None):
            evidence.append(cite_spec(pod, c, "securityContext",
                                      f"securityContext: runAsNonRoot={sc.run_as_non_root}, runAsUser={sc.run_as_user}"))
        uid = _KNOWN_UIDS.get(user or "", _DEFAULT_UID)
        image: Value = image_of(c) or Placeholder("IMAGE")
        guess = "" if user in _KNOWN_UIDS else " (a guess: any uid the image's files allow)"
        if zero:
            detail = "run-as-user-zero"
            summary = f"{first_upper(who(name))} asks for runAsNonRoot and runAsUser 0 at once; the kubelet refuses it."
            fix = (f"Set runAsUser to a non-zero uid (the patch uses {uid}{guess}) or remove runAsUser: 0; if it must run as "
                   "root, drop runAsNonRoot for this container.")
        elif user:
            detail = "non-numeric-user"
            summary = (f"The image of {who(name)} names its user as {user!r}, which the kubelet cannot "
                       "verify is non-root.")
            known = f" ({user} is usually uid {uid})" if user in _KNOWN_UIDS else ""
            fix = (f"Set a numeric runAsUser equal to {user}'s uid{known}; check it with the command below, or build "
                   f"the image with a numeric USER.")
        elif "invalid user id" in m.text:
            detail = "invalid-uid"
            summary = f"The image of {who(name)} declares a user id the kubelet cannot parse."
            fix = f"Set a numeric runAsUser (e.g. {uid}) or fix the image's USER to a plain uid."
        else:
            detail = "image-runs-as-root"
            summary = f"runAsNonRoot is set but the image of {who(name)} runs as root (no non-root USER)."
            fix = (f"Run it as a non-root uid with runAsUser (the patch uses {uid}{guess}); the image must then not need root "
                   "to write its own paths. Better: build the image with a numeric USER.")
        fields: dict[str, Any] = {"securityContext": {"runAsNonRoot": True, "runAsUser": uid}}
        if user in _KNOWN_UIDS:
            fields["securityContext"]["runAsGroup"] = uid
        id_cmd = (Command(("docker", "run", "--rm", "--entrypoint", "id", image, user)) if user else
                  Command(("docker", "image", "inspect", image, "--format", "{{.Config.User}}")))
        yield Hit(
            container=name, init=init, summary=summary.replace("  ", " "), evidence=tuple(evidence),
            remedy=Remedy(fix, container_patch(name, init, fields),
                          (id_cmd, APPLY, watch_command(pod))),
            confidence=0.97, strength=3, detail=detail,
        )


NON_ROOT_RULES: tuple[Rule, ...] = (run_as_non_root_image_user, run_as_non_root_user_zero)
