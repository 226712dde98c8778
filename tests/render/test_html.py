"""The HTML incident report: timeline geometry (golden), one restart mark per restart, escaping, spec diff."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.backoff import BackoffSettings
from podmortem.engine import diagnose
from podmortem.model import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    Event,
    PodEvidence,
    Termination,
    Waiting,
)
from podmortem.render.html import render_html, spec_diff
from podmortem.render.timeline import build_timeline, render_svg
from podmortem.testing import check_golden

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


def crashing_pod(restarts: int, *, running: bool = False, name: str = "orders-7b8c9-4lq2x",
                 container: str = "orders", reason: str = "Error", exit_code: int = 137,
                 events: tuple[Event, ...] = ()) -> PodEvidence:
    """A pod whose container restarted `restarts` times; the last instance ran 6m12s and exited at T0+6m12s."""
    last = Termination(exit_code=exit_code, reason=reason, started_at=T0, finished_at=T0 + timedelta(seconds=372))
    if running:
        state = ContainerState(kind="running", started_at=T0 + timedelta(seconds=400))
    else:
        state = ContainerState(kind="waiting", waiting=Waiting(reason="CrashLoopBackOff"))
    status = ContainerStatus(name=container, ready=False, restart_count=restarts, state=state,
                             last_state=ContainerState(kind="terminated", terminated=last))
    spec = ContainerSpec(name=container, image="registry.example.com/orders:3.4", limits={"memory": "256Mi"})
    return PodEvidence(name=name, namespace="shop", containers=(ContainerEvidence(container, spec=spec, status=status),),
                       events=events, phase="Running", has_spec=True, has_status=True)


PROBE_EVENTS = (
    Event(type="Warning", reason="Unhealthy", message="Liveness probe failed: HTTP probe failed with statuscode: 500",
          count=21, first_seen=T0 + timedelta(seconds=330), last_seen=T0 + timedelta(seconds=370),
          field_path="spec.containers{orders}"),
)


def test_svg_geometry_golden() -> None:
    ev = crashing_pod(3, events=PROBE_EVENTS)
    tl = build_timeline(ev, now=T0 + timedelta(seconds=380))
    assert tl is not None
    check_golden(GOLDEN / "timeline.svg", render_svg(tl, title="restart timeline of shop/orders") + "\n")


def restart_marks(svg: str) -> int:
    return len(re.findall(r'<line class="restart(?: est)?"', svg))


@settings(max_examples=60, deadline=None)
@given(restarts=st.integers(min_value=0, max_value=120), running=st.booleans(), exit_code=st.sampled_from([1, 137]))
def test_one_mark_per_restart(restarts: int, running: bool, exit_code: int) -> None:
    ev = crashing_pod(restarts, running=running and restarts > 0, exit_code=exit_code)
    tl = build_timeline(ev, now=T0 + timedelta(seconds=900))
    assert tl is not None
    svg = render_svg(tl)
    assert restart_marks(svg) == restarts
    (lane,) = tl.lanes
    assert all(0 <= s.start <= s.end <= tl.end for s in lane.spans)
    assert all(0 <= m.at <= tl.end for m in lane.marks)


def test_back_off_waits_follow_the_schedule_and_the_next_restart_is_marked() -> None:
    ev = crashing_pod(4)
    tl = build_timeline(ev, now=T0 + timedelta(seconds=380))
    assert tl is not None
    waits = [round(s.end - s.start) for s in tl.lanes[0].spans if s.kind == "wait"]
    # Restarts 2, 3, 4 waited 10, 20, 40 s; the current wait before restart 5 is 80 s (the first restart is immediate).
    assert sorted(waits) == [10, 20, 40, 80]
    (nxt,) = [m for m in tl.lanes[0].marks if m.kind == "next"]
    assert tl.origin + timedelta(seconds=nxt.at) == T0 + timedelta(seconds=372 + 80)
    # Observed spans are solid, inferred ones are labelled estimates.
    assert {s.estimated for s in tl.lanes[0].spans if s.label.startswith("ran ")} == {False}
    assert all("estimated" in s.label for s in tl.lanes[0].spans if s.estimated)


def test_oom_exit_and_probe_failures_are_marked() -> None:
    ev = crashing_pod(2, reason="OOMKilled", events=PROBE_EVENTS)
    tl = build_timeline(ev, now=T0 + timedelta(seconds=400))
    assert tl is not None
    kinds = [m.kind for m in tl.lanes[0].marks]
    assert kinds.count("oom") == 1 and kinds.count("probe") == 2  # first and last of the aggregated event


def test_report_escapes_every_workload_string() -> None:
    hostile = '<img src=x onerror=alert(1)>"\x1b]0;pwned\x07\u202e'
    ev = crashing_pod(3, name=hostile, container='c"><script>alert(2)</script>')
    d = diagnose(ev, now=T0 + timedelta(seconds=400))
    page = render_html([(d, ev)], now=T0 + timedelta(seconds=400))
    assert page.count("<script") == 1  # ours, at the end
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page


def test_patch_diff_against_the_current_spec() -> None:
    ev = crashing_pod(3, reason="OOMKilled")
    patch = ("spec:\n  template:\n    spec:\n      containers:\n      - name: orders\n        resources:\n"
             "          limits:\n            memory: 512Mi\n")
    diff = spec_diff(patch, ev)
    assert diff is not None
    assert "-            memory: 256Mi" in diff and "+            memory: 512Mi" in diff
    assert spec_diff(patch, None) is None


@pytest.mark.parametrize("pods", [1, 30])
def test_fleet_table_only_for_many_pods(pods: int) -> None:
    now = T0 + timedelta(seconds=400)
    items = []
    for i in range(pods):
        ev = crashing_pod(2, name=f"orders-{i}")
        items.append((diagnose(ev, now=now, backoff=BackoffSettings()), ev))
    page = render_html(items, now=now)
    assert ('id="fleet"' in page) is (pods > 8)
    if pods > 8:
        assert page.count("<tr data-cause=") == pods
