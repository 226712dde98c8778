"""References beyond ConfigMaps and Secrets: ServiceAccounts, StorageClasses, and the nodes an image
can run on. Judged from the files, and against the live cluster with `lint --cluster`."""

from __future__ import annotations

from collections.abc import Iterator

from podmortem.lint.bundle import Bundle, Site
from podmortem.lint.checks.base import check
from podmortem.lint.cluster import ARCH_LABEL
from podmortem.lint.model import Emit

# Every namespace has it: the ServiceAccount controller creates it (kube-controller-manager).
BUILTIN_SERVICE_ACCOUNTS = frozenset({"default"})


@check(
    "service-account-missing",
    cause="config.ref-missing",
    severity="warning",
    title="ServiceAccount referenced but not in the files (or not in the cluster)",
    fix="Add the ServiceAccount to the bundle, create it first, or fix serviceAccountName.",
    scope="bundle",
)
def service_account_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A pod template's serviceAccountName naming a ServiceAccount that neither the files define nor,
    with `--cluster`, the namespace of the cluster has. Checked when the files define at least one
    ServiceAccount, when the cluster's ServiceAccounts were read, and always with `--strict-refs`.
    `default` always exists.

    ## Why the pod fails
    The ServiceAccount admission plugin rejects the pod: the controller reports FailedCreate
    ("error looking up service account ns/x: serviceaccount \"x\" not found") and no pod is ever
    created, so nothing runs.

    ## How to fix
    Create the ServiceAccount with the workload (and its RoleBindings), or correct the name.

    ## Near misses
    `default`; an account created by the files; without `--cluster` or `--strict-refs`, an account
    the files say nothing about may exist already, so that is a warning.
    """
    for name, site in bundle.sa_refs:
        if name in BUILTIN_SERVICE_ACCOUNTS or bundle.lookup("ServiceAccount", name, site.namespace):
            continue
        known = bundle.cluster_knows("ServiceAccount", site.namespace)
        if not (strict or known or bundle.judges("ServiceAccount", site.namespace)):
            continue
        yield site, Emit(site.line,
                         f"serviceAccountName {name!r}: a ServiceAccount that {bundle.nowhere('ServiceAccount', site.namespace)}; "
                         f"the pod is rejected at creation (\"serviceaccount \\\"{name}\\\" not found\") and never runs",
                         severity="error" if strict or known else None)


@check(
    "storage-class-missing",
    cause="volume.mount-failed",
    severity="warning",
    title="PersistentVolumeClaim asks for a StorageClass that does not exist",
    fix="Use a StorageClass the cluster has (kubectl get storageclass), or create it.",
    scope="bundle",
)
def storage_class_missing(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A PersistentVolumeClaim, or a StatefulSet volumeClaimTemplate, whose storageClassName is not a
    StorageClass of the files nor, with `--cluster`, of the cluster. Checked when the files define
    a StorageClass or the cluster's were read.

    ## Why the pod fails
    No provisioner answers for an unknown class: the claim stays Pending ("storageclass.storage.k8s.io
    \"x\" not found") and every pod that mounts it stays Pending with "unbound immediate
    PersistentVolumeClaims".

    ## How to fix
    Name a class the cluster has, or leave storageClassName out to get the default class.

    ## Near misses
    `storageClassName: ""` (static binding, no class) and claims without the field (the default
    class) are not references.
    """
    cluster = bundle.cluster
    known = cluster is not None and cluster.storage_classes is not None
    if not (known or bundle.storage_classes):
        return
    have = set(bundle.storage_classes) | (cluster.storage_classes or set() if cluster is not None else set())
    for name, site in bundle.class_refs:
        if name in have:
            continue
        where = "neither the files nor the cluster has" if known else "none of the files defines"
        listed = ", ".join(sorted(have)[:8]) or "none"
        yield site, Emit(site.line,
                         f"storageClassName {name!r}: a StorageClass that {where} (there are: {listed}); the claim "
                         f"stays Pending and so do the pods that mount it",
                         severity="error" if known else None)


@check(
    "image-architecture-mismatch",
    cause="image.exec-format",
    severity="error",
    title="Image published for no architecture of the nodes the pod can run on",
    fix="Use an image built for the nodes' architecture, or select nodes it runs on (nodeSelector kubernetes.io/arch).",
    scope="bundle",
)
def image_architecture_mismatch(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    A container whose image is published for some platforms only (image_facts.yaml `platforms`,
    e.g. mcr.microsoft.com/mssql/server: linux/amd64), where the pod's nodeSelector requires another
    `kubernetes.io/arch`, or, with `--cluster`, where no node the nodeSelector can pick has an
    architecture the image is published for (a warning when only some of them lack it).

    ## Why the pod fails
    The image has no manifest for the node's platform: the pull fails with "no matching manifest
    for linux/arm64", or a single-platform image pulled anyway fails at start with "exec format
    error" and crash-loops.

    ## How to fix
    Pin the pod to nodes of a published architecture (`nodeSelector: {kubernetes.io/arch: amd64}`)
    or use a multi-arch image.

    ## Near misses
    Images podmortem knows to be multi-arch, or knows nothing about, are not checked; without
    `--cluster` a pod without an arch nodeSelector is not judged.
    """
    cluster = bundle.cluster
    for image, platforms, selector, site in bundle.arch_needs:
        archs = {p.split("/", 1)[1].split("/")[0] for p in platforms if "/" in p}
        wanted = selector.get(ARCH_LABEL)
        published = ", ".join(platforms)
        if wanted is not None:
            if wanted not in archs:
                yield site, Emit(site.line, f"image {image} is published for {published} only, but the pod's "
                                            f"nodeSelector requires {ARCH_LABEL}={wanted}: the pull fails (no matching "
                                            f"manifest) or the binary fails with \"exec format error\"",
                                 container=site.container)
            continue
        nodes = cluster.node_architectures(selector) if cluster is not None else None
        if not nodes:
            continue
        if not nodes & archs:
            yield site, Emit(site.line, f"image {image} is published for {published} only, and the nodes the pod can "
                                        f"run on are {', '.join(sorted(nodes))}: the pull fails (no matching manifest) "
                                        f"or the binary fails with \"exec format error\"", container=site.container)
        elif nodes - archs:
            yield site, Emit(site.line, f"image {image} is published for {published} only, and some nodes the pod can "
                                        f"run on are {', '.join(sorted(nodes - archs))}: pods scheduled there fail with "
                                        f"\"exec format error\"", container=site.container, severity="warning",
                             fix=f"Add nodeSelector {ARCH_LABEL}: {sorted(archs)[0]}.")
