"""`podmortem gate` end to end: the real command over HTTP against the simulated cluster.

Each scenario is applied the way CI applies it (the objects change, then the gate starts) and
the gate must reach the right verdict in about the time a person would expect: at once for a
crash loop, when the pods turn Ready for a slow rollout, at the deadline for one that never does.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gate_support import READINESS, GateRun, Sim, deployment, profile

pytestmark = pytest.mark.slow  # each run waits for a rollout on the simulator's clock: first in the run (tests/conftest.py)

Gate = Callable[..., GateRun]
MakeSim = Callable[..., Sim]

FAST = ("--settle", "0.5s", "-n", "shop")  # a rollout must stay Ready for 15 virtual seconds

CRASHING = profile(runtime="python", needsEnv=["DB_HOST"])
SLOW = profile(runtime="java", startSeconds=40, health={"paths": ["/ready"]})  # Ready after ~40 virtual s


def crashing_web(**kw: Any) -> dict[str, Any]:
    return deployment("web", profiles={"app": CRASHING}, **kw)


def healthy_web(**kw: Any) -> dict[str, Any]:
    return deployment("web", container=READINESS, profiles={"app": profile(startSeconds=2)}, **kw)


# -- a rollout that succeeds ----------------------------------------------------------------------------


def test_healthy_rollout_passes(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(healthy_web(replicas=3))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    doc = run.json()["gate"]
    assert doc["result"] == "passed"
    (target,) = doc["targets"]
    assert target["complete"] and target["message"] == 'deployment "web" successfully rolled out'
    assert [p["state"] for p in target["pods"]] == ["ready"] * 3
    assert run.json()["pods"] == []  # nothing to diagnose


def test_fix_rolled_over_a_crash_loop_passes(sim: MakeSim, gate: Gate) -> None:
    """The old revision crash-loops (that is why the fix is applied): its pods are replaced, not judged."""
    s = sim(crashing_web())
    s.cluster.advance(120)  # the broken revision has crash-looped for two minutes
    s.apply(healthy_web())
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", *FAST)
    assert run.code == 0, run.out + run.err
    assert run.out.startswith("podmortem gate: PASSED in ")
    assert "[ok] deployment/web: deployment \"web\" successfully rolled out" in run.out
    # progress went to stderr: old replicas being replaced, then done
    assert "old replicas are pending termination" in run.err or "new replicas have been updated" in run.err


def test_nothing_changed_passes_and_ignores_old_restarts(sim: MakeSim, gate: Gate) -> None:
    """Re-applying an unchanged manifest: pods Ready since before the gate, with restarts from long ago."""
    flaky = profile(startSeconds=1, exitAfterSeconds=[5, 100000], exitCode=1)  # crashed once, then fine
    s = sim(deployment("web", replicas=1, profiles={"app": flaky}))
    s.cluster.advance(300)
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "20s", "--restart-budget", "0",
               "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    (pod,) = run.json()["gate"]["targets"][0]["pods"]
    assert pod["restarts"] == 1 and pod["state"] == "ready"


def test_statefulset_rollout_passes(sim: MakeSim, gate: Gate) -> None:
    sts = deployment("db", replicas=2, container=READINESS, profiles={"app": profile(startSeconds=3)})
    sts["kind"] = "StatefulSet"
    sts["spec"]["serviceName"] = "db"
    s = sim()
    s.apply(sts)
    run = gate("sts/db", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    pods = run.json()["gate"]["targets"][0]["pods"]
    assert sorted(p["name"] for p in pods) == ["db-0", "db-1"]


# -- a rollout that crash-loops ---------------------------------------------------------------------------


def test_crash_loop_fails_at_once_with_the_cause(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(crashing_web())
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "2m", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()
    # "failed", not "timeout": the gate failed when the crash loop happened, not at the 2m timeout.
    assert doc["gate"]["result"] == "failed"
    failing = doc["gate"]["failing"]
    assert failing and failing[0]["failure"] in ("crash-loop", "restart-budget")
    assert failing[0]["container"] == "app"
    causes = {p["name"]: p["findings"][0]["cause"] for p in doc["pods"]}
    assert set(causes) == {p["name"] for p in failing}
    assert set(causes.values()) == {"app.missing-env"}
    assert any("DB_HOST" in e["text"] for p in doc["pods"] for e in p["findings"][0]["evidence"])
    assert doc["groups"][0]["owner"] == "deployment/web"


def test_crash_loop_text_report(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(crashing_web(replicas=1))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "2m", *FAST)
    assert run.code == 1
    first = run.out.splitlines()[0]
    assert first.startswith("podmortem gate: FAILED after ") and "(deployment/web)" in first
    assert "crash-looping" in first or "restart budget" in first
    assert "Diagnosis:" in run.out and "app.missing-env" in run.out


def test_crash_loop_of_an_init_container(sim: MakeSim, gate: Gate) -> None:
    init = {"name": "migrate", "image": "registry.example.com/shop/migrate:1.0"}
    s = sim()
    s.apply(deployment("web", replicas=1, init=init,
                       profiles={"migrate": profile(runtime="python", exitAfterSeconds=1, exitCode=1, exitLogs=[
                           "Traceback (most recent call last):", '  File "/app/migrate.py", line 9, in <module>',
                           "    import psycopg2", "ModuleNotFoundError: No module named 'psycopg2'"])}))
    run = gate("deploy/web", "--kubeconfig", s.kubeconfig, "--timeout", "2m", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    (failing,) = run.json()["gate"]["failing"]
    assert failing["init"] is True and failing["container"] == "migrate"
    assert failing["status"].startswith("Init:")
    top = run.json()["pods"][0]["findings"][0]
    assert (top["cause"], top["container"], top["init"]) == ("app.missing-module", "migrate", True)


# -- a rollout that is merely slow ----------------------------------------------------------------------------


# The timeout tests run the simulator slower than the others (SLOW_SPEED): the gate's --timeout must
# leave the run time to list events on a loaded machine, and the pods must still be far from Ready
# when it passes (~15 virtual seconds in, Ready after ~40).
SLOW_SPEED = 5.0


def test_slow_rollout_waits_until_ready(sim: MakeSim, gate: Gate) -> None:
    # At SLOW_SPEED the pods turn Ready about 8 wall seconds after the apply, so the gate's first
    # look finds them unready even when a loaded machine delays it by seconds (at SPEED it was 1.3 s).
    s = sim(speed=SLOW_SPEED)
    s.apply(deployment("web", container=READINESS, profiles={"app": SLOW}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    assert run.seconds > 1.0, "the pods take about 40 virtual seconds to turn Ready"
    assert "readiness probe has not succeeded yet" in run.err  # the progress said what it waited for
    # Watched, not polled: one list and a watch or two per stream, however long the rollout takes.
    requests = run.json()["gate"]["requests"]
    assert requests["deployments"] <= 4 and requests["pods"] <= 4 and requests["replicasets"] <= 4, requests
    assert not [t.name for t in threading.enumerate() if t.name.startswith("gate-")], "streams were stopped"


def test_slow_rollout_times_out_saying_why(sim: MakeSim, gate: Gate) -> None:
    s = sim(speed=SLOW_SPEED)
    s.apply(deployment("web", container=READINESS, profiles={"app": SLOW}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "3s", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()["gate"]
    assert doc["result"] == "timeout"
    (target,) = doc["targets"]
    assert not target["complete"] and "rollout to finish" in target["message"]
    assert len(target["pods"]) == 2
    for pod in target["pods"]:
        assert (pod["status"], pod["ready"], pod["state"]) == ("Running", "0/1", "waiting")
        assert "readiness probe" in pod["why"]
        assert pod["last_event"].startswith("Warning Unhealthy") and "Readiness probe failed" in pod["last_event"]
    assert run.json()["pods"] == []  # merely slow: no cause to report


def test_slow_rollout_timeout_text_lists_pods(sim: MakeSim, gate: Gate) -> None:
    s = sim(speed=SLOW_SPEED)
    s.apply(deployment("web", replicas=1, container=READINESS, profiles={"app": SLOW}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "3s", *FAST)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0].startswith("podmortem gate: TIMED OUT after ")
    header = next(ln for ln in lines if ln.strip().startswith("POD "))
    assert header.split() == ["POD", "STATUS", "READY", "RESTARTS", "WHY"]
    row = lines[lines.index(header) + 1].split()
    assert row[0].startswith("web-") and row[1:4] == ["Running", "0/1", "0"]
    assert "last event: Warning Unhealthy" in run.out


def test_progress_deadline_fails_the_rollout(sim: MakeSim, gate: Gate) -> None:
    d = deployment("web", container=READINESS, profiles={"app": SLOW})
    d["spec"]["progressDeadlineSeconds"] = 15  # shorter than the pods need to turn Ready
    s = sim()
    s.apply(d)
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()["gate"]
    assert doc["result"] == "failed"  # at the progress deadline, not at the 30s timeout ("timeout")
    assert doc["reason"].startswith('deployment "web" exceeded its progress deadline: ReplicaSet "web-')
    assert len(doc["failing"]) == 2 and {p["state"] for p in doc["failing"]} == {"waiting"}
    assert run.json()["pods"] == []  # slow, not broken: no cause to name


def test_timeout_diagnoses_a_pod_stuck_on_a_mount(sim: MakeSim, gate: Gate) -> None:
    d = deployment("web", replicas=1, container={"volumeMounts": [{"name": "cfg", "mountPath": "/etc/web"}]})
    d["spec"]["template"]["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "web-files"}}]
    s = sim()
    s.apply(d)
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "3s", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()
    (pod,) = doc["gate"]["targets"][0]["pods"]
    assert pod["status"] == "ContainerCreating" and pod["last_event"].startswith("Warning FailedMount")
    assert doc["pods"][0]["findings"][0]["cause"] == "config.ref-missing"


# -- containers that cannot start -----------------------------------------------------------------------------


def _configmap(data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-settings", "namespace": "shop"},
            "data": data}


ENV_FROM_KEY = {"env": [{"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "web-settings",
                                                                              "key": "db-host"}}}]}


def test_missing_configmap_fails_with_config_ref_missing(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(deployment("web", replicas=1, container=ENV_FROM_KEY))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "1m", "--start-grace", "0.5s",
               "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()
    assert doc["gate"]["result"] == "failed"  # when the pod could not start, not at the 1m timeout
    (failing,) = doc["gate"]["failing"]
    assert (failing["status"], failing["failure"]) == ("CreateContainerConfigError", "cannot-start")
    assert doc["pods"][0]["findings"][0]["cause"] == "config.ref-missing"


def test_missing_key_fails_with_config_key_missing(sim: MakeSim, gate: Gate) -> None:
    s = sim(_configmap({"db_host": "postgres"}))  # the key is db_host, the pod asks for db-host
    s.apply(deployment("web", replicas=1, container=ENV_FROM_KEY))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "1m", "--start-grace", "0.5s",
               "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    top = run.json()["pods"][0]["findings"][0]
    assert top["cause"] == "config.key-missing"


def test_configmap_applied_after_the_deployment_is_waited_for(sim: MakeSim, gate: Gate) -> None:
    """`kubectl apply -f dir/` may create the Deployment before its ConfigMap: the kubelet's retry fixes it."""
    s = sim()
    s.apply(deployment("web", replicas=1, container=ENV_FROM_KEY))
    late = threading.Timer(0.4, s.apply, args=(_configmap({"db-host": "postgres"}),))
    late.start()
    try:
        run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "--start-grace", "5s",
                   *FAST)
    finally:
        late.cancel()
    assert run.code == 0, run.out + run.err
    assert "CreateContainerConfigError" in run.err  # it was seen, and waited out


