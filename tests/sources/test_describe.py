"""Tests for the pasted `kubectl describe pod` parser (podmortem.sources.describe_text).

Golden tests: every tests/sources/describe/<scenario>.txt is parsed and summarised (see
`summary`) and compared with <scenario>.expected.json. The fixtures are written for these
tests in the layouts kubectl has printed since 1.0 (the modern ones were aligned the way
kubectl's tabwriter aligns them) and damaged the way pastes get damaged. After a deliberate
change, regenerate with `PODMORTEM_UPDATE_GOLDEN=1 pytest tests/sources` and review the diff;
without that variable any difference fails.

Targeted tests pin the semantics the goldens could hide, and hypothesis properties check that
no text makes the parser raise or lose a line.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podmortem.model import ContainerEvidence, ContainerState, Event, PodEvidence, Probe
from podmortem.model.evidence import DESCRIBE
from podmortem.sources.describe import (
    looks_like_describe,
    parse_describe,
    parse_event_line,
    parse_probe,
    parse_time,
)
from podmortem.sources.describe import parser as describe_text

HERE = Path(__file__).parent / "describe"
SCENARIOS = sorted(p.stem for p in HERE.glob("*.txt"))
UPDATE = os.environ.get("PODMORTEM_UPDATE_GOLDEN") == "1"


# ---------------------------------------------------------------------------------------------
# The stable summary the golden files hold


def _time(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _state(s: ContainerState) -> dict[str, Any] | None:
    if s.kind is None:
        return None
    out: dict[str, Any] = {"kind": s.kind}
    if s.kind == "running":
        out["started"] = _time(s.started_at)
    if s.waiting is not None:
        out["reason"] = s.waiting.reason
    t = s.terminated
    if t is not None:
        out.update(reason=t.reason, message=t.message, exit_code=t.exit_code, signal=t.signal,
                   started=_time(t.started_at), finished=_time(t.finished_at))
    return {k: v for k, v in out.items() if v is not None}


def _container(c: ContainerEvidence) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "init": c.init, "spec": None, "status": None}
    if c.spec is not None:
        sp = c.spec
        out["spec"] = {
            "image": sp.image,
            "ports": [f"{p.container_port}/{p.protocol}" + (f" ({p.name})" if p.name else "") for p in sp.ports],
            "command": list(sp.command),
            "args": list(sp.args),
            "limits": sp.limits,
            "requests": sp.requests,
            "probes": {p.kind: p.describe() for p in (sp.liveness, sp.readiness, sp.startup) if p},
            "env": [
                {"name": e.name, "value": e.value}
                if e.ref_kind is None
                else {"name": e.name, "ref": f"{e.ref_kind}:{e.ref_name or ''}/{e.ref_key or ''}", "optional": e.optional}
                for e in sp.env
            ],
            "env_from": [f"{e.ref_kind}:{e.ref_name}" + (" optional" if e.optional else "") for e in sp.env_from],
            "mounts": [f"{m.mount_path} from {m.name} ({'ro' if m.read_only else 'rw'}"
                       + (f',path="{m.sub_path}"' if m.sub_path else "") + ")" for m in sp.mounts],
        }
    if c.status is not None:
        s = c.status
        out["status"] = {"ready": s.ready, "restart_count": s.restart_count, "container_id": s.container_id,
                         "state": _state(s.state), "last_state": _state(s.last_state)}
    return out


def _event(e: Event) -> dict[str, Any]:
    out = {"type": e.type, "reason": e.reason, "count": e.count, "age": e.age, "first_seen": _time(e.first_seen),
           "last_seen": _time(e.last_seen), "source": e.source, "host": e.host, "field_path": e.field_path,
           "object": f"{e.object_kind}/{e.object_name}" if e.object_kind else None, "message": e.message}
    return {k: v for k, v in out.items() if v is not None}


def summary(pod: PodEvidence) -> dict[str, Any]:
    return {
        "name": pod.name, "namespace": pod.namespace, "node": pod.node, "phase": pod.phase,
        "reason": pod.reason, "message": pod.message,
        "owner": f"{pod.owner.kind}/{pod.owner.name}" if pod.owner else None,
        "start_time": _time(pod.started_at), "qos_class": pod.qos_class,
        "labels": pod.labels, "annotations": pod.annotations, "conditions": pod.conditions,
        "volumes": [{"name": v.name, "kind": v.kind, "ref": v.ref_name, "optional": v.optional} for v in pod.volumes],
        "has_spec": pod.has_spec, "has_status": pod.has_status, "has_events": pod.has_events,
        "containers": [_container(c) for c in pod.containers],
        "events": [_event(e) for e in pod.events],
        "loose_lines": list(pod.loose_lines),
    }


def _parse_fixture(name: str) -> list[PodEvidence]:
    return parse_describe((HERE / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden(name: str) -> None:
    got = [summary(p) for p in _parse_fixture(name)]
    expected_file = HERE / f"{name}.expected.json"
    if UPDATE:
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected_file.exists(), f"{expected_file.name} missing: run with PODMORTEM_UPDATE_GOLDEN=1"
    assert got == json.loads(expected_file.read_text(encoding="utf-8"))


def test_every_fixture_has_its_golden_file_and_no_orphans() -> None:
    expected = {p.name[: -len(".expected.json")] for p in HERE.glob("*.expected.json")}
    assert expected == set(SCENARIOS)
    assert len(SCENARIOS) >= 10


# ---------------------------------------------------------------------------------------------
# What each layout family must give, independent of the golden files


def _only(name: str) -> PodEvidence:
    pods = _parse_fixture(name)
    assert len(pods) == 1
    return pods[0]


def test_modern_crashloop_with_init_containers_and_probes() -> None:
    pod = _only("modern-crashloop-init-probes")
    assert (pod.name, pod.namespace, pod.node, pod.phase) == (
        "billing-api-6c9f7d8b5d-x7k2p", "payments", "worker-b-2", "Running")
    assert pod.owner is not None and (pod.owner.kind, pod.owner.name) == ("ReplicaSet", "billing-api-6c9f7d8b5d")
    assert [(c.name, c.init) for c in pod.containers] == [
        ("wait-for-db", True), ("migrate", True), ("api", False), ("statsd-exporter", False)]
    api = pod.container("api")
    assert api is not None and api.spec is not None and api.status is not None
    assert api.waiting_reason == "CrashLoopBackOff"
    last = api.last_termination
    assert last is not None and (last.reason, last.exit_code, last.run_seconds) == ("Error", 3, 3.0)
    assert api.restart_count == 7 and api.status.ready is False
    assert api.spec.limits == {"cpu": "1", "memory": "512Mi"}
    assert api.spec.liveness == Probe("liveness", "http-get", "/healthz/live", "http", "HTTP",
                                      initial_delay_seconds=10, timeout_seconds=2)
    assert api.spec.startup is not None and api.spec.startup.budget_seconds == 150
    secret = next(e for e in api.spec.env if e.name == "DATABASE_PASSWORD")
    assert (secret.value, secret.ref_kind, secret.ref_name, secret.ref_key, secret.optional) == (
        None, "secret", "billing-db-credentials", "password", False)
    cache = next(e for e in api.spec.env if e.name == "CACHE_URL")
    assert (cache.ref_kind, cache.ref_name, cache.ref_key, cache.optional) == ("configmap", "billing-config",
                                                                               "cache_url", True)
    migrate = pod.container("migrate")
    assert migrate is not None and migrate.spec is not None
    assert [(e.ref_kind, e.ref_name) for e in migrate.spec.env_from] == [
        ("configmap", "billing-config"), ("secret", "billing-db-credentials")]
    assert pod.volume("settings") is not None and pod.volume("settings").kind == "configMap"  # type: ignore[union-attr]
    backoff = pod.events[-1]
    assert (backoff.type, backoff.reason, backoff.count, backoff.source) == ("Warning", "BackOff", 64, "kubelet")
    assert backoff.raw is not None and backoff.raw.startswith("Warning  BackOff    2m3s (x64 over 16m)")
    assert pod.has_spec and pod.has_status and pod.has_events and not pod.loose_lines


def test_2015_event_table_with_tabs_and_braced_sources() -> None:
    pod = _only("old-2015-event-table")
    assert pod.owner is not None and (pod.owner.kind, pod.owner.name) == ("ReplicationController", "frontend-v3")
    assert pod.labels == {"name": "frontend", "version": "v3"}
    assert pod.reason is None and pod.message is None  # printed empty by kubectl 1.0
    c = pod.containers[0]
    assert c.last_termination is not None and c.last_termination.exit_code == 137
    kill = pod.events[-1]
    assert (kill.reason, kill.source, kill.host, kill.container) == ("killing", "kubelet", "kubernetes-minion-7x2d",
                                                                     "php-redis")
    assert kill.first_seen == datetime(2015, 6, 10, 21, 2, 50, tzinfo=UTC)  # 14:02:50 -0700
    probe = next(e for e in pod.events if e.reason == "unhealthy")
    assert probe.count == 9 and probe.message.startswith("Liveness probe failed: Get http://10.244.3.12:80/healthz")
    pod_infra = [e for e in pod.events if e.message.startswith(("Pod container image", "Created with docker id 6a"))]
    assert pod_infra and all(e.field_path is None for e in pod_infra)  # `implicitly required container POD`


def test_subobjectpath_table_of_kubectl_1_5_to_1_9() -> None:
    pod = _only("mid-2017-subobjectpath-table")
    backoff = next(e for e in pod.events if e.reason == "BackOff")
    assert (backoff.type, backoff.count, backoff.source, backoff.host, backoff.field_path, backoff.age) == (
        "Warning", 3, "kubelet", "node-2.internal", "spec.containers{worker}", "1m")
    scheduled = pod.events[0]
    assert (scheduled.source, scheduled.host, scheduled.field_path) == ("default-scheduler", None, None)


def test_openshift_multiline_annotation_and_termination_message() -> None:
    pod = _only("oc-describe-openshift")
    assert pod.annotations["openshift.io/scc"] == "restricted-v2"
    assert '"interface": "eth0",' in pod.annotations["k8s.v1.cni.cncf.io/network-status"]
    assert [c.name for c in pod.containers] == ["worker"]  # the pod-level SeccompProfile is not a container
    t = pod.containers[0].last_termination
    assert t is not None and t.message is not None
    assert t.message.startswith("org.apache.kafka.common.KafkaException: Failed to construct kafka consumer\n")
    assert "Caused by: org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls" in t.message
    assert t.exit_code == 1
    assert any(e.source == "multus" and e.reason == "AddedInterface" for e in pod.events)


def test_stripped_indentation_keeps_blocks_apart() -> None:
    pod = _only("stripped-indentation")
    assert [c.name for c in pod.containers] == ["web", "nginx"]
    web = pod.container("web")
    assert web is not None and web.spec is not None
    assert web.spec.command == ("node",) and web.spec.args == ("--max-old-space-size=1536", "server.js")
    assert [e.name for e in web.spec.env] == ["NODE_ENV", "SESSION_SECRET", "FEATURE_FLAGS"]
    assert web.last_termination is not None and web.last_termination.reason == "OOMKilled"
    assert [(v.name, v.ref_name) for v in pod.volumes] == [("config", "storefront-config"),
                                                           ("nginx-conf", "storefront-nginx")]
    assert pod.name == "storefront-web-58d4c7b9f6-h2m7w"  # a volume's `Name:` did not start a new pod
    assert pod.labels == {"app": "storefront-web", "pod-template-hash": "58d4c7b9f6"}


_RAW_MESSAGE = """\
Name:         web-6d9c8b7f5-4kx2p
Containers:
  web:
    Last State:     Terminated
      Reason:       Error
      Message:      Traceback (most recent call last):
  File "/app/web/settings.py", line 12, in <module>
    x = os.environ["X"]
