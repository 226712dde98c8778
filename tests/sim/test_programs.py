"""Containers run their command: images, registry and `sh -c` scripts with no profile (issue 16 item 1),
driven with the real kubectl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podmortem.sim import SimCluster
from podmortem.sim.registry import resolve
from podmortem.sim.shell import Flavour, Unsupported, run_script

from .conftest import Kubectl

Make = Callable[..., SimCluster]
NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n"


@pytest.fixture()
def lab(make_cluster: Make, kubectl_binary: str, tmp_path: Path) -> tuple[SimCluster, Kubectl]:
    cluster = make_cluster(NS, serve=True, now=None, start_offset=0)
    kc = Kubectl(kubectl_binary, Path(cluster.write_kubeconfig(tmp_path / "kc", namespace="lab")), tmp_path)
    return cluster, kc


def _pod(kc: Kubectl, name: str) -> dict[str, Any]:
    return json.loads(kc.out("get", "pod", name, "-o", "json"))  # type: ignore[no-any-return]


def _status(kc: Kubectl, name: str) -> dict[str, Any]:
    return _pod(kc, name)["status"]["containerStatuses"][0]  # type: ignore[no-any-return]


def _apply(kc: Kubectl, tmp: Path, text: str) -> None:
    path = tmp / "m.yaml"
    path.write_text(text)
    kc.run("apply", "-f", str(path))


def test_sh_c_exit_1_is_error_then_crash_loop(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "dies", "--image=busybox:1.36", "--", "sh", "-c", "echo dying; exit 1")
    cluster.advance(60)
    st = _status(kc, "dies")
    assert st["lastState"]["terminated"]["reason"] == "Error" and st["lastState"]["terminated"]["exitCode"] == 1
    assert st["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert kc.out("logs", "dies", "--previous").strip() == "dying"


def test_a_command_that_does_not_exist_is_start_error_128(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "nocmd", "--image=busybox:1.36", "--command", "--", "/does/not/exist")
    cluster.advance(30)
    st = _status(kc, "nocmd")
    term = (st["lastState"] or st["state"]).get("terminated") or st["state"].get("terminated")
    assert term["reason"] == "StartError" and term["exitCode"] == 128
    assert 'exec: "/does/not/exist": stat /does/not/exist: no such file or directory' in term["message"]


def test_an_image_typo_fails_its_pull_as_docker_hub_answers(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "typo", "--image=ngnix")
    cluster.advance(2)
    first = _status(kc, "typo")["state"]["waiting"]
    assert first["reason"] == "ErrImagePull"
    assert "pull access denied, repository does not exist or may require authorization" in first["message"]
    cluster.advance(30)
    assert _status(kc, "typo")["state"]["waiting"]["reason"] in ("ImagePullBackOff", "ErrImagePull")
    assert 'Back-off pulling image "ngnix"' in kc.out("describe", "pod", "typo")


def test_a_missing_tag_is_not_found(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "tagless", "--image=nginx:1.27.99-doesnotexist")
    cluster.advance(2)
    waiting = _status(kc, "tagless")["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull"
    assert waiting["message"].endswith("docker.io/library/nginx:1.27.99-doesnotexist: not found")


@pytest.mark.parametrize(("image", "why"), [
    ("nginx:1.27:3", "invalid reference format"),
    ("Nginx:1.27", "invalid reference format: repository name (library/Nginx) must be lowercase"),
])
def test_an_invalid_reference_is_invalid_image_name(lab: tuple[SimCluster, Kubectl], tmp_path: Path, image: str,
                                                    why: str) -> None:
    cluster, kc = lab
    _apply(kc, tmp_path, f"apiVersion: v1\nkind: Pod\nmetadata: {{name: bad-ref}}\n"
                         f"spec: {{containers: [{{name: app, image: '{image}'}}]}}\n")
    cluster.advance(5)
    waiting = _status(kc, "bad-ref")["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    assert waiting["message"] == f'Failed to apply default image tag "{image}": couldn\'t parse image name ' \
                                 f'"{image}": {why}'
    assert "InspectFailed" in kc.out("describe", "pod", "bad-ref")


def test_set_image_to_a_missing_tag_stalls_and_the_old_replicaset_serves(lab: tuple[SimCluster, Kubectl],
                                                                       tmp_path: Path) -> None:
    cluster, kc = lab
    _apply(kc, tmp_path, """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27.3, ports: [{containerPort: 80}]}]}
