"""The kubelet model: what a pod's status, events and logs say for each way a container can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from podmortem.sim import SimCluster
from podmortem.sim.cluster import ApiError
from podmortem.sim.resources import by_plural
from podmortem.sim.tables import pod_cells

Make = Callable[..., SimCluster]


def pod(name: str, containers: str, profiles: dict[str, str] | None = None, spec_extra: str = "",
        namespace: str = "default", init: str = "") -> str:
    ann = ""
    if profiles:
        ann = "  annotations:\n" + "".join(
            f"    sim.podmortem.dev/profile.{c}: |\n" + "".join(f"      {line}\n" for line in p.strip().splitlines())
            for c, p in profiles.items())
    init_block = f"  initContainers:\n{init}" if init else ""
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{ann}"
            f"spec:\n{spec_extra}{init_block}  containers:\n{containers}")


def get(cluster: SimCluster, name: str, namespace: str = "default") -> dict[str, Any]:
    with cluster.lock:
        obj = cluster.store.get("pods", namespace, name)
    assert obj is not None, name
    return obj


def cstatus(cluster: SimCluster, name: str, container: str | None = None, init: bool = False) -> dict[str, Any]:
    key = "initContainerStatuses" if init else "containerStatuses"
    statuses = get(cluster, name)["status"][key]
    return next(s for s in statuses if container is None or s["name"] == container)


def status_column(cluster: SimCluster, name: str, namespace: str = "default") -> str:
    return str(pod_cells(get(cluster, name, namespace), cluster.now())[0][2])


def event_messages(cluster: SimCluster, name: str, reason: str | None = None) -> dict[str, int]:
    with cluster.lock:
        evs = [e for e in cluster.store.items("events", "default") if e["involvedObject"]["name"] == name]
    return {e["message"]: e.get("count") or 1 for e in evs if reason is None or e["reason"] == reason}


def advance_until(cluster: SimCluster, done: Callable[[], bool], step: float = 1, limit: float = 900) -> None:
    spent = 0.0
    while not done():
        assert spent < limit, "the state never came"
        cluster.advance(step)
        spent += step


def seen_waiting(cluster: SimCluster, name: str) -> list[str]:
    """Every waiting reason a watcher of the pod saw, in order."""
    out: list[str] = []
    with cluster.lock:
        for ch in cluster.store.history:
            if ch.storage == "pods" and ch.obj["metadata"]["name"] == name:
                for st in ch.obj.get("status", {}).get("containerStatuses", []):
                    reason = st["state"].get("waiting", {}).get("reason")
                    if reason and (not out or out[-1] != reason):
                        out.append(reason)
    return out


def logs(cluster: SimCluster, name: str, container: str | None = None, previous: bool = False) -> list[str]:
    _sim, inst = cluster.log_target("default", name, container, previous)
    with cluster.lock:
        return [text for _, text in inst.log_lines(cluster.now())]


APP = "  - {name: app, image: registry.example.com/app:1}\n"


# --- CreateContainerConfigError ------------------------------------------------------------------

@pytest.mark.parametrize(("env", "extra", "message"), [
    ("env: [{name: A, valueFrom: {configMapKeyRef: {name: app-config, key: a}}}]", "",
     'configmap "app-config" not found'),
    ("envFrom: [{secretRef: {name: db-creds}}]", "", 'secret "db-creds" not found'),
    ("env: [{name: A, valueFrom: {configMapKeyRef: {name: app-config, key: DB_HOST}}}]",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: default}\ndata: {db_host: x}\n",
     "couldn't find key DB_HOST in ConfigMap default/app-config"),
    ("env: [{name: P, valueFrom: {secretKeyRef: {name: db-creds, key: password}}}]",
     "apiVersion: v1\nkind: Secret\nmetadata: {name: db-creds, namespace: default}\nstringData: {user: app}\n",
     "couldn't find key password in Secret default/db-creds"),
])
def test_config_errors(make_cluster: Make, env: str, extra: str, message: str) -> None:
    docs = [pod("web-1", f"  - name: app\n    image: registry.example.com/app:1\n    {env}\n")]
    if extra:
        docs.insert(0, extra)
    cluster = make_cluster(*docs)
    cluster.advance(120)
    st = cstatus(cluster, "web-1")
    assert st["state"] == {"waiting": {"reason": "CreateContainerConfigError", "message": message}}
    assert st["restartCount"] == 0 and st["lastState"] == {}
    assert get(cluster, "web-1")["status"]["phase"] == "Pending"
    failed = event_messages(cluster, "web-1", "Failed")
    assert failed[f"Error: {message}"] >= 10  # retried on every sync, without crash-loop back-off


def test_optional_references_do_not_block(make_cluster: Make) -> None:
    cluster = make_cluster(pod("web-1", "  - name: app\n    image: registry.example.com/app:1\n"
                                        "    envFrom: [{configMapRef: {name: nope, optional: true}}]\n"
                                        "    env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k, optional: true}}}]\n"))
    cluster.advance(30)
    assert "running" in cstatus(cluster, "web-1")["state"]


def test_a_missing_key_added_later_lets_the_container_start(make_cluster: Make) -> None:
    cluster = make_cluster(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\ndata: {other: x}\n",
        pod("web-1", "  - name: app\n    image: registry.example.com/app:1\n"
                     "    env: [{name: URL, valueFrom: {configMapKeyRef: {name: cfg, key: url}}}]\n"))
    cluster.advance(60)
    assert cstatus(cluster, "web-1")["state"]["waiting"]["reason"] == "CreateContainerConfigError"
    cluster.patch(by_plural("configmaps"), "default", "cfg", b'{"data": {"url": "http://x"}}',
                  "application/merge-patch+json")
    cluster.advance(20)
    st = cstatus(cluster, "web-1")
    assert "running" in st["state"] and st["ready"] is True and st["restartCount"] == 0


@pytest.mark.parametrize(("security", "profile", "message"), [
    ("securityContext: {runAsNonRoot: true}", "imageUser: 0",
     'container has runAsNonRoot and image will run as root (pod: "web-1_default({uid})", container: app)'),
    ("securityContext: {runAsNonRoot: true}", "imageUser: appuser",
     "container has runAsNonRoot and image has non-numeric user (appuser), cannot verify user is non-root "
     '(pod: "web-1_default({uid})", container: app)'),
    ("securityContext: {runAsNonRoot: true, runAsUser: 0}", "imageUser: 1000",
     "container's runAsUser breaks non-root policy (pod: \"web-1_default({uid})\", container: app)"),
])
def test_run_as_non_root(make_cluster: Make, security: str, profile: str, message: str) -> None:
    cluster = make_cluster(pod("web-1", f"  - name: app\n    image: registry.example.com/app:1\n    {security}\n",
                               {"app": profile}))
    cluster.advance(30)
    uid = get(cluster, "web-1")["metadata"]["uid"]
    assert cstatus(cluster, "web-1")["state"]["waiting"] == {"reason": "CreateContainerConfigError",
                                                             "message": message.format(uid=uid)}


def test_run_as_non_root_with_a_non_root_user_runs(make_cluster: Make) -> None:
    cluster = make_cluster(pod("web-1", "  - name: app\n    image: registry.example.com/app:1\n"
                                        "    securityContext: {runAsNonRoot: true, runAsUser: 1000}\n",
                               {"app": "imageUser: 0"}))
    cluster.advance(30)
    assert "running" in cstatus(cluster, "web-1")["state"]


# --- start errors and image pulls ------------------------------------------------------------------

@pytest.mark.parametrize(("command", "error"), [
    ("[indexer]", 'exec: "indexer": executable file not found in $PATH'),
    ("[/app/run]", 'exec: "/app/run": stat /app/run: no such file or directory'),
])
def test_missing_command_is_a_start_error(make_cluster: Make, command: str, error: str) -> None:
    cluster = make_cluster(pod("web-1", f"  - name: app\n    image: registry.example.com/app:1\n    command: {command}\n",
                               {"app": "executables: [/usr/local/bin/index-worker]"}))
    full = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
            f"failed: unable to start container process: error during container init: {error}: unknown")
    advance_until(cluster, lambda: "waiting" in cstatus(cluster, "web-1")["state"]
                  and cstatus(cluster, "web-1")["state"]["waiting"]["reason"] != "ContainerCreating", step=0.5)
    st = cstatus(cluster, "web-1")
    assert st["state"]["waiting"] == {"reason": "RunContainerError", "message": full}
    assert st["lastState"]["terminated"]["reason"] == "StartError"
    assert st["lastState"]["terminated"]["exitCode"] == 128
    assert st["lastState"]["terminated"]["startedAt"] == "1970-01-01T00:00:00Z"
    cluster.advance(300)
    st = cstatus(cluster, "web-1")
    assert st["state"]["waiting"]["reason"] == "CrashLoopBackOff" and st["restartCount"] >= 4
    assert event_messages(cluster, "web-1", "Failed")[f"Error: {full}"] >= 4
    assert seen_waiting(cluster, "web-1")[:4] == ["ContainerCreating", "RunContainerError", "CrashLoopBackOff",
                                                  "RunContainerError"]


def test_image_pull_failures(make_cluster: Make) -> None:
    cluster = make_cluster(pod("web-1", "  - {name: app, image: registry.example.com/app:9.9}\n",
                               {"app": "pullError: not-found"}))
    cluster.advance(1.5)
    st = cstatus(cluster, "web-1")
    assert st["state"]["waiting"]["reason"] == "ErrImagePull"
    assert st["state"]["waiting"]["message"].endswith(
        'failed to resolve reference "registry.example.com/app:9.9": registry.example.com/app:9.9: not found')
    cluster.advance(300)
    st = cstatus(cluster, "web-1")
    assert st["state"]["waiting"] == {"reason": "ImagePullBackOff",
                                      "message": 'Back-off pulling image "registry.example.com/app:9.9"'}
    evs = event_messages(cluster, "web-1")
    assert evs['Back-off pulling image "registry.example.com/app:9.9"'] > 5
    assert evs["Error: ImagePullBackOff"] > 5 and evs["Error: ErrImagePull"] >= 3
    assert evs['Pulling image "registry.example.com/app:9.9"'] >= 3  # retried on the 10 s doubling image back-off
    with pytest.raises(ApiError) as err:
        cluster.log_target("default", "web-1", None, False)
    assert err.value.message == 'container "app" in pod "web-1" is waiting to start: trying and failing to pull image'


def test_a_profile_for_another_image_does_not_apply(make_cluster: Make) -> None:
    cluster = make_cluster(pod("web-1", "  - {name: app, image: registry.example.com/app:1.1}\n",
                               {"app": "image: registry.example.com/app:1.0\npullError: not-found"}))
    cluster.advance(20)
    assert "running" in cstatus(cluster, "web-1")["state"]


# --- exits, restart policies, phases ---------------------------------------------------------------

@pytest.mark.parametrize(("policy", "code", "phase", "column"), [
    ("Always", 0, "Running", "CrashLoopBackOff"),
    ("OnFailure", 0, "Succeeded", "Completed"),
    ("OnFailure", 3, "Running", "CrashLoopBackOff"),
    ("Never", 0, "Succeeded", "Completed"),
    ("Never", 3, "Failed", "Error"),
])
def test_restart_policy_and_phase(make_cluster: Make, policy: str, code: int, phase: str, column: str) -> None:
    cluster = make_cluster(pod("job-1", APP, {"app": f"exitAfterSeconds: 5\nexitCode: {code}"},
                               spec_extra=f"  restartPolicy: {policy}\n"))
    cluster.advance(200)
    obj = get(cluster, "job-1")
    assert obj["status"]["phase"] == phase
    assert status_column(cluster, "job-1") == column
    st = cstatus(cluster, "job-1")
    if column == "CrashLoopBackOff":
        assert st["restartCount"] >= 3
        assert st["lastState"]["terminated"]["exitCode"] == code
        assert st["lastState"]["terminated"]["reason"] == ("Completed" if code == 0 else "Error")
    else:
        assert st["restartCount"] == 0 and st["state"]["terminated"]["exitCode"] == code


def test_oom_kill_at_the_memory_limit(make_cluster: Make) -> None:
    cluster = make_cluster(pod("oom-1", "  - name: app\n    image: registry.example.com/app:1\n"
                                        "    resources: {limits: {memory: 128Mi}}\n",
                               {"app": "memoryMiB: 28\nmemoryGrowthMiBPerMinute: 100"},
                               spec_extra="  restartPolicy: Never\n"))
    cluster.advance(50)
    assert "running" in cstatus(cluster, "oom-1")["state"]
    cluster.advance(30)  # 28 MiB + 100 MiB/min reaches 128 MiB after 60 s
    term = cstatus(cluster, "oom-1")["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    assert status_column(cluster, "oom-1") == "OOMKilled"
    assert get(cluster, "oom-1")["status"]["phase"] == "Failed"


def test_jvm_heap_below_the_limit_is_a_runtime_oom(make_cluster: Make) -> None:
    cluster = make_cluster(pod("jvm-1", "  - name: app\n    image: registry.example.com/app:1\n"
                                        "    env: [{name: JAVA_TOOL_OPTIONS, value: -Xmx256m}]\n"
                                        "    resources: {limits: {memory: 2Gi}}\n",
                               {"app": "runtime: java\nmemoryMiB: 150\nmemoryGrowthMiBPerMinute: 300"},
                               spec_extra="  restartPolicy: Never\n"))
    cluster.advance(120)
    term = cstatus(cluster, "jvm-1")["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Error", 1)
    assert 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space' in logs(cluster, "jvm-1")


# --- probes --------------------------------------------------------------------------------------------

def test_liveness_probe_kills_a_slow_starter(make_cluster: Make) -> None:
    container = ("  - name: app\n    image: registry.example.com/app:1\n    ports: [{containerPort: 8080}]\n"
                 "    livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 10, periodSeconds: 10,"
                 " failureThreshold: 3}\n")
    cluster = make_cluster(pod("slow-1", container, {"app": "runtime: go\nstartSeconds: 90"}))
    cluster.advance(200)
    ip = get(cluster, "slow-1")["status"]["podIP"]
    evs = event_messages(cluster, "slow-1")
    refused = f'Liveness probe failed: Get "http://{ip}:8080/healthz": dial tcp {ip}:8080: connect: connection refused'
    assert evs[refused] >= 6  # three per instance, one Event with a count
    assert evs["Container app failed liveness probe, will be restarted"] >= 2
    st = cstatus(cluster, "slow-1")
    term = st["lastState"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Error", 143)  # Go exits on SIGTERM
    # started -> killed after the third failure (t = 10, 20, 30 s after the start)
    from podmortem.kube.times import rfc3339_seconds


    run = (rfc3339_seconds(term["finishedAt"]) or 0) - (rfc3339_seconds(term["startedAt"]) or 0)
    assert 30 <= run <= 31, run


def test_liveness_kill_of_a_process_ignoring_sigterm_is_137(make_cluster: Make) -> None:
    container = ("  - name: app\n    image: registry.example.com/app:1\n    ports: [{containerPort: 8000}]\n"
                 "    livenessProbe: {httpGet: {path: /live, port: 8000}, periodSeconds: 5, failureThreshold: 2}\n")
    cluster = make_cluster(pod("py-1", container, {"app": "runtime: python\nhealth: {paths: [/health]}"},
                               spec_extra="  terminationGracePeriodSeconds: 10\n"))
    cluster.advance(120)
    evs = event_messages(cluster, "py-1")
    assert evs["Liveness probe failed: HTTP probe failed with statuscode: 404"] >= 2
    term = cstatus(cluster, "py-1")["lastState"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Error", 137)  # PID 1 without a handler: SIGKILL after the grace


def test_startup_probe_kills_before_the_app_is_up(make_cluster: Make) -> None:
    container = ("  - name: app\n    image: registry.example.com/app:1\n    ports: [{containerPort: 9200}]\n"
                 "    startupProbe: {httpGet: {path: /, port: 9200}, periodSeconds: 10, failureThreshold: 3}\n")
    cluster = make_cluster(pod("es-1", container, {"app": "runtime: java\nstartSeconds: 120"}))
    cluster.advance(150)
    evs = event_messages(cluster, "es-1")
    assert evs["Container app failed startup probe, will be restarted"] >= 2
    assert any(m.startswith("Startup probe failed: Get ") for m in evs)
    assert not any(m.startswith("Liveness") for m in evs)
    st = cstatus(cluster, "es-1")
    assert st["started"] is False


def test_readiness_failures_never_restart(make_cluster: Make) -> None:
    container = ("  - name: app\n    image: registry.example.com/app:1\n    ports: [{containerPort: 8080}]\n"
                 "    readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 10}\n")
    cluster = make_cluster(pod("ro-1", container, {"app": "health: {status: 503}"}))
    cluster.advance(600)
    st = cstatus(cluster, "ro-1")
    assert "running" in st["state"] and st["ready"] is False and st["restartCount"] == 0
    assert status_column(cluster, "ro-1") == "Running"
    assert pod_cells(get(cluster, "ro-1"), cluster.now())[0][1] == "0/1"
    # About 58 probe failures in 10 minutes, but the spam filter lets 25 events through and then one per
    # 5 minutes for the pod (Scheduled, Pulled, Created and Started took 4 of the 25).
    unhealthy = event_messages(cluster, "ro-1")["Readiness probe failed: HTTP probe failed with statuscode: 503"]
    assert 20 <= unhealthy <= 25 + 600 / 300
    ready = {c["type"]: c for c in get(cluster, "ro-1")["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == \
        ("False", "ContainersNotReady", "containers with unready status: [app]")


# --- init containers and sidecars ------------------------------------------------------------------

def test_init_containers_run_in_order_before_the_app(make_cluster: Make) -> None:
    inits = ("  - {name: first, image: busybox:1.36}\n  - {name: second, image: busybox:1.36}\n")
    cluster = make_cluster(pod("init-1", APP, {"first": "exitAfterSeconds: 20", "second": "exitAfterSeconds: 20"},
                               init=inits))
    seen = []
    for _ in range(12):
        cluster.advance(5)
        seen.append(status_column(cluster, "init-1"))
    assert seen[0] in ("Init:0/2", "PodInitializing"), seen
    assert "Init:1/2" in seen and seen[-1] == "Running", seen
    assert seen.index("Init:0/2") < seen.index("Init:1/2") < seen.index("Running")
    first = cstatus(cluster, "init-1", "first", init=True)["state"]["terminated"]
    second = cstatus(cluster, "init-1", "second", init=True)["state"]["terminated"]
    app = cstatus(cluster, "init-1")["state"]["running"]
    assert first["reason"] == "Completed" and first["finishedAt"] <= second["startedAt"] <= second["finishedAt"]
    assert second["finishedAt"] <= app["startedAt"]


def test_failing_init_container(make_cluster: Make) -> None:
    init = "  - {name: migrate, image: registry.example.com/migrate:1}\n"
    crash = {"migrate": "exitAfterSeconds: 2\nexitCode: 1"}
    cluster = make_cluster(pod("init-1", APP, crash, init=init), pod("init-2", APP, crash, init=init,
                                                                      spec_extra="  restartPolicy: Never\n"))
    cluster.advance(200)
    assert status_column(cluster, "init-1") == "Init:CrashLoopBackOff"
    assert cstatus(cluster, "init-1", "migrate", init=True)["restartCount"] >= 3
    assert cstatus(cluster, "init-1")["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert get(cluster, "init-1")["status"]["phase"] == "Pending"
    assert status_column(cluster, "init-2") == "Init:Error"
    assert get(cluster, "init-2")["status"]["phase"] == "Failed"


def test_native_sidecar_starts_first_and_counts_as_ready(make_cluster: Make) -> None:
    init = "  - {name: proxy, image: envoyproxy/envoy:v1.31.2, restartPolicy: Always}\n"
    cluster = make_cluster(pod("side-1", APP, {"proxy": "startSeconds: 1"}, init=init))
    cluster.advance(30)
    cells = pod_cells(get(cluster, "side-1"), cluster.now())[0]
    assert cells[1:3] == ["2/2", "Running"]
    proxy = cstatus(cluster, "side-1", "proxy", init=True)
    app = cstatus(cluster, "side-1")
    assert proxy["started"] is True and proxy["state"]["running"]["startedAt"] <= app["state"]["running"]["startedAt"]


# --- what the program needs ------------------------------------------------------------------------------

def test_missing_env_var_is_a_python_key_error(make_cluster: Make) -> None:
    cluster = make_cluster(pod("env-1", APP, {"app": "runtime: python\nneedsEnv: [DATABASE_URL]"}))
    cluster.advance(60)
    lines = logs(cluster, "env-1", previous=True)
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == "KeyError: 'DATABASE_URL'"


@pytest.mark.parametrize(("services", "expect"), [
    ("", "hostname resolving error (lookup db on 10.96.0.10:53: no such host)"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: default}\n"
     "spec: {selector: {app: db}, ports: [{port: 5432}]}\n", ":5432: connect: connection refused)"),
])
def test_unreachable_dependency(make_cluster: Make, services: str, expect: str) -> None:
    docs = [pod("dep-1", APP, {"app": "runtime: go\nconnectsTo: [db:5432]"})]
    if services:
        docs.append(services)
    cluster = make_cluster(*docs)
    cluster.advance(60)
    text = "\n".join(logs(cluster, "dep-1", previous=True))
    assert expect in text, text
    assert cstatus(cluster, "dep-1")["lastState"]["terminated"]["exitCode"] == 1


def test_a_dependency_with_a_ready_endpoint_is_reachable(make_cluster: Make) -> None:
    db = ("apiVersion: v1\nkind: Pod\nmetadata: {name: db-0, namespace: default, labels: {app: db}}\n"
          "spec:\n  containers: [{name: db, image: postgres:16, ports: [{containerPort: 5432}],\n"
              "                env: [{name: POSTGRES_PASSWORD, value: pw}]}]\n---\n"
          "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: default}\n"
          "spec: {selector: {app: db}, ports: [{port: 5432}]}\n")
    cluster = make_cluster(db, pod("dep-1", APP, {"app": "runtime: go\nconnectsTo: [db:5432]\nfailAfterSeconds: 15"}))
    cluster.advance(120)
    st = cstatus(cluster, "dep-1")
    assert "running" in st["state"] and st["restartCount"] == 0


def test_invalid_yaml_config_is_reported_with_the_parsers_words(make_cluster: Make) -> None:
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
          "data:\n  config.yaml: |\n    server:\n      port: 8080\n    features: search: on\n")
    container = ("  - name: app\n    image: registry.example.com/app:1\n"
                 "    volumeMounts: [{name: cfg, mountPath: /etc/app}]\n")
    cluster = make_cluster(cm, pod("cfg-1", container, {"app": "runtime: python\nconfigFile: {path: /etc/app/config.yaml}"},
                                   spec_extra="  volumes: [{name: cfg, configMap: {name: cfg}}]\n"))
    cluster.advance(60)
    text = "\n".join(logs(cluster, "cfg-1", previous=True))
    assert "yaml.scanner.ScannerError: mapping values are not allowed here" in text
    assert 'in "/etc/app/config.yaml", line 3, column 17' in text
    cluster.patch(by_plural("configmaps"), "default", "cfg",
                  b'{"data": {"config.yaml": "server:\\n  port: 8080\\nfeatures: {search: on}\\n"}}',
                  "application/merge-patch+json")
    cluster.advance(600)
    assert "running" in cstatus(cluster, "cfg-1")["state"]


def test_file_outside_any_mount_is_missing(make_cluster: Make) -> None:
    cluster = make_cluster(pod("file-1", APP, {"app": "runtime: java\nneedsFiles: [/etc/app/application.properties]"}))
    cluster.advance(30)
    text = "\n".join(logs(cluster, "file-1", previous=True))
    assert ('java.io.FileNotFoundException: /etc/app/application.properties (No such file or directory)' in text)


def test_two_containers_on_one_port(make_cluster: Make) -> None:
    containers = "  - {name: a, image: registry.example.com/a:1}\n  - {name: b, image: registry.example.com/b:1}\n"
    cluster = make_cluster(pod("port-1", containers, {"a": "runtime: go\nlistens: [9090]",
                                                      "b": "runtime: node\nlistens: [9090]"}))
    cluster.advance(60)
    assert "running" in cstatus(cluster, "port-1", "a")["state"]
    assert "Error: listen EADDRINUSE: address already in use :::9090" in logs(cluster, "port-1", "b", previous=True)


@pytest.mark.parametrize(("extra", "expect"), [
    ("    securityContext: {readOnlyRootFilesystem: true}\n",
     'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)'),
    ("    securityContext: {runAsUser: 101}\n",
     'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)'),
])
def test_nginx_cannot_write_its_cache(make_cluster: Make, extra: str, expect: str) -> None:
    cluster = make_cluster(pod("ngx-1", f"  - name: nginx\n    image: nginx:1.27\n{extra}",
                                {"nginx": "runtime: nginx\nwrites: [/var/cache/nginx/client_temp]"}))
    cluster.advance(30)
    assert expect in logs(cluster, "ngx-1", previous=True)


def test_writable_volume_fixes_a_read_only_root(make_cluster: Make) -> None:
    container = ("  - name: nginx\n    image: nginx:1.27\n    securityContext: {readOnlyRootFilesystem: true}\n"
                 "    volumeMounts: [{name: cache, mountPath: /var/cache/nginx}]\n")
    cluster = make_cluster(pod("ngx-1", container, {"nginx": "runtime: nginx\nwrites: [/var/cache/nginx/client_temp]"},
                               spec_extra="  volumes: [{name: cache, emptyDir: {}}]\n"))
    cluster.advance(30)
    assert cstatus(cluster, "ngx-1")["restartCount"] == 0


def test_exec_format_error(make_cluster: Make) -> None:
    cluster = make_cluster(pod("arm-1", APP, {"app": "arch: arm64\nexecutables: [/usr/local/bin/proxy]"}))
    cluster.advance(30)
    assert logs(cluster, "arm-1", previous=True) == ["exec /usr/local/bin/proxy: exec format error"]


# --- volumes and nodes ---------------------------------------------------------------------------------------

def test_missing_secret_volume_blocks_the_pod(make_cluster: Make) -> None:
    container = "  - name: app\n    image: registry.example.com/app:1\n    volumeMounts: [{name: tls, mountPath: /tls}]\n"
    cluster = make_cluster(pod("vol-1", container, spec_extra="  volumes: [{name: tls, secret: {secretName: web-tls}}]\n"))
    cluster.advance(300)
    assert status_column(cluster, "vol-1") == "ContainerCreating"
    evs = event_messages(cluster, "vol-1", "FailedMount")
    assert evs['MountVolume.SetUp failed for volume "tls" : secret "web-tls" not found'] >= 5
    # v1.32's kubelet records no event when its two-minute wait for the volumes times out.
    assert not any(m.startswith("Unable to attach or mount volumes") for m in evs)
    cluster.create(by_plural("secrets"), "default", {"metadata": {"name": "web-tls"}, "stringData": {"tls.crt": "x"}})
    cluster.advance(130)
    assert status_column(cluster, "vol-1") == "Running"


def test_eviction_under_node_memory_pressure(make_cluster: Make) -> None:
    node = ("apiVersion: v1\nkind: Node\nmetadata:\n  name: tight\n  annotations:\n"
            "    sim.podmortem.dev/memory-pressure: threshold=100Mi,available=50Mi\n")
    container = ("  - name: app\n    image: registry.example.com/app:1\n"
                 "    resources: {requests: {memory: 100Mi}}\n")
    cluster = make_cluster(node, pod("hog-1", container, {"app": "memoryMiB: 600"}, spec_extra="  nodeName: tight\n"))
    cluster.advance(60)
    st = get(cluster, "hog-1")["status"]
    assert st["phase"] == "Failed" and st["reason"] == "Evicted"
    assert st["message"] == ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "
                             "Container app was using 614400Ki, request is 100Mi, has larger consumption of memory. ")
    assert event_messages(cluster, "hog-1", "Evicted") == {st["message"]: 1}


def test_pod_log_instances(make_cluster: Make) -> None:
    cluster = make_cluster(pod("log-1", APP, {"app": "exitAfterSeconds: 30\nexitCode: 1\nlogs: ['run {{restart}}']"}))
    advance_until(cluster, lambda: "running" in cstatus(cluster, "log-1")["state"])
    assert logs(cluster, "log-1") == ["run 0"]
    with pytest.raises(ApiError) as err:
        logs(cluster, "log-1", previous=True)
    assert err.value.message == 'previous terminated container "app" in pod "log-1" not found'
    # crashed once, restarted at once: running instance 1, previous instance 0
    advance_until(cluster, lambda: cstatus(cluster, "log-1")["restartCount"] == 1
                  and "running" in cstatus(cluster, "log-1")["state"])
    assert logs(cluster, "log-1") == ["run 1"] and logs(cluster, "log-1", previous=True) == ["run 0"]
    # crashed again: in back-off, current and previous both read the instance that exited
    advance_until(cluster, lambda: "waiting" in cstatus(cluster, "log-1")["state"])
    assert cstatus(cluster, "log-1")["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert logs(cluster, "log-1") == ["run 1"] == logs(cluster, "log-1", previous=True)


def test_csi_driver_not_installed(make_cluster: Make) -> None:
    volumes = ("  volumes: [{name: kv, csi: {driver: secrets-store.csi.k8s.io, readOnly: true,"
               " volumeAttributes: {secretProviderClass: kv}}}]\n")
    container = "  - name: app\n    image: registry.example.com/app:1\n    volumeMounts: [{name: kv, mountPath: /mnt/kv}]\n"
    node = ("apiVersion: v1\nkind: Node\nmetadata:\n  name: with-driver\n  annotations:\n"
            "    sim.podmortem.dev/csi-drivers: secrets-store.csi.k8s.io\n---\n"
            "apiVersion: v1\nkind: Node\nmetadata: {name: without}\n")
    cluster = make_cluster(node, pod("csi-1", container, spec_extra="  nodeName: without\n" + volumes),
                           pod("csi-2", container, spec_extra="  nodeName: with-driver\n" + volumes))
    cluster.advance(60)
    assert status_column(cluster, "csi-1") == "ContainerCreating"
    assert event_messages(cluster, "csi-1", "FailedMount") == {
        'MountVolume.SetUp failed for volume "kv" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: '
        "driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers": 7}  # 0.5 s doubling
    assert status_column(cluster, "csi-2") == "Running"


def test_nfs_server_that_does_not_resolve(make_cluster: Make) -> None:
    container = "  - name: app\n    image: registry.example.com/app:1\n    volumeMounts: [{name: shared, mountPath: /shared}]\n"
    cluster = make_cluster(pod("nfs-1", container, spec_extra="  volumes: [{name: shared, nfs: {server: files, path: /exports}}]\n"))
    cluster.advance(30)
    msg = next(iter(event_messages(cluster, "nfs-1", "FailedMount")))
    assert msg.startswith('MountVolume.SetUp failed for volume "shared" : mount failed: exit status 32\nMounting command: mount')
    assert msg.endswith("Output: mount.nfs: Failed to resolve server files: Name or service not known")
