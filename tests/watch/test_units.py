"""Pure parts of the watcher: failing states, the view, incidents' lifecycle, rate limit, payloads."""

from __future__ import annotations

from typing import Any

import pytest

from podmortem.watch.diagnoser import TokenBucket
from podmortem.watch.incidents import IncidentBook, incident_id
from podmortem.watch.kevents import NOTE_MAX, note_of, open_incidents
from podmortem.watch.notify import payload
from podmortem.watch.state import failing_state, top_owner_guess
from podmortem.watch.view import PodView


def pod(name: str = "web-7d9f-abcde", *, waiting: str | None = None, terminated: str | None = None,
        last: str | None = None, init: bool = False, ready: bool = False, reason: str | None = None,
        owner: tuple[str, str] | None = ("ReplicaSet", "web-7d9f"), labels: dict[str, str] | None = None,
        uid: str = "u1") -> dict[str, Any]:
    st: dict[str, Any] = {"name": "app", "ready": ready, "state": {}}
    if waiting:
        st["state"] = {"waiting": {"reason": waiting}}
    elif terminated:
        st["state"] = {"terminated": {"reason": terminated, "exitCode": 137}}
    else:
        st["state"] = {"running": {}}
    if last:
        st["lastState"] = {"terminated": {"reason": last, "exitCode": 137}}
    status: dict[str, Any] = {"phase": "Running",
                              "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                              ("initContainerStatuses" if init else "containerStatuses"): [st]}
    if reason:
        status = {"phase": "Failed", "reason": reason}
    meta: dict[str, Any] = {"name": name, "namespace": "shop", "uid": uid,
                            "labels": labels if labels is not None else {"pod-template-hash": "7d9f"}}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {"metadata": meta, "status": status}


@pytest.mark.parametrize(("kw", "expected"), [
    ({"waiting": "CrashLoopBackOff"}, "CrashLoopBackOff"),
    ({"waiting": "CrashLoopBackOff", "init": True}, "Init:CrashLoopBackOff"),
    ({"waiting": "CreateContainerConfigError"}, "CreateContainerConfigError"),
    ({"waiting": "ImagePullBackOff"}, "ImagePullBackOff"),
    ({"waiting": "ErrImagePull"}, None),  # the first failed pull: not yet a state
    ({"terminated": "OOMKilled"}, "OOMKilled"),
    ({"last": "OOMKilled"}, "OOMKilled"),  # running again but not ready since the kill
    ({"last": "OOMKilled", "ready": True}, None),  # recovered
    ({"terminated": "StartError"}, "StartError"),
    ({"reason": "Evicted"}, "Evicted"),
    ({"waiting": "ContainerCreating"}, None),
    ({"ready": True}, None),
])
def test_failing_states(kw: dict[str, Any], expected: str | None) -> None:
    assert failing_state(pod(**kw)) == expected


def test_top_owner_from_the_deployment_controllers_naming() -> None:
    assert top_owner_guess(pod()) == ("Deployment", "web")
    # A ReplicaSet whose name does not end with the pods' hash is not assumed to belong to a Deployment.
    assert top_owner_guess(pod(labels={"pod-template-hash": "zzzz"})) is None
    assert top_owner_guess(pod(owner=("StatefulSet", "db"))) == ("StatefulSet", "db")
    assert top_owner_guess(pod(owner=("Job", "backup-123"))) is None


def test_view_is_bounded_but_keeps_failing_pods() -> None:
    view = PodView(max_pods=2)
    view.put(pod("a", ready=True, uid="a"))
    view.put(pod("b", ready=True, uid="b"))
    assert view.put(pod("c", ready=True, uid="c")) == (None, None)
    assert view.dropped == 1
    _, rec = view.put(pod("d", waiting="CrashLoopBackOff", uid="d"))
    assert rec is not None and rec.failing == "CrashLoopBackOff"
    assert {r.name for r in view.pods_of("shop", ("Deployment", "web"))} == {"a", "b", "d"}


def test_incident_opens_once_joins_reminds_and_resolves() -> None:
    book = IncidentBook(remind_after=100, resolve_after=10)
    owner = ("Deployment", "web")
    first = book.failing(("shop", "p1"), owner, "app.missing-env", "7d9f", 0.0, summary="s")
    assert first is not None and first.kind == "opened"
    assert book.failing(("shop", "p2"), owner, "app.missing-env", "7d9f", 1.0) is None
    assert book.failing(("shop", "p3"), owner, "app.missing-env", "8abc", 0.0) is not None  # another revision
    healthy = {"v": False}
    assert book.tick(50.0, lambda ns, o: healthy["v"]) == []
    reminders = book.tick(100.0, lambda ns, o: healthy["v"])
    assert [a.kind for a in reminders] == ["reminder", "reminder"]
    assert book.tick(150.0, lambda ns, o: healthy["v"]) == []  # next reminder only 100 s after the last
    for p in ("p1", "p2", "p3"):
        book.not_failing(("shop", p))
    healthy["v"] = True
    assert book.tick(160.0, lambda ns, o: True) == []  # healthy, but not yet for resolve_after
    done = book.tick(170.0, lambda ns, o: True)
    assert sorted(a.kind for a in done) == ["resolved", "resolved"]
    assert book.open == {}


def test_incident_does_not_resolve_while_the_owner_has_unready_pods() -> None:
    book = IncidentBook(remind_after=0, resolve_after=0)
    book.failing(("shop", "p1"), ("Deployment", "web"), "c", None, 0.0)
    book.not_failing(("shop", "p1"))
    assert book.tick(5.0, lambda ns, o: False) == []
    assert [a.kind for a in book.tick(6.0, lambda ns, o: True)] == ["resolved"]


def test_ids_are_stable_and_restored_incidents_are_not_reopened() -> None:
    assert incident_id("shop", ("Deployment", "web"), "c", "1") == incident_id("shop", ("Deployment", "web"), "c", "1")
    assert incident_id("shop", ("Deployment", "web"), "c", "1") != incident_id("shop", ("Deployment", "web"), "c", "2")
    iid = incident_id("shop", ("Deployment", "web"), "app.missing-env", "7d9f")
    events = [{"metadata": {"namespace": "shop", "labels": {"podmortem.dev/incident": iid},
                            "annotations": {"podmortem.dev/cause": "app.missing-env",
                                            "podmortem.dev/owner-kind": "Deployment",
                                            "podmortem.dev/owner-name": "web", "podmortem.dev/revision": "7d9f",
                                            "podmortem.dev/opened-at": "12.5"}},
               "reason": "CrashLoopDiagnosed", "note": "app.missing-env: DB_HOST is missing. Fix: set it"}]
    [inc] = open_incidents(iter(events))
    assert (inc.id, inc.summary, inc.fix, inc.opened_at) == (iid, "DB_HOST is missing.", "set it", 12.5)
    book = IncidentBook()
    book.restore(inc)
    assert book.failing(("shop", "p9"), ("Deployment", "web"), "app.missing-env", "7d9f", 20.0) is None
    resolved = [*events, {"metadata": {"labels": {"podmortem.dev/incident": iid}}, "reason": "CrashLoopResolved"}]
    assert open_incidents(iter(resolved)) == []


def test_note_is_cut_under_the_api_limit() -> None:
    book = IncidentBook()
    action = book.failing(("shop", "p"), ("Deployment", "web"), "c", None, 0.0, summary="é" * 2000, fix="x")
    assert action is not None
    assert len(note_of(action.incident).encode()) < NOTE_MAX


def test_token_bucket_on_an_injected_clock() -> None:
    t = {"now": 0.0}
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: t["now"])
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() == pytest.approx(0.5)
    t["now"] = 0.5
    assert bucket.take() == 0


