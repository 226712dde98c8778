"""Issue 9 item 2, one property each: ports only from listen/bind/URL context, named ports never in a URL,
NET_BIND_SERVICE only with the file capability in evidence, and the runtime remedy check's repairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podmortem.engine import diagnose
from podmortem.model import Command, Joined, Placeholder, Remedy, Target
from podmortem.remedy_math import port_number, ports_in
from podmortem.render.commands import command_lines, placeholders
from podmortem.render.validate import check
from podmortem.testing import build_evidence


@pytest.mark.parametrize(("line", "want"), [
    ("I0115 10:00:00.123456       1 main.go:197] listen tcp :9100: bind: address already in use", [9100]),
    ("E0115 10:00:00.1 1 server.go:88] failed: listen tcp 127.0.0.1:10251: bind: address already in use", [10251]),
    ("(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80", [80]),
    ("Could not create server TCP listening socket *:6379: bind: Address already in use", [6379]),
    ("[ERROR] Connection in use: ('0.0.0.0', 8000)", [8000]),
    ("nginx: [emerg] bind() to 0.0.0.0:443 failed (98: Address in use)", [443]),
    ("Error: listen EADDRINUSE: address already in use :::3000", [3000]),
    ("Web server failed to start. Port 8080 was already in use.", [8080]),
    ("listening on 10.0.0.1:8080.", [8080]),
    ("java.net.BindException: Address already in use", []),
    ("main.go:197] panic at server.go:45", []),
    ("bind address fe80::1:2:3 in use", []),
])
def test_ports_come_only_from_listen_bind_or_url_context(line: str, want: list[int]) -> None:
    assert ports_in(line) == want


def _port_pod(log: str) -> dict[str, Any]:
    return {
        "pod": {"metadata": {"name": "exporter-0", "namespace": "mon"},
                "spec": {"containers": [{"name": "exporter", "image": "example/exporter:1"}]},
                "status": {"containerStatuses": [{"name": "exporter", "restartCount": 4,
                                                  "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                  "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}},
        "logs": {"exporter": log},
    }


@pytest.mark.parametrize("log", [
    "I0115 10:00:00.123456       1 main.go:197] listen tcp :9100: bind: address already in use\n",
    "F0115 10:00:00.123456       1 main.go:197] {\"error\":\"listen tcp :9100: bind: address already in use\"}\n",
])
def test_port_in_use_names_the_listen_port_not_the_source_line(log: str) -> None:
    top = diagnose(build_evidence(_port_pod(log))).findings[0]
    assert top.cause == "app.port-in-use"
    assert "port 9100" in top.summary and "197" not in top.summary + top.remedy.summary


def _probe_pod(port: Any, declared: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "pod": {"metadata": {"name": "web-0", "namespace": "shop",
                             "ownerReferences": [{"kind": "StatefulSet", "name": "web", "controller": True}]},
                "spec": {"containers": [{"name": "web", "image": "example/web:1", "ports": declared,
                                         "livenessProbe": {"httpGet": {"path": "/healthz", "port": port},
                                                           "periodSeconds": 10, "failureThreshold": 3}}]},
                "status": {"containerStatuses": [{"name": "web", "restartCount": 5,
                                                  "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                  "lastState": {"terminated": {"reason": "Error", "exitCode": 137}}}]}},
        "events": [{"type": "Warning", "reason": "Unhealthy", "count": 9,
                    "message": 'Liveness probe failed: Get "http://10.1.2.3:8080/healthz": dial tcp 10.1.2.3:8080: '
                               "connect: connection refused"},
                   {"type": "Normal", "reason": "Killing", "count": 3,
                    "message": "Container web failed liveness probe, will be restarted"}],
    }


@pytest.mark.parametrize(("port", "declared", "url"), [
    ("http", [{"name": "http", "containerPort": 8080}], "http://127.0.0.1:8080/healthz"),
    ("http", [], "http://127.0.0.1:PORT/healthz"),
    (8080, [], "http://127.0.0.1:8080/healthz"),
])
def test_a_named_port_is_never_a_url_port(port: Any, declared: list[dict[str, Any]], url: str) -> None:
    top = diagnose(build_evidence(_probe_pod(port, declared))).findings[0]
    assert top.cause == "probes.liveness"
    curl = [ln for ln in command_lines(top.remedy) if ln.startswith("curl")]
    assert curl == [f"curl -sv {url}"]
    assert ":http/" not in "\n".join(command_lines(top.remedy))
    if "PORT" in url:
        assert "PORT" in placeholders(top.remedy) and "port named 'http'" in top.remedy.summary


def test_port_number_resolves_names_from_the_spec_only() -> None:
    assert port_number("http", {"http": 8080}) == 8080
    assert port_number("8443", {}) == 8443
    assert port_number("metrics", {"http": 8080}) is None


def _bind_pod(image: str) -> dict[str, Any]:
    return {
        "pod": {"metadata": {"name": "edge-0", "namespace": "web",
                             "ownerReferences": [{"kind": "StatefulSet", "name": "edge", "controller": True}]},
                "spec": {"securityContext": {"runAsUser": 1000},
                         "containers": [{"name": "edge", "image": image, "ports": [{"containerPort": 80}]}]},
                "status": {"containerStatuses": [{"name": "edge", "restartCount": 4,
                                                  "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                  "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}},
        "logs": {"edge": "listen tcp 0.0.0.0:80: bind: permission denied\n"},
    }


def test_net_bind_service_is_suggested_only_with_the_file_capability_in_evidence() -> None:
    plain = diagnose(build_evidence(_bind_pod("example/edge:1"))).findings[0]
    assert plain.detail == "privileged-port"
    assert "port >= 1024" in plain.remedy.summary
    assert "add NET_BIND_SERVICE" not in plain.remedy.summary and "would not help" in plain.remedy.summary
    caddy = diagnose(build_evidence(_bind_pod("caddy:2.8"))).findings[0]
    assert "add NET_BIND_SERVICE to the container's capabilities.add" in caddy.remedy.summary


# --- the runtime check ---------------------------------------------------------------------------------

TARGET = Target("Deployment", "shop", "web", "web")


def test_a_namespace_the_evidence_does_not_give_becomes_the_placeholder() -> None:
    r = Remedy("x", None, (Command(("kubectl", "get", "cm", "a", "-n", "default")),
                           Command(("kubectl", "get", "cm", "a", "--namespace=prod")),
                           Command(("kubectl", "get", "cm", "a", "-n", "shop")),
                           Command(("kubectl", "get", "cm", "a", "-n", "billing"))),
               target=TARGET, namespaces=("billing",))
    got = check(r)
    assert len(got.problems) == 2
    assert command_lines(r) == ["kubectl get cm a -n NAMESPACE", "kubectl get cm a --namespace=NAMESPACE",
                                "kubectl get cm a -n shop", "kubectl get cm a -n billing"]
    assert placeholders(r) == ["NAMESPACE"]


def test_empty_values_and_literal_placeholders_are_repaired_and_listed() -> None:
    r = Remedy("x", None, (Command(("kubectl", "auth", "can-i", "get", "pods", Joined(("--as=", "")))),
                           Command(("kubectl", "logs", "", "-n", "shop")),
                           Command(("kubectl", "create", "configmap", "c", "-n", "shop", "--from-file=PATH")),
                           Command(("echo", "$PATH", "DB_PATH", "${USER}"))),
               target=TARGET)
    got = check(r)
    assert len(got.problems) == 3, got.problems
    assert command_lines(r) == ["kubectl auth can-i get pods --as=VALUE", "kubectl logs VALUE -n shop",
                                "kubectl create configmap c -n shop --from-file=PATH",
                                "echo '$PATH' DB_PATH '${USER}'"]
    assert placeholders(r) == ["VALUE", "PATH"]


def test_patch_file_is_only_named_when_it_was_written(tmp_path: Path) -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "x:1"}]}}}}
    missing = Remedy("x", patch, (), target=TARGET, patch_file=str(tmp_path / "nope.yaml"))
    assert check(missing).problems
    assert command_lines(missing)[0].startswith("kubectl patch deployment/web -n shop --type strategic -p '{")
    written = tmp_path / "01-web.yaml"
    written.write_text("spec: {}\n")
    ok = Remedy("x", patch, (), target=TARGET, patch_file=str(written))
    assert not check(ok).problems
    assert command_lines(ok) == [f"kubectl patch deployment/web -n shop --type strategic --patch-file {written}"]
    handwritten = Remedy("x", None, (Command(("kubectl", "patch", "deployment/web", "--patch-file", "fix.yaml")),),
                         target=TARGET)
    assert check(handwritten).problems and command_lines(handwritten) == []


def test_a_placeholder_outside_the_documented_list_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="PLACEHOLDERS"):
        Placeholder("WHATEVER")


# --- no emptyDir over data; every path the image writes; one-shot commands ---------------------------


def _pod(container: dict[str, Any], log: str, *, owner: str | None = "StatefulSet", volumes: list[Any] | None = None,
         exit_code: int = 1, reason: str = "Error") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "db-0", "namespace": "data"}  # a bare pod when owner is None (phase below)
    if owner:
        meta["ownerReferences"] = [{"kind": owner, "name": "db", "controller": True}]
    return {
        "pod": {"metadata": meta,
                "spec": {"containers": [{"name": "db", **container}], "volumes": volumes or []},
                "status": {"phase": "Running", "containerStatuses": [{"name": "db", "restartCount": 4,
                                                  "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                  "lastState": {"terminated": {"reason": reason,
                                                                               "exitCode": exit_code}}}]}},
        "logs": {"db": log} if log else {},
    }


def _top(doc: dict[str, Any]) -> Any:
    return diagnose(build_evidence(doc)).findings[0]


def _empty_dirs(patch: Any) -> list[str]:
    spec = (patch or {}).get("spec", {})
    spec = spec.get("template", {}).get("spec", spec)
    names = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    return [m["mountPath"] for c in spec.get("containers", []) for m in c.get("volumeMounts", [])
            if m["name"] in names]


@pytest.mark.parametrize(("image", "log", "data_path"), [
    ("postgres:16", "initdb: error: could not create directory \"/var/lib/postgresql/data/pg_wal\": "
                    "Read-only file system\n", "/var/lib/postgresql/data"),
    ("mysql:8.4", "mysqld: Can't create/write to file '/var/lib/mysql/is_writable' (OS errno 30 - Read-only file "
                  "system)\n", "/var/lib/mysql"),
    ("mongo:7", "mkdir: cannot create directory '/data/db/journal': Read-only file system\n", "/data/db"),
    ("redis:7", "Can't open the append-only file /data/appendonly.aof: Read-only file system\n", "/data"),
])
def test_no_empty_dir_over_a_data_directory_on_a_read_only_root(image: str, log: str, data_path: str) -> None:
    top = _top(_pod({"image": image, "securityContext": {"readOnlyRootFilesystem": True}}, log))
    assert top.cause == "security.read-only-fs", top.cause
    assert not any(p == data_path or p.startswith(data_path + "/") for p in _empty_dirs(top.remedy.patch))
    assert "PersistentVolumeClaim" in top.remedy.summary and top.remedy.outside_spec


def test_no_empty_dir_over_a_data_directory_not_writable_in_the_image() -> None:
    top = _top(_pod({"image": "example/pg-custom:1", "securityContext": {"runAsUser": 1000}},
                    "mkdir: cannot create directory '/var/lib/postgresql/data/base': Permission denied\n"))
    assert top.cause == "security.permission-denied"
    assert top.remedy.patch is None and "PersistentVolumeClaim" in top.remedy.summary
    assert "fsGroup" in top.remedy.summary


def test_a_read_only_claim_is_mounted_read_write_not_covered_by_an_empty_dir() -> None:
    doc = _pod({"image": "example/app:1",
                "volumeMounts": [{"name": "store", "mountPath": "/srv/store", "readOnly": True}]},
               "open /srv/store/index.db: read-only file system\n",
               volumes=[{"name": "store", "persistentVolumeClaim": {"claimName": "store"}}])
    top = _top(doc)
    assert top.cause == "security.read-only-fs" and top.detail == "read-only-claim"
    assert _empty_dirs(top.remedy.patch) == []
    mounts = top.remedy.patch["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [{"name": "store", "mountPath": "/srv/store", "readOnly": False}]


def test_the_nginx_patch_mounts_every_path_lint_knows_it_writes() -> None:
    from podmortem.remedy_math import image_writes

    known = [w.path for w in image_writes("nginx:1.27", {})]
    assert {"/var/cache/nginx", "/var/run"} <= set(known)
    log = ('nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)\n')
    top = _top(_pod({"image": "nginx:1.27", "securityContext": {"readOnlyRootFilesystem": True}}, log,
                    owner="ReplicaSet"))
    assert top.cause == "security.read-only-fs"
    assert sorted(_empty_dirs(top.remedy.patch)) == sorted(known)
    # a path a writable volume already covers is not mounted twice
    covered = _pod({"image": "nginx:1.27", "securityContext": {"readOnlyRootFilesystem": True},
                    "volumeMounts": [{"name": "run", "mountPath": "/run"}]}, log, owner="ReplicaSet",
                   volumes=[{"name": "run", "emptyDir": {}}])
    assert _empty_dirs(_top(covered).remedy.patch) == ["/var/cache/nginx"]


def test_lint_reads_the_same_list_and_says_pvc_for_data() -> None:
    import yaml as _yaml

    from podmortem.lint.loader import decode
    from podmortem.lint.runner import lint_sources

    manifest = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "data"},
                "spec": {"selector": {"matchLabels": {"app": "db"}}, "serviceName": "db", "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                             "securityContext": {"readOnlyRootFilesystem": True}}]}}}}
    report = lint_sources([decode("db.yaml", _yaml.safe_dump(manifest).encode())])
    findings = [f for f in report.findings if f.check == "read-only-root-without-writable-volume"]
    fixes = {f.message.split(" no writable volume at ")[1].split(",")[0]: f.fix for f in findings}
    assert "PersistentVolumeClaim" in fixes["/var/lib/postgresql/data"]
    assert "emptyDir" in fixes["/var/run/postgresql"]


@pytest.mark.parametrize(("command", "image", "owner", "want"), [
    (["echo", "hello"], "nginx:1.27", "ReplicaSet", "drop"),
    (["sh", "-c", "date; echo done"], "busybox:1.36", "ReplicaSet", "job"),
    (["sleep", "30"], "alpine:3.20", None, "restart-policy"),
])
def test_one_shot_commands_become_jobs_or_restart_policy_not_servers(command: list[str], image: str,
                                                                     owner: str | None, want: str) -> None:
    doc = _pod({"image": image, "command": command}, "", owner=owner, exit_code=0, reason="Completed")
    doc["pod"]["spec"]["restartPolicy"] = "Always"
    top = _top(doc)
    assert top.cause == "app.exit-zero", top.cause
    text = top.remedy.summary + "\n".join(command_lines(top.remedy))
    assert "daemon off" not in text and "httpd-foreground" not in text
    patch = top.remedy.patch
    if want == "drop":
        assert patch["spec"]["template"]["spec"]["containers"][0] == {"name": "db", "command": None, "args": None}
    elif want == "job":
        assert patch is None and top.remedy.outside_spec
        assert any(line.startswith("kubectl create job db-once -n data --image=busybox:1.36 -- sh -c")
                   for line in command_lines(top.remedy))
    else:
        assert patch == {"spec": {"restartPolicy": "OnFailure"}}


def test_a_long_running_command_is_not_one_shot() -> None:
    from podmortem.rules.app_crash import one_shot_command

    assert one_shot_command(["sleep", "infinity"]) is None
    assert one_shot_command(["sh", "-c", "echo starting; exec nginx -g 'daemon off;'"]) is None
    assert one_shot_command(["/bin/sh", "-c", "cp /a /b && echo copied"]) == "echo"
    assert one_shot_command(["python", "app.py"]) is None