def test_image_that_cannot_be_pulled(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(deployment("web", replicas=1, profiles={"app": profile(pullError="not-found")},
                       container={"image": "registry.example.com/shop/web:9.9.9-typo"}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "1m", "--start-grace", "0.5s",
               "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    doc = run.json()
    assert doc["gate"]["failing"][0]["failure"] == "image-pull"
    assert doc["pods"][0]["findings"][0]["cause"] == "image.pull"


# -- label selectors ----------------------------------------------------------------------------------------


def test_selector_passes_when_every_matching_pod_is_ready(sim: MakeSim, gate: Gate) -> None:
    s = sim(crashing_web())
    s.cluster.advance(60)
    s.apply(healthy_web())  # the old, crash-looping pods match -l app=web too: they are on their way out
    run = gate("-l", "app=web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    (target,) = run.json()["gate"]["targets"]
    assert target["target"] == "pods -l app=web" and target["message"] == "2 of 2 pods Ready"


def test_selector_fails_on_a_crash_looping_pod(sim: MakeSim, gate: Gate) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "worker", "namespace": "shop",
                                                            "labels": {"tier": "jobs"},
                                                            "annotations": {"sim.podmortem.dev/profile.app": CRASHING}},
           "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/worker:2.1"}]}}
    s = sim()
    s.apply(pod)
    run = gate("-l", "tier=jobs", "--kubeconfig", s.kubeconfig, "--timeout", "1m", "-o", "json", *FAST)
    assert run.code == 1, run.out + run.err
    assert run.json()["pods"][0]["name"] == "worker"
    assert run.json()["pods"][0]["findings"][0]["cause"] == "app.missing-env"


