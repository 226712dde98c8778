"""Served time (issue 16 item 5): with --speed or advance(), kubectl never sees a timestamp in its future."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from podmortem.sim import SimCluster
from podmortem.sim.served_time import lead, shift_json

from .conftest import Kubectl

Make = Callable[..., SimCluster]
CRASHER = """apiVersion: v1
kind: Namespace
metadata: {name: lab}
---
apiVersion: v1
kind: Pod
metadata: {name: crasher, namespace: lab}
spec:
  containers: [{name: c, image: busybox:1.36, command: [sh, -c, "echo starting; sleep 5; exit 3"]}]
"""


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_shift_moves_api_time_fields_only() -> None:
    body = (b'{"metadata":{"creationTimestamp":"2026-12-06T10:00:00Z"},"eventTime":"2026-12-06T10:00:00.123456Z",'
            b'"data":{"when":"2026-12-06T10:00:00Z"},"x":"{\\"time\\":\\"2026-12-06T10:00:00Z\\"}"}')
    out = json.loads(shift_json(body, 3700))
    assert out["metadata"]["creationTimestamp"] == "2026-12-06T08:58:20Z"
    assert out["eventTime"] == "2026-12-06T08:58:20.123456Z"
    assert out["data"]["when"] == "2026-12-06T10:00:00Z"  # a ConfigMap's data is not an API time
    assert "10:00:00" in out["x"]
    assert shift_json(body, 0) is body
    assert (lead(1000.9, 1000.0), lead(1002.5, 1000.0), lead(990.0, 1000.0)) == (0, 2, 0)


def test_fast_clock_never_shows_invalid_ages(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> None:
    cluster = make_cluster(CRASHER, serve=True, now=None, start_offset=0, speed=50.0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    cluster.advance(1800)  # half an hour ahead of the wall clock, and running 50 times as fast
    time.sleep(0.5)
    outputs = [kc.out("get", "pods", "-A"), kc.out("describe", "pod", "crasher"), kc.out("get", "events"),
               kc.out("get", "pods", "-o", "wide")]
    for out in outputs:
        assert "<invalid>" not in out, out
    describe = outputs[1]
    # The intervals are the virtual ones: the pod is half an hour old and has crash-looped since.
    assert "Back-off restarting failed container c" in describe
    assert "over 30m)" in describe or "over 31m)" in describe, describe
    wall = time.time()
    pod = json.loads(kc.out("get", "pod", "crasher", "-o", "json"))
    created = _epoch(pod["metadata"]["creationTimestamp"])
    finished = _epoch(pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"])
    assert created <= wall and finished <= wall
    assert wall - created >= 1800  # the pod's age as kubectl computes it is its virtual age
    stamped = kc.out("logs", "crasher", "--timestamps").splitlines()
    assert stamped and all(_epoch(line.split(" ", 1)[0][:26] + "Z") <= wall for line in stamped)