KeyError: 'X'

      Exit Code:    1
"""


@pytest.mark.parametrize("margin", ["", "  ", "    ", "\t"])
def test_raw_message_lines_lose_the_paste_margin_only(margin: str) -> None:
    """A paste indented as a whole (a list item, a code block) keeps the Message's own indentation."""
    text = "\n".join(margin + ln if ln else ln for ln in _RAW_MESSAGE.split("\n"))
    (pod,) = parse_describe(text)
    t = pod.containers[0].last_termination
    assert t is not None and t.exit_code == 1
    assert t.message == ('Traceback (most recent call last):\n  File "/app/web/settings.py", line 12, in <module>\n'
                         '    x = os.environ["X"]\nKeyError: \'X\'')


def test_events_only_with_wraps_empty_from_and_field_path_prefix() -> None:
    pod = _only("events-only")
    assert pod.has_events and not pod.has_status and not pod.has_spec
    # the only container is the one the events name, an init container by its fieldPath
    assert [(c.name, c.init) for c in pod.containers] == [("fetch-schema", True)]
    attach = pod.events[1]
    assert attach.reason == "FailedAttachVolume" and attach.source is None
    assert attach.message.startswith("AttachVolume.Attach failed for volume \"pvc-4f1e2d3c\" : rpc error")
    probe = pod.events[3]
    assert probe.message.splitlines()[-1].startswith("psycopg2.OperationalError: could not translate host name")
    backoff = pod.events[4]
    assert backoff.field_path == "spec.initContainers{fetch-schema}" and backoff.about_init_container
    assert backoff.message.startswith("Back-off restarting failed container fetch-schema in pod")
    failed = pod.events[5]
    assert "OCI runtime create failed" in failed.message and "permission denied: unknown" in failed.message
    assert pod.events[0].age == "<unknown>"


