"""The simulator is built by composition: no class inherits from more than two of the project's classes.

Deep inheritance chains made every behaviour reachable from everywhere (issue 16 item 6); parts are
now objects handed the state and the few parts they call. This walks every module of podmortem.sim.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import podmortem.sim

MAX_PROJECT_BASES = 2


def sim_classes() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(podmortem.sim.__path__, "podmortem.sim."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(found.values())


def project_bases(cls: type) -> list[str]:
    return [f"{b.__module__}.{b.__qualname__}" for b in cls.__mro__[1:] if b.__module__.startswith("podmortem.")]


def test_the_walk_finds_the_simulators_classes() -> None:
    names = {c.__name__ for c in sim_classes()}
    assert {"SimCluster", "PodSim", "Timeline", "Verbs", "Probes", "StatusWriter"} <= names


def test_no_simulator_class_inherits_from_more_than_two_project_classes() -> None:
    deep = {f"{c.__module__}.{c.__qualname__}": project_bases(c) for c in sim_classes()
            if len(project_bases(c)) > MAX_PROJECT_BASES}
    assert deep == {}


def test_the_live_tests_have_no_api_server_of_their_own() -> None:
    """tests/live serves its canned clusters through the simulator's API (fakeapi.py wraps `api.handle`).

    hostile.py stays: it speaks broken HTTP on a raw socket on purpose, which no API server does.
    """
    from pathlib import Path

    live = Path(__file__).parents[1] / "live"
    servers = [p.name for p in live.glob("*.py") if "BaseHTTPRequestHandler" in p.read_text()]
    assert servers == []
    assert "from podmortem.sim.api import handle" in (live / "fakeapi.py").read_text()