""")
    cluster.advance(30)
    kc.run("set", "image", "deploy/web", "web=nginx:1.27.99-doesnotexist")
    cluster.advance(60)
    pods = json.loads(kc.out("get", "pods", "-l", "app=web", "-o", "json"))["items"]
    by_image: dict[str, list[str]] = {}
    for p in pods:
        st = p["status"]["containerStatuses"][0]
        by_image.setdefault(p["spec"]["containers"][0]["image"], []).append(
            "Running" if "running" in st["state"] else st["state"].get("waiting", {}).get("reason", "?"))
    assert sorted(by_image["nginx:1.27.3"]) == ["Running", "Running"]
    assert by_image["nginx:1.27.99-doesnotexist"][0] in ("ErrImagePull", "ImagePullBackOff")
    status = json.loads(kc.out("get", "deploy", "web", "-o", "json"))["status"]
    assert status["availableReplicas"] == 2 and status["updatedReplicas"] == 1
    assert len(json.loads(kc.out("get", "rs", "-l", "app=web", "-o", "json"))["items"]) == 2


def test_nginx_on_a_read_only_root_prints_its_real_error(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    _apply(kc, tmp_path, """apiVersion: v1
kind: Pod
metadata: {name: ro-nginx}
spec:
  containers:
  - name: nginx
    image: nginx:1.27.3
    securityContext: {readOnlyRootFilesystem: true}
""")
    cluster.advance(30)
    st = _status(kc, "ro-nginx")
    assert st["lastState"]["terminated"]["reason"] == "Error" and st["lastState"]["terminated"]["exitCode"] == 1
    logs = kc.out("logs", "ro-nginx", "--previous")
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in logs
    assert 'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)' in logs


def test_postgres_without_a_password_prints_the_entrypoint_error(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "pg", "--image=postgres:16.4")
    kc.run("run", "pg-ok", "--image=postgres:16.4", "--env=POSTGRES_PASSWORD=secret")
    cluster.advance(30)
    st = _status(kc, "pg")
    assert st["lastState"]["terminated"]["exitCode"] == 1
    assert "Error: Database is uninitialized and superuser password is not specified." in \
        kc.out("logs", "pg", "--previous")
    ok = _status(kc, "pg-ok")
    assert "running" in ok["state"] and ok["restartCount"] == 0
    assert "database system is ready to accept connections" in kc.out("logs", "pg-ok")


def test_busybox_that_exits_0_under_always_crash_loops_completed(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "bb", "--image=busybox")
    cluster.advance(60)
    st = _status(kc, "bb")
    assert st["lastState"]["terminated"]["reason"] == "Completed" and st["lastState"]["terminated"]["exitCode"] == 0
    assert st["state"]["waiting"]["reason"] == "CrashLoopBackOff" and st["restartCount"] >= 2


def test_an_arm64_only_image_on_amd64_nodes_is_an_exec_format_error(lab: tuple[SimCluster, Kubectl]) -> None:
    cluster, kc = lab
    kc.run("run", "arm", "--image=arm64v8/nginx:1.27")
    cluster.advance(30)
    st = _status(kc, "arm")
    assert st["lastState"]["terminated"]["reason"] == "Error"
    assert "exec /docker-entrypoint.sh: exec format error" in kc.out("logs", "arm", "--previous")


def test_a_script_reads_env_and_mounted_files(lab: tuple[SimCluster, Kubectl], tmp_path: Path) -> None:
    cluster, kc = lab
    _apply(kc, tmp_path, """apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {app.conf: "mode=fast"}