def test_single_flush_left_event_line() -> None:
    pod = _only("single-event-line")
    (e,) = pod.events
    assert (e.type, e.reason, e.count, e.source, e.host) == ("Warning", "FailedMount", 9, "kubelet",
                                                               "ip-10-2-7-14.ec2.internal")
    assert e.message == 'MountVolume.SetUp failed for volume "app-secrets" : secret "ledger-app-secrets" not found'
    assert pod.has_events and not pod.has_status


def test_fragment_starting_at_state_gives_one_unnamed_container() -> None:
    pod = _only("fragment-state")
    (c,) = pod.containers
    assert c.name == "" and c.spec is None and c.status is not None
    assert c.waiting_reason == "CrashLoopBackOff" and c.restart_count == 9
    t = c.last_termination
    assert t is not None and (t.reason, t.exit_code) == ("StartError", 128)
    assert t.started_at == datetime(1970, 1, 1, tzinfo=UTC) and t.run_seconds is None
    assert pod.has_status and not pod.has_spec and not pod.has_events


def test_multi_pod_splits_on_top_level_name() -> None:
    pods = _parse_fixture("multi-pod")
    assert [p.name for p in pods] == ["report-gen-7f9c8d6b5-q8r2d", "report-gen-7f9c8d6b5-x4vnm"]
    healthy, failing = pods
    assert healthy.has_events and not healthy.events
    init = failing.container("render-config")
    assert init is not None and init.init and init.waiting_reason == "CrashLoopBackOff"
    assert init.last_termination is not None and init.last_termination.exit_code == 127
    assert all(e.message != "" for e in failing.events) and len(failing.events) == 5


