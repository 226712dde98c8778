"""From a Collection to diagnoses and a report: evidence per pod, the engine, notes, groups, output.

The diagnosis itself is the engine's (the same as `explain`); this module only turns what the
collector fetched into PodEvidence, adds what the live source knows beyond one pod (sampled
logs, ConfigMap/Secret checks, the rollout revision that started a crash loop, missing RBAC),
and renders: JSON is the `explain` contract plus `groups` and `missing_rbac`; text and
Markdown show each group once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from podmortem.backoff import BackoffSettings
from podmortem.kube.kubectl import kubectl, object_ref
from podmortem.live.changes import what_changed
from podmortem.live.collect import Collection, ConfigRef, LogCapture, PodKey, controller_of
from podmortem.live.fleet import Group, group_diagnoses, owner_label, pick_representatives
from podmortem.live.parallel import PARALLEL_FROM
from podmortem.model import Command, Finding, LogText, PodDiagnosis, PodEvidence
from podmortem.model.evolve import evolve
from podmortem.sources.healthy import PlainPod

SHOW_HEALTHY_UP_TO = 20  # with more pods than this, healthy ones are counted, not listed


@dataclass
class LiveResult:
    diagnoses: list[PodDiagnosis]
    groups: list[Group]
    collection: Collection
    owners: dict[PodKey, str] = field(default_factory=dict)
    extras: dict[PodKey, dict[str, Any]] = field(default_factory=dict)  # per-pod JSON additions
    context: str | None = None
    server: str | None = None
    requests: dict[str, int] = field(default_factory=dict)
    evidence: dict[PodKey, PodEvidence] = field(default_factory=dict)  # what each diagnosis read (HTML timeline)
    # The -o json report's pod entries, rendered where the pods were diagnosed (render.jsonparts);
    # `diagnoses` then holds only those with a finding, and `extras` nothing.
    entries: list[bytes] | None = None

    @property
    def problem(self) -> bool:
        return any(d.findings for d in self.diagnoses)


def _log_text(cap: LogCapture, origin: str) -> LogText:
    from podmortem.sources.logs import log_text_from_lines

    # The crashed instance is what rules read first; a terminated container's current log is that instance.
    return log_text_from_lines(cap.text.splitlines(), origin, previous=True, cut=cap.truncated)


class EvidenceBuilder:
    """The evidence of one listed pod of a collection: a PlainPod for a plainly healthy one
    (sources.healthy), its status for another healthy one, status, events and logs for a failing one.
    A sampled log is parsed once for every pod it stands for."""

    def __init__(self, col: Collection) -> None:
        self.col = col
        self.logs: dict[PodKey, dict[str, LogCapture]] = defaultdict(dict)
        for (ns, name, container), cap in col.logs.items():
            self.logs[(ns, name)][container] = cap
        self.shared: dict[tuple[PodKey, str], LogText] = {}

    def __call__(self, key: PodKey, pod: Mapping[str, Any]) -> PodEvidence | PlainPod:
        from podmortem.engine import plain_pod
        from podmortem.sources.objects import event, pod_evidence, with_evidence

        col = self.col
        if key not in col.failing:
            cached = col.status_evidence.get(key) or col.plain.get(key)
            return (cached if cached is not None
                    else plain_pod(pod, has_events=key in col.events) or pod_evidence(pod))
        events = [event(e) for e in col.events.get(key, ())]
        source = col.log_samples.get(key, key)
        texts: dict[str, tuple[LogText, ...]] = {}
        for container, cap in self.logs.get(source, {}).items():
            if source == key:
                texts[container] = (_log_text(cap, cap.request),)
            else:  # one parse of a sampled log for every pod it stands for
                shared_key = (source, container)
                if shared_key not in self.shared:
                    self.shared[shared_key] = _log_text(cap, f"{cap.request} (a pod of the same owner failing the same way)")
                texts[container] = (self.shared[shared_key],)
        status = col.status_evidence.get(key)
        if status is not None:
            return with_evidence(status, events, texts, has_events=key in col.events)
        return pod_evidence(pod, events, texts, has_events=key in col.events)


def _referenced_keys(pod: Mapping[str, Any]) -> dict[tuple[str, str], set[tuple[str, bool]]]:
    """(kind, name) -> {(key, optional)} of keys the pod's env and volume items name."""
    spec = pod.get("spec") or {}
    keys: dict[tuple[str, str], set[tuple[str, bool]]] = defaultdict(set)
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            for field_name, kind in (("configMapKeyRef", "configmap"), ("secretKeyRef", "secret")):
                r = vf.get(field_name)
                if r and r.get("name") and r.get("key"):
                    keys[(kind, str(r["name"]))].add((str(r["key"]), bool(r.get("optional"))))
    for v in spec.get("volumes") or []:
        for field_name, kind, name_key in (("configMap", "configmap", "name"), ("secret", "secret", "secretName")):
            src = v.get(field_name)
            if src and src.get(name_key):
                for item in src.get("items") or []:
                    if item.get("key"):
                        keys[(kind, str(src[name_key]))].add((str(item["key"]), bool(src.get("optional"))))
    return keys


