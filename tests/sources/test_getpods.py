"""`kubectl get pods` rows pasted with a log: the pod's name, and an `Init:` STATUS that says the
log's container is an init container (kubectl's printPod wording across versions and flags)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podmortem.cli import main
from podmortem.sources.describe import parse_describe
from podmortem.sources.describe.getpods import pod_rows

LOG = ('psql: error: connection to server at "postgres" (10.0.0.5), port 5432 failed: Connection refused\n'
       "\tIs the server running on that host and accepting TCP/IP connections?\n")

PASTES = {
    "plain, 1.22+ restarts": """$ kubectl get pods -n shop
NAME                     READY   STATUS                  RESTARTS      AGE
orders-7d9f8b6c4-x2x9k   0/1     Init:CrashLoopBackOff   6 (2m ago)    9m
""",
    "all namespaces": """NAMESPACE   NAME                     READY   STATUS       RESTARTS   AGE
shop        orders-7d9f8b6c4-x2x9k   0/1     Init:Error   3          4m
""",
    "wide, still running the first of two": """NAME                     READY   STATUS     RESTARTS   AGE   IP          NODE     NOMINATED NODE   READINESS GATES
orders-7d9f8b6c4-x2x9k   0/1     Init:0/2   0          40s   10.1.2.3    node-1   <none>           <none>
""",
    "old kubectl, exit code": """NAME                     READY     STATUS                RESTARTS   AGE
orders-7d9f8b6c4-x2x9k   0/1       Init:ExitCode:2       5          7m
""",
}


def explain(tmp_path: Path, paste: str, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    (tmp_path / "describe.txt").write_text(paste)
    (tmp_path / "logs.txt").write_text(LOG)
    with pytest.raises(SystemExit):
        main(["explain", "--describe", str(tmp_path / "describe.txt"), "--logs", str(tmp_path / "logs.txt"),
              "-o", "json"])
    return json.loads(capsys.readouterr().out)["pods"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("paste", list(PASTES.values()), ids=list(PASTES))
def test_an_init_status_flags_the_logged_container_as_init(paste: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    pod = explain(tmp_path, paste, capsys)
    assert pod["name"] == "orders-7d9f8b6c4-x2x9k"
    assert pod["findings"][0]["cause"] == "app.dependency-unreachable"
    assert pod["findings"][0]["init"] is True


def test_a_main_container_status_is_not_an_init_container(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = explain(tmp_path, PASTES["plain, 1.22+ restarts"].replace("Init:CrashLoopBackOff", "CrashLoopBackOff     "),
                  capsys)
    assert pod["name"] == "orders-7d9f8b6c4-x2x9k"
    assert pod["findings"][0]["init"] is False


def test_several_rows_name_no_pod_and_flag_nothing() -> None:
    paste = PASTES["plain, 1.22+ restarts"] + "billing-0                0/1     Init:0/1   0   1m\n"
    assert len(pod_rows(paste.splitlines())) == 2
    (pod,) = parse_describe(paste)
    assert pod.name is None and not any(c.init for c in pod.containers)


def test_a_describe_with_init_containers_keeps_its_own_reading() -> None:
    paste = PASTES["all namespaces"] + """
Name:         orders-7d9f8b6c4-x2x9k
Namespace:    shop
Init Containers:
  migrate:
    Image:          orders:2.1
    State:          Waiting
      Reason:       CrashLoopBackOff
    Restart Count:  3
Containers:
  orders:
    Image:          orders:2.1
    State:          Waiting
      Reason:       PodInitializing
"""
    (pod,) = parse_describe(paste)
    assert [(c.name, c.init) for c in pod.containers] == [("migrate", True), ("orders", False)]