def test_events_none_healthy_pod() -> None:
    pod = _only("healthy-events-none")
    assert pod.has_events and pod.events == ()
    assert pod.conditions["Ready"] == "True" and pod.qos_class == "BestEffort"
    c = pod.containers[0]
    assert c.status is not None and c.status.ready is True and c.restart_count == 0
    # kubectl 1.37 spells the thresholds out (successThreshold=, failureThreshold=)
    assert c.spec is not None and c.spec.readiness == Probe("readiness", "http-get", "/", "80", "HTTP")


def test_damaged_paste_keeps_what_survived() -> None:
    pod = _only("damaged-snip")
    assert pod.name == "ledger-api-5f8d7c9b4-2xq9r" and pod.namespace == "finance"
    api = pod.container("api")
    assert api is not None and api.restart_count == 8 and api.waiting_reason == "CrashLoopBackOff"
    assert api.spec is not None and api.spec.limits == {"memory": "768Mi"}
    assert [e.reason for e in pod.events] == ["Pulled", "BackOff"]
    assert pod.events[1].count == 101
    # the log pasted after the describe output stays searchable; snip markers do not
    assert pod.loose_lines[-1].endswith('password authentication failed for user "ledger"')
    assert not any(line in ("...", "[...]", "<snip>") for line in pod.loose_lines)


def test_collapsed_whitespace_paste() -> None:
    pod = _only("collapsed-whitespace")
    c = pod.containers[0]
    assert c.name == "consumer" and c.restart_count == 12
    assert c.last_termination is not None and c.last_termination.exit_code == 1
    backoff = pod.events[-1]
    assert (backoff.reason, backoff.count, backoff.source) == ("BackOff", 180, "kubelet")
    assert backoff.message.startswith("Back-off restarting failed container consumer")


def test_kubectl_get_events_rows_name_the_pod() -> None:
    pod = _only("kubectl-get-events")
    assert pod.name == "api-7c9b6d5f4-k2x8p"
    assert [e.reason for e in pod.events] == ["Scheduled", "Unhealthy", "Killing", "BackOff"]
    assert pod.events[-1].count == 6 and pod.events[-1].object_kind == "Pod"


def test_one_container_block_without_its_section_header() -> None:
    text = ("  worker:\n"
            "    Container ID:   containerd://0f1e\n"
            "    Image:          acme/worker:7\n"
            "    State:          Waiting\n"
            "      Reason:       CreateContainerConfigError\n"
            "    Ready:          False\n"
            "    Restart Count:  0\n"
            "    Environment:\n"
            "      DB_HOST:  <set to the key 'host' of config map 'worker-config'>  Optional: false\n")
    (pod,) = parse_describe(text)
    (c,) = pod.containers
    assert (c.name, c.init, c.waiting_reason) == ("worker", False, "CreateContainerConfigError")
    assert c.spec is not None and c.spec.env[0].ref_name == "worker-config"


# ---------------------------------------------------------------------------------------------
# Small pieces


@pytest.mark.parametrize(
    ("line", "want"),
    [
        pytest.param("  Warning  BackOff  2m10s (x87 over 25m)  kubelet  Back-off restarting failed container app",
                     ("Warning", "BackOff", 87, "2m10s (x87 over 25m)", "kubelet", None,
                      "Back-off restarting failed container app"), id="modern"),
        pytest.param("Warning  Unhealthy  58s (x8 over 2m)  kubelet, node-1  Liveness probe failed: HTTP probe "
                     "failed with statuscode: 500",
                     ("Warning", "Unhealthy", 8, "58s (x8 over 2m)", "kubelet", "node-1",
                      "Liveness probe failed: HTTP probe failed with statuscode: 500"), id="from-with-host"),
        pytest.param("Normal   Scheduled  <unknown>  default-scheduler  Successfully assigned a/b to n",
                     ("Normal", "Scheduled", 1, "<unknown>", "default-scheduler", None,
                      "Successfully assigned a/b to n"), id="unknown-age"),
        pytest.param("Warning Failed 13s (x2 over 13s) kubelet Error: configmap \"app-config\" not found",
                     ("Warning", "Failed", 2, "13s (x2 over 13s)", "kubelet", None,
                      'Error: configmap "app-config" not found'), id="collapsed-spaces"),
        pytest.param("Warning  Failed  4m  kubelet  Error:  two  spaces  kept",
                     ("Warning", "Failed", 1, "4m", "kubelet", None, "Error:  two  spaces  kept"),
                     id="message-keeps-spacing"),
        pytest.param("Warning  Failed     Error: ImagePullBackOff",
                     ("Warning", "Failed", 1, None, None, None, "Error: ImagePullBackOff"), id="no-age-no-from"),
        pytest.param("1m  1m  1  {kubelet node-a}  spec.containers{web}  Normal  Pulling  pulling image \"web:1\"",
                     ("Normal", "Pulling", 1, "1m", "kubelet", "node-a", 'pulling image "web:1"'),
                     id="1.2-braced-from"),
        pytest.param("5m  5m  1  {default-scheduler }  Normal  Scheduled  Successfully assigned w to n",
                     ("Normal", "Scheduled", 1, "5m", "default-scheduler", None, "Successfully assigned w to n"),
                     id="1.2-no-subobject"),
    ],
)
def test_event_rows(line: str, want: tuple[Any, ...]) -> None:
    e = parse_event_line(line)
    assert e is not None
    assert (e.type, e.reason, e.count, e.age, e.source, e.host, e.message) == want
    assert e.raw == line.strip()