def config_notes(pod: Mapping[str, Any], refs: Mapping[tuple[str, str, str], ConfigRef],
                 top_cause: str | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Notes about missing ConfigMaps/Secrets and keys, and the refs as JSON (key names only)."""
    from podmortem.live.collect import config_refs_of

    ns = str((pod.get("metadata") or {}).get("namespace") or "")
    wanted = _referenced_keys(pod)
    notes: list[str] = []
    out: list[dict[str, Any]] = []
    label = {"configmap": "ConfigMap", "secret": "Secret"}
    for kind, name in sorted(config_refs_of(pod)):
        ref = refs.get((kind, ns, name))
        if ref is None:
            continue
        d = ref.as_dict()
        missing_keys = sorted(k for k, _ in wanted.get((kind, name), ()) if ref.exists and k not in ref.keys)
        d["missing_keys"] = missing_keys
        out.append(d)
        if ref.exists is False:
            notes.append(f"{label[kind]} {ns}/{name} does not exist (checked via the API)")
        elif missing_keys:
            have = ", ".join(ref.keys) or "none"
            notes.append(f"{label[kind]} {ns}/{name} has no key {', '.join(missing_keys)} (its keys: {have})")
        elif ref.exists is None and top_cause and top_cause.startswith("config."):
            notes.append(f"{label[kind]} {ns}/{name} could not be checked: {ref.why_unknown}")
    return notes, out


def _owners(col: Collection) -> dict[PodKey, str]:
    """Each pod's top-level owner: a ReplicaSet's Deployment when the ReplicaSet names one."""
    owners: dict[PodKey, str] = {}
    # A plainly healthy pod read on the typed view is a stub made from its summary's owner
    # (live/podpage.owner_stub): the summary says it without reading the stub; and the pods of one
    # owner (50 of them on --scale 10000) share one answer. 10,000 pods: 21 -> 9 ms.
    plain = col.plain if col.healthy_stubs else {}
    top: dict[tuple[str, str, str], str] = {}
    for key, pod in col.keyed():
        summary = plain.get(key)
        if summary is not None:
            if summary.owner is None:
                continue
            kind, name = summary.owner.split("/", 1)
        else:
            ctl = controller_of(pod)
            if ctl is None:
                continue
            kind, name = ctl
        label = top.get((key[0], kind, name))
        if label is None:
            label = top[(key[0], kind, name)] = _top_owner(col, key[0], kind, name)
        owners[key] = label
    return owners


def _top_owner(col: Collection, namespace: str, kind: str, name: str) -> str:
    if kind == "ReplicaSet":
        rs = col.replicasets.get((namespace, name))
        parent = controller_of(rs) if rs else None
        if parent and parent[0] == "Deployment":
            kind, name = parent
        elif rs is None and "-" in name:
            # Unknown ReplicaSet (not readable): its name is "<deployment>-<template hash>".
            return owner_label("ReplicaSet", name)
    return owner_label(kind, name)


def _deployment_ref(rs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The owning Deployment as far as what_changed needs it (name, namespace, uid), from the ReplicaSet."""
    for ref in (rs.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "Deployment" and ref.get("name"):
            return {"metadata": {"name": ref["name"], "uid": ref.get("uid"),
                                 "namespace": (rs.get("metadata") or {}).get("namespace")}}
    return None


def _what_changed(col: Collection) -> dict[PodKey, dict[str, Any]]:
    failing_rs: dict[tuple[str, str], set[str]] = defaultdict(set)  # (ns, deployment) -> failing RS names
    pod_rs: dict[PodKey, tuple[str, str, str]] = {}
    deployments: dict[tuple[str, str], dict[str, Any]] = {}
    for key, pod in col.keyed():
        if key not in col.failing:
            continue
        ctl = controller_of(pod)
        if not ctl or ctl[0] != "ReplicaSet":
            continue
        rs = col.replicasets.get((key[0], ctl[1]))
        dep = _deployment_ref(rs) if rs else None
        if dep is None:
            continue
        dkey = (key[0], str(dep["metadata"]["name"]))
        deployments.setdefault(dkey, dep)
        failing_rs[dkey].add(ctl[1])
        pod_rs[key] = (*dkey, ctl[1])
    ns_rs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (ns, _), rs in col.replicasets.items():
        ns_rs[ns].append(rs)
    cache: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    out: dict[PodKey, dict[str, Any]] = {}
    for key, (ns, dep_name, rs_name) in pod_rs.items():
        ck = (ns, dep_name, rs_name)
        if ck not in cache:
            change = what_changed(deployments[(ns, dep_name)], ns_rs[ns], rs_name, failing_rs[(ns, dep_name)])
            cache[ck] = change.as_dict() if change else None
        found = cache[ck]
        if found is not None:
            out[key] = found
    return out


def _is_undo(step: object) -> bool:
    return isinstance(step, Command) and step.argv[:3] == ("kubectl", "rollout", "undo")


def with_rollback(f: Finding, change: Mapping[str, Any]) -> Finding:
    """The top finding of a pod whose crash loop began with a rollout revision, offered the way back:
    `kubectl rollout undo deployment/NAME --to-revision=N`, N the last revision that ran (from the
    ReplicaSets' revision annotations and their ready pods, live/changes.py)."""
    good = change.get("last_good_revision")
    ns, _, name = str(change.get("deployment") or "").partition("/")
    if not isinstance(good, int) or not ns or not name:
        return f
    began = change.get("began_with_revision")
    confirmed = bool(change.get("last_good_confirmed"))
    undo = kubectl("rollout", "undo", object_ref("Deployment", name), f"--to-revision={good}", namespace=ns)
    text = (f" Or roll back while the fix is made: revision {began} started the crash loop and revision {good} "
            + ("is the last that ran (its pods were ready)" if confirmed else
               "is the newest earlier one (a guess: it is not confirmed that it ran)")
            + " (kubectl rollout undo below).")
    r = f.remedy
    # a rule's own `rollout undo` (to the previous revision, whatever it was) gives way to the evidenced one
    kept = tuple(s for s in r.commands if not _is_undo(s))
    remedy = evolve(r, summary=r.summary.rstrip() + text, commands=(*kept, undo),
                     namespaces=(*r.namespaces, ns) if ns not in r.namespaces else r.namespaces)
    return evolve(f, remedy=remedy)


def without_rollback(f: Finding) -> Finding:
    """The top finding of a pod whose Deployment has no earlier revision: a rule's `rollout undo`
    would fail as printed (kubectl: "no rollout history found"), so it goes, and the text says why."""
    r = f.remedy
    kept = tuple(s for s in r.commands if not _is_undo(s))
    if len(kept) == len(r.commands):
        return f
    text = " There is no earlier revision to roll back to: the Deployment's ReplicaSets show only this one."
    return evolve(f, remedy=evolve(r, summary=r.summary.rstrip() + text, commands=kept))


# The cost of a plainly healthy pod (the collector's summary: diagnosis, notes, entry) and of another
# healthy pod (its status through the engine) against a failing one's (evidence, engine, entry);
# they cut the shares.
PLAIN_WEIGHT = 1 / 60
OTHER_WEIGHT = 1 / 4
# This process's share against each forked worker's: a worker does the same work about a third slower
# (the pages it writes are copied, it compiles the patterns it meets, it pickles what it sends back).
# --scale 10000, 2 workers: at 1.0 the worker's share arrived 0.05 s after this one was done; at 1.3
# the two end together and the chain took 0.32 s instead of 0.34.
LEAD = 1.3


def diagnose_collection(col: Collection, *, now: datetime, backoff: BackoffSettings | None = None,
                        workers: int = 1, keep_evidence: bool = True, rendered: bool = False) -> LiveResult:
    """Every listed pod's diagnosis with what the live source adds (sampled logs, ConfigMap checks,
    what changed, notes), in list order.

    workers: processes among which the pods are shared, each a run of the list from its evidence to
    its diagnosis (live/parallel.py), for a short-lived command whose collector has stopped its
    threads; the results are the same as with one. keep_evidence: keep each diagnosed pod's evidence
    in the result (the HTML report reads it). rendered: each pod's entry of the `-o json` report is
    rendered where it is diagnosed (LiveResult.entries), and only the diagnoses with a finding (the
    groups') come back.
    """
    from podmortem.engine import diagnose, diagnose_plain
    from podmortem.live import parallel

    settings = backoff or BackoffSettings()
    by_key = dict(col.keyed())
    changes = _what_changed(col)
    owners = _owners(col)
    evidence_of = EvidenceBuilder(col)

    def finish(key: PodKey, d: PodDiagnosis) -> tuple[PodDiagnosis, dict[str, Any]]:
        notes: list[str] = []
        extra: dict[str, Any] = {}
        if key in col.failing:
            sample = col.log_samples.get(key)
            if sample is not None:
                notes.append(f"logs not read for this pod: it fails like pod {sample[1]} of the same owner, "
                             f"whose logs were read instead (sampled to keep API calls low)")
                extra["logs_from"] = f"{sample[0]}/{sample[1]}"
            cnotes, refs = config_notes(by_key[key], col.config_refs, d.findings[0].cause if d.findings else None)
            notes += cnotes
            if refs:
                extra["config_refs"] = refs
            if key in changes:
                extra["what_changed"] = changes[key]
                if d.findings and changes[key]["last_good_revision"] is not None:
                    notes.append("what changed: " + changes[key]["summary"])
                    d = evolve(d, findings=(with_rollback(d.findings[0], changes[key]), *d.findings[1:]))
                elif d.findings and changes[key]["began_with_revision"] == changes[key]["revision"] \
                        and changes[key].get("newest_revision") == changes[key]["revision"]:
                    d = evolve(d, findings=(without_rollback(d.findings[0]), *d.findings[1:]))
        notes += col.pod_notes.get(key, [])
        if notes:
            d = evolve(d, notes=(*notes, *d.notes))
        if key in owners:
            extra["top_owner"] = owners[key]
        return d, extra

    def one(key: PodKey) -> tuple[PodDiagnosis, dict[str, Any], PodEvidence | None]:
        # A healthy pod's evidence is what the collector kept (or, for a collection read from files,
        # made here); only the failing pods' is built per pod, with their events and logs.
        ev = evidence_of(key, by_key[key])
        if isinstance(ev, PlainPod):
            return (*finish(key, diagnose_plain(ev)), None)
        d, extra = finish(key, diagnose(ev, now=now, backoff=settings))
        return d, extra, ev if keep_evidence else None

    Done = list[tuple[PodDiagnosis, dict[str, Any], PodEvidence | None]]

    def share(done: Done, _: object) -> Done | tuple[bytes, list[PodDiagnosis]]:
        if not rendered:
            return done
        from podmortem.render.jsonparts import pod_entries

        return (pod_entries([d for d, _, _ in done], [extra for _, extra, _ in done]),
                [d for d, _, _ in done if d.findings])

    keys = [key for key, _ in col.keyed()]
    # The pods that need the engine, failing or not (a restart long ago), cost; the plainly healthy
    # ones (the collector's summaries) next to nothing. Each share is a run of the list, in order.
    weights = [1.0 if key in col.failing else PLAIN_WEIGHT if key in col.plain else OTHER_WEIGHT for key in keys]
    if sum(1 for w in weights if w > PLAIN_WEIGHT) < PARALLEL_FROM:
        workers = 1
    if workers > 1 and rendered:  # imported once here, not once in every process after the fork
        import podmortem.render.json
        import podmortem.render.jsonparts  # noqa: F401
    parts = parallel.staged_map(one, keys, workers, finish=share, weights=weights, lead=LEAD)
    diagnoses: list[PodDiagnosis] = []
    extras: dict[PodKey, dict[str, Any]] = {}
    evidence: dict[PodKey, PodEvidence] = {}
    entries: list[bytes] | None = None
    if rendered:
        entries = []
        for part in parts:
            assert isinstance(part, tuple)
            entries.append(part[0])
            diagnoses += part[1]
    else:
        done = [x for part in parts if isinstance(part, list) for x in part]
        for key, (d, extra, ev) in zip(keys, done, strict=True):
            if ev is not None:
                evidence[key] = ev
            extras[key] = extra
            diagnoses.append(d)
    groups = group_diagnoses(diagnoses, owners, changes)
    pick_representatives(groups, diagnoses)
    return LiveResult(diagnoses, groups, col, owners, extras, evidence=evidence, entries=entries)


def with_patch_files(result: LiveResult, folder: str) -> None:
    """`--write-patches DIR`: every patch written once to a file in DIR, and the diagnoses (and each group's
    representative) naming it."""
    from podmortem.render.patchfiles import write_patches

    written = write_patches(result.diagnoses, folder)
    by_id = {id(old): new for old, new in zip(result.diagnoses, written, strict=True)}
    result.diagnoses = written
    for g in result.groups:
        if g.representative is not None:
            g.representative = by_id.get(id(g.representative), g.representative)


# -- output ----------------------------------------------------------------------------------------


def render_json(result: LiveResult) -> str:
    import orjson

    from podmortem.render.json import document

    col = result.collection
    rest: dict[str, Any] = {
        "groups": [g.as_dict() for g in result.groups],
        "missing_rbac": [m.as_dict() for m in col.missing_rbac],
        "source": {"kind": "live", "server": result.server, "context": result.context,
                   "listed_at": col.listed_at.isoformat() if col.listed_at else None,
                   "pods": len(col.pods), "failing": len(col.failing), "requests": result.requests},
        "warnings": list(col.warnings),
    }
    if result.entries is not None:
        from podmortem.render.jsonparts import json_report

        return json_report(result.entries, **rest)
    doc = document(result.diagnoses, **rest)
    for entry, d in zip(doc["pods"], result.diagnoses, strict=True):
        entry.update(result.extras.get((d.namespace or "", d.name or ""), {}))
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _others(g: Group, rep: PodDiagnosis) -> str:
    names = [n for n in g.pods if n != rep.name]
    shown = ", ".join(names[:8])
    if len(names) > 8:
        shown += f" and {len(names) - 8} more"
    return shown


def _group_diagnosis(g: Group) -> PodDiagnosis:
    rep = g.representative
    assert rep is not None
    if len(g.pods) == 1:
        return rep
    others = len(g.pods) - 1
    head = f"the other pod{'s' if others > 1 else ''} of the group ({others}): {_others(g, rep)}"
    return evolve(rep, notes=(head, *rep.notes))


def render_report(result: LiveResult, fmt: str, *, color: bool, show_healthy: bool = False,
                  details: str = "auto", width: int | None = None) -> str:
    """Text, wide or Markdown: missing RBAC first, then (text, several groups) the summary table,
    then each group once (the top `details` groups after a table), then the count."""
    from podmortem.render import DEFAULT_DETAILS, render
    from podmortem.render.markdown import prose
    from podmortem.render.summary import details_count, summarise, summary_table, table_order
    from podmortem.render.terminal import DEFAULT_WIDTH

    col = result.collection
    healthy = [d for d in result.diagnoses if not d.findings]
    show_healthy = show_healthy or len(result.diagnoses) <= SHOW_HEALTHY_UP_TO
    md = fmt == "markdown"
    bold = ("\x1b[1m", "\x1b[0m") if color and not md else ("", "")
    parts: list[str] = []
    failing = sum(len(g.pods) for g in result.groups)
    if md:
        parts.append(f"# podmortem: {len(result.diagnoses)} pods, {failing} with problems in "
                     f"{len(result.groups)} groups\n")
    lines = [m.line() for m in col.missing_rbac] + [f"warning: {w}" for w in col.warnings]
    if lines:
        parts.append("\n".join(("- " + prose(line)) if md else _wrap("! " + line, width, 2) for line in lines) + "\n")
    groups = list(result.groups)
    shown_groups = groups
    if not md:
        rows = summarise(result.diagnoses, result.owners)
        table = len(rows) > 1
        if table:
            parts.append("\n".join(summary_table(rows, now=col.listed_at, width=width or DEFAULT_WIDTH)) + "\n")
            order = {(r.namespace, r.owner, r.cause, r.container): i for i, r in enumerate(table_order(rows))}
            groups.sort(key=lambda g: order.get((g.namespace, g.owner, g.cause, g.container), len(order)))
        n = details_count(details, table, DEFAULT_DETAILS)
        shown_groups = groups if n is None else groups[:n]
    for g in shown_groups:
        text = render([_group_diagnosis(g)], fmt, color=color, width=width).rstrip("\n")
        if md:
            text = "\n".join("#" + ln if ln.startswith("## ") else ln for ln in text.splitlines())
            text = f"## {prose(g.title)}\n\n{text}"
        elif len(g.pods) > 1:
            text = f"{bold[0]}{_wrap('▶ ' + g.title, width, 2)}{bold[1]}\n{text}"
        parts.append(text + "\n")
    if show_healthy and healthy:
        if md:
            parts.append("## Nothing wrong found\n\n" + "\n".join(
                f"- {prose(f'{d.namespace}/{d.name}')} — {prose(d.status)}" for d in healthy) + "\n")
        else:
            parts.append("\n".join(render([d], fmt, color=color, width=width).rstrip("\n") for d in healthy) + "\n")
    summary = (f"{len(result.diagnoses)} pods checked, {failing} with problems in {len(result.groups)} "
               f"group{'s' if len(result.groups) != 1 else ''}")
    if healthy and not show_healthy:
        summary += f", {len(healthy)} without problems (not listed; --show-healthy lists them)"
    if len(shown_groups) < len(groups):
        summary += f"; details for {len(shown_groups)} of the groups (--details all shows every one)"
    if result.server:
        summary += f"; cluster {result.context + ' ' if result.context else ''}{result.server}"
    parts.append((summary if md else _wrap(summary, width, 0)) + "\n")
    return "\n".join(parts)


def _wrap(line: str, width: int | None, indent: int) -> str:
    """A line of the text report wrapped at the terminal's width, continuation lines indented."""
    import textwrap

    from podmortem.render.terminal import DEFAULT_WIDTH

    return textwrap.fill(line, width or DEFAULT_WIDTH, subsequent_indent=" " * indent, break_on_hyphens=False,
                         break_long_words=True)


def render_html_report(result: LiveResult, *, title: str = "podmortem incident report",
                       headline: str | None = None, notes: list[str] | None = None) -> str:
    """The HTML incident report of a live run: groups, the top groups in detail, every pod in a table."""
    from podmortem.render.html import render_html

    col = result.collection
    items = [(d, result.evidence.get((d.namespace or "", d.name or ""))) for d in result.diagnoses]
    lines = [*(notes or []), *(m.line() for m in col.missing_rbac), *(f"warning: {w}" for w in col.warnings)]
    return render_html(items, title=title, now=col.listed_at, owners=result.owners, headline=headline, notes=lines)


def render_live(result: LiveResult, fmt: str, *, color: bool, show_healthy: bool = False,
                details: str = "auto", width: int | None = None) -> str:
    if fmt == "html":
        return render_html_report(result)
    if fmt == "json":
        return render_json(result)
    if fmt == "yaml":
        import orjson
        import yaml

        return str(yaml.safe_dump(orjson.loads(render_json(result)), sort_keys=False, allow_unicode=True))
    return render_report(result, fmt, color=color, show_healthy=show_healthy, details=details, width=width)
