"""connect() loads the parts of the `kubernetes` package podmortem uses, not the whole package, and
reads without ApiClient.

kubernetes/__init__.py would import the dynamic client, watch, the websocket stream, leader election
and informers; in a podmortem process live/client.py registers the package without running it
(`bare_kubernetes_packages`). In fresh processes, so that no other test has imported the package first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fakeapi import FakeServer

PROBE = """
import json, sys
from podmortem.commandline import own_process
from podmortem.live.client import Call, connect

if sys.argv[2] == "own":
    own_process()  # what the entry point does
client = connect(sys.argv[1])
doc = client.get_json("/api/v1/namespaces/shop/pods", [], Call("list", "pods", "shop"))
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] in ("kubernetes", "websocket", "pydantic", "dateutil", "requests", "requests_oauthlib"))
import kubernetes.client
from kubernetes.config import kube_config
made = kube_config.ApiClient(configuration=client.configuration)  # as an OIDC token refresh makes one
session = kube_config.OAuth2Session(client_id="c", scope=["openid"])  # and this, to refresh the token
print(json.dumps({"session": type(session).__module__ + "." + type(session).__name__,"kind": doc["kind"], "pods": len(doc["items"]), "namespace": client.namespace, "loaded": loaded,
                  "made": type(made).__module__ + "." + type(made).__name__,
                  "package": kubernetes.client.ApiClient.__module__ + "." + kubernetes.client.ApiClient.__name__}))
"""

UNUSED = ("kubernetes.dynamic", "kubernetes.watch", "kubernetes.stream", "kubernetes.leaderelection",
          "kubernetes.informer", "kubernetes.utils.create_from_yaml", "websocket")


def probe(kubeconfig: Path, mode: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(kubeconfig), mode], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    got: dict[str, Any] = json.loads(proc.stdout)
    assert (got["kind"], got["namespace"]) == ("PodList", "shop")
    assert got["pods"] > 0
    assert "kubernetes.client.rest" in got["loaded"]  # the probe does see the package's modules
    assert "kubernetes.config.kube_config" in got["loaded"]
    # Whatever was deferred, the kubeconfig loader and the package give the real class when asked.
    assert got["made"] == got["package"] == "kubernetes.client.api_client.ApiClient"
    assert got["session"] == "requests_oauthlib.oauth2_session.OAuth2Session"
    return got


def test_connect_and_list_without_the_unused_subpackages(kubeconfig: Path, server: FakeServer) -> None:
    got = probe(kubeconfig, "own")
    assert [m for m in got["loaded"] if m.startswith(UNUSED)] == []
    # Reads do without ApiClient, whose module imports pydantic and dateutil (about 75 ms of start-up),
    # and without requests_oauthlib (requests, 20 ms), which only an OIDC token refresh uses.
    assert [m for m in got["loaded"] if m.startswith(("kubernetes.client.api_client", "pydantic", "dateutil",
                                                      "requests"))] == []


def test_inside_another_program_the_package_is_imported_as_it_makes_itself(kubeconfig: Path,
                                                                         server: FakeServer) -> None:
    # A caller of connect() may go on to use `import kubernetes; kubernetes.watch...`.
    got = probe(kubeconfig, "library")
    assert "kubernetes.watch" in got["loaded"] and "kubernetes.dynamic" in got["loaded"]
