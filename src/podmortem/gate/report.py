"""The gate's outcome as text, JSON or Markdown (JUnit is junit.py).

The verdict comes first, in one line a CI log shows at a glance; then, on a failure, the
diagnosis exactly as `podmortem diagnose` prints it; on a timeout, each target that is not
complete with its pods that are not Ready: kubectl's STATUS/READY/RESTARTS, why, and their last
event. JSON keeps the `explain` contract in `pods` (the diagnosed pods) and puts the gate's own
view under `gate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podmortem.gate.diagnosis import Diagnosis
from podmortem.gate.run import Outcome, TargetState
from podmortem.gate.verdict import PodState
from podmortem.kube.durations import format_duration
from podmortem.render.text import clean

VERDICT = {"passed": "PASSED", "failed": "FAILED", "timeout": "TIMED OUT"}
MAX_POD_ROWS = 30


@dataclass
class GateReport:
    outcome: Outcome
    diagnosis: Diagnosis
    server: str | None = None
    context: str | None = None
    started_at: str | None = None  # RFC 3339, UTC
    requests: dict[str, int] = field(default_factory=dict)  # API requests by resource (watches included)


def headline(report: GateReport) -> str:
    o = report.outcome
    when = "in" if o.result == "passed" else "after"
    return f"podmortem gate: {VERDICT[o.result]} {when} {format_duration(o.elapsed)} (namespace {o.namespace}): {o.headline}"


def pod_last_event(report: GateReport, pod: PodState) -> str | None:
    return report.diagnosis.last_events.get(f"Pod/{pod.name}")


def target_last_event(report: GateReport, t: TargetState) -> str | None:
    if t.name is None:
        return None
    found = report.diagnosis.last_events.get(f"{t.kind}/{t.name}")
    if t.replicaset:
        found = report.diagnosis.last_events.get(f"ReplicaSet/{t.replicaset}") or found
    return found


def _shown_pods(t: TargetState, report: GateReport) -> list[PodState]:
    o = report.outcome
    if o.result == "timeout" or t.failed:
        return [p for p in t.pods if p.state not in ("ready", "completed")]
    if o.result == "failed":
        failing = {p.uid for p in o.failing}
        return [p for p in t.pods if p.uid in failing]
    return []


# -- text -------------------------------------------------------------------------------------------


def _detail(t: TargetState) -> str:
    """What a complete target amounts to: its Ready pods and the revision now running."""
    if not t.complete:
        return ""
    ready = sum(1 for p in t.pods if p.state in ("ready", "completed"))
    parts = [f"{ready} pod{'' if ready == 1 else 's'} Ready"]
    if t.revision:
        parts.append(f"revision {t.revision}" + (f", ReplicaSet {t.replicaset}" if t.replicaset else ""))
    return f" ({'; '.join(parts)})"



def _table(pods: list[PodState], report: GateReport, indent: str, width: int) -> list[str]:
    shown = pods[:MAX_POD_ROWS]
    rows = [("POD", "STATUS", "READY", "RESTARTS")] + [(p.name, p.status, p.ready, str(p.restarts)) for p in shown]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]

    def row(cells: tuple[str, ...], why: str) -> str:
        text = indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + why
        return text if len(text) <= width else text[: width - 1] + "…"

    out = [row(rows[0], "WHY")]
    for cells, p in zip(rows[1:], shown, strict=True):
        out.append(row(cells, clean(p.why)))
        event = pod_last_event(report, p)
        if event:
            out.append(_wrap(f"{indent}  last event: {clean(event)}", width, len(indent) + 14))
    if len(pods) > len(shown):
        out.append(f"{indent}... and {len(pods) - len(shown)} more")
    return out


def _wrap(line: str, width: int, indent: int) -> str:
    """A line of the gate's text wrapped at the terminal's width, continuation lines hanging at `indent`."""
    import textwrap

    lead = len(line) - len(line.lstrip(" "))
    return textwrap.fill(line.strip(" "), width, initial_indent=" " * lead, subsequent_indent=" " * indent,
                         break_on_hyphens=False)


def render_text(report: GateReport, *, color: bool = False, width: int | None = None, tty: bool = False) -> str:
    from podmortem.live.report import render_report
    from podmortem.render.terminal import DEFAULT_WIDTH

    cols = width or DEFAULT_WIDTH
    o = report.outcome
    # Piped (a CI log), the verdict stays one line to grep; on a terminal it wraps like the rest.
    lines = [_wrap(headline(report), cols, 2) if tty else headline(report)]
    for t in o.targets:
        mark = "ok" if t.complete else ("FAILED" if t.failed or any(p.state == "failed" for p in t.pods)
                                       else "waiting")
        lines.append(_wrap(f"  [{mark}] {t.label}: {clean(t.message)}{_detail(t)}", cols, 6))
        if not t.complete and (o.result == "timeout" or t.failed):
            event = target_last_event(report, t)
            if event and not any(p.state != "ready" for p in t.pods):
                lines.append(_wrap(f"      last event: {clean(event)}", cols, 18))
            shown = _shown_pods(t, report)
            if shown:
                lines += _table(shown, report, "      ", cols)
            if t.old_pods:
                lines.append(_wrap(f"      pods of the previous revision still running: {', '.join(t.old_pods[:10])}",
                                   cols, 8))
    lines += [_wrap(f"  note: {n}", cols, 8) for n in (*o.notices, *report.diagnosis.notes)]
    text = "\n".join(lines) + "\n"
    result = report.diagnosis.result
    if result is not None and result.diagnoses:
        title = "Diagnosis" if o.result == "failed" else "Diagnosis of the pods that are not Ready"
        text += f"\n{title}:\n\n" + render_report(result, "text", color=color, width=cols)
    return text


# -- JSON -------------------------------------------------------------------------------------------


def pod_dict(p: PodState, report: GateReport) -> dict[str, Any]:
    return {"name": p.name, "namespace": p.namespace, "status": p.status, "ready": p.ready, "restarts": p.restarts,
            "state": p.state, "why": p.why, "container": p.container, "init": p.init, "failure": p.failure,
            "last_event": pod_last_event(report, p)}


def target_dict(t: TargetState, report: GateReport) -> dict[str, Any]:
    return {"target": t.label, "kind": t.kind, "name": t.name, "complete": t.complete, "message": t.message,
            "failed": t.failed, "revision": t.revision, "replicaset": t.replicaset,
            "last_event": target_last_event(report, t),
            "pods": [pod_dict(p, report) for p in t.pods], "old_pods": list(t.old_pods)}


def gate_dict(report: GateReport) -> dict[str, Any]:
    o = report.outcome
    return {
        "result": o.result,
        "summary": headline(report),
        "reason": o.headline,
        "namespace": o.namespace,
        "elapsed_seconds": round(o.elapsed, 3),
        "timeout_seconds": o.timeout,
        "started_at": report.started_at,
        "server": report.server,
        "context": report.context,
        "targets": [target_dict(t, report) for t in o.targets],
        "failing": [pod_dict(p, report) for p in o.failing],
        "notes": [*o.notices, *report.diagnosis.notes],
        "requests": dict(sorted(report.requests.items())),
    }


def render_json(report: GateReport) -> str:
    import orjson

    from podmortem.render.json import document

    result = report.diagnosis.result
    diagnosed = document(report.diagnosis.diagnoses)
    if result is not None:
        for entry, d in zip(diagnosed["pods"], result.diagnoses, strict=True):
            entry.update(result.extras.get((d.namespace or "", d.name or ""), {}))
    # The gate's verdict first; `pods` keeps the `explain` contract for the pods that were diagnosed.
    doc = {"apiVersion": diagnosed["apiVersion"], "kind": "GateResult", "gate": gate_dict(report),
           "pods": diagnosed["pods"], "groups": [g.as_dict() for g in result.groups] if result else [],
           "missing_rbac": [m.as_dict() for m in result.collection.missing_rbac] if result else []}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


# -- Markdown ---------------------------------------------------------------------------------------


def render_markdown(report: GateReport) -> str:
    from podmortem.live.report import render_report
    from podmortem.render.markdown import cell_code, code_span, prose

    o = report.outcome
    out = [f"# podmortem gate: {VERDICT[o.result]}", "",
           f"{prose(o.headline)} ({'in' if o.result == 'passed' else 'after'} {format_duration(o.elapsed)}, "
           f"namespace {code_span(o.namespace)})", "",
           "| Target | Complete | State |", "|---|---|---|"]
    for t in o.targets:
        out.append(f"| {cell_code(t.label)} | {'yes' if t.complete else 'no'} | {prose(t.message + _detail(t))} |")
    shown = [(t, p) for t in o.targets for p in _shown_pods(t, report)]
    if shown:
        out += ["", "## Pods not Ready" if o.result == "timeout" else "## Failing pods", "",
                "| Pod | Status | Ready | Restarts | Why | Last event |", "|---|---|---|---|---|---|"]
        for _t, p in shown[:MAX_POD_ROWS]:
            event = pod_last_event(report, p)
            out.append(f"| {cell_code(p.name)} | {cell_code(p.status)} | {prose(p.ready)} | {p.restarts} | {prose(p.why)} | "
                       f"{prose(event) if event else '-'} |")
    notes = [*o.notices, *report.diagnosis.notes]
    if notes:
        out += ["", *(f"- {prose(n)}" for n in notes)]
    text = "\n".join(out) + "\n"
    result = report.diagnosis.result
    if result is not None and result.diagnoses:
        lines = render_report(result, "markdown", color=False).splitlines()
        # The report's own title gives way to the gate's; its sections go one level down.
        if lines and lines[0].startswith("# podmortem"):
            lines = lines[1:]
        body = "\n".join("#" + ln if ln.startswith("#") else ln for ln in lines)
        text += "\n## Diagnosis\n\n" + body.strip("\n") + "\n"
    return text


# -- HTML -------------------------------------------------------------------------------------------


def render_html(report: GateReport) -> str:
    """The gate's verdict as the HTML incident report: the headline, each target's state, the diagnosis."""
    from podmortem.live.report import render_html_report
    from podmortem.render.html import render_html as render_pods

    o = report.outcome
    notes = []
    for t in o.targets:
        mark = "ok" if t.complete else ("FAILED" if t.failed or any(p.state == "failed" for p in t.pods)
                                       else "waiting")
        notes.append(f"[{mark}] {t.label}: {t.message}{_detail(t)}")
    notes += [*o.notices, *report.diagnosis.notes]
    title = f"podmortem gate: {VERDICT[o.result]}"
    result = report.diagnosis.result
    if result is not None:
        return render_html_report(result, title=title, headline=headline(report), notes=notes)
    return render_pods([], title=title, headline=headline(report), notes=notes)