def test_selector_that_matches_nothing_times_out(sim: MakeSim, gate: Gate) -> None:
    s = sim(healthy_web())
    run = gate("-l", "app=wbe", "--kubeconfig", s.kubeconfig, "--timeout", "1s", *FAST)
    assert run.code == 1
    assert run.out.startswith("podmortem gate: TIMED OUT after ")
    assert "no pod matches -l app=wbe in namespace shop yet" in run.out


# -- the watch, when the API server makes it hard ----------------------------------------------------------------


def test_forbidden_watch_falls_back_to_polling(sim: MakeSim, gate: Gate) -> None:
    from podmortem.sim.faults import parse_fault

    s = sim()
    refused = s.cluster.faults.add(parse_fault("forbidden:verb=watch"))
    s.apply(deployment("web", container=READINESS, profiles={"app": SLOW}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "--poll-interval", "0.5s",
               "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    assert refused.fired >= 3  # each stream asked once, then listed
    assert any("listing every 0.5s instead" in n for n in run.json()["gate"]["notes"])


def test_dropped_watches_are_relisted(sim: MakeSim, gate: Gate) -> None:
    from podmortem.sim.faults import parse_fault

    s = sim()
    dropped = s.cluster.faults.add(parse_fault("drop-watch:after=0.3"))
    s.apply(deployment("web", container=READINESS, profiles={"app": SLOW}))
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "json", *FAST)
    assert run.code == 0, run.out + run.err
    assert dropped.fired >= 6, "every stream's watch was cut more than once, and listed again"
    assert not run.json()["gate"]["notes"]  # cut streams are not a reason to stop watching


# -- JUnit ----------------------------------------------------------------------------------------------------


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    for attr in ("tests", "failures", "errors", "skipped"):
        assert root.get(attr) == suite.get(attr)
    assert int(suite.get("tests", "-1")) == len(cases)
    assert int(suite.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(suite.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)
    return suite


def test_junit_carries_the_diagnosis(sim: MakeSim, gate: Gate) -> None:
    s = sim()
    s.apply(crashing_web())
    run = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "1m", "-o", "junit", *FAST)
    assert run.code == 1
    assert run.out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    suite = _suite(run.out)
    cases = {c.get("name", ""): c for c in suite.findall("testcase")}
    assert "rollout" in cases and all(c.get("classname") == "deployment/web" for c in cases.values())
    pods = [c for n, c in cases.items() if n.startswith("pod web-")]
    assert len(pods) == 2
    failed = [c.find("failure") for c in pods if c.find("failure") is not None]
    assert failed, "the crash-looping pods fail"
    for f in failed:
        assert f is not None and f.get("type") == "app.missing-env"
        assert (f.get("message") or "").startswith("app.missing-env: ")
        body = f.text or ""
        for part in ("cause: app.missing-env (container app)", "evidence:", "[logs] KeyError: 'DB_HOST'", "fix: "):
            assert part in body
    rollout = cases["rollout"].find("failure")
    assert rollout is not None and rollout.get("type") == "app.missing-env"


def test_junit_of_a_pass_and_of_a_timeout(sim: MakeSim, gate: Gate) -> None:
    s = sim(speed=SLOW_SPEED)
    s.apply(deployment("web", container=READINESS, profiles={"app": SLOW}))
    timed_out = _suite(gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "3s", "-o", "junit",
                            *FAST).out)
    kinds = [c.find("failure").get("type") for c in timed_out.findall("testcase")]  # type: ignore[union-attr]
    assert kinds == ["timeout", "not-ready", "not-ready"]
    s.cluster.advance(60)  # virtual time, not a wait: the pods turn Ready (~40 virtual seconds after the apply)
    passed = gate("deployment/web", "--kubeconfig", s.kubeconfig, "--timeout", "30s", "-o", "junit", *FAST)
    assert passed.code == 0
    suite = _suite(passed.out)
    assert suite.get("failures") == "0" and suite.get("tests") == "3"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["result"] == "passed" and props["namespace"] == "shop"


