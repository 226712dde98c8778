"""`podmortem watch` as a process: real CLI, real HTTP port, a webhook file, SIGTERM; and bad flags."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from simwatch import Receiver_, deployment, wait_for

from podmortem.sim.cluster import SimCluster
from podmortem.sim.resources import by_plural

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""


def test_watch_process_reports_serves_status_and_stops_cleanly(sim: tuple[SimCluster, str], tmp_path: Path) -> None:
    cluster, kubeconfig = sim
    receiver = Receiver_(cluster.now)
    hook = tmp_path / "hook-url"
    hook.write_text(receiver.url + "\n")
    log = tmp_path / "watch.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "podmortem", "watch", "--kubeconfig", kubeconfig, "-n", "shop",
                                 "--metrics-addr", "127.0.0.1:0", "--webhook-file", f"json={hook}",
                                 "--resolve-after", "1s", "--lease-duration", "5s"],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        def port() -> int | None:
            for line in log.read_text().splitlines():
                doc = json.loads(line)
                if "port" in doc:
                    return int(doc["port"])
            return None

        p = wait_for("the status port", port)
        base = f"http://127.0.0.1:{p}"
        wait_for("ready", lambda: get(base + "/readyz")[0] == 200)
        assert get(base + "/healthz")[0] == 200
        cluster.create(by_plural("deployments"), "shop", deployment("search", "shop", 3))
        wait_for("the webhook", lambda: receiver.calls, advance=cluster)
        [(_, body)] = receiver.calls
        iid = body["incident"]["id"]
        status, page = get(base + "/")
        assert status == 200 and "deployment/search" in page and f'href="incidents/{iid}"' in page
        status, report = get(f"{base}/incidents/{iid}")
        assert status == 200 and "<html" in report.lower() and "app.missing-env" in report
        assert get(base + "/incidents/nope")[0] == 404
        _, metrics = get(base + "/metrics")
        assert 'podmortem_incidents{cause="app.missing-env",namespace="shop",owner="deployment/search"} 1.0' in metrics
        assert "podmortem_leader 1.0" in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        receiver.close()
    assert code == 0
    text = log.read_text()
    assert "s3cr3t-token" not in text and "s3cr3t-token" not in metrics
    lines: list[dict[str, Any]] = [json.loads(x) for x in text.splitlines()]
    assert any(x.get("event") == "opened" and x["incident"]["owner"] == "deployment/search" for x in lines)
    # Stopping released the Lease: the next replica need not wait.
    [lease] = [x for x in cluster.objects("leases", "shop") if x["metadata"]["name"] == "podmortem-watch"]
    assert lease["spec"]["holderIdentity"] == ""


@pytest.mark.parametrize(("args", "message"), [
    (["-n", "a", "-A"], "give -n NAMESPACE or -A, not both"),
    (["--metrics-addr", "nowhere"], "expected HOST:PORT"),
    (["--remind-after", "soon"], "is not a duration"),
    (["--webhook-file", "pager=/x"], "expected KIND=PATH"),
])
def test_bad_flags_exit_2_with_one_line(args: list[str], message: str) -> None:
    p = subprocess.run([sys.executable, "-m", "podmortem", "watch", *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr and "Traceback" not in p.stderr


def test_an_unreadable_webhook_file_is_refused_without_quoting_it(tmp_path: Path) -> None:
    secret = tmp_path / "url"
    secret.write_text("not a url https://hooks.example/T0/B0/s3cr3t\n")
    p = subprocess.run([sys.executable, "-m", "podmortem", "watch", "--webhook-file", f"slack={secret}"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "does not hold one http(s) URL" in p.stderr
    assert "s3cr3t" not in p.stderr
