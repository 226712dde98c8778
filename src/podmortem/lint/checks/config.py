"""Configuration checks: ConfigMap/Secret/PVC references the files do not satisfy, volume mounts
without a volume, ConfigMap values that do not parse, and environment variables an image requires.

Whether a reference can be judged depends on what the run contains. A ConfigMap, Secret or PVC
may exist in the cluster without being in the files (Secrets are often created by an operator or
by hand), so a missing object is a warning, and only checked for a kind the files define at
least one of; `--strict-refs` says the files are the whole bundle: every kind is checked and a
missing object is an error. A key missing from an object that *is* in the files is an error
either way: applying the files replaces the object with the one that lacks the key.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterator

from podmortem.kube.yamldocs import syntax_problem
from podmortem.lint.bundle import BUILTIN_CONFIGMAPS, Bundle, EnvNeed, Site
from podmortem.lint.checks.base import check
from podmortem.lint.loader import Manifest
from podmortem.lint.model import Emit
from podmortem.lint.workloads import Workload, as_list


def _near(name: str, names: list[str]) -> str:
    """A "did you mean" for a likely typo. Only names of about the same length are compared, which
    keeps this cheap when a bundle defines thousands of objects."""
    candidates = [n for n in names if abs(len(n) - len(name)) <= 3][:200]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _names_near(bundle: Bundle, kind: str, namespace: str | None) -> list[str]:
    return bundle.names(kind, namespace)


@check(
    "config-ref-missing",
    cause="config.ref-missing",
    severity="warning",
    title="ConfigMap or Secret referenced but not in the files",
    fix="Add the ConfigMap/Secret to the bundle, fix the name, or mark the reference optional: true.",
    scope="bundle",
)
def config_ref_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A configMapKeyRef, secretKeyRef, envFrom, configMap/secret volume or projected source naming
    a ConfigMap or Secret that none of the files of the run defines (matching namespace, or none
    given). A Secret made by an operator from a custom resource in the files (ExternalSecret,
    SealedSecret, cert-manager Certificate) counts as defined. Checked for ConfigMaps when the
    files define at least one ConfigMap, for Secrets when they define at least one Secret, for any
    reference into a Namespace the files create, and always with `--strict-refs`. References with
    optional: true and kube-root-ca.crt are skipped.

    ## Why the pod fails
    An env reference to a missing object gives CreateContainerConfigError (`configmap "x" not
    found`, `secret "x" not found`); a volume gives FailedMount and the pod stays in
    ContainerCreating. The container never starts.

    ## How to fix
    Include the object in the bundle (or create it first), correct the name, or mark the
    reference `optional: true` if the app copes without it.

    ## Near misses
    Without `--strict-refs` this is a warning: the object may already exist in the cluster.
    """
    for ref in bundle.refs:
        if ref.kind not in ("ConfigMap", "Secret") or (ref.key is not None and ref.via.startswith("volume")):
            continue  # volume items are judged once, by the whole-volume reference
        if ref.optional or (ref.kind == "ConfigMap" and ref.name in BUILTIN_CONFIGMAPS):
            continue
        if not (strict or bundle.judges(ref.kind, ref.site.namespace)):
            continue
        if bundle.lookup(ref.kind, ref.name, ref.site.namespace):
            continue
        names = _names_near(bundle, ref.kind, ref.site.namespace)
        where = f" in the container {ref.site.container}" if ref.site.container else ""
        known = bundle.cluster_knows(ref.kind, ref.site.namespace)
        outcome = "the pod never starts" if known else "if it does not exist in the namespace the pod never starts"
        yield ref.site, Emit(
            ref.site.line,
            f"{ref.via}{where} uses {ref.kind} {ref.name!r}, which {bundle.nowhere(ref.kind, ref.site.namespace)}"
            f"{_near(ref.name, names)}; {outcome} "
            f"({'CreateContainerConfigError' if not ref.via.startswith('volume') else 'FailedMount'}: "
            f"{ref.kind.lower()} \"{ref.name}\" not found)",
            container=ref.site.container, severity="error" if strict or known else None)