@pytest.mark.parametrize("line", [
    "Warning: spec.template.spec.containers[0].env[3]: hides previous definition",  # a kubectl warning
    "Normal operation resumed after 3 retries",  # prose that starts with a type word
    "2024-06-14T11:11:04.118Z ERROR Failed to connect",
    "Traceback (most recent call last):",
    "",
])
def test_not_event_rows(line: str) -> None:
    assert parse_event_line(line) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3",
         Probe("liveness", "http-get", "/healthz", "8080", "HTTP")),
        ("http-get https://10.0.0.5:8443/ready?full=1 delay=30s timeout=5s period=15s #success=2 #failure=6",
         Probe("liveness", "http-get", "/ready?full=1", "8443", "HTTPS", (), 30, 5, 15, 2, 6)),
        ("tcp-socket :5432 delay=5s timeout=1s period=10s successThreshold=1 failureThreshold=10",
         Probe("liveness", "tcp-socket", None, "5432", None, (), 5, 1, 10, 1, 10)),
        ("exec [pg_isready -U postgres] delay=0s timeout=1s period=10s #success=1 #failure=3",
         Probe("liveness", "exec", command=("pg_isready", "-U", "postgres"))),
        ("grpc <pod>:9090  delay=0s timeout=1s period=10s #success=1 #failure=3",
         Probe("liveness", "grpc", port="9090")),
        ("http-get http://:80/ delay=15s timeout=1s", Probe("liveness", "http-get", "/", "80", "HTTP", (), 15)),
    ],
)
def test_probes(text: str, want: Probe) -> None:
    assert parse_probe("liveness", text) == want


@given(
    handler=st.sampled_from(["http-get", "tcp-socket", "exec"]),
    port=st.integers(1, 65535),
    path=st.from_regex(r"/[a-z0-9/_-]{0,20}", fullmatch=True),
    nums=st.tuples(*(st.integers(0, 3600) for _ in range(5))),
    words=st.lists(st.from_regex(r"[a-zA-Z0-9_./-]{1,10}", fullmatch=True), min_size=1, max_size=4),
)
def test_probe_round_trips_through_describe_form(handler: str, port: int, path: str,
                                                 nums: tuple[int, int, int, int, int], words: list[str]) -> None:
    probe = Probe("readiness", handler, path if handler == "http-get" else None,
                  None if handler == "exec" else str(port), "HTTP" if handler == "http-get" else None,
                  tuple(words) if handler == "exec" else (), *nums)
    assert parse_probe("readiness", probe.describe()) == probe


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Mon, 22 Aug 2022 10:49:56 +0200", datetime(2022, 8, 22, 8, 49, 56, tzinfo=UTC)),
        ("Thu, 01 Jan 1970 00:00:00 +0000", datetime(1970, 1, 1, tzinfo=UTC)),
        ("Mon, 01 Jan 0001 00:00:00 +0000", datetime(1, 1, 1, tzinfo=UTC)),
        ("Tue, 07 Apr 2015 12:08:30 PDT", datetime(2015, 4, 7, 19, 8, 30, tzinfo=UTC)),
        ("2024-05-02T09:14:11Z", datetime(2024, 5, 2, 9, 14, 11, tzinfo=UTC)),
    ],
)
def test_times(text: str, want: datetime) -> None:
    got = parse_time(text)
    assert got == want and got is not None and got.tzinfo is not None


@pytest.mark.parametrize("text", ["", "<none>", "yesterday", "Mon, 31 Feb 2022 10:00:00 +0000", "32 Foo 2022 1:00:00"])
def test_unreadable_times(text: str) -> None:
    assert parse_time(text) is None


