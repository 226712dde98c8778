"""A pod's restart history as lanes of runs, waits and marks, and its SVG drawing.

What the API keeps is thin: restartCount, the current state and the last termination (times,
exit code, reason), events aggregated to first/last seen and a count. The timeline shows what
that evidence says and places the rest by the kubelet's back-off rule (podmortem.backoff: 10 s
doubling to 5 min; the first restart is immediate): the last run and the current wait are
observed; earlier restarts are placed by walking the schedule back from the last observed start,
each earlier run assumed as long as the last observed one, and drawn hollow as estimates. Every
restart the evidence counts gets one mark (`class="restart"`), up to MAX_RESTART_MARKS.

Geometry is pure and deterministic (a golden test pins it); the SVG text escapes every label.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from podmortem.backoff import BackoffSettings
from podmortem.kube.durations import format_duration
from podmortem.kube.times import format_rfc3339
from podmortem.model import ContainerEvidence, Event, PodEvidence
from podmortem.render.escape import one_line

MAX_RESTART_MARKS = 500  # beyond this the earliest restarts are counted in a note, not drawn


@dataclass(frozen=True, slots=True)
class Span:
    start: float  # seconds since the timeline's origin
    end: float
    kind: str  # "run" | "wait"
    estimated: bool
    label: str


@dataclass(frozen=True, slots=True)
class Mark:
    at: float
    kind: str  # "restart" | "exit" | "oom" | "probe" | "next"
    estimated: bool
    label: str


@dataclass
class Lane:
    container: str
    init: bool
    restarts: int
    spans: list[Span] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    note: str = ""


@dataclass
class Timeline:
    origin: datetime
    end: float  # seconds after origin
    now: float | None
    lanes: list[Lane]


def _probe_events(events: tuple[Event, ...], container: ContainerEvidence, only: bool) -> list[Event]:
    out = []
    for e in events:
        if e.reason not in ("Unhealthy", "Killing") or (e.last_seen or e.first_seen) is None:
            continue
        if e.reason == "Killing" and "probe" not in e.message:
            continue
        path = e.field_path or ""
        if (path and path.endswith("{" + container.name + "}")) or (not path and only):
            out.append(e)
    return out


def _events_oom(events: tuple[Event, ...]) -> list[Event]:
    return [e for e in events if e.reason in ("OOMKilling", "OOMKilled") and (e.last_seen or e.first_seen)]


def _lane(c: ContainerEvidence, now: datetime | None, settings: BackoffSettings,
          events: tuple[Event, ...], only: bool) -> tuple[Lane, list[tuple[datetime, datetime, str, bool, str]],
                                                          list[tuple[datetime, str, bool, str]]] | None:
    """The lane's spans and marks in absolute times (converted to offsets once the origin is known)."""
    st = c.status
    if st is None:
        return None
    rc = st.restart_count or 0
    spans: list[tuple[datetime, datetime, str, bool, str]] = []
    marks: list[tuple[datetime, str, bool, str]] = []
    lane = Lane(c.name, c.init, rc)
    # The newest instance and the one before it, as far as status says.
    last = st.state.terminated or st.last_state.terminated
    running_since = st.state.started_at if st.state.kind == "running" else None
    if running_since is not None and running_since.year < 1980:
        running_since = None
    last_start = last.started_at if last and last.started_at and last.started_at.year >= 1980 else None
    last_end = last.finished_at if last and last.finished_at and last.finished_at.year >= 1980 else None
    if rc == 0 and last is None and running_since is None:
        return None
    # Index of the observed terminated instance: while running, it is the one before the current.
    term_index = rc - 1 if running_since is not None else rc
    if running_since is not None:
        end = now or running_since
        spans.append((running_since, max(end, running_since), "run", False, f"running since {_hms(running_since)}"))
        if rc > 0:
            marks.append((running_since, "restart", False, f"restart {rc}"))
    if last_end is not None:
        start = last_start or last_end
        code = f"exit {last.exit_code}" if last and last.exit_code is not None else "exit"
        reason = last.reason if last and last.reason else ""
        spans.append((start, last_end, "run", False, f"ran {format_duration((last_end - start).total_seconds())}"))
        kind = "oom" if reason == "OOMKilled" else "exit"
        marks.append((last_end, kind, False, " ".join(x for x in (code, reason) if x)))
        if term_index >= 1:
            marks.append((start, "restart", False, f"restart {term_index}"))
        if running_since is not None and running_since > last_end:
            spans.append((last_end, running_since, "wait", False, f"back-off {_secs(running_since - last_end)}"))
        elif running_since is None and st.state.waiting is not None:
            delay = settings.delay_for(rc)
            nxt = last_end + timedelta(seconds=delay)
            spans.append((last_end, nxt, "wait", False, f"back-off {format_duration(delay)}"))
            marks.append((nxt, "next", False, f"next restart {_hms(nxt)}"))
        # Earlier instances: placed by the schedule, walking back from the observed start.
        run = (last_end - start).total_seconds()
        cursor = start
        lowest = max(1, term_index - MAX_RESTART_MARKS + 2)
        for index in range(term_index, lowest - 1, -1):
            # `cursor` is the start of instance `index` (restart number `index`); before it, a wait and a run.
            wait = settings.delay_for(index - 1)
            prev_end = cursor - timedelta(seconds=wait)
            prev_start = prev_end - timedelta(seconds=run)
            if wait:
                spans.append((prev_end, cursor, "wait", True, f"back-off {format_duration(wait)} (estimated)"))
            spans.append((prev_start, prev_end, "run", True, "earlier run (estimated)"))
            marks.append((prev_end, "exit", True, "exit (estimated)"))
            if index - 1 >= 1:
                marks.append((prev_start, "restart", True, f"restart {index - 1} (estimated)"))
            cursor = prev_start
        hidden = lowest - 1
        if hidden > 0:
            lane.note = f"{hidden} earlier restarts not drawn"
    elif rc > 1 or (rc > 0 and running_since is None):
        lane.note = f"{rc} restarts; no termination times in the evidence"
    for e in _probe_events(events, c, only):
        when = e.last_seen or e.first_seen
        assert when is not None
        if e.first_seen and e.last_seen and e.first_seen != e.last_seen:
            marks.append((e.first_seen, "probe", False, _event_label(e, first=True)))
        marks.append((when, "probe", False, _event_label(e, first=False)))
    if only:
        for e in _events_oom(events):
            when = e.last_seen or e.first_seen
            assert when is not None
            marks.append((when, "oom", False, f"{e.reason}: {e.message}"))
    return lane, spans, marks