@check(
    "config-key-missing",
    cause="config.key-missing",
    severity="error",
    title="ConfigMap or Secret in the files lacks the referenced key",
    fix="Add the key to the ConfigMap/Secret, fix the key name, or mark the reference optional: true.",
    scope="bundle",
)
def config_key_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A configMapKeyRef or secretKeyRef, or a configMap/secret volume `items` entry, naming a key
    that the ConfigMap or Secret defined in the files does not have (keys of data, binaryData and
    stringData count). optional: true references are skipped.

    ## Why the pod fails
    The kubelet fails the container with CreateContainerConfigError "couldn't find key X in
    ConfigMap ns/name" (for a volume item: FailedMount, "references non-existent config key").

    ## How to fix
    Add the key, or correct its spelling in the reference (keys are case-sensitive).

    ## Near misses
    A ConfigMap that is not in the files at all is config-ref-missing.
    """
    for ref in bundle.refs:
        if ref.key is None or ref.kind == "PersistentVolumeClaim" or ref.optional:
            continue
        found = bundle.lookup(ref.kind, ref.name, ref.site.namespace)
        if not found or any(p.keys is None or ref.key in p.keys for p in found):
            continue
        keys = sorted({k for p in found for k in p.keys or ()})
        listed = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "") if keys else "none"
        where = f" in the container {ref.site.container}" if ref.site.container else ""
        yield ref.site, Emit(
            ref.site.line,
            f"{ref.via}{where} reads key {ref.key!r} of {ref.kind} {ref.name!r}, which has no such key "
            f"(its keys: {listed}){_near(ref.key, keys)}: the kubelet reports \"couldn't find key {ref.key} in "
            f"{ref.kind} {ref.name}\" and the container never starts",
            container=ref.site.container)


@check(
    "pvc-missing",
    cause="volume.mount-failed",
    severity="warning",
    title="PersistentVolumeClaim referenced but not in the files",
    fix="Add the PersistentVolumeClaim to the bundle or correct claimName.",
    scope="bundle",
)
def pvc_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A persistentVolumeClaim volume whose claimName no file defines. Checked when the files define
    at least one PersistentVolumeClaim or a StatefulSet volumeClaimTemplate, or with `--strict-refs`.

    ## Why the pod fails
    A pod that needs a claim that does not exist stays Pending ("persistentvolumeclaim "x" not
    found"), or its volume never mounts.

    ## How to fix
    Create the claim (or use a StatefulSet volumeClaimTemplate), or fix the name.

    ## Near misses
    Claims created by a StatefulSet from its templates are named <template>-<statefulset>-<n>;
    pods of the StatefulSet get them automatically and are not references.
    """
    for ref in bundle.refs:
        if ref.kind != "PersistentVolumeClaim" or bundle.lookup(ref.kind, ref.name, ref.site.namespace):
            continue
        known = bundle.cluster_knows(ref.kind, ref.site.namespace)
        if not (strict or known or bundle.pvcs or bundle.claim_templates):
            continue
        yield ref.site, Emit(
            ref.site.line,
            f"{ref.via} uses PersistentVolumeClaim {ref.name!r}, which {bundle.nowhere(ref.kind, ref.site.namespace)}"
            f"{_near(ref.name, _names_near(bundle, ref.kind, ref.site.namespace))}; "
            f"{'the' if known else 'if it does not exist the'} pod stays Pending",
            severity="error" if strict or known else None)


def _satisfied(need: EnvNeed, alternative: str, bundle: Bundle) -> bool | None:
    """True/False when the files decide it, None when an envFrom source outside the files might."""
    name, _, wanted = alternative.partition("=")
    for env_name, value in need.literal:
        if env_name != name:
            continue
        if value is None:
            return True  # from a ConfigMap/Secret: presence is config-ref/key-missing's business
        if wanted:
            return value.strip().lower() == wanted.lower()
        return bool(value.strip())
    unknown = False
    for kind, source, prefix, _optional in need.env_from:
        if not name.startswith(prefix):
            continue
        found = bundle.lookup(kind, source, need.site.namespace)
        if not found:
            unknown = True
        elif any(p.keys is None or name[len(prefix):] in p.keys for p in found):
            return True
    return None if unknown else False