---
apiVersion: v1
kind: Pod
metadata: {name: script}
spec:
  containers:
  - name: app
    image: alpine:3.20
    env: [{name: GREETING, value: hello}]
    command: [sh, -c]
    args:
    - |
      echo "$GREETING from $HOSTNAME"
      cat /etc/app/app.conf
      cat /etc/app/missing.conf || echo "no missing.conf"
      [ -n "$DATABASE_URL" ] || { echo never; }
      sleep 3
      exit 7
    volumeMounts: [{name: cfg, mountPath: /etc/app}]
  volumes: [{name: cfg, configMap: {name: cfg}}]
""")
    cluster.advance(20)
    st = _status(kc, "script")
    # `{ ...; }` groups are beyond the interpreter: the container runs as a program of unknown behaviour.
    assert "running" in st["state"]
    _apply(kc, tmp_path, """apiVersion: v1
kind: Pod
metadata: {name: script2}
spec:
  containers:
  - name: app
    image: alpine:3.20
    env: [{name: GREETING, value: hello}]
    command: [sh, -c, 'echo "$GREETING from $HOSTNAME"; cat /etc/app/app.conf; cat /etc/app/nope || echo fallback;
      sleep 3; exit 7']
    volumeMounts: [{name: cfg, mountPath: /etc/app}]
  volumes: [{name: cfg, configMap: {name: cfg}}]
""")
    cluster.advance(20)
    st = _status(kc, "script2")
    assert st["lastState"]["terminated"]["exitCode"] == 7
    assert kc.out("logs", "script2", "--previous").splitlines() == [
        "hello from script2", "mode=fast", "cat: can't open '/etc/app/nope': No such file or directory", "fallback"]


@pytest.mark.parametrize(("flavour", "script", "code", "lines"), [
    ("busybox", "foo", 127, ["sh: foo: not found"]),
    ("dash", "foo", 127, ["sh: 1: foo: not found"]),
    ("busybox", "exec /app/server", 127, ["sh: exec: /app/server: not found"]),
    ("busybox", "set -e; false; echo unreachable", 1, []),
    ("busybox", "X=1; [ \"$X\" = 1 ] && echo one || echo other", 0, ["one"]),
    ("busybox", "echo ${MISSING:-fallback} > /dev/null; echo shown >&2", 0, ["shown"]),
    ("busybox", "for i in a b; do echo $i; done; exit 3", 3, ["a", "b"]),
    ("busybox", "if [ -f /etc/x ]; then echo yes; else echo no; exit 2; fi", 2, ["no"]),
])
def test_the_interpreter(flavour: str, script: str, code: int, lines: list[str]) -> None:
    run = run_script(script, Flavour(flavour), {}, lambda c: c in ("echo", "false", "[", "test"), lambda p: None)
    assert run.exit_code == code and [t for _, t in run.lines] == lines


def test_the_interpreter_says_what_it_does_not_follow() -> None:
    for script in ("echo $(date)", "cat <<EOF\nx\nEOF", "f() { echo; }; f"):
        with pytest.raises(Unsupported):
            run_script(script, Flavour("busybox"), {}, lambda c: True, lambda p: None)


def test_a_loop_runs_forever_and_repeats() -> None:
    run = run_script("while true; do echo tick; sleep 5; done", Flavour("busybox"), {}, lambda c: True,
                     lambda p: None)
    assert run.exit_code is None and run.repeat == (("tick",), 5.0)


def test_the_registry() -> None:
    assert resolve("busybox:1.36").outcome == "ok"
    assert resolve("registry.example.com/shop/app:1").outcome == "unknown"
    assert resolve("ngnix").outcome == "unauthorized"
    assert resolve("nginx:1.27.99-doesnotexist").outcome == "not-found"
    assert resolve("nginx:1.27:3").outcome == "invalid"
