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