# -- as CI runs it --------------------------------------------------------------------------------------------


@pytest.mark.kubectl
def test_kubectl_apply_then_gate_as_in_ci(sim: MakeSim, tmp_path: Path) -> None:
    """`kubectl apply -f k8s/ && podmortem gate deployment/web -o junit > gate.xml`, with the real binaries."""
    import os
    import subprocess
    import sys

    import yaml

    kubectl = os.environ.get("PODMORTEM_KUBECTL", "/usr/bin/kubectl")
    assert os.access(kubectl, os.X_OK), f"the real kubectl is required at {kubectl} (or set PODMORTEM_KUBECTL)"
    s = sim()
    manifest = tmp_path / "k8s.yaml"
    manifest.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-settings", "namespace": "shop"},
         "data": {"db-host": "postgres"}},
        deployment("web", container={**READINESS, **ENV_FROM_KEY}, profiles={"app": profile(startSeconds=3)}),
    ]))
    env = {**os.environ, "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path / "cache")}
    script = (f"{kubectl} apply -f {manifest} --kubeconfig {s.kubeconfig} && "
              f"{sys.executable} -m podmortem gate deployment/web -n shop --kubeconfig {s.kubeconfig} "
              f"--timeout 60s --settle 0.5s -o junit > {tmp_path / 'gate.xml'}")
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "deployment.apps/web created" in p.stdout
    suite = _suite((tmp_path / "gate.xml").read_text())
    assert suite.get("failures") == "0" and suite.get("tests") == "3"
    assert "podmortem gate [" in p.stderr  # the progress lines reached the CI log
