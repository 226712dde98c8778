"""Every message format a rule lists in its docs (`wordings=`) is one that rule reads.

The wording tables are data with upstream sources; this keeps them honest: a listed format that the
rule's patterns do not accept fails here, in whichever source the kubelet would put it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from podmortem.rules import ALL_RULES, Rule
from podmortem.rules.wording import Wording
from podmortem.testing import build_evidence

CASES = [(r, w) for r in ALL_RULES for w in r.wordings]


def _event(text: str) -> dict[str, Any]:
    reason = "FailedMount" if "MountVolume" in text else "Failed"
    return {"events": [{"type": "Warning", "reason": reason, "message": text, "count": 3}]}


def _status(text: str) -> dict[str, Any]:
    return {"pod": {"metadata": {"name": "w"}, "spec": {"containers": [{"name": "app", "image": "x"}]},
                    "status": {"containerStatuses": [{"name": "app", "restartCount": 2, "state": {
                        "waiting": {"reason": "CreateContainerConfigError", "message": text}}}]}}}


def test_some_rules_list_wordings() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("r", "w"), CASES, ids=[f"{r.id}:{w.form[:40]}" for r, w in CASES])
@pytest.mark.parametrize("where", [_event, _status], ids=["event", "status"])
def test_listed_wording_is_read(r: Rule, w: Wording, where: Callable[[str], dict[str, Any]]) -> None:
    text = w.instance()
    pod = build_evidence(where(text))
    hits = list(r(pod))
    assert hits, f"{r.id} does not read its own listed wording {text!r}"
    assert all(0 < h.confidence <= 1 for h in hits)