def _event_label(e: Event, *, first: bool) -> str:
    times = f" (x{e.count})" if e.count > 1 else ""
    which = "first " if first and e.count > 1 else ("last " if e.count > 1 else "")
    return f"{which}{e.reason}{times}: {e.message}"


def _secs(d: timedelta) -> str:
    return format_duration(max(0.0, d.total_seconds()))


def _hms(t: datetime) -> str:
    return format_rfc3339(t)


def build_timeline(ev: PodEvidence, *, now: datetime | None,
                   settings: BackoffSettings | None = None) -> Timeline | None:
    """The pod's timeline, or None when no container has a run, an exit or a restart to show."""
    settings = settings or BackoffSettings()
    with_status = [c for c in ev.containers if c.status is not None]
    built = []
    for c in ev.containers:
        got = _lane(c, now, settings, ev.events, only=len(with_status) == 1)
        if got is not None:
            built.append(got)
    if not built:
        return None
    times = [t for _, spans, marks in built for s in spans for t in s[:2]] + [m[0] for _, _, ms in built for m in ms]
    if now is not None:
        times.append(now)
    origin = min(times)
    end = max(times)

    def off(t: datetime) -> float:
        return (t - origin).total_seconds()

    lanes = []
    for lane, spans, marks in built:
        lane.spans = sorted((Span(off(a), off(b), k, est, lbl) for a, b, k, est, lbl in spans),
                            key=lambda s: (s.start, s.end))
        lane.marks = sorted((Mark(off(t), k, est, lbl) for t, k, est, lbl in marks), key=lambda m: (m.at, m.kind))
        lanes.append(lane)
    return Timeline(origin, off(end), off(now) if now is not None else None, lanes)


