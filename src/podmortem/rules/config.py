"""Rules for the config family: a ConfigMap or Secret the pod references, or a key in one, is missing.

The kubelet resolves env references (`valueFrom`, `envFrom`) while it builds the container
config, so a miss there is CreateContainerConfigError with `configmap "x" not found` or
`couldn't find key K in ConfigMap ns/name`. A miss behind a volume shows up instead as a
`FailedMount` event (`MountVolume.SetUp failed for volume "v" : configmap "x" not found`,
`references non-existent secret key: K`) while the pod waits in ContainerCreating. Both are the
same cause; the volume form is not `volume.mount-failed`, whose chain entry defers to these.
Secret values are never read or printed: remedies only list keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from podmortem.kube.kubectl import kubectl
from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.model import (
    Citation,
    Command,
    ContainerEvidence,
    Hit,
    Joined,
    Placeholder,
    PodEvidence,
    Remedy,
    Target,
)
from podmortem.model.remedy import Arg
from podmortem.rules.base import Rule, rule
from podmortem.rules.evidence import (
    Message,
    cite_message,
    cite_waiting,
    main_suspect,
    messages,
    namespace_of,
    watch_command,
)
from podmortem.rules.facts import says
from podmortem.rules.kubelet_config import (
    ITEM_KEY_MISSING,
    KEY_MISSING,
    KEY_WORDINGS,
    REF_MISSING,
    REF_WORDINGS,
)
from podmortem.rules.spec import cite_spec

_VOLUME_IN_MESSAGE = lazy(r"volume \\*[\"'](?P<volume>[^\"'\\]+)\\*[\"']")
# `couldn't get configMap NS/NAME` (envFrom) names the namespace the kubelet looked in.
_GET_NS = lazy(r"(?i:couldn't get (?:configmap|secret)) (?P<ns>[a-z0-9][a-z0-9-]*)/(?P<name>[a-z0-9][a-z0-9.-]*)")


class Reference(msgspec.Struct, frozen=True):
    """Where the pod spec refers to a ConfigMap or Secret."""

    container: ContainerEvidence
    how: str  # env | envFrom | volume
    text: str
    field: str
    optional: bool
    volume: str | None = None


def _kind(text: str) -> str:
    return "secret" if text.lower().startswith("secret") else "configmap"


def references(pod: PodEvidence, kind: str, name: str) -> list[Reference]:
    """Every place the spec refers to the object, init containers first (they run first)."""
    found: list[Reference] = []
    shown = "Secret" if kind == "secret" else "ConfigMap"
    for c in pod.containers:
        if c.spec is None:
            continue
        for e in c.spec.env:
            if e.ref_kind == kind and e.ref_name == name:
                found.append(Reference(c, "env", f"env {e.name} from {shown} {name} key {e.ref_key}",
                                       f"env[{e.name}]", e.optional))
        for ef in c.spec.env_from:
            if ef.ref_kind == kind and ef.ref_name == name:
                found.append(Reference(c, "envFrom", f"envFrom {shown} {name}", "envFrom", ef.optional))
        for m in c.spec.mounts:
            v = pod.volume(m.name)
            if v is not None and v.ref_name == name and (v.kind or "").lower() == kind:
                found.append(Reference(c, "volume", f"volume {v.name} ({shown} {name}) mounted at {m.mount_path}",
                                       f"volumeMounts[{m.name}]", v.optional, v.name))
    return found


def _volume_users(pod: PodEvidence, volume: str) -> list[ContainerEvidence]:
    return [c for c in pod.containers if c.spec is not None and any(m.name == volume for m in c.spec.mounts)]


def _blocked_container(pod: PodEvidence, m: Message, refs: list[Reference]) -> ContainerEvidence | None:
    """The container the failure is about: the message's, a referencing one that is stuck, or the suspect."""
    if m.container is not None and pod.container(m.container) is not None:
        return pod.container(m.container)
    vol = _VOLUME_IN_MESSAGE.search(m.text)
    candidates = [r.container for r in refs]
    if vol is not None:
        candidates = _volume_users(pod, vol.group("volume")) or candidates
    stuck = [c for c in candidates if c.waiting_reason not in (None, "ContainerCreating")]
    if stuck:
        return stuck[0]
    if candidates:
        return candidates[0]
    return main_suspect(pod)


