"""Container image references: the grammar the kubelet parses them with, and facts about known images.

`parse_reference` follows the Docker / OCI distribution reference grammar (a name of
lowercase path components, optionally behind a registry host[:port]; an optional tag of up to
128 word characters, dots and dashes; an optional digest whose hex length matches its
algorithm). A reference that does not parse gives the pod `InvalidImageName` and it never starts.

`facts_for` looks an image up in image_facts.yaml (data with a source per entry, see there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

from podmortem.kube.yamldocs import load_one

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_DOMAIN = re.compile(
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"|\[[a-fA-F0-9:]+\])(?::[0-9]+)?\Z"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z")
_DIGEST = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})\Z")
# Registered digest algorithms and the hex length they must have (opencontainers/go-digest).
_DIGEST_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class ImageRef:
    domain: str  # docker.io for Docker Hub
    path: str  # library/nginx for official images
    tag: str | None
    digest: str | None

    @property
    def familiar(self) -> str:
        """The name as people write it: `nginx`, `bitnami/redis`, `gcr.io/distroless/static`."""
        if self.domain == DOCKER_HUB:
            return self.path[len("library/"):] if self.path.startswith("library/") else self.path
        return f"{self.domain}/{self.path}"


class ImageReferenceError(ValueError):
    """The reference does not parse; the message says why, in the kubelet's terms where possible."""


_SPACE = re.compile(r"\s")


@lru_cache(maxsize=4096)  # the same few images recur across thousands of manifests
def parse_reference(text: str) -> ImageRef:
    if not text or not text.strip():
        raise ImageReferenceError("the image is empty")
    if "{{" in text or "${" in text or "$(" in text:
        raise ImageReferenceError("the image contains an unrendered template or variable; the kubelet does not expand it")
    if _SPACE.search(text):
        raise ImageReferenceError("the image contains whitespace")
    rest, digest = text, None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        m = _DIGEST.match(digest)
        if not m:
            raise ImageReferenceError(f"invalid digest {digest!r} (expected algorithm:hex, e.g. sha256:<64 hex digits>)")
        want = _DIGEST_LENGTH.get(m.group(1))
        if want is not None and len(m.group(2)) != want:
            raise ImageReferenceError(f"invalid digest: {m.group(1)} needs {want} hex digits, not {len(m.group(2))}")
    tag = None
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1:]
        if not _TAG.match(tag):
            raise ImageReferenceError(f"invalid tag {tag!r} (letters, digits, _, . and -, at most 128, not starting with . or -)")
    if not rest:
        raise ImageReferenceError("the image has no repository name")
    if len(rest) > _NAME_MAX:
        raise ImageReferenceError(f"the repository name is longer than {_NAME_MAX} characters")
    first, sep, remainder = rest.partition("/")
    domain = DOCKER_HUB
    path = rest
    # The first component is a registry when it looks like a host (a dot, a port, localhost) or
    # has capitals (only a host may), as Docker's reference normaliser decides.
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _DOMAIN.match(first):
            raise ImageReferenceError(f"invalid registry host {first!r}")
        domain, path = first, remainder
    for component in path.split("/"):
        if component != component.lower() and _PATH_COMPONENT.match(component.lower()):
            raise ImageReferenceError(f"repository name must be lowercase ({path!r})")
        if not _PATH_COMPONENT.match(component):
            raise ImageReferenceError(f"invalid repository name component {component!r} in {path!r}")
    if domain in _HUB_ALIASES:
        domain = DOCKER_HUB
        if "/" not in path:
            path = "library/" + path
    return ImageRef(domain=domain, path=path, tag=tag, digest=digest)


# --- image facts ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WritePath:
    path: str
    error: str
    env: str | None = None  # an env var that moves this path (PGDATA)
    config: str | None = None  # a config file that can move it (nginx.conf): mounting over it makes it uncertain


@dataclass(frozen=True, slots=True)
class ImageFacts:
    name: str  # the first match pattern, for messages
    source: str
    confirmed: bool
    user: str | int | None = None
    runtime: str | None = None
    start_seconds: int | None = None
    writes: tuple[WritePath, ...] = ()
    env_any_of: tuple[str, ...] = ()
    env_first_start_only: bool = False  # the entrypoint checks only while the data directory is empty
    shells: tuple[str, ...] | None = None
    entrypoint: bool = True
    default_command_exits: bool = False
    start_capabilities: tuple[str, ...] = ()  # used while the entrypoint still runs as root
    start_capability_error: str | None = None
    file_capabilities: tuple[str, ...] = ()  # set on the main binary with setcap
    platforms: tuple[str, ...] = ()  # the only platforms published (empty: multi-arch or unknown)

    @property
    def runs_as_root(self) -> bool:
        return self.user == "root" or self.user == 0

    @property
    def user_is_name(self) -> bool:
        return isinstance(self.user, str) and self.user != "root"


@dataclass(frozen=True, slots=True)
class MemoryPart:
    part: str
    mib: int
    why: str


@dataclass(frozen=True, slots=True)
class RuntimeMemory:
    """What a runtime needs outside its heap, and how big it makes the heap when no flag says."""

    outside_heap: tuple[MemoryPart, ...]
    default_heap_percent: float | None = None
    small_memory_mib: int | None = None  # below this limit the small-memory percentage applies
    small_memory_heap_percent: float | None = None

    @property
    def outside_heap_mib(self) -> int:
        return sum(p.mib for p in self.outside_heap)

    def default_heap_mib(self, limit_mib: float) -> float | None:
        """The heap ceiling the runtime picks by itself under this limit, or None when it picks none."""
        percent = self.default_heap_percent
        if self.small_memory_mib is not None and limit_mib < self.small_memory_mib:
            percent = self.small_memory_heap_percent
        return limit_mib * percent / 100 if percent is not None else None