@check(
    "env-required-missing",
    cause="app.missing-env",
    severity="error",
    title="Image requires an environment variable the container does not set",
    fix="Set one of the variables the image requires, from a Secret for passwords.",
    scope="bundle",
)
def env_required_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A container of an image whose entrypoint refuses to start without a variable
    (image_facts.yaml, `env_any_of`): postgres needs POSTGRES_PASSWORD (or
    POSTGRES_HOST_AUTH_METHOD=trust), mysql MYSQL_ROOT_PASSWORD or an alternative, mariadb
    MARIADB_ROOT_PASSWORD or an alternative, Bitnami databases their password or
    ALLOW_EMPTY_PASSWORD=yes. Variables set through env (value or valueFrom) and through envFrom
    of a ConfigMap/Secret in the files count.

    ## Why the pod fails
    The entrypoint prints an error ("Database is uninitialized and superuser password is not
    specified") and exits 1 at every start.

    ## How to fix
    Set the variable, from a Secret: `valueFrom: {secretKeyRef: {name: db, key: password}}`.

    ## Near misses
    An envFrom of a ConfigMap or Secret that is not in the files may provide it: not reported. An
    empty value counts as missing, as the entrypoints test for non-empty. The official postgres,
    mysql and mariadb images check only while their data directory is empty: with the data on a
    persistent volume it is a warning.
    """
    for need in bundle.env_needs:
        results = [_satisfied(need, alt, bundle) for alt in need.any_of]
        if any(r is True for r in results) or any(r is None for r in results):
            continue
        options = ", ".join(need.any_of[:4]) + (" ..." if len(need.any_of) > 4 else "")
        unless = (" (while its data directory is empty: the persistent volume may already hold a database)"
                  if need.maybe_initialised else "")
        yield need.site, Emit(
            need.site.line,
            f"container {need.site.container} runs {need.image}, whose entrypoint exits unless one of {options} "
            f"is set, and none is{unless}",
            container=need.site.container,
            severity="warning" if not need.confirmed or need.maybe_initialised else None,
            fix=f"Set {need.any_of[0]} (from a Secret: valueFrom.secretKeyRef).")


@check(
    "volume-ref-missing",
    cause="volume.mount-failed",
    severity="error",
    title="Volume mount names no volume of the pod",
    fix="Add the volume to spec.volumes (or fix the mount's name).",
)
def volume_ref_missing(w: Workload) -> Iterator[Emit]:
    """
    ## What it detects
    A volumeMount or volumeDevice whose name is not a volume of the pod (nor, in a StatefulSet, a
    volumeClaimTemplate).

    ## Why the pod fails
    The API server rejects the pod (`volumeMounts[0].name: Not found`); for a Deployment the
    ReplicaSet cannot create any pod and the rollout never progresses.

    ## How to fix
    Declare the volume under spec.volumes with the same name.

    ## Near misses
    StatefulSet mounts named after a volumeClaimTemplate are fine.
    """
    names = set(w.volumes()) | w.claim_templates()
    for c in w.containers:
        for key in ("volumeMounts", "volumeDevices"):
            for m in as_list(c.spec.get(key)):
                if isinstance(m, dict) and m.get("name") is not None and str(m.get("name")) not in names:
                    yield Emit(w.line(m, "name"),
                               f"{key[:-1]} {m.get('name')!r} of container {c.name} names no volume of the pod"
                               f"{_near(str(m.get('name')), sorted(names))}: the API server rejects the pod",
                               container=c.name)


_PARSERS = {".yaml": "YAML", ".yml": "YAML", ".json": "JSON", ".toml": "TOML"}


def _parse_error(kind: str, text: str) -> tuple[str, int | None] | None:
    """(problem, 0-based line inside the value) when `text` does not parse as `kind`."""
    if kind == "YAML":
        return syntax_problem(text)
    try:
        if kind == "JSON":
            json.loads(text)
        else:
            tomllib.loads(text)
    except json.JSONDecodeError as exc:
        return exc.msg, exc.lineno - 1
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        return str(exc).split(" (at ")[0], (int(m.group(1)) - 1 if m else None)
    return None


@check(
    "configmap-value-unparsable",
    cause="app.config-invalid",
    severity="error",
    title="ConfigMap value named .yaml/.json/.toml does not parse",
    fix="Fix the syntax of the embedded file (indentation, quotes, tabs, trailing commas).",
    scope="object",
)
def configmap_value_unparsable(m: Manifest) -> Iterator[Emit]:
    """
    ## What it detects
    A ConfigMap key ending in .yaml, .yml, .json or .toml whose value does not parse as that format.

    ## Why the pod fails
    The app that reads the mounted file fails on start with its parser's error ("yaml: line 3:
    mapping values are not allowed", JSONDecodeError, "Expected '=' after a key") and exits.

    ## How to fix
    Correct the syntax; validate the file locally before embedding it.

    ## Near misses
    Values that hold `{{ templates }}` for the app to render itself are reported as warnings only.
    Other extensions are not checked.
    """
    if m.kind != "ConfigMap":
        return
    data = m.obj.get("data")
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        suffix = key[key.rfind("."):].lower() if "." in key else ""
        kind = _PARSERS.get(suffix)
        if kind is None:
            continue
        problem = _parse_error(kind, value)
        if problem is None:
            continue
        text, offset = problem
        start = m.value_line(data, key)
        line = (start + offset) if start is not None and offset is not None else m.line_of(data, key)
        templated = "{{" in value
        yield Emit(line, f"key {key!r} of ConfigMap {m.name} is not valid {kind}: {text}"
                         + ("; it holds {{ }} placeholders, so the app may render it first" if templated else
                            "; the app that reads it fails on start"),
                   severity="warning" if templated else None)


@check(
    "config-path-key-missing",
    cause="app.file-missing",
    severity="error",
    title="A path the container is given lies in a mounted ConfigMap or Secret that lacks that key",
    fix="Add the key to the ConfigMap/Secret (or to the volume's items), or correct the path.",
    scope="bundle",
)
def config_path_key_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    An absolute path in a container's command, args or environment value
    (`--config.file=/etc/prometheus/prometheus.yml`, `-c /etc/app/app.yaml`,
    `CONFIG_PATH=/etc/app/app.yaml`) inside the mountPath of a ConfigMap or Secret volume, where
    that object, defined in the files (or read from the cluster with `--cluster`), has no key of
    that name; with `items`, where no item's `path` is that file.

    ## Why the pod fails
    The kubelet mounts one file per key (or per item), so the volume mounts fine and the container
    starts; the app then fails to open its configuration: "no such file or directory" (ENOENT,
    FileNotFoundException) and exits, every time.

    ## How to fix
    Add the key (the file name is the key), list it in `items`, or point the argument at a file the
    object does provide.

    ## Near misses
    Paths to the mount itself, paths under a deeper mount of another volume, mounts with subPath,
    optional volumes, and objects not in the files (config-ref-missing covers those) are not
    reported. A key that exists passes, whatever its content.
    """
    for ref in bundle.path_refs:
        if ref.optional:
            continue
        found = bundle.lookup(ref.kind, ref.name, ref.site.namespace)
        if not found or any(p.keys is None for p in found):
            continue
        if ref.files is not None:
            available = set(ref.files)
            present = ref.relative in available or any(f.startswith(ref.relative + "/") for f in available)
            what = f"the volume's items of {ref.kind} {ref.name!r}"
        else:
            available = {k for p in found for k in p.keys or ()}
            present = ref.relative in available
            what = f"{ref.kind} {ref.name!r}"
        if present:
            continue
        listed = ", ".join(sorted(available)[:8]) + (", ..." if len(available) > 8 else "") if available else "none"
        yield ref.site, Emit(
            ref.site.line,
            f"{ref.via} in the container {ref.site.container} points at {ref.path}, in the volume mounted at "
            f"{ref.mount} from {what}, which has no {ref.relative!r} (it has: {listed})"
            f"{_near(ref.relative, sorted(available))}: the app finds no such file and exits",
            container=ref.site.container)
