"""Issue 9 item 4: every remedy podmortem prints for the simulator's default scenario, applied with the
real kubectl exactly as printed, fixes its workload, or says in the remedy why its fix is not in the spec.

The procedure is tests/e2e/remedies.py (also the generator of docs/remedies.md); virtual time is
advanced through the simulator's own path, never waited for, and nothing here asserts elapsed time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .remedies import KUBECTL, document, fill, fillable, mutates, run, running_sim, table

REMEDIES = "remedies applied in the simulator"  # the section tests/conftest.py prints at the end
DOC = Path(__file__).resolve().parents[2] / "docs" / "remedies.md"


def test_mutating_commands_are_told_from_reading_ones() -> None:
    assert mutates("kubectl patch deployment/x -n a --type strategic -p '{}'")
    assert mutates("kubectl get pod p -n a -o yaml | kubectl patch -f - --local -p '{}' -o yaml | kubectl replace --force -f -")
    assert mutates("kubectl delete pod search-0 -n data")
    assert mutates("kubectl set env deployment/x -n a -c c K=VALUE")
    assert mutates("kubectl rollout undo deployment/x -n a")
    assert not mutates("kubectl set env deployment/x -n a -c c --list")
    assert not mutates("kubectl rollout status deployment/x -n a --timeout=5m")
    assert not mutates("kubectl get pod p -n a -o yaml | kubectl patch -f - --local -p '{}' -o yaml")
    assert not mutates("kubectl logs p -n a --previous")
    assert not mutates("docker image inspect 'img:1' --format '{{.Config.User}}'")
    # a quoted `|` is not a pipe
    assert not mutates("kubectl get pod p -o 'jsonpath={.a} | kubectl delete pod x'")


def test_placeholders_are_filled_from_the_target_only() -> None:
    values = fillable({"kind": "Deployment", "namespace": "shop", "name": "web", "container": "app"})
    assert values == {"NAMESPACE": "shop", "NAME": "web", "KIND": "deployment", "CONTAINER": "app"}
    assert fill("kubectl patch KIND/NAME -n NAMESPACE -c CONTAINER X=VALUE", values) == \
        "kubectl patch deployment/web -n shop -c app X=VALUE"
    assert fill("kubectl get pod x -n NAMESPACE", {"NAMESPACE": "a b"}) == "kubectl get pod x -n 'a b'"
    assert fillable({"kind": None, "namespace": None, "name": None, "container": None}) == {}


@pytest.mark.kubectl
@pytest.mark.slow
def test_every_in_spec_remedy_fixes_its_workload(request: pytest.FixtureRequest) -> None:
    if not (os.path.isfile(KUBECTL) and os.access(KUBECTL, os.X_OK)):
        pytest.fail(f"the real kubectl is required at {KUBECTL} (or set PODMORTEM_KUBECTL)", pytrace=False)
    with running_sim() as sim:
        rows = run(sim)
    shown = table(rows)
    request.node.add_report_section("call", REMEDIES, shown)
    print(shown)

    silent = [r.workload for r in rows if r.status == "no-reason"]
    assert not silent, f"remedies that change nothing and do not say why (set outside_spec): {silent}\n{shown}"
    applied = [r for r in rows if r.status == "applied"]
    assert len(applied) >= 5, f"too few remedies applied for the test to mean anything:\n{shown}"
    broken = {r.workload: r.why for r in applied if not r.fixed}
    assert not broken, f"remedies applied as printed that did not fix their workload: {broken}\n{shown}"
    assert len({r.workload for r in rows}) == len(rows) >= 20, shown  # every failing workload has its row

    text = document(rows)
    assert DOC.exists() and DOC.read_text() == text, (
        "docs/remedies.md is stale: run `make docs` (python tests/e2e/remedies.py docs/remedies.md)")
