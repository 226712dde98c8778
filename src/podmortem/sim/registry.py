"""The simulated registry: is an image reference valid, does its repository exist, does its tag?

Reference syntax is that of github.com/distribution/reference v0.6 (regexp.go: path components
`[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, tags `[\\w][\\w.-]{0,127}`, digests `algo:hex{32,}`;
normalize.go: names are lower case, at most 255 characters, `docker.io/library/` is implied), and
the kubelet's wording when it cannot parse one (pkg/kubelet/images/image_manager.go v1.32,
applyDefaultImageTag: `couldn't parse image name %q: %v`, reported as `Failed to apply default image
tag %q: %v`). Repositories are those of catalogue.py; an official-image name Docker Hub does not
have (a typo such as `ngnix`) answers as Docker Hub answers it: pull access denied. Repositories on
other registries, and user repositories on Docker Hub, are unknown to the simulator: they pull and
run as a healthy program of unknown behaviour (a profile can say otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podmortem.sim.catalogue import BY_REPO, OFFICIAL, Image

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"((?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?")


@dataclass(frozen=True)
class Reference:
    repo: str  # docker.io/library/nginx
    tag: str | None
    digest: str | None

    @property
    def full(self) -> str:
        """As containerd names it: docker.io/library/nginx:latest."""
        if self.digest:
            return f"{self.repo}@{self.digest}" if not self.tag else f"{self.repo}:{self.tag}@{self.digest}"
        return f"{self.repo}:{self.tag or 'latest'}"


class InvalidReference(ValueError):
    pass


def _split_domain(name: str) -> tuple[str, str]:
    """splitDockerDomain (normalize.go): the registry host, and the rest with `library/` implied."""
    first, sep, rest = name.partition("/")
    if sep and (any(c in first for c in ".:") or first == "localhost" or first != first.lower()):
        domain, remainder = first, rest
    else:
        domain, remainder = "docker.io", name
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder


def parse(image: str) -> Reference:
    """The normalised reference, or InvalidReference with distribution/reference's message.

    ParseNormalizedNamed checks case before the grammar: `Nginx:1.27` is "repository name
    (library/Nginx) must be lowercase", `nginx:1.27:3` "invalid reference format".
    """
    domain, remainder = _split_domain(image)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(f"invalid reference format: repository name ({remote}) must be lowercase")
    m = _REFERENCE.fullmatch(f"{domain}/{remainder}") if len(image) <= 255 + 256 else None
    if m is None:
        raise InvalidReference("invalid reference format")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > 255:
        raise InvalidReference("invalid reference format: repository name must not be more than 255 characters")
    return Reference(name, tag, digest)


@dataclass(frozen=True)
class Resolution:
    outcome: str  # ok | unknown | invalid | not-found | unauthorized
    message: str = ""  # the parse error for `invalid`
    image: Image | None = None
    reference: Reference | None = None


def resolve(image: str) -> Resolution:
    """What a pull of this image meets in the simulated registry."""
    try:
        ref = parse(image)
    except InvalidReference as exc:
        return Resolution("invalid", f"couldn't parse image name {_go_quote(image)}: {exc}")
    entry = BY_REPO.get(ref.repo)
    if entry is not None:
        if entry.private:
            return Resolution("unauthorized", image=entry, reference=ref)
        if ref.tag is not None and not entry.tag_exists(ref.tag):
            return Resolution("not-found", image=entry, reference=ref)
        if ref.tag is None and ref.digest is None and not entry.tag_exists("latest"):
            return Resolution("not-found", image=entry, reference=ref)
        return Resolution("ok", image=entry, reference=ref)
    if ref.repo.startswith("docker.io/library/") and ref.repo[len("docker.io/library/"):] not in OFFICIAL:
        return Resolution("unauthorized", reference=ref)
    return Resolution("unknown", reference=ref)


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
