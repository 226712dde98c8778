"""The HTML incident report: one self-contained file (inline CSS, JS and SVG; nothing fetched).

Cause first, then per pod: the restart timeline (podmortem.render.timeline), the back-off, the
evidence with the quoted lines highlighted in their log context, the fix (patch as YAML and as a
diff against the current spec when the spec is known; commands with copy buttons), notes. With
more than one pod a group table leads; with many, a per-pod fleet table with filters follows.
Every string that came from a workload or a server goes through `esc` (control and bidi
characters made visible, then HTML-escaped), attributes included. Works offline, as a CI
artifact, and printed (buttons and filters hidden, sections not split).
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from podmortem.backoff import BackoffSettings
from podmortem.kube.durations import format_duration
from podmortem.kube.times import format_rfc3339
from podmortem.model import ContainerSpec, Finding, PodDiagnosis, PodEvidence, Probe
from podmortem.render.commands import command_lines, patch_yaml
from podmortem.render.escape import one_line, visible
from podmortem.render.summary import SummaryRow, summarise
from podmortem.render.timeline import build_timeline, render_svg

DETAILED_UP_TO = 40  # pods shown in full; beyond, one representative per group (up to this many groups)
FLEET_TABLE_FROM = 8  # pods from which the per-pod table with filters is shown
CONTEXT_LINES = 2


def esc(text: object) -> str:
    return html.escape(visible(str(text)), quote=True)


def esc1(text: object) -> str:
    """A single-line value (a name): newlines made visible too."""
    return html.escape(one_line(str(text)), quote=True)


Item = tuple[PodDiagnosis, PodEvidence | None]

_CSS = """
:root{--fg:#1b1b1b;--muted:#4a4a4a;--bg:#fff;--line:#c9c9c9;--bad:#b00020;--warn:#8a4b00;--ok:#1b6e20;
--run:#2f6db5;--wait:#c7c7c7;--mark:#fff3a3;--code:#f4f4f4}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;max-width:1100px;padding:1rem 1.25rem}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1.2rem;margin:0 0 .3rem}h3{font-size:1rem;margin:1rem 0 .3rem}
.muted{color:var(--muted)}.cause{border-left:6px solid var(--bad);background:#fdf1f3;padding:.5rem .8rem;margin:.5rem 0}
.cause.unknown{border-color:var(--warn);background:#fff6ea}.cause code{font-weight:600}
section.pod{border-top:2px solid var(--line);padding-top:.8rem;margin-top:1.2rem;break-inside:avoid-page}
code,pre{font:13px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,monospace}pre{background:var(--code);padding:.5rem .7rem;
overflow-x:auto;white-space:pre-wrap;word-break:break-word;margin:.3rem 0}mark{background:var(--mark);color:inherit;
outline:1px solid #b59b00}table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid var(--line);
padding:.25rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}td code{word-break:break-all}th{background:#eee}td.n{text-align:right}
.cmd{position:relative}.copy{font:inherit;font-size:.8rem;padding:.1rem .5rem;margin-left:.4rem;cursor:pointer}
.filters{display:flex;gap:.8rem;flex-wrap:wrap;margin:.4rem 0}.filters label{display:flex;gap:.3rem;align-items:center}
svg.timeline{max-width:100%;height:auto;background:#fafafa;border:1px solid var(--line)}
svg .axis,svg .note{font-size:11px;fill:var(--muted)}svg .lane-label{font-size:12px;fill:var(--fg)}
svg .track{stroke:var(--line)}svg .run{fill:var(--run)}svg .run.est{fill:none;stroke:var(--run);stroke-dasharray:3 2}
svg .wait{fill:var(--wait)}svg .wait.est{fill:#e6e6e6}svg .restart{stroke:#000;stroke-width:2}
svg .restart.est{stroke:#666;stroke-dasharray:2 2}svg .exit{fill:var(--bad)}svg .exit.est{fill:#fff;stroke:var(--bad)}
svg .oom{fill:#6a0dad}svg .probe{fill:var(--warn)}svg .next{stroke:var(--ok);stroke-width:2;stroke-dasharray:4 3}
svg .now{stroke:#000;stroke-dasharray:1 3}.legend span{margin-right:1rem;white-space:nowrap}
.sw{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin-right:.25em;border:1px solid #555}
.diff .add{color:#0b5d1e;background:#e6f4ea}.diff .del{color:#a50e0e;background:#fce8e6}
@media print{.copy,.filters,.noprint{display:none!important}body{max-width:none;font-size:11pt}
pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}}
"""

# The script must not throw: tests open the report in Chromium and read data-errors and data-ready.
_JS = """
(function(){
var root=document.documentElement;root.setAttribute('data-errors','0');
window.addEventListener('error',function(){root.setAttribute('data-errors',String(+root.getAttribute('data-errors')+1));});
document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',function(){
var pre=document.getElementById(b.getAttribute('data-target'));if(!pre)return;var text=pre.textContent;
function done(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy';},1500);}
if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(text).then(done,function(){});}
else{var r=document.createRange();r.selectNodeContents(pre);var s=window.getSelection();s.removeAllRanges();s.addRange(r);
try{document.execCommand('copy');done();}catch(e){}}});});
var table=document.getElementById('fleet');
if(table){var q=document.getElementById('f-text'),c=document.getElementById('f-cause'),n=document.getElementById('f-ns'),
p=document.getElementById('f-problem'),shown=document.getElementById('f-count');
function apply(){var t=q.value.toLowerCase(),k=0;table.querySelectorAll('tbody tr').forEach(function(tr){
var ok=(!t||tr.textContent.toLowerCase().indexOf(t)>=0)&&(!c.value||tr.getAttribute('data-cause')===c.value)&&
(!n.value||tr.getAttribute('data-ns')===n.value)&&(!p.checked||tr.getAttribute('data-cause')!=='');
tr.hidden=!ok;if(ok)k++;});shown.textContent=String(k);}
[q,c,n,p].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});apply();}
root.setAttribute('data-ready','1');
window.addEventListener('load',function(){void document.body.offsetHeight;
root.setAttribute('data-load-ms',String(Math.round(performance.now())));});
})();
"""


def _pod_title(d: PodDiagnosis) -> str:
    return f"{d.namespace}/{d.name}" if d.namespace else (d.name or "unnamed pod")


def _anchor(d: PodDiagnosis) -> str:
    # Ids are derived, never the raw name: a name cannot close the attribute or collide with ours.
    return "pod-" + "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in _pod_title(d))[:120]


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def _where(f: Finding) -> str:
    if not f.container:
        return ""
    return f" in {'init container' if f.init else 'container'} <code>{esc1(f.container)}</code>"


def _cause_block(f: Finding) -> str:
    cls = "cause unknown" if f.cause == "unknown" else "cause"
    label = "Unknown cause" if f.cause == "unknown" else "Cause"
    return (f'<div class="{cls}" role="note" aria-label="{label}"><strong>{label}:</strong> <code>{esc1(f.cause)}</code>'
            f"{_where(f)}: {esc(f.summary)} <span class=\"muted\">(confidence {f.confidence:.2f}; rule "
            f"<code>{esc1(f.rule)}</code>)</span></div>")


def _log_context(f: Finding, ev: PodEvidence | None, text: str) -> list[tuple[int, str, bool]] | None:
    """The cited line with CONTEXT_LINES around it, from the finding's container log, when found there."""
    if ev is None:
        return None
    wanted = text.strip()
    if not wanted:
        return None
    for c in ev.containers:
        if f.container and c.name != f.container:
            continue
        for log in c.logs:
            records = list(log.iter_records())
            for i, r in enumerate(records):
                if r.raw.strip() == wanted or r.text.strip() == wanted:
                    lo, hi = max(0, i - CONTEXT_LINES), min(len(records), i + CONTEXT_LINES + 1)
                    return [(records[j].number, records[j].raw, j == i) for j in range(lo, hi)]
    return None


def _evidence(f: Finding, ev: PodEvidence | None) -> str:
    if not f.evidence:
        return ""
    out = ['<h3>Evidence</h3><ul class="evidence">']
    for c in f.evidence:
        ctx = _log_context(f, ev, c.text) if c.source == "logs" else None
        if ctx:
            body = "\n".join((f"<mark>{n:>5}  {esc(line)}</mark>" if hit else f"{n:>5}  {esc(line)}")
                             for n, line, hit in ctx)
        else:
            body = f"<mark>{esc(c.text)}</mark>"
        where = f" <span class=\"muted\">{esc1(c.path)}</span>" if c.path else ""
        out.append(f"<li><strong>{esc1(c.source)}</strong>{where}<pre>{body}</pre></li>")
    out.append("</ul>")
    return "".join(out)


def _probe_dict(p: Probe) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if p.handler == "http-get":
        d["httpGet"] = {k: v for k, v in (("path", p.path), ("port", p.port), ("scheme", p.scheme)) if v is not None}
    elif p.handler == "tcp-socket":
        d["tcpSocket"] = {"port": p.port}
    elif p.handler == "exec":
        d["exec"] = {"command": list(p.command)}
    d.update(initialDelaySeconds=p.initial_delay_seconds, timeoutSeconds=p.timeout_seconds,
             periodSeconds=p.period_seconds, successThreshold=p.success_threshold,
             failureThreshold=p.failure_threshold)
    return d


def _current(spec: ContainerSpec) -> dict[str, Any]:
    """The container as the API would show it, for the fields podmortem reads."""
    d: dict[str, Any] = {"name": spec.name}
    if spec.image:
        d["image"] = spec.image
    if spec.command:
        d["command"] = list(spec.command)
    if spec.args:
        d["args"] = list(spec.args)
    res = {k: dict(v) for k, v in (("limits", spec.limits), ("requests", spec.requests)) if v}
    if res:
        d["resources"] = res
    for key, probe in (("livenessProbe", spec.liveness), ("readinessProbe", spec.readiness),
                       ("startupProbe", spec.startup)):
        if probe is not None:
            d[key] = _probe_dict(probe)
    if spec.security is not None:
        s = spec.security
        sec = {k: v for k, v in (("runAsUser", s.run_as_user), ("runAsGroup", s.run_as_group),
                                 ("runAsNonRoot", s.run_as_non_root),
                                 ("readOnlyRootFilesystem", s.read_only_root_filesystem),
                                 ("privileged", s.privileged),
                                 ("allowPrivilegeEscalation", s.allow_privilege_escalation)) if v is not None}
        if sec:
            d["securityContext"] = sec
    return d


def _restrict(current: Any, patch: Any) -> Any:
    """The part of `current` the patch touches: same keys, current values; None where unknown."""
    if isinstance(patch, dict) and isinstance(current, dict):
        out = {}
        for k, v in patch.items():
            if k in current:
                out[k] = _restrict(current[k], v)
        return out
    return current


def _before(node: Any, specs: Mapping[str, ContainerSpec]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k in ("containers", "initContainers") and isinstance(v, list):
                out[k] = [_restrict(_current(specs[str(i["name"])]), i) if isinstance(i, dict) and
                          str(i.get("name")) in specs else {"name": i.get("name")} if isinstance(i, dict) else i
                          for i in v]
            elif isinstance(v, dict):
                out[k] = _before(v, specs)
        return out
    return node


def spec_diff(patch: str, ev: PodEvidence | None) -> str | None:
    """A unified diff from the current spec (the fields the patch touches) to the patched one."""
    if ev is None or not ev.has_spec:
        return None
    import yaml  # here, not at the top: most reports have no patch to show

    from podmortem.errors import InputError
    from podmortem.kube.yamldocs import load_one

    specs = {c.name: c.spec for c in ev.containers if c.spec is not None}
    if not specs:
        return None
    try:
        after = load_one("patch", patch)
    except InputError:
        return None
    if not isinstance(after, dict):
        return None
    before = _before(after, specs)
    a = yaml.safe_dump(before, sort_keys=False).splitlines()
    b = yaml.safe_dump(after, sort_keys=False).splitlines()
    if a == b:
        return None
    return "\n".join(difflib.unified_diff(a, b, "current spec", "with the fix", lineterm="", n=20))


def _diff_html(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        cls = "add" if line.startswith("+") and not line.startswith("+++") else (
            "del" if line.startswith("-") and not line.startswith("---") else "")
        lines.append(f'<span class="{cls}">{esc(line)}</span>' if cls else esc(line))
    return '<pre class="diff">' + "\n".join(lines) + "</pre>"


def _commands(commands: Sequence[str], ids: _Ids) -> str:
    out = []
    for cmd in commands:
        pid = ids.next("cmd")
        out.append(f'<div class="cmd"><pre id="{pid}"><code>{esc(cmd)}</code></pre>'
                   f'<button type="button" class="copy" data-target="{pid}" aria-label="Copy command">Copy</button></div>')
    return "".join(out)


def _fix(f: Finding, ev: PodEvidence | None, ids: _Ids) -> str:
    label = "Next steps" if f.cause == "unknown" else "Fix"
    out = [f"<h3>{label}</h3><p>{esc(f.remedy.summary)}</p>"]
    patch = patch_yaml(f.remedy.patch)
    if patch:
        out.append(f'<p class="muted">Patch (YAML):</p><pre class="patch"><code>{esc(patch)}</code></pre>')
        diff = spec_diff(patch, ev)
        if diff:
            out.append('<p class="muted">Against the current spec:</p>' + _diff_html(diff))
    commands = command_lines(f.remedy)
    if commands:
        out.append(_commands(commands, ids))
    for rel in f.related:
        out.append(f'<p class="muted">Related: {esc(rel)}</p>')
    return "".join(out)


def _backoff_table(d: PodDiagnosis) -> str:
    if not d.backoff:
        return ""
    rows = []
    for b in d.backoff:
        name = f"{b.container} (init)" if b.init else b.container
        nxt = b.next_restart_at or "-"
        if b.next_restart_at and b.seconds_until_restart is not None:
            nxt += " (due)" if b.seconds_until_restart <= 0 else f" (in {format_duration(b.seconds_until_restart)})"
        rows.append(f"<tr><td><code>{esc1(name or '(unnamed)')}</code></td><td class=\"n\">{b.restart_count}</td>"
                    f"<td>{esc1(b.state)}</td><td>{format_duration(b.delay_seconds) if b.delay_seconds is not None else '-'}"
                    f"</td><td>{esc1(b.last_exit_at or '-')}</td><td>{esc1(nxt)}</td><td>"
                    f"{format_duration(b.failing_for_seconds) if b.failing_for_seconds is not None else '-'}</td></tr>")
    first = d.backoff[0]
    return ("<h3>Back-off</h3><table><caption class=\"muted\">kubelet back-off: "
            f"{format_duration(first.initial_delay_seconds)} doubling to {format_duration(first.max_delay_seconds)}, "
            "reset after 10 minutes of running</caption><thead><tr><th scope=\"col\">container</th>"
            "<th scope=\"col\">restarts</th><th scope=\"col\">state</th><th scope=\"col\">current delay</th>"
            "<th scope=\"col\">last exit</th><th scope=\"col\">next restart</th><th scope=\"col\">failing for</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


_LEGEND = ('<p class="legend muted"><span><i class="sw" style="background:#2f6db5"></i>run</span>'
           '<span><i class="sw" style="background:#c7c7c7"></i>back-off wait</span>'
           '<span><i class="sw" style="background:#000"></i>restart</span>'
           '<span><i class="sw" style="background:#b00020"></i>exit</span>'
           '<span><i class="sw" style="background:#6a0dad"></i>OOM kill</span>'
           '<span><i class="sw" style="background:#8a4b00"></i>probe failure</span>'
           '<span><i class="sw" style="border-color:#1b6e20;border-style:dashed"></i>next restart</span>'
           '<span>dashed/hollow: placed by the back-off schedule, not observed</span></p>')


def _pod_section(d: PodDiagnosis, ev: PodEvidence | None, now: datetime | None, settings: BackoffSettings,
                 ids: _Ids, group: SummaryRow | None) -> str:
    title = _pod_title(d)
    out = [f'<section class="pod" id="{_anchor(d)}" aria-labelledby="{_anchor(d)}-h">',
           f'<h2 id="{_anchor(d)}-h">{esc1(title)} <span class="muted">— {esc1(d.status)}</span></h2>']
    if d.owner:
        out.append(f'<p class="muted">Owner: <code>{esc1(d.owner)}</code></p>')
    if group is not None and len(group.pods) > 1:
        names = [p.name or "" for p in group.pods if p is not d]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        out.append(f'<p class="muted">Shown for its group of {len(group.pods)} pods; the others: {esc(shown)}</p>')
    if not d.findings:
        out.append("<p>Nothing wrong found.</p></section>")
        return "".join(out)
    top, *others = d.findings
    out.append(_cause_block(top))
    tl = build_timeline(ev, now=now, settings=settings) if ev is not None else None
    if tl is not None:
        out.append('<h3>Timeline</h3><figure>' + render_svg(tl, title=f"restart timeline of {one_line(title)}")
                   + "<figcaption class=\"muted\">Runs, exits, probe failures and back-off waits per container; "
                     "the dashed green line is the next restart.</figcaption></figure>" + _LEGEND)
    out.append(_backoff_table(d))
    out.append(_evidence(top, ev))
    out.append(_fix(top, ev, ids))
    if others:
        out.append("<h3>Other findings</h3><ul>")
        for f in others:
            out.append(f"<li><code>{esc1(f.cause)}</code>{_where(f)}: {esc(f.summary)} "
                       f"<span class=\"muted\">(confidence {f.confidence:.2f})</span></li>")
        out.append("</ul>")
    if d.missing:
        out.append(f'<p class="muted">Missing evidence: {esc(", ".join(d.missing))}</p>')
    for note in d.notes:
        out.append(f"<p><strong>Note:</strong> {esc(note)}</p>")
    out.append("</section>")
    return "".join(out)


def _group_table(rows: Sequence[SummaryRow], anchors: Mapping[int, str]) -> str:
    out = ['<h2 id="groups-h">Problems by owner and cause</h2><table aria-labelledby="groups-h"><thead><tr>'
           '<th scope="col">namespace</th><th scope="col">owner</th><th scope="col">cause</th>'
           '<th scope="col">pods</th><th scope="col">restarts</th><th scope="col">since</th>'
           '<th scope="col">summary</th></tr></thead><tbody>']
    for i, r in enumerate(rows):
        link = anchors.get(i)
        cause = f'<a href="#{link}"><code>{esc1(r.cause)}</code></a>' if link else f"<code>{esc1(r.cause)}</code>"
        out.append(f"<tr><td>{esc1(r.namespace or '-')}</td><td><code>{esc1(r.owner)}</code></td><td>{cause}</td>"
                   f"<td class=\"n\">{len(r.pods)}</td><td class=\"n\">{r.restarts}</td><td>{esc1(r.since or '-')}</td>"
                   f"<td>{esc(r.summary)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _fleet_table(items: Sequence[Item], anchors: Mapping[str, str]) -> str:
    causes = sorted({d.findings[0].cause for d, _ in items if d.findings})
    namespaces = sorted({d.namespace or "" for d, _ in items})
    opts_c = "".join(f'<option value="{esc1(c)}">{esc1(c)}</option>' for c in causes)
    opts_n = "".join(f'<option value="{esc1(n)}">{esc1(n or "-")}</option>' for n in namespaces)
    out = ['<h2 id="fleet-h">All pods (<span id="f-count">', str(len(items)), "</span> shown)</h2>",
           '<div class="filters noprint" role="search" aria-label="Filter pods">',
           '<label for="f-text">Search</label><input id="f-text" type="search">',
           f'<label for="f-cause">Cause</label><select id="f-cause"><option value="">any</option>{opts_c}</select>',
           f'<label for="f-ns">Namespace</label><select id="f-ns"><option value="">any</option>{opts_n}</select>',
           '<label><input id="f-problem" type="checkbox"> only pods with problems</label></div>',
           '<table id="fleet" aria-labelledby="fleet-h"><thead><tr><th scope="col">namespace</th>'
           '<th scope="col">pod</th><th scope="col">status</th><th scope="col">restarts</th>'
           '<th scope="col">cause</th></tr></thead><tbody>']
    for d, _ in items:
        cause = d.findings[0].cause if d.findings else ""
        restarts = max((b.restart_count for b in d.backoff), default=0)
        link = anchors.get(cause and f"{d.namespace}\0{d.name}")
        name = f'<a href="#{link}">{esc1(d.name or "")}</a>' if link else esc1(d.name or "")
        out.append(f'<tr data-cause="{esc1(cause)}" data-ns="{esc1(d.namespace or "")}"><td>{esc1(d.namespace or "-")}'
                   f"</td><td>{name}</td><td>{esc1(d.status)}</td><td class=\"n\">{restarts}</td>"
                   f"<td>{esc1(cause or '-')}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(items: Sequence[Item], *, title: str = "podmortem incident report", now: datetime | None = None,
                settings: BackoffSettings | None = None, owners: Mapping[tuple[str, str], str] | None = None,
                headline: str | None = None, notes: Sequence[str] = ()) -> str:
    """The whole report as one HTML document."""
    settings = settings or BackoffSettings()
    diagnoses = [d for d, _ in items]
    evidence = {id(d): ev for d, ev in items}
    rows = summarise(diagnoses, owners)
    bad = sum(1 for d in diagnoses if d.findings)
    ids = _Ids()
    # Which pods get a full section: all when few, else each group's representative.
    if bad <= DETAILED_UP_TO:
        detailed = [(d, next((r for r in rows if d in r.pods), None)) for d in diagnoses if d.findings]
    else:
        detailed = [(r.representative, r) for r in rows[:DETAILED_UP_TO]]
    if len(diagnoses) <= FLEET_TABLE_FROM:
        detailed += [(d, None) for d in diagnoses if not d.findings]
    group_anchor: dict[int, str] = {}
    pod_anchor: dict[str, str] = {}
    for d, row in detailed:
        if row is not None:
            group_anchor.setdefault(rows.index(row), _anchor(d))
            for p in row.pods:
                pod_anchor[f"{p.namespace}\0{p.name}"] = _anchor(d)
    when = f" at {format_rfc3339(now)}" if now else ""
    head = headline or (f"{len(diagnoses)} pod{'s' if len(diagnoses) != 1 else ''}, {bad} with problems"
                        + (f" in {len(rows)} group{'s' if len(rows) != 1 else ''}" if len(diagnoses) > 1 else ""))
    body = [f"<header><h1>{esc1(title)}</h1><p>{esc(head)}<span class=\"muted\">{esc1(when)}</span></p></header>",
            "<main>"]
    for note in notes:
        body.append(f"<p><strong>Note:</strong> {esc(note)}</p>")
    if rows:
        top = rows[0].representative.findings[0]
        body.append(f'<p class="lead">Most pods affected: <code>{esc1(top.cause)}</code> — {esc(top.summary)}</p>')
    if len(diagnoses) > 1 and rows:
        body.append(_group_table(rows, group_anchor))
    if len(rows) > DETAILED_UP_TO and bad > DETAILED_UP_TO:
        body.append(f'<p class="muted">Details below for the first {DETAILED_UP_TO} of {len(rows)} groups.</p>')
    for d, row in detailed:
        body.append(_pod_section(d, evidence.get(id(d)), now, settings, ids, row))
    if len(diagnoses) > FLEET_TABLE_FROM:
        body.append(_fleet_table(items, pod_anchor))
    body.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            # No network: the policy forbids every fetch; inline style and script are the whole report.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src data:\">"
            f"<title>{esc1(title)}</title><style>{_CSS}</style></head><body>"
            + "".join(body) + f"<script>{_JS}</script></body></html>\n")
