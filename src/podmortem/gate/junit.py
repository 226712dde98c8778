"""The gate's outcome as JUnit XML, so a CI system shows the diagnosis on its test report page.

One <testsuite> (inside <testsuites>, the root GitLab, Jenkins, GitHub test reporters and
Azure DevOps all read): a testcase per target (its rollout) and one per pod of the current
revision. A failing pod's <failure> carries the cause id as `type`, the finding's summary as
`message`, and in its body the evidence lines, the fix and the commands. On a timeout the pods
not Ready fail with why and their last event; on a fail-fast stop the pods still coming up are
<skipped>: the gate stopped before they could pass or fail. Text that XML 1.0 cannot carry
(control characters from logs, lone surrogates) is made visible or dropped, never left to break
the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from podmortem.gate.report import GateReport, headline, pod_last_event, target_last_event
from podmortem.gate.run import TargetState
from podmortem.gate.verdict import PodState
from podmortem.kube.durations import format_duration
from podmortem.model import PodDiagnosis
from podmortem.render.commands import command_lines, patch_yaml
from podmortem.render.text import clean

_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text every XML 1.0 parser accepts: control characters as visible escapes, non-characters dropped."""
    return _NOT_XML.sub("", clean(text))


def diagnosis_text(d: PodDiagnosis) -> str:
    """A pod's diagnosis as plain text for a <failure> body: cause, evidence, fix, notes."""
    lines: list[str] = [f"pod {d.namespace}/{d.name}: {d.status}" + (f" ({d.owner})" if d.owner else "")]
    for i, f in enumerate(d.findings):
        where = f" ({'init container' if f.init else 'container'} {f.container})" if f.container else ""
        lines += ["", f"{'cause' if i == 0 else 'also'}: {f.cause}{where}, confidence {f.confidence:.2f}",
                  f"  {f.summary}"]
        if f.evidence:
            lines.append("evidence:")
            lines += [f"  [{c.source}] {c.text}" for c in f.evidence]
        lines.append(f"fix: {f.remedy.summary}")
        patch = patch_yaml(f.remedy.patch)
        if patch:
            lines.append("  patch:")
            lines += [f"    {ln}" for ln in patch.rstrip("\n").splitlines()]
        commands = command_lines(f.remedy)
        if commands:
            lines.append("  commands:")
            lines += [f"    {c}" for c in commands]
        if i == 0 and f.lint_check:
            lines.append(f"  caught before deploying by: podmortem lint (check {f.lint_check})")
    if d.notes:
        lines += ["", "notes:", *(f"  {n}" for n in d.notes)]
    return "\n".join(lines)


def _pod_case(suite: ET.Element, t: TargetState, p: PodState, report: GateReport,
              diagnoses: dict[str, PodDiagnosis]) -> str:
    """Adds the pod's testcase; returns passed | failed | skipped."""
    o = report.outcome
    case = ET.SubElement(suite, "testcase", classname=xml_text(t.label), name=xml_text(f"pod {p.name}"),
                         time=f"{o.elapsed:.3f}")
    d = diagnoses.get(p.name)
    event = pod_last_event(report, p)
    state = f"{p.status} {p.ready}, {p.restarts} restarts: {p.why}" + (f"\nlast event: {event}" if event else "")
    failing = p.state == "failed" or (o.result == "failed" and any(f.uid == p.uid for f in o.failing))
    if failing or (o.result == "timeout" and p.state not in ("ready", "completed")):
        top = d.findings[0] if d is not None and d.findings else None
        kind = top.cause if top is not None else (p.failure or ("not-ready" if o.result == "timeout" else "failed"))
        message = f"{top.cause}: {top.summary}" if top is not None else p.why
        body = state + ("\n\n" + diagnosis_text(d) if d is not None else "")
        ET.SubElement(case, "failure", type=xml_text(kind), message=xml_text(message)).text = xml_text(body)
        return "failed"
    if p.state not in ("ready", "completed"):
        ET.SubElement(case, "skipped", message=xml_text(f"not Ready when the gate stopped: {p.why}"))
        return "skipped"
    return "passed"


