"""Measure the three candidate Kubernetes client libraries for podmortem's live source.

Used once to choose a client (docs/client-choice.md records the figures) and kept so the choice
can be re-checked when a library changes. For each of `kubernetes`, `lightkube` and `kr8s` that is
installed it measures, each in a fresh interpreter:

- import time (best of 5, minus the bare interpreter's start-up);
- the time to list 10,000 pods over TLS in pages of 500, the library's own way (typed models or
  wrapper objects) and the fastest raw way it offers (bytes or dicts, parsed with orjson);
- whether an exec credential plugin in the kubeconfig works (the server accepts only its token);
- whether in-cluster configuration works (service-account folder + KUBERNETES_SERVICE_* env).

The server is a local stdlib HTTPS server on 127.0.0.1 with a throw-away CA made by openssl.
Run: `python benchmarks/bench_clients.py` in an environment where the candidates are installed.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

N_PODS = 10_000
PAGE = 500
TOKEN = "bench-token"


def make_pod(i: int) -> dict[str, object]:
    """A pod shaped like a real Deployment pod, about the size `kubectl get -o json` returns."""
    ns = f"team-{i % 40}"
    name = f"web-{i // 3}-7d9f{i:05d}"
    return {
        "metadata": {
            "name": name, "namespace": ns, "uid": f"00000000-0000-4000-8000-{i:012d}",
            "resourceVersion": str(1000 + i), "creationTimestamp": "2026-01-15T10:00:00Z",
            "labels": {"app": f"web-{i // 3}", "pod-template-hash": "7d9f"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-15T09:00:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"web-{i // 3}-7d9f",
                                 "uid": f"10000000-0000-4000-8000-{i:012d}", "controller": True,
                                 "blockOwnerDeletion": True}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                               "time": "2026-01-15T10:00:00Z", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}}}],
        },
        "spec": {
            "containers": [{
                "name": "app", "image": "registry.example/web:1.4.2", "imagePullPolicy": "IfNotPresent",
                "args": ["--port=8080"], "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "DB_HOST", "value": "db"},
                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                                  "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3,
                                  "successThreshold": 1},
                "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                  "readOnly": True}],
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            }],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "nodeName": f"node-{i % 50}", "schedulerName": "default-scheduler",
            "securityContext": {}, "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {
                "expirationSeconds": 3607, "path": "token"}}], "defaultMode": 420}}],
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.0.1", "podIP": f"10.1.{i // 250}.{i % 250}",
            "startTime": "2026-01-15T10:00:00Z", "qosClass": "Burstable",
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2026-01-15T10:00:05Z"}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": "app", "ready": True, "started": True, "restartCount": 0,
                "image": "registry.example/web:1.4.2", "imageID": "registry.example/web@sha256:" + "ab" * 32,
                "containerID": "containerd://" + f"{i:064x}",
                "state": {"running": {"startedAt": "2026-01-15T10:00:04Z"}}, "lastState": {},
            }],
        },
    }


def pages() -> list[bytes]:
    pods = [make_pod(i) for i in range(N_PODS)]
    out = []
    for start in range(0, N_PODS, PAGE):
        cont = str(start + PAGE) if start + PAGE < N_PODS else ""
        out.append(json.dumps({"kind": "PodList", "apiVersion": "v1",
                               "metadata": {"resourceVersion": "99999", "continue": cont},
                               "items": pods[start:start + PAGE]}).encode())
    return out


DISCOVERY_V1 = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"],
     "verbs": ["get", "list", "watch"]}]}


def serve(pages_: list[bytes], certfile: str, keyfile: str) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            # The API server takes the scheme case-insensitively (the official client sends "bearer").
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or token != TOKEN:
                self.send(401, b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                               b'"message":"Unauthorized","reason":"Unauthorized","code":401}')
                return
            url = urlparse(self.path)
            q = parse_qs(url.query)
            if url.path == "/api/v1/pods":
                start = int(q.get("continue", ["0"])[0] or 0)
                self.send(200, pages_[start // PAGE])
            elif url.path in ("/api", "/api/"):
                self.send(200, b'{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}')
            elif url.path == "/apis":
                self.send(200, b'{"kind":"APIGroupList","apiVersion":"v1","groups":[]}')
            elif url.path == "/api/v1":
                self.send(200, json.dumps(DISCOVERY_V1).encode())
            elif url.path in ("/version", "/version/"):
                self.send(200, b'{"major":"1","minor":"32","gitVersion":"v1.32.0"}')
            else:
                if os.environ.get("BENCH_DEBUG"):
                    sys.stderr.write(f"404 {self.path}\n")
                self.send(404, b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                               b'"message":"the server could not find the requested resource","reason":"NotFound",'
                               b'"code":404}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def make_ca(d: Path) -> None:
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"), "-out",
        str(d / "ca.crt"), "-days", "2", "-subj", "/CN=bench-ca")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "srv.key"), "-out", str(d / "srv.csr"),
        "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", str(d / "srv.csr"), "-CA", str(d / "ca.crt"), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-out", str(d / "srv.crt"), "-days", "2", "-extfile", str(d / "ext.cnf"))


def kubeconfig(d: Path, port: int, exec_version: str | None = None) -> Path:
    """A kubeconfig with a static token, or with an exec plugin of the given API version."""
    user: dict[str, object] = {"token": TOKEN}
    if exec_version:
        plugin = d / "plugin.py"
        plugin.write_text("import json, os\nprint(json.dumps({'apiVersion': os.environ['V'], "
                          f"'kind': 'ExecCredential', 'status': {{'token': {TOKEN!r}}}}}))\n")
        user = {"exec": {"apiVersion": exec_version, "command": sys.executable, "args": [str(plugin)],
                         "env": [{"name": "V", "value": exec_version}], "interactiveMode": "Never"}}
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "bench",
           "clusters": [{"name": "bench", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                      "certificate-authority": str(d / "ca.crt")}}],
           "users": [{"name": "u", "user": user}],
           "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "u", "namespace": "default"}}]}
    path = d / f"{(exec_version or 'token').rsplit('/', 1)[-1]}.kubeconfig"
    path.write_text(json.dumps(cfg))
    return path


# Each snippet runs in a fresh interpreter; KCFG is a kubeconfig path, SA a service-account folder.
LIST_SNIPPETS = {
    # (setup, listing): the listing must set `n`, the number of pods it saw.
    ("kubernetes", "models"): ("""
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(KCFG))
        """, """
        n, cont = 0, None
        while True:
            r = api.list_pod_for_all_namespaces(limit=500, _continue=cont)
            n += len(r.items); cont = r.metadata._continue
            if not cont: break
        """),
    ("kubernetes", "raw"): ("""
        import orjson
        from kubernetes import config
        api = config.new_client_from_config(KCFG)  # an ApiClient; CoreV1Api would import ~250 models
        """, """
        n, cont = 0, None
        while True:
            q = [("limit", 500)] + ([("continue", cont)] if cont else [])
            m, url, h, _, _ = api.param_serialize("GET", "/api/v1/pods", query_params=q, auth_settings=["BearerToken"])
            d = orjson.loads(api.call_api(m, url, h).read()); n += len(d["items"]); cont = d["metadata"].get("continue")
            if not cont: break
        """),
    ("lightkube", "models"): ("""
        from lightkube import Client, ALL_NS
        from lightkube.config.kubeconfig import KubeConfig
        from lightkube.resources.core_v1 import Pod
        c = Client(KubeConfig.from_file(KCFG))
        """, """
        n = sum(1 for p in c.list(Pod, namespace=ALL_NS, chunk_size=500) if p.status.phase)
        """),
    ("lightkube", "raw"): ("""
        import orjson
        from lightkube import Client
        from lightkube.config.kubeconfig import KubeConfig
        c = Client(KubeConfig.from_file(KCFG))
        http = c._client._client  # the configured httpx.Client: private, lightkube has no public raw call
        """, """
        n, cont = 0, ""
        while True:
            r = http.get("/api/v1/pods", params={"limit": 500, **({"continue": cont} if cont else {})})
            d = orjson.loads(r.content); n += len(d["items"]); cont = d["metadata"].get("continue")
            if not cont: break
        """),
    ("kr8s", "models"): ("""
        import kr8s
        api = kr8s.api(kubeconfig=KCFG)
        """, """
        n = sum(1 for _ in api.get("pods", namespace=kr8s.ALL))
        """),
    ("kr8s", "raw"): ("""
        import asyncio, orjson, kr8s.asyncio
        async def main():
            api = await kr8s.asyncio.api(kubeconfig=KCFG)
            n, cont = 0, ""
            while True:
                params = {"limit": 500, **({"continue": cont} if cont else {})}
                async with api.call_api("GET", url="pods", params=params) as r:
                    d = orjson.loads(r.content)
                n += len(d["items"]); cont = d["metadata"].get("continue")
                if not cont: return n
        """, """
        n = asyncio.run(main())
        """),
}

INCLUSTER_SNIPPETS = {
    "kubernetes": """
        from kubernetes import client, config
        from kubernetes.config.incluster_config import InClusterConfigLoader
        cfg = client.Configuration()
        InClusterConfigLoader(token_filename=SA + "/token", cert_filename=SA + "/ca.crt").load_and_set(cfg)
        api = client.CoreV1Api(client.ApiClient(cfg))
        n = len(api.list_pod_for_all_namespaces(limit=1, _preload_content=False).data) > 0
        """,
    "lightkube": """
        from lightkube import Client
        from lightkube.config.kubeconfig import KubeConfig
        c = Client(KubeConfig.from_service_account(service_account=SA))
        n = c._client._client.get("/api/v1/pods", params={"limit": 1}).status_code == 200
        """,
    "kr8s": """
        import kr8s
        api = kr8s.api(serviceaccount=SA, kubeconfig="/nonexistent")
        n = api.version()["major"] == "1"
        """,
}


def run_snippet(setup: str, listing: str, env: dict[str, str]) -> tuple[bool, float, float, str]:
    """(ok, cold seconds: client set-up + first listing, warm seconds: a second listing, info)."""
    prelude = "import os, time, json\nKCFG = os.environ['KCFG']\nSA = os.environ['SA']\n"
    code = (prelude + "t0 = time.perf_counter()\n" + textwrap.dedent(setup) + textwrap.dedent(listing)
            + "t1 = time.perf_counter()\n" + textwrap.dedent(listing)
            + "print(json.dumps({'n': n, 'cold': t1 - t0, 'warm': time.perf_counter() - t1}))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        return False, 0.0, 0.0, (p.stderr.strip().splitlines() or ["?"])[-1][:160]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return True, float(out["cold"]), float(out["warm"]), str(out["n"])


def import_time(module: str) -> float:
    def once(stmt: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True, capture_output=True)
        return time.perf_counter() - t0
    base = min(once("pass") for _ in range(5))
    return min(once(stmt=f"import {module}") for _ in range(5)) - base


IMPORTS = {"kubernetes": "kubernetes.config, kubernetes.client.api_client", "lightkube": "lightkube, lightkube.resources.core_v1",
           "kr8s": "kr8s"}


def installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        make_ca(d)
        server, port = serve(pages(), str(d / "srv.crt"), str(d / "srv.key"))
        sa = d / "sa"
        sa.mkdir()
        (sa / "token").write_text(TOKEN)
        (sa / "ca.crt").write_text((d / "ca.crt").read_text())
        (sa / "namespace").write_text("default")
        env = dict(os.environ, KCFG=str(kubeconfig(d, port)), SA=str(sa))
        exec_envs = {v: dict(env, KCFG=str(kubeconfig(d, port, f"client.authentication.k8s.io/{v}")))
                     for v in ("v1", "v1beta1")}
        incluster_env = dict(env, KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT=str(port),
                             KUBECONFIG="/nonexistent")
        print(f"{N_PODS} pods in pages of {PAGE}, HTTPS on 127.0.0.1; best of 3 fresh interpreters\n")
        for lib in ("kubernetes", "lightkube", "kr8s"):
            if not installed(lib):
                print(f"{lib}: not installed, skipped")
                continue
            print(f"{lib}: import {import_time(IMPORTS[lib]) * 1000:.0f} ms")
            for mode in ("models", "raw", "raw, gc paused"):
                setup, listing = LIST_SNIPPETS[(lib, mode.split(",")[0])]
                if "gc" in mode:  # the cyclic GC rescans the whole heap while orjson allocates millions of objects
                    setup = "import gc\ngc.disable()\n" + textwrap.dedent(setup)
                runs = [run_snippet(setup, listing, env) for _ in range(3)]
                ok = [r for r in runs if r[0]]
                if ok:
                    print(f"  list 10k pods ({mode}): cold {min(r[1] for r in ok):.2f} s, "
                          f"warm {min(r[2] for r in ok):.2f} s  (items {ok[0][3]})")
                else:
                    print(f"  list 10k pods ({mode}): FAILED {runs[0][3]}")
            for version, exec_env in exec_envs.items():
                ok, _, _, info = run_snippet(*LIST_SNIPPETS[(lib, "raw")], exec_env)
                print(f"  exec credential plugin ({version}): {'works' if ok else 'FAILED ' + info}")
            ok, _, _, info = run_snippet(INCLUSTER_SNIPPETS[lib], "", incluster_env)
            print(f"  in-cluster service account: {'works' if ok else 'FAILED ' + info}")
        server.shutdown()


if __name__ == "__main__":
    main()
