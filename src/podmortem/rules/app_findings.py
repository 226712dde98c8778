"""The pieces of a finding that the app rules share: wording, citations, commands and patches.

The app rules (rules/app.py and its app_* modules) turn the candidate that rules/app_analysis.py
found in a container's log into a Hit the same way: who failed, the quoted line, the log and
termination citations, the namespace flag and the container patch of the remedy (with its YAML
quoting), the volume a path falls under.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from podmortem.model import Citation, ContainerEvidence, PodEvidence, Step
from podmortem.model.evidence import VolumeMount
from podmortem.rules.app_analysis import Analysis, Candidate, analyse
from podmortem.rules.evidence import LogMatch, cite_log, cite_termination, logs_command, status_source
from podmortem.rules.patch import container_patch


def container_title(c: ContainerEvidence) -> str:
    kind = "Init container" if c.init else "Container"
    return f"{kind} {c.name}" if c.name else "The container"


def _cite(pod: PodEvidence, c: ContainerEvidence, cand: Candidate) -> Citation:
    if cand.line.origin is not None:
        return Citation(status_source(pod), cand.line.text.strip(), cand.line.origin)
    return cite_log(LogMatch(c, cand.line.line_no, cand.line.text, cand.match, cand.line.raw))


def app_citations(pod: PodEvidence, c: ContainerEvidence, an: Analysis, cand: Candidate) -> tuple[Citation, ...]:
    cites = [_cite(pod, c, cand)]
    cites.extend(_cite(pod, c, s) for s in an.supporting(cand))
    t = c.last_termination
    if t is not None:
        cites.append(cite_termination(pod, c, t))
    return tuple(cites)


def quoted_match(cand: Candidate, limit: int = 160) -> str:
    """The matched record in quotes, trimmed around the part that proves the point."""
    text = cand.match.string.strip()
    if len(text) > limit:
        raw = cand.match.string
        start = max(0, min(cand.match.start() - 40, cand.match.end() - limit))
        end = start + limit
        text = ("…" if start else "") + raw[start:end].strip() + ("…" if end < len(raw.rstrip()) else "")
    return f'"{text}"'


def one_container_patch(c: ContainerEvidence, fields: dict[str, Any], pod_fields: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    """A strategic-merge patch of the pod template that changes one container (and pod-level fields)."""
    return container_patch(c.name or None, c.init, fields, pod_fields)


# The key names of a Secret, never its values.
SECRET_KEYS = "go-template={{range $k, $v := .data}}{{$k}}{{\"\\n\"}}{{end}}"


def base_commands(pod: PodEvidence, c: ContainerEvidence) -> list[Step]:
    return [logs_command(pod, c.name or None)]


def log_rule_hits(pod: PodEvidence, cause: str) -> Iterator[tuple[ContainerEvidence, Analysis, Candidate]]:
    for c in pod.containers:
        if not c.logs and not any(t.message for t in c.terminations):
            continue
        an = analyse(c)
        best = an.best(cause)
        if best is not None:
            yield c, an, best


def mount_for(c: ContainerEvidence, path: str) -> VolumeMount | None:
    if c.spec is None:
        return None
    best: VolumeMount | None = None
    for m in c.spec.mounts:
        mp = m.mount_path.rstrip("/") or "/"
        covers = path == mp or path.startswith(mp + "/") or mp == "/"
        if covers and (best is None or len(mp) > len(best.mount_path.rstrip("/"))):
            best = m
    return best


def volume_text(pod: PodEvidence, m: VolumeMount) -> str:
    v = pod.volume(m.name)
    if v is None:
        return f"volume {m.name}"
    ref = f" ({v.kind} {v.ref_name})" if v.kind and v.ref_name else (f" ({v.kind})" if v.kind else "")
    return f"volume {m.name}{ref}"