def test_env_reference_forms() -> None:
    text = "\n".join([
        "Containers:",
        "  app:",
        "    Image:  app:1",
        "    Environment:",
        "      A:          plain value with  two spaces",
        "      B:          <set to the key 'db-host' of config map 'app-config'>  Optional: false",
        "      C:          <set to the key 'token' in secret 'api'>  Optional: true",
        "      D:           (v1:metadata.namespace)",
        "      E:          node allocatable (limits.memory)",
        "      MULTI:      first line",
        "                  second line",
        "    Mounts:       <none>",
    ])
    (pod,) = parse_describe(text)
    spec = pod.containers[0].spec
    assert spec is not None
    env = {e.name: (e.value, e.ref_kind, e.ref_name, e.ref_key, e.optional) for e in spec.env}
    assert env == {
        "A": ("plain value with  two spaces", None, None, None, False),
        "B": (None, "configmap", "app-config", "db-host", False),
        "C": (None, "secret", "api", "token", True),
        "D": (None, "field", None, "metadata.namespace", False),
        "E": (None, "resource", None, "limits.memory", False),
        "MULTI": ("first line\nsecond line", None, None, None, False),
    }
    assert spec.mounts == ()


def test_pieces_of_a_terminated_state_without_its_header() -> None:
    (pod,) = parse_describe("Reason:       OOMKilled\nExit Code:    137\nRestart Count: 4\n")
    (c,) = pod.containers
    assert pod.reason is None  # it was the container's, not an eviction reason
    t = c.last_termination
    assert t is not None and (t.reason, t.exit_code) == ("OOMKilled", 137)


def test_evicted_pod_reason_and_message() -> None:
    text = ("Name:   runner-x\nStatus: Failed\nReason: Evicted\n"
            "Message: The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. \n"
            "Containers:\n  runner:\n    Image:  runner:1\n")
    (pod,) = parse_describe(text)
    assert (pod.phase, pod.reason) == ("Failed", "Evicted")
    assert pod.message == "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi."


def test_prompt_names_a_pod_whose_output_lacks_its_name() -> None:
    text = "$ kubectl describe pod web-5d8f -n shop\nEvents:\n  Warning  BackOff  3s (x9 over 1m)  kubelet  Back-off\n"
    (pod,) = parse_describe(text)
    assert (pod.name, pod.namespace) == ("web-5d8f", "shop")
    assert pod.loose_lines == ()


def test_events_pasted_before_the_describe_belong_to_it() -> None:
    text = ("  Warning  BackOff  5s (x30 over 6m)  kubelet  Back-off restarting failed container api\n"
            "\n"
            "$ kubectl describe pod api-7c9\n"
            "Name:       api-7c9\nNamespace:  web\nStatus:     Running\n")
    (pod,) = parse_describe(text)
    assert pod.name == "api-7c9" and [e.reason for e in pod.events] == ["BackOff"]


def test_get_events_rows_about_another_pod_are_dropped() -> None:
    text = ("LAST SEEN  TYPE     REASON   OBJECT         MESSAGE\n"
            "1m         Warning  BackOff  pod/other-1    Back-off restarting failed container x\n"
            "2m         Warning  BackOff  pod/api-7c9    Back-off restarting failed container api\n"
            "Name:       api-7c9\nStatus:     Running\n")
    (pod,) = parse_describe(text)
    assert [e.object_name for e in pod.events] == ["api-7c9"]


@pytest.mark.parametrize(("command", "name", "namespace"), [
    ("$ kubectl describe pods -n batch -l app=report-gen", None, "batch"),
    ("user@box:~$ kubectl -n shop describe pod/web-1", "web-1", "shop"),
    ("PS C:\\Users\\me> kubectl describe po web-2 --namespace=dev | more", "web-2", "dev"),
    ("[root@h ~]# oc describe pod web-3 -nprod", "web-3", "prod"),
    ("$ kubectl describe pod web-4 web-5", None, None),
])
def test_describe_commands(command: str, name: str | None, namespace: str | None) -> None:
    (pod,) = parse_describe(command + "\nEvents:  <none>\n")
    assert (pod.name, pod.namespace) == (name, namespace)
    assert pod.loose_lines == ()


def test_pod_not_found_but_events() -> None:
    text = ("Pod 'web-9': error 'pods \"web-9\" not found', but found events.\n"
            "Events:\n  Type     Reason   Age  From     Message\n  ----     ------   ---- ----     -------\n"
            "  Warning  BackOff  1m   kubelet  Back-off restarting failed container web\n")
    (pod,) = parse_describe(text)
    assert pod.name == "web-9" and len(pod.events) == 1
    assert pod.loose_lines and "not found" in pod.loose_lines[0]  # the reason it has no status, searchable


