"""ContainerEvidence.last_termination is the first of its terminations (the current state when it is
terminated, else lastState), for every combination of the two states."""

from __future__ import annotations

import itertools

from podmortem.model import ContainerEvidence, ContainerState, ContainerStatus, Termination, Waiting


def test_last_termination_is_the_first_termination() -> None:
    current = Termination(exit_code=1, reason="Error")
    previous = Termination(exit_code=137, reason="OOMKilled")
    states = [ContainerState(), ContainerState(waiting=Waiting("CrashLoopBackOff")),
              ContainerState(terminated=current)]
    lasts = [ContainerState(), ContainerState(terminated=previous)]
    seen = set()
    for state, last in itertools.product(states, lasts):
        c = ContainerEvidence("app", status=ContainerStatus("app", state=state, last_state=last))
        found = c.terminations
        assert c.last_termination == (found[0] if found else None)
        seen.add(c.last_termination)
    assert seen == {None, current, previous}
    assert ContainerEvidence("app").last_termination is None and ContainerEvidence("app").terminations == ()
