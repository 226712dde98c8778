"""Run the lint checks over a stream of sources and collect one report.

Files are read and checked one at a time (the nodes of a file are freed once its objects are
checked); references across files are resolved at the end from the names and keys the bundle
kept. This module does no output and never exits: `command.py` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from podmortem.errors import EmptyInput
from podmortem.lint.bundle import Bundle, Site
from podmortem.lint.checks import ALL_CHECKS, Check
from podmortem.lint.cluster import ClusterView
from podmortem.lint.loader import INDEXED_KINDS, ReadStats, Source, load_manifests
from podmortem.lint.model import Emit, LintFinding, LintReport
from podmortem.lint.suppress import Baseline, Suppressions
from podmortem.lint.workloads import ignored_by_annotation, workload_of


@dataclass(frozen=True, slots=True)
class LintOptions:
    select: frozenset[str] | None = None  # only these checks (None: all)
    ignore: frozenset[str] = frozenset()
    strict_refs: bool = False  # the files are the whole bundle: every missing reference is an error
    baseline: Baseline | None = None  # report only findings this earlier report does not have
    # lint --cluster: reads the cluster for the namespaces the files use (None: the default one)
    cluster: Callable[[set[str | None]], ClusterView] | None = None
    # lint -k: moves findings from rendered kustomize output to the source files
    relocate: Callable[[LintFinding], LintFinding] | None = None


def _finding(check: Check, emit: Emit, file: str, obj: str, namespace: str | None,
             ignored: Suppressions) -> LintFinding:
    return LintFinding(
        check=check.id,
        cause=emit.cause or check.cause,
        severity=emit.severity or check.severity,
        file=file,
        line=emit.line,
        object=obj,
        container=emit.container,
        message=emit.message,
        fix=emit.fix or check.fix,
        namespace=namespace,
        suppressed=ignored.reason(check.id) if ignored else None,
    )


def lint_sources(sources: Iterable[Source], options: LintOptions | None = None) -> LintReport:
    options = options or LintOptions()
    active = [c for c in ALL_CHECKS
              if (options.select is None or c.id in options.select) and c.id not in options.ignore]
    workload_checks = [c for c in active if c.scope == "workload"]
    object_checks = [c for c in active if c.scope == "object"]
    bundle_checks = [c for c in active if c.scope == "bundle"]

    stats = ReadStats()
    bundle = Bundle()
    findings: list[LintFinding] = []
    workloads = 0
    namespaces: set[str | None] = set()
    for source in sources:
        for m in load_manifests(source, stats):
            namespaces.add(m.namespace)
            if m.kind in INDEXED_KINDS:
                bundle.add_object(m)
                ignored = ignored_by_annotation(m)
                for check in object_checks:
                    findings.extend(_finding(check, e, m.file, m.label, m.namespace, ignored) for e in check.run(m))
                continue
            w = workload_of(m)
            if w is None:
                continue
            workloads += 1
            for check in workload_checks:
                findings.extend(_finding(check, e, m.file, m.label, m.namespace, w.ignored) for e in check.run(w))
            bundle.add_workload(w)
    if stats.objects == 0:
        raise EmptyInput("no Kubernetes objects found (no document has a `kind`)",
                         hint="lint rendered manifests: helm template ... | podmortem lint -")

    notes: list[str] = []
    if options.cluster is not None:
        bundle.cluster = options.cluster(namespaces)
        notes = list(bundle.cluster.notes)
        for ns, exists in sorted(bundle.cluster.namespaces.items()):
            if not exists and ns not in bundle.namespaces:
                notes.append(f"namespace {ns} does not exist in the cluster and the files do not create it: "
                             f"applying them fails (namespaces \"{ns}\" not found)")
    for check in bundle_checks:
        site: Site
        for site, e in check.run(bundle, options.strict_refs):
            findings.append(_finding(check, e, site.file, site.object, site.namespace, site.ignored))

    # A LimitRange with a default memory limit gives every container of its namespace a limit.
    findings = [f for f in findings
                if not (f.check == "memory-limit-missing" and bundle.has_default_memory_limit(f.namespace))]
    if options.relocate is not None:
        findings = [options.relocate(f) for f in findings]
    unique = sorted(set(findings), key=LintFinding.sort_key)
    reported = [f for f in unique if f.suppressed is None]
    baselined = 0
    if options.baseline is not None:
        reported, baselined = options.baseline.split(reported)
        reported.sort(key=LintFinding.sort_key)
    return LintReport(findings=tuple(reported), files=stats.files, objects=stats.objects, workloads=workloads,
                      suppressed=tuple(f for f in unique if f.suppressed is not None), baselined=baselined,
                      notes=tuple(notes))
