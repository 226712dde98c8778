"""One error tree, one line per error, the documented exit code, also with --debug.

Live cases run the real client against the simulator (real HTTP, the real /api paths) or a
local TLS server whose certificate nobody trusts.
"""

from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from podmortem import errors
from podmortem.cli import main

PODMORTEM = [sys.executable, "-m", "podmortem"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMORTEM, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "HOME": "/nonexistent"})


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr[-3000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("podmortem: error: ")
    return lines[0]


def test_every_error_is_a_podmortem_error_with_its_exit_code() -> None:
    tree = {
        errors.UsageError: 2, errors.InputError: 2, errors.EmptyInput: 2, errors.BinaryInput: 2,
        errors.UnknownInputKind: 2, errors.SnapshotInvalid: 2, errors.ApiError: 3, errors.ApiClientError: 3,
        errors.ApiUnauthorized: 3, errors.ApiForbidden: 3, errors.ApiNotFound: 2, errors.ApiServerError: 3,
        errors.ApiUnreachable: 3, errors.ApiTlsError: 3,
    }
    for cls, code in tree.items():
        assert issubclass(cls, errors.PodmortemError)
        err = cls("a message\nwith a newline", "a hint")
        assert err.exit_code == code, cls
        assert err.one_line() == "a message with a newline (hint: a hint)"
    for cls in (errors.ApiUnauthorized, errors.ApiForbidden, errors.ApiNotFound):
        assert issubclass(cls, errors.ApiClientError)
    assert errors.SourceError is errors.ApiError and errors.NotFound is errors.ApiNotFound


# -- --debug keeps the exit code ---------------------------------------------------------------


def test_debug_prints_the_traceback_and_keeps_exit_2() -> None:
    done = run("--debug", "explain", "--logs", "/nonexistent/app.log")
    assert done.returncode == 2
    assert "Traceback" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("podmortem: error: /nonexistent/app.log")


def test_debug_keeps_exit_4_for_an_internal_error(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import podmortem.engine

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(podmortem.engine, "diagnose", broken)
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n")
    for argv, traceback_shown in ((["explain", str(pod)], False), (["--debug", "explain", str(pod)], True)):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 4
        err = capsys.readouterr().err
        assert ("Traceback" in err) is traceback_shown
        assert err.strip().splitlines()[-1].startswith("podmortem: internal error: RuntimeError: a bug")


# -- TLS -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def untrusted_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}')

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(d / "cert.pem"), str(d / "key.pem"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _kubeconfig(path: Path, server: str) -> str:
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{server}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u, namespace: shop}}}}]
current-context: x
""")
    return str(path)


@pytest.mark.parametrize("command", ["diagnose", "snapshot"])
def test_tls_verification_failure_is_exit_3_naming_the_server(untrusted_tls_server: str, tmp_path: Path,
                                                              command: str) -> None:
    kc = _kubeconfig(tmp_path / "kc", untrusted_tls_server)
    args = ["diagnose", "--kubeconfig", kc] if command == "diagnose" else \
        ["snapshot", str(tmp_path / "snap"), "--kubeconfig", kc]
    line = one_line(run(*args), 3)
    assert untrusted_tls_server in line
    assert "certificate verify failed: self-signed certificate" in line
    assert "certificate-authority" in line  # the hint says where the CA is configured


# -- things named on the command line that do not exist -------------------------------------------


@pytest.fixture(scope="module")
def sim_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("podmortem.sim.cluster", reason="the simulator is not in this checkout")
    from podmortem.sim.cluster import SimCluster, SimOptions

    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    with SimCluster(SimOptions(), docs=[ns]) as cluster:
        yield str(cluster.write_kubeconfig(tmp_path_factory.mktemp("sim") / "kc", namespace="shop"))


def test_a_namespace_that_does_not_exist_is_exit_2_in_kubectls_words(sim_kubeconfig: str) -> None:
    line = one_line(run("diagnose", "--kubeconfig", sim_kubeconfig, "-n", "doesnotexist"), 2)
    assert 'namespaces "doesnotexist" not found' in line


def test_an_empty_namespace_that_exists_is_nothing_wrong(sim_kubeconfig: str) -> None:
    done = run("diagnose", "--kubeconfig", sim_kubeconfig, "-n", "shop")
    assert done.returncode == 0, done.stderr


def test_a_pod_that_does_not_exist_is_exit_2_in_kubectls_words(sim_kubeconfig: str) -> None:
    line = one_line(run("diagnose", "--kubeconfig", sim_kubeconfig, "nosuchpod"), 2)
    assert 'pods "nosuchpod" not found' in line and "namespace shop" in line


def test_a_pod_in_a_namespace_that_does_not_exist(sim_kubeconfig: str) -> None:
    line = one_line(run("diagnose", "--kubeconfig", sim_kubeconfig, "-n", "nope", "web"), 2)
    assert 'namespaces "nope" not found' in line