# -- SVG -------------------------------------------------------------------------------------------

LANE_HEIGHT = 34
LABEL_WIDTH = 130
AXIS_HEIGHT = 22
PAD = 8


def _x(t: float, tl: Timeline, width: int) -> float:
    span = tl.end if tl.end > 0 else 1.0
    return round(LABEL_WIDTH + (width - LABEL_WIDTH - PAD) * (t / span), 1)


def _e(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def render_svg(tl: Timeline, *, width: int = 760, title: str = "restart timeline") -> str:
    """The timeline as one inline SVG: a lane per container, runs as bars, waits hatched, marks on top."""
    height = AXIS_HEIGHT + LANE_HEIGHT * len(tl.lanes) + PAD
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
           f"<title>{_e(title)}</title>"]
    # Axis: origin and end times, and the span in between.
    out.append(f'<text class="axis" x="{LABEL_WIDTH}" y="14">{_e(_hms(tl.origin))}</text>')
    end_at = tl.origin + timedelta(seconds=tl.end)
    out.append(f'<text class="axis" x="{width - PAD}" y="14" text-anchor="end">{_e(_hms(end_at))} '
               f'({_e(format_duration(tl.end))} shown)</text>')
    for i, lane in enumerate(tl.lanes):
        y = AXIS_HEIGHT + i * LANE_HEIGHT
        mid = y + LANE_HEIGHT // 2
        name = f"{lane.container} (init)" if lane.init else lane.container
        out.append(f'<g class="lane" data-container="{_e(lane.container)}" data-restarts="{lane.restarts}">')
        out.append(f'<text class="lane-label" x="0" y="{mid + 4}">{_e(name[:18])}</text>')
        out.append(f'<line class="track" x1="{LABEL_WIDTH}" y1="{mid}" x2="{width - PAD}" y2="{mid}"/>')
        for s in lane.spans:
            x1, x2 = _x(s.start, tl, width), _x(s.end, tl, width)
            w = max(1.0, round(x2 - x1, 1))
            cls = f"{s.kind}{' est' if s.estimated else ''}"
            h = 12 if s.kind == "run" else 6
            out.append(f'<rect class="{cls}" x="{x1}" y="{mid - h // 2}" width="{w}" height="{h}">'
                       f"<title>{_e(s.label)}</title></rect>")
        for m in lane.marks:
            x = _x(m.at, tl, width)
            cls = f"{m.kind}{' est' if m.estimated else ''}"
            if m.kind == "restart":
                shape = f'<line class="{cls}" x1="{x}" y1="{mid - 10}" x2="{x}" y2="{mid + 10}">'
                out.append(f"{shape}<title>{_e(m.label)}</title></line>")
            elif m.kind == "next":
                out.append(f'<line class="{cls}" x1="{x}" y1="{y + 2}" x2="{x}" y2="{y + LANE_HEIGHT - 2}">'
                           f"<title>{_e(m.label)}</title></line>")
            elif m.kind == "probe":
                out.append(f'<path class="{cls}" d="M{x} {mid - 15}l4 6h-8z"><title>{_e(m.label)}</title></path>')
            else:  # exit, oom
                r = 5 if m.kind == "oom" else 4
                out.append(f'<circle class="{cls}" cx="{x}" cy="{mid}" r="{r}"><title>{_e(m.label)}</title></circle>')
        if lane.note:
            out.append(f'<text class="note" x="{LABEL_WIDTH + 4}" y="{y + LANE_HEIGHT - 2}">{_e(lane.note)}</text>')
        out.append("</g>")
    if tl.now is not None:
        x = _x(tl.now, tl, width)
        out.append(f'<line class="now" x1="{x}" y1="{AXIS_HEIGHT - 4}" x2="{x}" y2="{height - PAD}">'
                   f"<title>now</title></line>")
    out.append("</svg>")
    return "".join(out)
