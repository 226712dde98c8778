"""`podmortem demo` / `make demo`: diagnose the simulated cluster, live, over HTTP.

Starts podmortem.sim's cluster in this process with its default scenario (one workload per
cause, healthy ones beside them, crash loops already twenty minutes old), runs the same code
path as `podmortem diagnose -A` against it through a kubeconfig, prints the report, then says
how to point kubectl at a simulated cluster to look for yourself.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HOW_TO = """\
This report came from a simulated cluster (podmortem sim) served over HTTP on 127.0.0.1.
To look at it with kubectl yourself:
  {podmortem} sim serve --kubeconfig-out {kubeconfig} &
  export KUBECONFIG={kubeconfig}
  kubectl get pods -A
  {podmortem} diagnose -A{plugin}
"""


def _podmortem_command() -> str:
    """How this shell reaches podmortem: `podmortem` when it is on PATH, else the script's path."""
    import shutil

    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    on_path = shutil.which("podmortem")
    if here is not None and here.name == "podmortem" and (on_path is None or Path(on_path).resolve() != here):
        return str(here)
    return "podmortem"



def run_demo(output: str, color: bool) -> int:
    """Print the diagnosis of the simulated cluster; 0 when the demo ran (it is meant to find problems)."""
    from podmortem.commandline import paused_gc
    from podmortem.live.client import connect
    from podmortem.live.collect import Collector, Scope
    from podmortem.live.report import diagnose_collection, render_live
    from podmortem.sim.cluster import SimCluster, SimOptions

    with tempfile.TemporaryDirectory(prefix="podmortem-demo-") as tmp, SimCluster(SimOptions()) as cluster:
        kubeconfig = cluster.write_kubeconfig(Path(tmp) / "kubeconfig")
        client = connect(kubeconfig)
        with paused_gc(freeze=True):
            col = Collector(client).collect(Scope(None))
            assert col.listed_at is not None
            result = diagnose_collection(col, now=col.listed_at)
        result.server, result.context = client.host, client.context
        result.requests = dict(sorted(client.requests.items()))
        client.close()
    sys.stdout.write(render_live(result, output, color=color))
    podmortem = _podmortem_command()
    plugin = "   # or, with podmortem on PATH: kubectl podmortem -A" if podmortem != "podmortem" else (
        "   # the same as: kubectl podmortem -A")
    how = HOW_TO.format(kubeconfig=Path(tempfile.gettempdir()) / "podmortem-sim.kubeconfig", podmortem=podmortem,
                        plugin=plugin)
    # Machine-readable output stays clean on stdout; the hint goes to stderr then.
    (sys.stderr if output in ("json", "yaml") else sys.stdout).write("\n" + how)
    sys.stdout.flush()
    return 0
