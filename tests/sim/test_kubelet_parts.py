"""Each part of the kubelet model built alone on a `PodState` and a small recording `World`.

The whole pod is tested through the cluster and the real kubectl (test_kubelet.py, test_kubectl.py);
these pin each part's own rule with nothing else running, so a change to one part fails here first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from podmortem.sim.kubelet.checks import StartChecks
from podmortem.sim.kubelet.emit import Emitter
from podmortem.sim.kubelet.eviction import Eviction
from podmortem.sim.kubelet.logs import Logs
from podmortem.sim.kubelet.model import ContainerSim, Instance, KubeletSettings, NodeSim
from podmortem.sim.kubelet.order import StartOrder
from podmortem.sim.kubelet.probes import Probes
from podmortem.sim.kubelet.program import Program
from podmortem.sim.kubelet.restarts import Restarts
from podmortem.sim.kubelet.starting import Starting
from podmortem.sim.kubelet.state import PodState
from podmortem.sim.kubelet.status import StatusWriter
from podmortem.sim.kubelet.volumes import Volumes
from podmortem.sim.profile import Profile


class RecordingWorld:
    """A cluster with the given ConfigMaps and Secrets that records every event."""

    def __init__(self, configmaps: Mapping[str, Mapping[str, Any]] | None = None,
                 secrets: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.configmaps = dict(configmaps or {})
        self.secrets = dict(secrets or {})
        self.events: list[tuple[float, str, str, str | None]] = []

    def configmap(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.configmaps.get(name)

    def secret(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.secrets.get(name)

    def resolve(self, namespace: str, host: str, port: int, t: float) -> tuple[str | None, str | None]:
        return (None, "10.96.0.10") if host == "db" else ("dns", None)

    def emit(self, pod: PodState, t: float, type_: str, reason: str, message: str, field_path: str | None,
             component: str = "kubelet") -> None:
        self.events.append((t, reason, message, field_path))

    def pressure_check(self, node: NodeSim, t: float) -> None:
        pass


def state(containers: list[dict[str, Any]], world: RecordingWorld | None = None, init: list[dict[str, Any]] | None = None,
          **spec: Any) -> PodState:
    pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u-1"},
           "spec": {"containers": containers, "initContainers": init or [], **spec}}
    return PodState(pod, world or RecordingWorld(), NodeSim("node-1", 1, "192.168.0.2"), 0.0, KubeletSettings())


def run(c: ContainerSim, start: float, end: float | None, code: int = 1, reason: str = "Error") -> Instance:
    inst = Instance(len(c.instances), f"containerd://{len(c.instances)}", start, end, reason, code)
    c.instances.append(inst)
    c.total += 1
    return inst


def test_emitter_sends_events_with_the_container_field_path_and_at_their_time() -> None:
    world = RecordingWorld()
    s = state([{"name": "app", "image": "x"}], world)
    events = Emitter(s)
    c = s.containers[0]
    events.emit(c, 1.0, "Normal", "Pulled", "now")
    s.at(5.0, events.emitter(c, "Normal", "Later", "scheduled"))
    assert world.events == [(1.0, "Pulled", "now", "spec.containers{app}")]
    s.pending[0][2](5.0)
    assert world.events[-1] == (5.0, "Later", "scheduled", "spec.containers{app}")


def test_start_order_holds_app_containers_until_init_containers_complete() -> None:
    s = state([{"name": "app"}], init=[{"name": "migrate"}])
    order = StartOrder(s)
    s.volumes_ok_at = 0.0
    assert [c.name for c in order.startable(1.0)] == ["migrate"]
    migrate = s.containers[0]
    run(migrate, 1.0, 2.0, 0, "Completed")
    migrate.done = True
    assert [c.name for c in order.startable(3.0)] == ["app"]
    assert order.initialized(3.0)


def test_start_order_applies_restart_policy() -> None:
    s = state([{"name": "app"}], restartPolicy="OnFailure")
    order = StartOrder(s)
    c = s.containers[0]
    assert order.restart_allowed(c, 1) and not order.restart_allowed(c, 0)


def test_start_checks_report_the_kubelets_texts_for_missing_references() -> None:
    world = RecordingWorld(configmaps={"cfg": {"data": {"A": "1"}}})
    s = state([{"name": "app", "env": [
        {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "A"}}},
        {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "B"}}}]}], world)
    checks = StartChecks(s)
    env, err = checks.resolve_env(s.containers[0])
    assert env == {"A": "1"}
    assert err == "couldn't find key B in ConfigMap ns/cfg"
    s2 = state([{"name": "app", "envFrom": [{"secretRef": {"name": "creds"}}]}])
    assert StartChecks(s2).config_error(s2.containers[0]) == 'secret "creds" not found'


def test_start_checks_runc_errors_for_a_missing_entrypoint() -> None:
    s = state([{"name": "app", "command": ["/app/run"]}])
    c = s.containers[0]
    c.profile = dataclasses.replace(c.profile, executables=("/bin/sh",))
    assert StartChecks(s).start_error(c) == 'exec: "/app/run": stat /app/run: no such file or directory'


def test_probes_say_connection_refused_before_the_app_listens() -> None:
    s = state([{"name": "web", "ports": [{"containerPort": 8080}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}}])
    s.ip = "10.244.1.5"
    probes = Probes(s, Emitter(s), StartOrder(s))
    c = s.containers[0]
    c.profile = dataclasses.replace(c.profile, start_seconds=30.0)
    probe = c.spec["livenessProbe"]
    assert probes._probe_result(c, probe, 5.0) == ('Get "http://10.244.1.5:8080/healthz": dial tcp 10.244.1.5:8080: '
                                                   "connect: connection refused")
    assert probes._probe_result(c, probe, 40.0) is None


def test_probes_plan_a_liveness_kill_after_the_failure_threshold() -> None:
    world = RecordingWorld()
    s = state([{"name": "web", "livenessProbe": {"tcpSocket": {"port": 9000}, "periodSeconds": 10}}], world)
    probes = Probes(s, Emitter(s), StartOrder(s))
    c = s.containers[0]
    inst = run(c, 0.0, None)
    end = probes.plan(c, inst, None)
    # Probes at 0, 10 and 20 s fail (nothing listens on 9000); the third kills with SIGTERM, exit 143.
    assert end is not None and end[:3] == (20.2, "Error", 143)
    assert [when for when, _, _ in s.pending] == [0.0, 10.0, 20.0, 20.0]  # three Unhealthy, one Killing


def test_program_cannot_write_under_a_read_only_root_filesystem() -> None:
    s = state([{"name": "app", "securityContext": {"readOnlyRootFilesystem": True},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}], volumes=[{"name": "tmp", "emptyDir": {}}])
    checks = StartChecks(s)
    program = Program(s, checks, Probes(s, Emitter(s), StartOrder(s)))
    c = s.containers[0]
    assert program._writable(c, "/var/cache/nginx") == "readonly"
    assert program._writable(c, "/tmp/x") is None


def test_program_plans_an_exit_from_the_profile() -> None:
    s = state([{"name": "app"}])
    program = Program(s, StartChecks(s), Probes(s, Emitter(s), StartOrder(s)))
    c = s.containers[0]
    c.profile = Profile(exit_after=3.0, exit_code=2, exit_logs=("boom",), explicit=True)
    c.total = 1
    inst = program.plan(c, 10.0, "containerd://1")
    assert (inst.end, inst.exit_code, inst.reason) == (13.0, 2, "Error")
    assert [text for _, text in inst.logs] == ["boom"]


def test_volumes_emit_failed_mount_and_back_off() -> None:
    world = RecordingWorld()
    s = state([{"name": "app"}], world, volumes=[{"name": "conf", "configMap": {"name": "missing"}}])
    volumes = Volumes(s, StartOrder(s))
    volumes.mount(0.0)
    assert world.events[-1][1:3] == ("FailedMount", 'MountVolume.SetUp failed for volume "conf" : configmap "missing" not found')
    assert s.mount_retry == (0.5, 0.5) and s.volumes_ok_at is None
    volumes.mount(0.5)
    assert s.mount_retry == (1.5, 1.0)
    world.configmaps["missing"] = {"data": {}}
    volumes.mount(1.5)
    assert s.volumes_ok_at == 1.5 and s.mount_retry is None


def parts(s: PodState) -> tuple[Emitter, StartOrder, Starting, Restarts]:
    events, order, checks = Emitter(s), StartOrder(s), StartChecks(s)
    program = Program(s, checks, Probes(s, events, order))
    starting = Starting(s, events, checks, program, Volumes(s, order))
    return events, order, starting, Restarts(s, events, order, starting)


def test_restarts_wait_out_the_back_off_with_crash_loop_back_off() -> None:
    world = RecordingWorld()
    s = state([{"name": "app", "image": "busybox:1.36"}], world)
    _, _, _, restarts = parts(s)
    s.volumes_ok_at = 0.0
    c = s.containers[0]
    c.profile = Profile(explicit=True)
    run(c, 0.0, 5.0)
    c.backoff = (10.0, 0.0)
    restarts.exited(c, 5.0)
    assert c.next_attempt == 6.0  # the pod worker's next sync
    restarts.sync(6.0)
    assert c.waiting is not None and c.waiting[0] == "CrashLoopBackOff"
    assert c.waiting[1].startswith("back-off 10s restarting failed container=app pod=p_ns(u-1)")
    assert world.events[-1][1] == "BackOff"


def test_eviction_stops_running_containers_and_fails_the_pod() -> None:
    world = RecordingWorld()
    s = state([{"name": "app"}], world)
    events, order, checks = Emitter(s), StartOrder(s), StartChecks(s)
    eviction = Eviction(s, events, Program(s, checks, Probes(s, events, order)))
    c = s.containers[0]
    inst = run(c, 0.0, None)
    eviction.evict(10.0, "memory", "100Mi", "20Mi")
    assert s.phase_final == "Failed" and s.failed_reason is not None and s.failed_reason[0] == "Evicted"
    assert inst.end == 10.5 and inst.reason == "ContainerStatusUnknown"
    assert [e[1] for e in world.events] == ["Evicted", "Killing"]


def test_status_writer_reports_pending_until_scheduled_then_running() -> None:
    s = state([{"name": "app", "image": "nginx:1.27"}])
    writer = StatusWriter(s, StartOrder(s))
    assert writer.phase(0.0) == "Pending"
    s.scheduled_at = s.sandbox_at = 0.0
    run(s.containers[0], 1.0, None).ready_changes.append((1.0, True))
    assert writer.phase(2.0) == "Running" and writer.ready(2.0)
    status = writer.status(2.0)
    assert status["containerStatuses"][0]["state"] == {"running": {"startedAt": "1970-01-01T00:00:01Z"}}


def test_logs_name_the_waiting_reason_when_nothing_ran() -> None:
    s = state([{"name": "app"}])
    c = s.containers[0]
    c.waiting = ("ImagePullBackOff", "Back-off pulling image")
    assert Logs(s).instance_for_logs(c, False, 1.0) == (
        None, 'container "app" in pod "p" is waiting to start: trying and failing to pull image')
    run(c, 1.0, 2.0)
    assert Logs(s).instance_for_logs(c, True, 3.0) == (c.latest, None)
