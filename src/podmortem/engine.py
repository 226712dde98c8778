"""The diagnosis engine: run the rules over one pod, rank their findings, name the root cause.

Rules only report what they see; the engine decides between competing findings. It merges
findings of the same cause and container, orders them by strength of evidence and confidence,
applies the root-cause chains of shared/causes.md (an OOM kill outranks the liveness kill that
followed it; an unreachable database outranks the probe that killed the waiting app), and
emits `unknown` with the missing evidence when nothing fits. Pure: no I/O, no clock unless given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from podmortem.backoff import BackoffSettings, container_backoff
from podmortem.causes import CAUSES, CauseId
from podmortem.kube.kubectl import kubectl
from podmortem.model import Backoff, Citation, Finding, PodDiagnosis, PodEvidence, Remedy, Step
from podmortem.model.evolve import evolve
from podmortem.podstatus import pod_status
from podmortem.rules import ALL_RULES, Rule
from podmortem.rules.evidence import (
    BENIGN_WAITING,
    cite_termination,
    cite_waiting,
    debug_command,
    describe_command,
    failing_containers,
    logs_command,
    namespace_of,
    pod_arg,
    workload_target,
)
from podmortem.rules.facts import facts_of
from podmortem.rules.patch import for_pod, recreate_statefulset_pod
from podmortem.sources.healthy import PlainPod, is_plainly_healthy, plain_pod

__all__ = ["PlainPod", "diagnose", "diagnose_all", "diagnose_plain", "is_plainly_healthy", "looks_healthy",
           "plain_pod"]

DEFAULT_BACKOFF = BackoffSettings()

# Root causes that, when seen for the same container, come before the symptom that followed.
# (root causes, symptom causes, how they connect)
_CHAINS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (frozenset({"node.pressure"}), frozenset(c for c in CAUSES if c != "node.pressure"),
     "the node evicted or disrupted the pod; container failures followed from that"),
    (frozenset({"resources.oom-killed", "resources.runtime-oom"}),
     frozenset({"probes.liveness", "probes.startup", "app.crash"}),
     "the container ran out of memory; the probe failures or the crash came from the dying process"),
    (frozenset({"app.dependency-unreachable", "app.missing-env", "app.config-invalid", "app.file-missing",
                "app.missing-module", "security.permission-denied", "security.read-only-fs", "app.port-in-use"}),
     frozenset({"probes.liveness", "probes.startup", "app.crash", "app.exit-zero"}),
     "the app could not start properly; the later failure is a consequence"),
    (frozenset({"config.ref-missing", "config.key-missing"}), frozenset({"volume.mount-failed"}),
     "the referenced object or key is missing, so the volume cannot be set up"),
)


def looks_healthy(pod: PodEvidence) -> bool:
    """True when nothing in the evidence shows a problem: the rules need not run."""
    if pod.reason or pod.phase == "Failed" or pod.loose_lines or pod.has_logs:
        return False
    if any(e.type == "Warning" for e in pod.events):
        return False
    # Pre-1.0 kubelets wrote untyped, lower-case events ("killing", "failed"): a kill there is a problem too.
    if any(e.type is None and (e.reason or "") in ("killing", "failed", "backOff", "unhealthy") for e in pod.events):
        return False
    for c in pod.containers:
        st = c.status
        if st is None:
            continue
        if c.restart_count:
            return False
        w = c.waiting_reason
        if w and w not in BENIGN_WAITING:
            return False
        t = st.state.terminated
        # Exit 0 of an app container is a problem only when it will be restarted (not in a Succeeded Job pod).
        if t is not None and (t.exit_code not in (0, None) or (not c.init and pod.phase != "Succeeded")):
            return False
        # A pasted fragment may lack the restart count yet show the instance that died.
        last = st.last_state.terminated
        if last is not None and (last.exit_code not in (0, None) or (last.reason or "Completed") != "Completed"):
            return False
    return True


def _findings(pod: PodEvidence, rules: Sequence[Rule]) -> tuple[list[Finding], list[str]]:
    out: list[Finding] = []
    notes: list[str] = []
    facts = facts_of(pod)
    for r in rules:
        when = r.when
        if when is not None and not when(facts):
            continue  # the rule cannot find anything here (tests/robustness/test_preconditions.py)
        try:
            hits = [*r.check(pod)]
        except Exception as exc:  # one broken rule must not hide what the others found
            import logging  # here: a run where no rule fails never loads logging (start-up, bench_startup.py)

            logging.getLogger(__name__).debug("rule %s failed on %s", r.id, pod.key, exc_info=True)
            notes.append(f"rule {r.id} failed: {type(exc).__name__}: {exc}")
            continue
        if not hits:
            continue
        category = r.category
        for h in hits:
            out.append(Finding(
                rule=r.id, cause=r.cause, category=category, detail=h.detail,
                container=h.container, init=h.init, confidence=round(min(max(h.confidence, 0.0), 1.0), 2),
                summary=h.summary, evidence=h.evidence,
                remedy=recreate_statefulset_pod(pod, for_pod(pod, h.remedy, h.container)), strength=h.strength,
                lint_check=r.lint_check,
            ))
    return out, notes


def _rank_key(f: Finding) -> float:
    return f.confidence + 0.05 * f.strength


def _merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (cause, container): the strongest, with the others' distinct evidence added."""
    best: dict[tuple[CauseId, str | None], Finding] = {}
    extra: dict[tuple[CauseId, str | None], list[Citation]] = {}
    items = sorted(findings, key=_rank_key, reverse=True)
    named = {(f.cause, f.container) for f in items if f.container}
    for f in items:
        key = (f.cause, f.container)
        if f.container is None:
            # A finding that names no container belongs to the named one of the same cause, if any.
            for cause, cont in named:
                if cause == f.cause:
                    key = (cause, cont)
                    break
        if key not in best:
            best[key] = f
            extra[key] = []
        else:
            extra[key].extend(f.evidence)
    merged = []
    for key, f in best.items():
        seen = {c.text for c in f.evidence}
        more = []
        for c in extra[key]:
            if c.text not in seen:
                seen.add(c.text)
                more.append(c)
        merged.append(evolve(f, evidence=f.evidence + tuple(more[:4])) if more else f)
    return sorted(merged, key=_rank_key, reverse=True)