def _has_run(c: ContainerEvidence | None) -> bool:
    """A container that runs or has run got past config resolution: an old error is history."""
    if c is None or c.status is None:
        return False
    st = c.status
    return st.state.kind == "running" or (st.last_state.terminated is not None and
                                          c.waiting_reason not in ("CreateContainerConfigError",))


def _kubelet_messages(pod: PodEvidence) -> Iterator[Message]:
    """Messages the kubelet wrote, without termination messages (they carry the app's own log tail)."""
    for m in messages(pod):
        if m.path and m.path.endswith(".terminated.message"):
            continue
        yield m


@rule(
    "config-object-missing",
    cause="config.ref-missing",
    title="A ConfigMap or Secret the pod references does not exist",
    needs=("status", "events", "spec"),
    lint_check="config-ref-missing",
    wordings=REF_WORDINGS,
    when=says(REF_MISSING),
)
def config_object_missing(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The kubelet's `configmap "x" not found` / `secret "x" not found` (also the plural
    `configmaps "x"` / `secrets "x"` of older kubelets) in a CreateContainerConfigError waiting
    message, a `Failed` event (`Error: configmap "x" not found`) or a `FailedMount` event
    (`MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`).

    ## Why the pod crash-loops
    The container config cannot be built (env references) or the volume cannot be set up, so
    the container is never created; the kubelet retries on every sync and the pod stays
    Pending in CreateContainerConfigError or ContainerCreating.

    ## Evidence used
    Waiting messages, `Failed` / `FailedMount` events, and the spec's env, envFrom and volume
    references to the object (to name the container and say whether it is optional).

    ## How to fix
    Create the object in the pod's namespace (ConfigMaps and Secrets are namespaced: one in
    another namespace does not count), or correct the name the pod references. If the app can
    run without it, mark the reference `optional: true`.

    ## Near misses
    The object exists but lacks a key: `config.key-missing`. A PersistentVolumeClaim that does
    not exist is `volume.mount-failed`. An app that logs `secrets "x" not found` from its own
    Kubernetes client is the app's problem, not a pod reference.
    """
    found: dict[tuple[str, str, str | None], list[Message]] = {}
    for m in _kubelet_messages(pod):
        for hit in REF_MISSING.finditer(m.text):
            kind, name = _kind(hit.group("kind")), hit.group("name")
            c = _blocked_container(pod, m, references(pod, kind, name))
            found.setdefault((kind, name, c.name if c is not None else None), []).append(m)
    for (kind, name, cname), said in found.items():
        c = pod.container(cname) if cname is not None else None
        yield _ref_hit(pod, said, kind, name, c, references(pod, kind, name))


def _cite_sources(said: list[Message]) -> list[Citation]:
    """One citation per source (the status message and the event), so both kinds of proof are quoted."""
    out: list[Citation] = []
    sources: set[str] = set()
    for m in said:
        if m.source not in sources:
            sources.add(m.source)
            out.append(cite_message(m))
    return out


def _ref_hit(pod: PodEvidence, said: list[Message], kind: str, name: str, c: ContainerEvidence | None,
             refs: list[Reference]) -> Hit:
    shown = "Secret" if kind == "secret" else "ConfigMap"
    stated = next((n for n in map(_message_namespace, said) if n), None)
    ns = stated or namespace_of(pod)
    evidence: list[Citation] = []
    if c is not None:
        w = cite_waiting(pod, c)
        if w is not None:
            evidence.append(w)
    evidence += _cite_sources(said)
    for r in refs[:2]:
        evidence.append(cite_spec(pod, r.container, r.field, r.text))
    via = {r.how for r in refs}
    mounted = "volume" in via or any("MountVolume" in x.text or (x.event is not None and x.event.reason == "FailedMount")
                                     for x in said)
    detail = f"{kind}-{'volume' if mounted else 'env'}"
    stale = _has_run(c)
    name_c = (c.name or None) if c is not None else None
    who = f"container {name_c}" if name_c else "the pod"
    optional_note = (" If the pod can run without it, mark the reference optional: true."
                     if not any(r.optional for r in refs) else "")
    create = (kubectl("create", "secret", "generic", name,
                      Joined(("--from-literal=", Placeholder("KEY"), "=", Placeholder("VALUE"))), namespace=ns)
              if kind == "secret"
              else kubectl("create", "configmap", name, Joined(("--from-file=", Placeholder("PATH"))),
                           namespace=ns))
    in_ns = f"namespace {ns}" if ns else "the pod's namespace (the evidence does not name it: fill in NAMESPACE)"
    return Hit(
        container=name_c, init=c.init if c is not None else False,
        summary=f"{shown} {name} that {who} references does not exist in {in_ns}.",
        evidence=tuple(evidence),
        remedy=Remedy(
            f"Create {shown} {name} in {in_ns} (one in another namespace does not count), or correct the name "
            f"the pod refers to; KEY, VALUE and PATH are its content, yours to give.{optional_note}",
            None,
            (kubectl("get", kind, name, namespace=ns),
             kubectl("get", f"{kind}s", "--field-selector", Joined(("metadata.name=", name)), all_namespaces=True),
             create, watch_command(pod)),
            target=Target("Secret" if kind == "secret" else "ConfigMap", ns, name),
            outside_spec=f"the {shown} is another object: its content is the application's configuration",
        ),
        confidence=0.5 if stale else 0.96, strength=1 if stale else 3, detail=detail,
    )


def _env_ref_name(pod: PodEvidence, kind: str, key: str) -> str | None:
    """The object an env reference to this key names, when the message lost it (cut off or wrapped)."""
    names = {e.ref_name for c in pod.containers if c.spec is not None for e in c.spec.env
             if e.ref_kind == kind and e.ref_key == key and e.ref_name}
    return names.pop() if len(names) == 1 else None


def _message_namespace(m: Message) -> str | None:
    got = _GET_NS.search(m.text)
    return got.group("ns") if got else None


@dataclass
class _KeyMiss:
    """One missing key, with every message that reported it."""

    key: str | None  # None: a kubelet before v1.7 did not name it
    kind: str
    name: str | None  # None: the message was cut off or wrapped before it, and the spec does not say
    ns: str | None  # None: neither the message nor the paste names it
    via_volume: bool
    refs: list[Reference]
    container: ContainerEvidence | None
    said: list[Message]


def _key_commands(pod: PodEvidence, kind: str, name: str | None, ns: str | None) -> tuple[Command, ...]:
    name_arg: Arg = name if name else Placeholder("NAME")
    if kind == "secret":
        # keys only: the values of a Secret are never printed
        return (kubectl("get", "secret", name_arg, "-o", "jsonpath={.data}",
                        namespace=ns, pipe=Command(("jq", "keys"))),
                kubectl("describe", "secret", name_arg, namespace=ns))
    return (kubectl("get", "configmap", name_arg, "-o", "jsonpath={.data}", namespace=ns),)


@rule(
    "config-key-missing",
    cause="config.key-missing",
    title="The ConfigMap or Secret exists but lacks the referenced key",
    needs=("status", "events", "spec"),
    lint_check="config-key-missing",
    wordings=KEY_WORDINGS,
    when=says(KEY_MISSING, ITEM_KEY_MISSING),
)
def config_key_missing(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    The kubelet's `couldn't find key K in ConfigMap ns/name` / `couldn't find key K in Secret
    ns/name` (env `valueFrom` references, CreateContainerConfigError) and, for volumes with
    `items`, `configmap references non-existent config key: K` / `references non-existent secret
    key: K` in `FailedMount` events.

    ## Why the pod crash-loops
    The object is there but the key is not, so the env value or the projected file cannot be
    produced; the container is never created and the kubelet retries on every sync.

    ## Evidence used
    Waiting messages, `Failed` / `FailedMount` events, and the env or volume entry that names
    the key.

    ## How to fix
    Add the key to the object, or correct the key name in the pod spec (keys are case-sensitive;
    `kubectl create configmap --from-file` uses file names as keys). List the keys with
    `kubectl get configmap NAME -o jsonpath='{.data}'`, or for a Secret only its keys with
    `... | jq 'keys'`. Mark the reference `optional: true` if the app can do without it.

    ## Near misses
    The whole object missing is `config.ref-missing` (`configmap "x" not found`).
    """
    misses: dict[tuple[str | None, str | None], _KeyMiss] = {}
    for m in _kubelet_messages(pod):
        hit = KEY_MISSING.search(m.text)
        item = None if hit else ITEM_KEY_MISSING.search(m.text)
        refs: list[Reference] = []
        name: str | None
        key_name: str | None
        if hit is not None:
            key_name, kind, name = hit.group("key"), _kind(hit.group("kind")), hit.group("name")
            name = name or _env_ref_name(pod, kind, key_name)
            if name is not None:
                refs = references(pod, kind, name)
                refs = [r for r in refs if r.how == "env" and f"key {key_name}" in r.text] or refs
            ns = hit.group("ns") or _message_namespace(m) or pod.namespace
        elif item is not None:
            key_name = item.group("key")
            kind = _kind(item.group("kind") or "configmap")
            volume = item.group("spec_name") or item.group("volume")
            v = pod.volume(volume) if volume else None
            if v is not None and v.kind:
                kind = _kind(v.kind)
            name = v.ref_name if v is not None and v.ref_name else None
            if v is not None and name is not None:
                refs = [r for r in references(pod, kind, name) if r.volume == volume]
            ns = pod.namespace
        else:
            continue
        c = _blocked_container(pod, m, refs)
        group = (key_name, c.name if c is not None else None)
        if group in misses:
            misses[group].said.append(m)
        else:
            misses[group] = _KeyMiss(key_name, kind, name, ns, item is not None, refs, c, [m])
    for miss in misses.values():
        c = miss.container
        shown = "Secret" if miss.kind == "secret" else "ConfigMap"
        evidence: list[Citation] = []
        if c is not None:
            w = cite_waiting(pod, c)
            if w is not None:
                evidence.append(w)
        evidence += _cite_sources(miss.said)
        for r in miss.refs[:2]:
            evidence.append(cite_spec(pod, r.container, r.field, r.text))
        stale = _has_run(c)
        name_c = (c.name or None) if c is not None else None
        obj = f"{shown} {miss.ns}/{miss.name}" if miss.ns and miss.name else (
            f"{shown} {miss.name}" if miss.name else f"The {shown} (its name is not in the evidence)")
        key = (f"key {miss.key!r}" if miss.key else
               "a key that the volume's items list (this kubelet does not say which)")
        where = f" in namespace {miss.ns}" if miss.ns else ""
        yield Hit(
            container=name_c, init=c.init if c is not None else False,
            summary=f"{obj} exists but lacks {key}, which the pod references.",
            evidence=tuple(evidence),
            remedy=Remedy(
                f"Add {key} to {shown} {miss.name or 'NAME'}{where}, or correct the key name in the "
                "pod spec (keys are case-sensitive); mark the reference optional: true if the app can run without it.",
                None, (*_key_commands(pod, miss.kind, miss.name, miss.ns), watch_command(pod)),
                target=Target(shown, miss.ns, miss.name),
                outside_spec=f"which key is right is the application's configuration, in the {shown} or the reference",
            ),
            confidence=0.5 if stale else 0.96, strength=1 if stale else 3,
            detail=f"{miss.kind}-{'volume-item' if miss.via_volume else 'env'}",
        )


RULES: tuple[Rule, ...] = (config_object_missing, config_key_missing)