def test_ephemeral_debug_containers_are_not_pod_containers() -> None:
    text = ("Name: web\nContainers:\n  app:\n    Image:  app:1\n    State:  Running\n"
            "Ephemeral Containers:\n  debugger-x7k:\n    Image:  busybox\n    State:  Running\n"
            "Conditions:\n  Type  Status\n  Ready  True \n")
    (pod,) = parse_describe(text)
    assert [c.name for c in pod.containers] == ["app"]


def test_quoted_and_crlf_pastes() -> None:
    body = "Name:  web\r\nContainers:\r\n  app:\r\n    Image:  app:1\r\n    Restart Count:  3\r\n"
    quoted = "".join(f"> {line}\n" for line in body.replace("\r\n", "\n").splitlines())
    for text in (body, quoted):
        (pod,) = parse_describe(text)
        assert pod.name == "web" and pod.containers[0].restart_count == 3 and not pod.loose_lines


@pytest.mark.parametrize("line", [
    'Failed to pull image "derailed-like/tool:v9": rpc error: code = NotFound desc = manifest unknown',
    'Error: failed to start container "db": Error response from daemon: oci runtime error: not a directory',
])
def test_lone_kubelet_message_is_kept_loose(line: str) -> None:
    (pod,) = parse_describe(line + "\n")
    assert pod.loose_lines == (line,) and pod.origin == DESCRIBE
    assert looks_like_describe(line)


@pytest.mark.parametrize("text", ["", "   \n\t\n", "\n\n"])
def test_nothing_gives_no_pod(text: str) -> None:
    assert parse_describe(text) == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_fixtures_look_like_describe(name: str) -> None:
    assert looks_like_describe((HERE / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    'Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    import requests\n'
    "ModuleNotFoundError: No module named 'requests'\n",
    '{"level":"error","ts":1718363464.1,"msg":"reconcile failed","controller":"pod","reason":"CrashLoopBackOff"}\n'
    '{"level":"info","ts":1718363465.2,"msg":"Back-off restarting failed container app"}\n',
    "2024-06-14 11:11:04,118 ERROR [main] Application run failed\njava.lang.IllegalStateException: boom\n"
    "\tat com.example.App.main(App.java:12)\n",
    "Name: only-a-name-line-in-a-log\n",
])
def test_application_logs_do_not_look_like_describe(text: str) -> None:
    assert not looks_like_describe(text)


# ---------------------------------------------------------------------------------------------
# Properties: any text, and any mixture of describe-like lines, is parsed without raising


_DESCRIBE_LINES = [
    "Name:         web-7d9f", "Namespace:    default", "Node:         node-a/10.0.0.1", "Status:       Running",
    "Reason:       Evicted", "Message:      The node was low on resource: memory.", "Labels:       app=web",
    "              tier=front", "Annotations:  a.io/b: c", "Controlled By:  ReplicaSet/web-7d9f",
    "Init Containers:", "Containers:", "  app:", "  init-db:", "    Container ID:  containerd://abc",
    "    Image:         repo/app:1", "    Port:          8080/TCP", "    Ports:  80/TCP (http), 9090/TCP",
    "    Command:", "      /bin/sh", "      -c", "    Args:", "    State:          Waiting",
    "    State:          Terminated", "    State:          Running", "      Reason:       CrashLoopBackOff",
    "    Last State:     Terminated", "      Reason:       OOMKilled", "      Exit Code:    137",
    "      Signal:       9", "      Started:      Thu, 01 Jan 1970 00:00:00 +0000",
    "      Finished:     Mon, 01 Jan 0001 00:00:00 +0000", "      Message:      boom", "    Ready:          False",
    "    Restart Count:  5", "    Limits:", "      memory:  128Mi", "    Requests:", "      cpu:  100m",
    "    Liveness:   http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3",
    "    Readiness:  exec [cat /tmp/ok] delay=0s", "    Environment Variables from:",
    "      cfg  ConfigMap  Optional: false", "    Environment:", "      A:  <set to the key 'k' in secret 's'>  Optional: false",
    "      B:  x", "    Mounts:", "      /etc/app from cfg (ro)", "Conditions:", "  Type  Status", "  Ready  False ",
    "Volumes:", "  cfg:", "    Type:       ConfigMap (a volume populated by a ConfigMap)", "    Name:       app-config",
    "    Optional:   false", "QoS Class:  Burstable", "Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists",
    "Events:", "Events:  <none>", "  Type     Reason   Age   From     Message", "  ----     ------   ----  ----     -------",
    "  Warning  BackOff  2m10s (x87 over 25m)  kubelet  Back-off restarting failed container app",
    "  Normal   Pulled   5m  kubelet, node-a  Container image \"x\" already present on machine",
    "  Tue, 07 Apr 2015 12:08:30 -0700\tTue, 07 Apr 2015 12:08:30 -0700\t1\t{kubelet 127.0.0.1}\tspec.containers{nginx}\t\tkilling\tKilling",
    "  FirstSeen  LastSeen  Count  From  SubobjectPath  Reason  Message", "...", "<snip>", "[...]",
    "$ kubectl describe pod web-7d9f -n default", "[root@h ~]# kubectl logs web --previous",
    'Failed to pull image "x": rpc error', "Error: failed to start container", "  at com.example.Main",
    "Pod 'web': error 'not found', but found events.", "```", "> Name:  quoted", "\t", "}", '"key": "value",',
]