def _same_container(a: Finding, b: Finding) -> bool:
    return a.container is None or b.container is None or a.container == b.container


def _chain(findings: list[Finding]) -> list[Finding]:
    """Move root causes ahead of the symptoms they produced, and say how they connect."""
    result = list(findings)
    for roots, symptoms, how in _CHAINS:
        for i, symptom in enumerate(list(result)):
            if symptom.cause not in symptoms:
                continue
            for j in range(i + 1, len(result)):
                root = result[j]
                if root.cause in roots and root.cause != symptom.cause and _same_container(root, symptom):
                    # A weak root (an exit-code guess) does not override strong symptom evidence.
                    if root.strength < symptom.strength and root.confidence < 0.6:
                        continue
                    result.pop(j)
                    result.insert(i, evolve(root, related=(*root.related, f"root of {symptom.cause}: {how}")))
                    k = i + 1
                    result[k] = evolve(result[k], related=(*result[k].related, f"follows from {root.cause}: {how}"))
                    break
    return _symptoms_below_confident(result)


def _symptoms_below_confident(findings: list[Finding]) -> list[Finding]:
    """A symptom ranked behind its root cause is not the cause: it stays below the confident band
    (docs/calibration.md counts every finding at 0.8 or more as a claim to be the cause)."""
    out = list(findings)
    for i, f in enumerate(out):
        for roots, symptoms, _how in _CHAINS:
            if f.cause in symptoms and any(r.cause in roots and r.cause != f.cause and _same_container(r, f)
                                           for r in out[:i]):
                out[i] = evolve(f, confidence=min(f.confidence, 0.75))
                break
    return out


def _missing(pod: PodEvidence) -> list[str]:
    missing = []
    if not pod.has_logs:
        missing.append("logs")
    if not pod.has_events:
        missing.append("events")
    if not pod.has_status:
        missing.append("status")
    if not pod.has_spec:
        missing.append("spec")
    return missing


