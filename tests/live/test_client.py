"""The client's retry policy and error mapping, against the fake API with injected faults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakeapi import FakeCluster, FakeServer, Fault

from podmortem.errors import ApiUnreachable, InputError, SourceError
from podmortem.live.client import Call, CallFailed, Forbidden, Gone, KubeClient, NotFoundError, connect

PODS = Call("list", "pods", "shop")


def _client(kubeconfig: Path, **kw: object) -> tuple[KubeClient, list[float]]:
    client = connect(str(kubeconfig), **kw)  # type: ignore[arg-type]
    slept: list[float] = []
    client.sleep = slept.append  # record the waits instead of sleeping them
    return client, slept


def test_context_namespace_and_host(kubeconfig: Path, server: FakeServer) -> None:
    client, _ = _client(kubeconfig)
    assert client.namespace == "shop"  # from the kubeconfig context, as kubectl takes it
    assert client.host == server.url
    assert client.context == "fake"


def test_429_waits_for_retry_after(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=429, times=2, retry_after="3"))
    client, slept = _client(kubeconfig)
    doc = client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert len(doc["items"]) == 6
    assert slept == [3.0, 3.0]  # exactly what the server asked for, twice
    assert client.requests["pods"] == 3


def test_500_retried_with_capped_backoff(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=503, times=3))
    client, slept = _client(kubeconfig)
    client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert len(slept) == 3
    assert all(0 < s <= 4.0 for s in slept)
    assert slept[2] > slept[0] * 1.0 or slept[2] >= 0.5  # grows (jitter is at most half)


def test_500_gives_up_after_bounded_tries(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=500, times=100))
    client, _slept = _client(kubeconfig)
    with pytest.raises(CallFailed) as info:
        client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert "HTTP 500 after 5 tries" in info.value.message
    assert cluster.requests["/api/v1/namespaces/shop/pods"] == 5


def test_403_is_not_retried(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/secrets/", code=403, times=100))
    client, slept = _client(kubeconfig)
    with pytest.raises(Forbidden):
        client.get_json("/api/v1/namespaces/shop/secrets/db", [], Call("get", "secrets", "shop", "db"))
    assert slept == []
    assert cluster.requests["/api/v1/namespaces/shop/secrets/db"] == 1


def test_404_and_410_are_typed(kubeconfig: Path, cluster: FakeCluster) -> None:
    client, _ = _client(kubeconfig)
    with pytest.raises(NotFoundError):
        client.get_json("/api/v1/namespaces/shop/configmaps/nope", [], Call("get", "configmaps", "shop"))
    cluster.faults.append(Fault(r"/pods$", code=410))
    with pytest.raises(Gone):
        client.get_json("/api/v1/namespaces/shop/pods", [("continue", "5")], PODS)


def test_slow_answer_times_out_then_succeeds(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=0, delay=1.5, times=1))  # slow once, then normal
    client, _ = _client(kubeconfig, timeout=0.5)
    doc = client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert len(doc["items"]) == 6
    assert client.retries["timeout"] == 1


def test_slow_every_time_fails_bounded(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", code=0, delay=1.0, times=100))
    client, _ = _client(kubeconfig, timeout=0.3)
    with pytest.raises(CallFailed) as info:
        client.get_json("/api/v1/namespaces/shop/pods", [], PODS)
    assert "timed out 3 times" in info.value.message


def test_dropped_connection_is_retried(kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.faults.append(Fault(r"/pods$", drop=True, times=1))
    client, _slept = _client(kubeconfig)
    assert len(client.get_json("/api/v1/namespaces/shop/pods", [], PODS)["items"]) == 6
    assert client.retries["dropped"] == 1


def test_unreachable_is_one_source_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # bound, never listening: refuses, and no parallel test gets it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        cfg = tmp_path / "kc"
        cfg.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "x",
            "clusters": [{"name": "x", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {}}], "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}]}))
        client, _ = _client(cfg)
        with pytest.raises(ApiUnreachable) as info:
            client.get_json("/api/v1/pods", [], Call("list", "pods"))
        assert "connection refused" in info.value.one_line()
        assert "\n" not in info.value.one_line()


def test_unknown_context_is_usage_error(kubeconfig: Path) -> None:
    with pytest.raises(InputError, match="context 'prod' is not in the kubeconfig"):
        connect(str(kubeconfig), "prod")


def test_no_configuration_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ApiUnreachable, match="no cluster configured"):
        connect(sa_dir=str(tmp_path / "none"))


def test_broken_kubeconfig_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "kc"
    cfg.write_text("apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts: [{name: a, context: {cluster: nope, user: u}}]\n")
    with pytest.raises(SourceError) as info:
        connect(str(cfg))
    assert "\n" not in info.value.one_line()


def test_exec_credential_plugin_token_is_sent(tmp_path: Path) -> None:
    """A kubeconfig user with an exec plugin (client.authentication.k8s.io/v1), as EKS/GKE/AKS write them."""
    cluster = FakeCluster(token="from-plugin")
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', "
                      "'kind': 'ExecCredential', 'status': {'token': 'from-plugin'}}))\n")
    import sys

    with FakeServer(cluster) as srv:
        cfg = tmp_path / "kc"
        cfg.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "x",
            "clusters": [{"name": "x", "cluster": {"server": srv.url}}],
            "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                                      "command": sys.executable, "args": [str(plugin)],
                                                      "interactiveMode": "Never"}}}],
            "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}]}))
        client = connect(str(cfg))
        assert client.get_json("/api/v1/pods", [], Call("list", "pods"))["kind"] == "PodList"


def test_wrong_token_is_refused(tmp_path: Path) -> None:
    cluster = FakeCluster(token="right")
    with FakeServer(cluster) as srv:
        client = connect(str(srv.kubeconfig(tmp_path / "kc", token="wrong")))
        with pytest.raises(SourceError, match="rejected the credentials"):
            client.get_json("/api/v1/pods", [], Call("list", "pods"))


def test_in_cluster_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No kubeconfig, but KUBERNETES_SERVICE_* and a service-account folder: the in-cluster config is used."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token")
    (sa / "ca.crt").write_text("not used by a plain-http test server\n")
    (sa / "namespace").write_text("payments")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    client = connect(sa_dir=str(sa))
    assert client.namespace == "payments"
    assert client.host == "https://127.0.0.1:1"  # in-cluster is always TLS to the service address
    assert os.path.exists(client.api.configuration.ssl_ca_cert)