@st.composite
def describe_like(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(
        st.sampled_from(_DESCRIBE_LINES),
        st.sampled_from(_DESCRIBE_LINES).map(str.strip),  # indentation lost
        st.tuples(st.sampled_from(_DESCRIBE_LINES), st.integers(0, 80)).map(lambda t: t[0][: t[1]]),  # cut short
        st.text(max_size=40),
    ), max_size=60))
    return "\n".join(lines)


def _check_invariants(text: str, pods: list[PodEvidence]) -> None:
    if not text.strip():
        assert pods == []
    for pod in pods:
        assert pod.origin == DESCRIBE
        for line in pod.loose_lines:
            assert line and line == line.strip()
            assert not (set(line) <= set("-=_ \t") and sum(ch in "-=_" for ch in line) >= 2)  # separators
        for e in pod.events:
            assert e.raw and e.count >= 1
        assert [c.init for c in pod.containers] == sorted((c.init for c in pod.containers), reverse=True)
        for c in pod.containers:
            for t in c.terminations:
                t.run_seconds  # noqa: B018  (must not raise on mixed or zero times)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(describe_like())
def test_property_describe_like_mixtures(text: str) -> None:
    pods = describe_text._parse(text)  # the parser proper, not the safety net around it
    _check_invariants(text, pods)
    assert isinstance(looks_like_describe(text), bool)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_arbitrary_text(text: str) -> None:
    pods = describe_text._parse(text)
    _check_invariants(text, pods)
    assert isinstance(looks_like_describe(text), bool)


@given(
    typ=st.sampled_from(["Normal", "Warning"]),
    reason=st.from_regex(r"[A-Z][A-Za-z]{1,20}", fullmatch=True),
    age=st.from_regex(r"[1-9][0-9]?(s|m|h|d|m[1-9][0-9]?s)", fullmatch=True),
    count=st.integers(1, 5000),
    source=st.sampled_from(["kubelet", "default-scheduler", "kubelet, node-1", "attachdetach-controller"]),
    message=st.from_regex(r"[A-Za-z][ -~]{0,120}", fullmatch=True).map(str.strip),
    indent=st.sampled_from(["", "  ", "\t"]),
)
def test_property_event_row_round_trip(typ: str, reason: str, age: str, count: int, source: str, message: str,
                                       indent: str) -> None:
    shown_age = f"{age} (x{count} over 1h)" if count > 1 else age
    line = f"{indent}{typ}  {reason}  {shown_age}  {source}  {message}"
    e = parse_event_line(line)
    assert e is not None
    comp, _, host = source.partition(", ")
    assert (e.type, e.reason, e.count, e.age, e.source, e.host or "") == (typ, reason, count, shown_age, comp, host)
    assert e.message == message


# ---------------------------------------------------------------------------------------------
# Size (how fast is measured in benchmarks/bench_parsers.py, never asserted here)


def test_a_megabyte_of_describe_text_parses_every_pod() -> None:
    one = "\n\n".join((HERE / f"{n}.txt").read_text(encoding="utf-8") for n in SCENARIOS)
    copies = 1_000_000 // len(one) + 1
    pods = parse_describe((one + "\n\n") * copies)
    assert len(pods) == copies * len(parse_describe(one))


def test_pathological_lines_parse() -> None:
    nasty = "\n".join([
        "Warning  " + "A " * 20000,
        "1m " * 20000,
        "Wed, 10 Jun 2015 13:56:02 -0700 " * 2000,
        "kubelet, " + "x " * 20000,
        "Name" + " " * 50000 + ":",
        "  " + "a:" * 20000,
    ])
    describe_text._parse(nasty)
    assert not looks_like_describe(nasty)


def test_a_raw_multi_line_termination_message_keeps_its_blank_lines() -> None:
    # describe.go prints a terminated state's Message as is: the log tail kept by
    # terminationMessagePolicy FallbackToLogsOnError, unindented, blank lines included.
    text = (
        "Containers:\n  web:\n    Image:          acme/web:1\n    State:          Waiting\n"
        "      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n"
        "      Message:      Traceback (most recent call last):\n"
        '  File "/app/main.py", line 3, in <module>\n'
        "    import yaml\n"
        "\n"
        "ModuleNotFoundError: No module named 'yaml'\n"
        "      Exit Code:    1\n    Restart Count:  5\n"
    )
    pod = parse_describe(text)[0]
    t = pod.containers[0].status.last_state.terminated  # type: ignore[union-attr]
    assert t is not None and t.exit_code == 1
    assert t.message == ("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
                         "    import yaml\n\nModuleNotFoundError: No module named 'yaml'")
    assert pod.loose_lines == ()
