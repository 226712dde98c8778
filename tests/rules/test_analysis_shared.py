"""The log analysis (rules/app_analysis.py) is made once for containers that hold the same lines.

The live source hands one sampled log to every pod of an owner failing the same way, so `analyse`
is keyed by what `lines_of` reads (the logs by identity; without the crashed instance's log, the
container's name, kind and termination messages). Each answer must equal a fresh analysis of that
container, whatever was analysed before it.
"""

from __future__ import annotations

from typing import Any

from podmortem.model import ContainerEvidence, ContainerState, ContainerStatus, Termination
from podmortem.rules.app_analysis import Analysis, analyse, lines_of
from podmortem.rules.app_analysis import _scan as fresh_scan
from podmortem.sources.logs import log_text

_LOG = "starting\nError: environment variable DATABASE_URL is required\n"
_MESSAGE = "Traceback (most recent call last):\n  File \"/app/x.py\", line 3\nKeyError: 'API_TOKEN'\n"


def _shape(a: Analysis) -> list[Any]:
    return [a.lines, [(c.cause, c.detail, c.confidence, c.index, c.line, c.match.span(), c.match.group(0), c.subject,
                       c.soft, c.strength) for c in a.candidates]]


def _terminated(message: str) -> ContainerStatus:
    t = Termination(exit_code=1, reason="Error", message=message)
    return ContainerStatus("x", restart_count=3, state=ContainerState("terminated", terminated=t))


def test_each_answer_equals_a_fresh_analysis_of_that_container() -> None:
    shared = log_text(_LOG, "a sampled log")
    other = log_text(_LOG, "the same words, another log")
    not_previous = log_text(_LOG, "current instance", previous=False)
    containers = [
        ContainerEvidence("app", logs=(shared,)),
        ContainerEvidence("web", logs=(shared,)),  # another pod's container, the same sampled log
        ContainerEvidence("app", logs=(other,)),
        ContainerEvidence("app", status=_terminated(_MESSAGE)),  # no log: the termination message is read
        ContainerEvidence("web", status=_terminated(_MESSAGE)),  # its path names this container
        ContainerEvidence("web", init=True, status=_terminated(_MESSAGE)),
        ContainerEvidence("web", init=True, status=_terminated(_MESSAGE + "exit\n")),
        ContainerEvidence("app", logs=(not_previous,), status=_terminated(_MESSAGE)),  # both are read
        ContainerEvidence("app", logs=(not_previous,), status=_terminated("other\n")),
    ]
    for _round in range(2):
        for c in containers:
            assert _shape(analyse(c)) == _shape(fresh_scan(lines_of(c))), c


def test_containers_with_the_same_log_object_share_one_analysis() -> None:
    shared = log_text(_LOG, "a sampled log")
    a = analyse(ContainerEvidence("app", logs=(shared,)))
    b = analyse(ContainerEvidence("app", logs=(shared,), status=_terminated(_MESSAGE)))
    assert a is b and a.candidates  # the crashed instance's log is read, the message is not


def test_termination_messages_of_other_containers_are_not_shared() -> None:
    a = analyse(ContainerEvidence("app", status=_terminated(_MESSAGE)))
    b = analyse(ContainerEvidence("web", status=_terminated(_MESSAGE)))
    assert a is not b
    assert {ln.origin for ln in a.lines} != {ln.origin for ln in b.lines}
