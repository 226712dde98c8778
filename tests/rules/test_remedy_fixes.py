"""Remedies the end-to-end test (tests/e2e) proved in the simulator, pinned at the rule level: the JVM heap
patch from the spec's own env, the deletion a StatefulSet's stuck pod needs, and `outside_spec` on app
remedies that carry no patch."""

from __future__ import annotations

from typing import Any

from podmortem.engine import diagnose
from podmortem.render.commands import command_lines
from podmortem.testing import build_evidence


def _jvm_pod(env: list[dict[str, Any]], limit: str | None = "2Gi", owner: str = "ReplicaSet") -> dict[str, Any]:
    resources = {"limits": {"memory": limit}} if limit else {}
    refs = [{"kind": owner, "name": "ledger-75d4b6cb94" if owner == "ReplicaSet" else "ledger", "controller": True}]
    return {
        "pod": {"metadata": {"name": "ledger-0" if owner == "StatefulSet" else "ledger-75d4b6cb94-dd47g",
                             "namespace": "data", "ownerReferences": refs},
                "spec": {"containers": [{"name": "ledger", "env": env, "resources": resources}]},
                "status": {"containerStatuses": [{"name": "ledger", "restartCount": 4,
                                                  "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}},
        "logs": {"ledger": "Picked up JAVA_TOOL_OPTIONS: -Xmx256m\n"
                           "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n"},
    }


def _remedy(doc: dict[str, Any], cause: str) -> Any:
    found = [f for f in diagnose(build_evidence(doc)).findings if f.cause == cause]
    assert found, [f.cause for f in diagnose(build_evidence(doc)).findings]
    return found[0].remedy


def test_a_fixed_jvm_heap_in_the_specs_env_is_replaced_by_a_share_of_the_limit() -> None:
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx256m -Dfile.encoding=UTF-8"}]
    remedy = _remedy(_jvm_pod(env), "resources.runtime-oom")
    assert remedy.outside_spec is None
    spec = remedy.patch["spec"]["template"]["spec"]
    assert spec["containers"] == [{"name": "ledger", "env": [
        {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75 -Dfile.encoding=UTF-8"}]}]
    assert command_lines(remedy)[0].startswith("kubectl patch deployment/ledger -n data --type strategic -p ")


def test_no_heap_patch_without_a_limit_or_without_the_flag_in_the_spec() -> None:
    for doc in (_jvm_pod([{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx256m"}], limit=None),
                _jvm_pod([{"name": "OTHER", "value": "-Xmx256m"}]),
                # an initial heap above 75% of the limit would stop the JVM from starting
                _jvm_pod([{"name": "JAVA_OPTS", "value": "-Xms1800m -Xmx1800m"}]),
                _jvm_pod([{"name": "JAVA_OPTS", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}])):
        remedy = _remedy(doc, "resources.runtime-oom")
        assert remedy.patch is None
        assert remedy.outside_spec  # and it says why


def test_a_statefulset_remedy_deletes_the_stuck_pod_after_changing_the_template() -> None:
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx256m"}]
    remedy = _remedy(_jvm_pod(env, owner="StatefulSet"), "resources.runtime-oom")
    lines = command_lines(remedy)
    assert lines[0].startswith("kubectl patch statefulset/ledger -n data ")
    assert lines[1] == "kubectl delete pod ledger-0 -n data"
    assert "delete pod ledger-0" in remedy.summary
    # a Deployment rolls out by itself: no deletion
    assert not any("delete pod" in line for line in command_lines(_remedy(_jvm_pod(env), "resources.runtime-oom")))


def test_app_remedies_without_a_patch_say_why_the_fix_is_elsewhere() -> None:
    doc = {"logs": {"app": "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
                           "ZeroDivisionError: division by zero\n"}}
    remedy = _remedy(doc, "app.crash")
    assert remedy.patch is None and "application's code" in (remedy.outside_spec or "")