@dataclass(frozen=True, slots=True)
class Runtime:
    name: str
    start_seconds: int
    reason: str
    memory: RuntimeMemory | None = None


def _memory(raw: Any) -> RuntimeMemory | None:
    if not isinstance(raw, dict):
        return None
    parts = tuple(MemoryPart(str(p["part"]), int(p["mib"]), " ".join(str(p["why"]).split()))
                  for p in raw.get("outside_heap", ()))
    return RuntimeMemory(parts, raw.get("default_heap_percent"), raw.get("small_memory_mib"),
                         raw.get("small_memory_heap_percent"))


@dataclass(slots=True)
class _Entry:
    patterns: tuple[str, ...]
    facts: ImageFacts
    variants: list[tuple[re.Pattern[str], dict[str, Any]]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, Runtime], tuple[_Entry, ...]]:
    text = files("podmortem.kube").joinpath("image_facts.yaml").read_text(encoding="utf-8")
    raw = load_one("image_facts.yaml", text)
    runtimes = {
        name: Runtime(name, int(v["start_seconds"]), " ".join(str(v["reason"]).split()), _memory(v.get("memory")))
        for name, v in raw["runtimes"].items()
    }
    entries = []
    for item in raw["images"]:
        patterns = tuple(item["match"])
        entry = _Entry(patterns, _facts_from(patterns[0], item, None))
        for variant in item.get("variants", ()):
            entry.variants.append((re.compile(variant["tag"]), variant))
        entries.append(entry)
    return runtimes, tuple(entries)


def _facts_from(name: str, item: dict[str, Any], base: ImageFacts | None) -> ImageFacts:
    def pick(key: str, default: Any) -> Any:
        if key in item:
            return item[key]
        return getattr(base, key) if base is not None else default

    shells = pick("shells", None) if "shells" in item or base is None else base.shells
    writes = tuple(WritePath(w["path"], w["error"], w.get("env"), w.get("config")) for w in item["writes"]) if "writes" in item else (
        base.writes if base else ())
    return ImageFacts(
        name=name,
        source=" ".join(str(pick("source", "")).split()),
        confirmed=bool(pick("confirmed", False)),
        user=pick("user", None),
        runtime=pick("runtime", None),
        start_seconds=pick("start_seconds", None),
        writes=writes,
        env_any_of=tuple(pick("env_any_of", ())),
        env_first_start_only=bool(pick("env_first_start_only", False)),
        shells=tuple(shells) if shells is not None else None,
        entrypoint=bool(pick("entrypoint", True)),
        default_command_exits=bool(pick("default_command_exits", False)),
        start_capabilities=tuple(str(c).upper() for c in pick("start_capabilities", ())),
        start_capability_error=pick("start_capability_error", None),
        file_capabilities=tuple(str(c).upper() for c in pick("file_capabilities", ())),
        platforms=tuple(str(p) for p in pick("platforms", ())),
    )


def runtimes() -> dict[str, Runtime]:
    return _data()[0]


@lru_cache(maxsize=1)
def _pattern_index() -> tuple[dict[str, int], dict[str, int], list[tuple[str, int]]]:
    """Patterns by how they match: exact familiar names, Docker Hub paths a mirror may keep, and
    prefixes (`gcr.io/distroless/*`). Each maps to the first entry that lists it (file order wins)."""
    exact: dict[str, int] = {}
    hub: dict[str, int] = {}
    prefixes: list[tuple[str, int]] = []
    for i, entry in enumerate(_data()[1]):
        for pattern in entry.patterns:
            if pattern.endswith("*"):
                prefixes.append((pattern[:-1], i))
                continue
            exact.setdefault(pattern, i)
            if "." not in pattern.split("/")[0]:  # a pattern naming a registry matches only exactly
                hub.setdefault(pattern if "/" in pattern else "library/" + pattern, i)
    return exact, hub, prefixes


def _entry_index(ref: ImageRef) -> int | None:
    """The first entry (file order) with a pattern matching the reference: the familiar name exactly
    (`nginx`, `bitnami/redis`, `gcr.io/distroless/static`), a prefix pattern, or a mirror or
    pull-through cache that keeps Docker Hub's path (harbor.example/library/nginx,
    public.ecr.aws/docker/library/nginx, registry.example/bitnami/postgresql). Dict lookups, not a
    scan of every pattern: lint looks up every image of thousands of files."""
    exact, hub, prefixes = _pattern_index()
    familiar = ref.familiar
    found = [i for prefix, i in prefixes if familiar.startswith(prefix)]
    if familiar in exact:
        found.append(exact[familiar])
    parts = ref.path.split("/")
    for start in range(len(parts)):
        suffix = "/".join(parts[start:])
        if suffix in hub and (start > 0 or ref.domain != DOCKER_HUB):
            found.append(hub[suffix])
    return min(found) if found else None


@lru_cache(maxsize=4096)
def facts_for(image: str) -> ImageFacts | None:
    """What image_facts.yaml knows about `image` (tag variants applied), or None."""
    try:
        ref = parse_reference(image)
    except ImageReferenceError:
        return None
    tag = ref.tag or "latest"
    index = _entry_index(ref)
    if index is None:
        return None
    entry = _data()[1][index]
    for pattern, variant in entry.variants:
        if pattern.search(tag):
            return replace(_facts_from(entry.facts.name, {**variant, "source": entry.facts.source,
                                                            "confirmed": entry.facts.confirmed},
                                       entry.facts))
    return entry.facts