def _unknown(pod: PodEvidence, missing: list[str]) -> Finding:
    failing = failing_containers(pod)
    c = failing[0] if failing else None
    name = c.name if c else None
    evidence: list[Citation] = []
    if c is not None:
        w = cite_waiting(pod, c)
        if w:
            evidence.append(w)
        t = c.last_termination
        if t is not None:
            evidence.append(cite_termination(pod, c, t))
    commands: list[Step] = []
    if "logs" in missing:
        commands.append(logs_command(pod, name))
    if "events" in missing or "status" in missing:
        commands.append(describe_command(pod))
    if "spec" in missing:
        commands.append(kubectl("get", "pod", pod_arg(pod), "-o", "yaml", namespace=namespace_of(pod)))
    commands.append(debug_command(pod, name))
    what = f"container {name}" if name else "the pod"
    need = ", ".join(missing) if missing else "nothing more is available"
    return Finding(
        rule="no-rule-matched", cause=CauseId.UNKNOWN, category="-", detail=None, container=name,
        init=bool(c and c.init), confidence=0.0,
        summary=f"The evidence does not show why {what} fails; missing evidence: {need}.",
        evidence=tuple(evidence),
        remedy=Remedy("Collect the missing evidence with the commands below and run podmortem again.",
                      None, tuple(commands), target=workload_target(pod, name)),
        strength=0,
    )


class Examined(NamedTuple):
    """What a pod's diagnosis is, apart from the time: everything but the back-off positions. The
    rules never read the time, so this part can be worked out before the time is known (explain's
    workers do it while the input is still being read: explainpods.py)."""

    status: str
    missing: tuple[str, ...]
    owner: str | None
    findings: tuple[Finding, ...] | None  # None: the pod looks healthy, no rule was run
    notes: tuple[str, ...]


def examine(pod: PodEvidence, *, rules: Sequence[Rule] = ALL_RULES) -> Examined:
    """The time-free part of `diagnose`: status, what is missing, and the ranked findings."""
    status = pod_status(pod) if pod.has_status else (pod.phase or "Unknown")
    missing = tuple(_missing(pod))
    owner = f"{pod.owner.kind}/{pod.owner.name}" if pod.owner else None
    if looks_healthy(pod):
        return Examined(status, missing, owner, None, ())
    found, notes = _findings(pod, rules)
    ranked = _chain(_merge(found))
    if not ranked:
        ranked = [_unknown(pod, list(missing))]
    return Examined(status, missing, owner, tuple(ranked), tuple(notes))


def conclude(pod: PodEvidence, examined: Examined, *, now: datetime | None = None,
             backoff: BackoffSettings | None = None) -> PodDiagnosis:
    """The diagnosis of `pod` at `now`, from what `examine` found: adds the back-off positions."""
    backoffs: list[Backoff] = []
    # A pod that has finished (Failed: evicted, or restartPolicy Never; Succeeded) restarts nothing.
    if pod.phase not in ("Failed", "Succeeded"):
        for c in pod.containers:
            b = container_backoff(c, now, backoff or DEFAULT_BACKOFF)
            if b is not None:
                backoffs.append(b)
    status, missing, owner, findings, notes = examined
    if findings is None:
        return PodDiagnosis(pod.namespace, pod.name, status, (), tuple(backoffs), owner, missing)
    return PodDiagnosis(pod.namespace, pod.name, status, findings, tuple(backoffs), owner, missing, notes)


def diagnose(
    pod: PodEvidence,
    *,
    rules: Sequence[Rule] = ALL_RULES,
    now: datetime | None = None,
    backoff: BackoffSettings | None = None,
) -> PodDiagnosis:
    """Diagnose one pod: ranked findings (root cause first), back-off positions, what is missing."""
    return conclude(pod, examine(pod, rules=rules), now=now, backoff=backoff)


def diagnose_plain(pod: PlainPod) -> PodDiagnosis:
    """The diagnosis of a plainly healthy pod (sources.healthy), equal to what `diagnose` gives for its
    full evidence: running, nothing found, no back-off, logs (and events unless supplied) missing."""
    return pod.diagnosis()


def diagnose_all(pods: Iterable[PodEvidence], **kwargs: object) -> list[PodDiagnosis]:
    return [diagnose(p, **kwargs) for p in pods]  # type: ignore[arg-type]
