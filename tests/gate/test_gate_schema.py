"""`gate -o json` validates against src/podmortem/schemas/gate.schema.json: a failed and a passed rollout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gate_support import deployment, profile

from podmortem.schemas import validator

FAST = ("--settle", "0.5s", "-n", "shop")


def test_failed_and_passed_gates_validate(sim: Callable[..., Any], gate: Callable[..., Any]) -> None:
    v = validator("gate")
    s = sim()
    s.apply(deployment("web", replicas=1, profiles={"app": profile(runtime="python", needsEnv=["DB_HOST"])}))
    failed = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "2m", "-o", "json", *FAST)
    assert failed.code == 1, failed.out + failed.err
    doc = failed.json()
    v.validate(doc)
    assert doc["gate"]["result"] == "failed" and doc["pods"]
    doc["gate"]["result"] = "maybe"
    assert not v.is_valid(doc)
    ok = sim()
    ok.apply(deployment("api", replicas=1, profiles={"app": profile(startSeconds=1)}))
    passed = gate("deployment/api", "--kubeconfig", ok.kubeconfig, "--timeout", "1m", "-o", "json", *FAST)
    assert passed.code == 0, passed.out + passed.err
    v.validate(passed.json())
