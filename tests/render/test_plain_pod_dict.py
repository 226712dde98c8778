"""render.json.plain_pod_dict: a plainly healthy pod's entry of `-o json`, made from its summary, is the
entry its diagnosis gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from podmortem.render.json import plain_pod_dict, pod_dict
from podmortem.sources.healthy import PlainPod


@pytest.mark.parametrize("pod", [
    PlainPod("api-0", "shop", "ReplicaSet/api-7d9f"),
    PlainPod("api-0", None, None),
    PlainPod("web-1", "default", None, (datetime(2026, 1, 15, 10, 30, tzinfo=UTC),), has_events=True),
    PlainPod('we"ird\\name\u202e\x1b[31m', "ns-\u00e9", "StatefulSet/db"),
])
def test_the_summary_gives_the_entry_of_the_diagnosis(pod: PlainPod) -> None:
    assert plain_pod_dict(pod) == pod_dict(pod.diagnosis())
    assert list(plain_pod_dict(pod)) == list(pod_dict(pod.diagnosis()))  # the same key order: the same JSON
