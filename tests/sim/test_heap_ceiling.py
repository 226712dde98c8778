"""The JVM and Node.js heap ceilings, read one way (podmortem.kube.heap) by lint and by the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from podmortem.kube.heap import COMMAND_RANK, env_rank, read_heap_flags
from podmortem.sim.kubelet.runtime import heap_limit_mib
from podmortem.sim.profile import Profile

JAVA = Profile(runtime="java")
NODE = Profile(runtime="node")


@pytest.mark.parametrize(("args", "env", "limit", "mib"), [
    ([], {}, 1024.0, 256.0),  # no flag: MaxRAMPercentage's default, 25%
    (["-XX:MaxRAMPercentage=75"], {}, 1024.0, 768.0),
    (["-XX:MaxRAMFraction=2"], {}, 1024.0, 512.0),  # the flag the simulator used to ignore
    (["-Xmx1g"], {}, 4096.0, 1024.0),
    (["-Xmx2t"], {}, 4096.0, 2 * 1024 * 1024.0),
    # The command line overrides JAVA_TOOL_OPTIONS and _JAVA_OPTIONS overrides both (the launcher's order).
    (["-Xmx200m"], {"JAVA_TOOL_OPTIONS": "-Xmx100m"}, 4096.0, 200.0),
    (["-Xmx200m"], {"_JAVA_OPTIONS": "-Xmx300m"}, 4096.0, 300.0),
    ([], {"KAFKA_HEAP_OPTS": "-Xmx400m -Xms400m"}, 4096.0, 400.0),
])
def test_the_simulators_jvm_ceiling(args: list[str], env: dict[str, str], limit: float, mib: float) -> None:
    spec: dict[str, Any] = {"args": args}
    assert heap_limit_mib(JAVA, spec, env, limit) == pytest.approx(mib)
    texts = [(COMMAND_RANK, a) for a in args] + [(env_rank(k), v) for k, v in env.items()]
    assert read_heap_flags(texts).jvm_ceiling(limit * 2**20) / 2**20 == pytest.approx(mib)


@pytest.mark.parametrize(("args", "env", "mib"), [
    (["--max-old-space-size=300"], {}, 300.0),
    ([], {"NODE_OPTIONS": "--max_old_space_size=200"}, 200.0),  # V8 takes either separator
    ([], {}, 512.0),  # no flag: the simulator's default, half the limit up to 4 GiB
])
def test_the_simulators_node_ceiling(args: list[str], env: dict[str, str], mib: float) -> None:
    assert heap_limit_mib(NODE, {"args": args}, env, 1024.0) == pytest.approx(mib)