def _target_case(suite: ET.Element, t: TargetState, report: GateReport, diagnoses: dict[str, PodDiagnosis]) -> str:
    o = report.outcome
    case = ET.SubElement(suite, "testcase", classname=xml_text(t.label), name="rollout", time=f"{o.elapsed:.3f}")
    failing = [p for p in t.pods if any(f.uid == p.uid for f in o.failing)]
    if t.complete and not failing:
        return "passed"
    if failing or t.failed:
        tops = [diagnoses[p.name].findings[0] for p in failing if p.name in diagnoses and diagnoses[p.name].findings]
        kind = tops[0].cause if tops else (failing[0].failure if failing and failing[0].failure else "rollout-failed")
        message = t.failed or o.headline
        body = [f"{t.label}: {t.message}"]
        body += [f"pod {p.name}: {p.why}" for p in failing]
        body += [f"{top.cause}: {top.summary}" for top in tops[:1]]
        ET.SubElement(case, "failure", type=xml_text(kind), message=xml_text(message)).text = xml_text("\n".join(body))
        return "failed"
    if o.result == "timeout":
        event = target_last_event(report, t)
        body = [f"{t.label}: {t.message}"]
        body += [f"pod {p.name}: {p.status} {p.ready}: {p.why}" for p in t.pods if p.state not in ("ready", "completed")]
        if t.old_pods:
            body.append(f"pods of the previous revision still running: {', '.join(t.old_pods)}")
        if event:
            body.append(f"last event: {event}")
        ET.SubElement(case, "failure", type="timeout",
                      message=xml_text(f"not complete after {format_duration(o.elapsed)}: {t.message}")
                      ).text = xml_text("\n".join(body))
        return "failed"
    ET.SubElement(case, "skipped", message=xml_text(f"the gate stopped at a failure before this rollout completed: "
                                                    f"{t.message}"))
    return "skipped"


def render_junit(report: GateReport) -> str:
    o = report.outcome
    diagnoses = {d.name or "": d for d in report.diagnosis.diagnoses}
    root = ET.Element("testsuites", name="podmortem gate")
    suite = ET.SubElement(root, "testsuite", name=xml_text(f"podmortem gate: namespace {o.namespace}"))
    props = ET.SubElement(suite, "properties")
    for name, value in (("result", o.result), ("namespace", o.namespace), ("timeout_seconds", f"{o.timeout:g}"),
                        ("server", report.server), ("context", report.context)):
        if value:
            ET.SubElement(props, "property", name=name, value=xml_text(str(value)))
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for t in o.targets:
        counts[_target_case(suite, t, report, diagnoses)] += 1
        for p in t.pods:
            counts[_pod_case(suite, t, p, report, diagnoses)] += 1
    # Pods diagnosed but not among the targets' pods (none today) would be lost: keep them visible.
    listed = {p.name for t in o.targets for p in t.pods}
    for name, d in diagnoses.items():
        if name not in listed:
            case = ET.SubElement(suite, "testcase", classname="pods", name=xml_text(f"pod {name}"),
                                 time=f"{o.elapsed:.3f}")
            top = d.findings[0] if d.findings else None
            ET.SubElement(case, "failure", type=xml_text(top.cause if top else "failed"),
                          message=xml_text(top.summary if top else d.status)).text = xml_text(diagnosis_text(d))
            counts["failed"] += 1
    out = ET.SubElement(suite, "system-out")
    out.text = xml_text(headline(report) + "".join(f"\nnote: {n}" for n in (*o.notices, *report.diagnosis.notes)))
    total = sum(counts.values())
    for el in (root, suite):
        el.set("tests", str(total))
        el.set("failures", str(counts["failed"]))
        el.set("errors", "0")
        el.set("skipped", str(counts["skipped"]))
        el.set("time", f"{o.elapsed:.3f}")
    if report.started_at:
        suite.set("timestamp", report.started_at.removesuffix("Z").split("+")[0])
    suite.set("hostname", "podmortem")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