def test_payloads_carry_the_incident_not_a_url() -> None:
    book = IncidentBook()
    action = book.failing(("shop", "p"), ("Deployment", "web"), "app.missing-env", "1", 0.0,
                          summary="DB_HOST is missing.", fix="Set DB_HOST.", diagnosis={"name": "p"})
    assert action is not None
    inc = action.incident
    slack = payload("slack", "opened", inc)
    assert "deployment/web" in slack["text"] and "Set DB_HOST." in slack["text"]
    teams = payload("teams", "opened", inc)
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    generic = payload("json", "resolved", inc, "http://127.0.0.1:1/incidents/x")
    assert generic["event"] == "resolved" and generic["incident"]["cause"] == "app.missing-env"
    assert generic["diagnosis"] == {"name": "p"}


def test_the_simulator_serves_one_event_through_both_apis() -> None:
    from podmortem.sim.eventconv import event_for

    written = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"}, "reason": "R",
               "regarding": {"kind": "Deployment", "name": "web"}, "note": "n", "reportingController": "c/x",
               "deprecatedCount": 2}
    core = event_for("v1", written)
    assert core["involvedObject"] == {"kind": "Deployment", "name": "web"} and core["message"] == "n"
    assert core["reportingComponent"] == "c/x" and core["count"] == 2 and core["source"] == {"component": "c/x"}
    assert event_for("events.k8s.io/v1", core) == {**written, "deprecatedSource": {"component": "c/x"}}
    assert event_for("v1", core) is core
