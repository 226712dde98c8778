"""The checks the simulated API server makes before it reads an object: size, media type, YAML aliases,
names and the token (issue 11 item 8), over HTTP and with the real kubectl."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from podmortem.sim import SimCluster, SimOptions
from podmortem.sim.guard import MAX_BODY_BYTES, check_alias_budget, load_yaml
from podmortem.sim.names import name_errors
from podmortem.sim.resources import by_plural

from .conftest import Kubectl

Make = Callable[..., SimCluster]

NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"


def _laughs(levels: int, fanout: int) -> str:
    lines = ["a0: &a0 x"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * fanout)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _request(cluster: SimCluster, method: str, path: str, body: bytes = b"", ctype: str = "application/json",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=20)
    conn.request(method, path, body=body, headers={"Content-Type": ctype, **(headers or {})})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode()


@pytest.fixture()
def served(make_cluster: Make) -> SimCluster:
    return make_cluster(NS, serve=True, now=None)


def test_a_body_over_three_mebibytes_is_413_like_the_api_server(served: SimCluster) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"k": "x" * (4 << 20)}}
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", json.dumps(cm).encode())
    assert code == 413
    assert body["reason"] == "RequestEntityTooLarge"
    assert body["message"] == f"Request entity too large: limit is {MAX_BODY_BYTES}" == \
        "Request entity too large: limit is 3145728"
    cm["data"] = {"k": "x" * (2 << 20)}
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", json.dumps(cm).encode())
    assert code == 201, body


def test_a_chunked_body_is_capped_too(served: SimCluster) -> None:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=20)
    head = (b"POST /api/v1/namespaces/team-a/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * (1 << 20)
    sock.sendall(head + b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(4)) + b"0\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        part = sock.recv(65536)
        if not part:
            break
        answer += part
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_an_alias_bomb_is_400_before_anything_is_expanded(served: SimCluster) -> None:
    bomb = _laughs(9, 9)
    assert len(bomb) < 500
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", bomb.encode(),
                          "application/yaml")
    assert code == 400
    assert body["message"] == "error converting YAML to JSON: yaml: document contains excessive aliasing"


def test_the_alias_budget_is_go_yamls_ratio() -> None:
    # go-yaml accepts 10 x 10 x 10 laughs (1,111 alias-made nodes of 1,127) and refuses a fourth level.
    check_alias_budget(yaml.compose(_laughs(3, 10)))
    with pytest.raises(ValueError, match="excessive aliasing"):
        check_alias_budget(yaml.compose(_laughs(4, 10)))
    # A few aliases in an ordinary manifest are fine however large it is.
    doc = "base: &b {image: nginx}\n" + "".join(f"c{i}: *b\n" for i in range(50)) + \
          "".join(f"k{i}: v\n" for i in range(5000))
    assert load_yaml(doc.encode())["c49"] == {"image": "nginx"}


def test_an_anchor_that_contains_itself_is_refused() -> None:
    from podmortem.sim.cluster import ApiError

    with pytest.raises(ApiError) as info:
        load_yaml(b"a: &x {b: *x}\n")
    assert info.value.code == 400 and "contains itself" in info.value.message


def test_yaml_is_read_only_for_yaml_media_types(served: SimCluster) -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\n"
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", doc, "text/plain")
    assert code == 415
    assert body["message"] == ("the body of the request was in an unknown format - accepted media types include: "
                               "application/json, application/yaml, application/vnd.kubernetes.protobuf")
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", doc, "application/json")
    assert code == 400
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/configmaps", doc, "application/yaml")
    assert code == 201 and body["metadata"]["name"] == "from-yaml"
    # A patch is JSON whatever it looks like: a YAML merge patch is a decode error, not a parse of YAML.
    code, body = _request(served, "PATCH", "/api/v1/namespaces/team-a/configmaps/from-yaml", b"data: {a: b}\n",
                          "application/merge-patch+json")
    assert code == 400


@pytest.mark.parametrize(("plural", "name", "expected"), [
    ("pods", "web-1.a", []),
    ("pods", "../etc", ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                        "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                        "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]),
    ("namespaces", "team.a", ["must not contain dots"]),
    ("namespaces", "Team", ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                            "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                            "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
    ("services", "1web", ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                          "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                          "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]),
    ("configmaps", "a" * 254, ["must be no more than 253 characters"]),
])
def test_names_follow_the_api_servers_rules(plural: str, name: str, expected: list[str]) -> None:
    assert name_errors(by_plural(plural), name) == expected


def test_a_bad_name_is_422_with_the_real_text(served: SimCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "../../x"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/pods", json.dumps(pod).encode())
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith('Pod "../../x" is invalid: metadata.name: Invalid value: "../../x": a lowercase '
                                      "RFC 1123 subdomain must consist of")
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    with served.lock:
        assert not [p for p in served.store.items("pods", "team-a") if "/" in p["metadata"]["name"]]
    pod["metadata"] = {"generateName": "web-"}
    code, body = _request(served, "POST", "/api/v1/namespaces/team-a/pods", json.dumps(pod).encode())
    assert code == 201 and body["metadata"]["name"].startswith("web-")


def test_kubectl_shows_the_name_error(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> None:
    cluster = make_cluster(NS, serve=True, now=None)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc")), tmp_path)
    proc = kc.run("create", "configmap", "Bad_Name", "-n", "team-a", check=False)
    assert proc.returncode == 1
    assert 'error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 ' \
           "subdomain" in proc.stderr


def test_with_a_token_only_its_holder_is_served(kubectl_binary: str, tmp_path: Path) -> None:
    with SimCluster(SimOptions(token="s3cret-token", check_token=True)) as cluster:
        code, body = _request(cluster, "GET", "/api/v1/namespaces")
        assert code == 401 and body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        code, _ = _request(cluster, "GET", "/api/v1/namespaces", headers={"Authorization": "Bearer wrong"})
        assert code == 401
        code, _ = _request(cluster, "GET", "/api/v1/namespaces", headers={"Authorization": "Bearer s3cret-token"})
        assert code == 200
        # kubectl sends no bearer token over plain HTTP (the simulator serves no TLS), so it meets the 401.
        kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc")), tmp_path)
        proc = kc.run("get", "ns", check=False)
        assert proc.returncode == 1
        assert "error: You must be logged in to the server" in proc.stderr
