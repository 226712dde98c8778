"""`podmortem explain pods.json -o json` on failing pods loads the rules, not the rest of the program.

The start-up of this command is part of the benchmarked time (benchmarks/bench_explain.py; where
the imports go: benchmarks/bench_startup.py). The rules, the engine and the JSON renderer are needed;
PyYAML is not (a remedy's patch text is written without it unless a word needs its resolvers:
kube/yamlwords.py), nor are the live client and its HTTP stack, the simulator, lint, the text
renderer and logging, and each would add milliseconds to every run. tests/render/test_startup_imports.py covers a file of healthy pods.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Imports whose first package (or whole name) is one of these must not happen.
UNNEEDED = (
    "kubernetes", "urllib3", "requests", "pydantic", "ssl", "http", "email", "socket",  # the live client
    "yaml",  # YAML input and output, and the rare patch word only PyYAML's resolvers can type
    "rich", "pygments", "markdown_it",  # the text and Markdown renderers
    "logging", "traceback",  # only for --debug and a rule that fails
    "podmortem.live.client", "podmortem.live.collect", "podmortem.sim", "podmortem.lint", "podmortem.gate",
    "podmortem.watch", "podmortem.sources.describe",
)

# The report is written from an atexit handler: explain in a process of its own leaves through
# os._exit once its output is out (commandline.leave), running the atexit handlers only.
PROBE = """
import atexit, sys
from podmortem.cli import main

def report():
    sys.stderr.write("MODULES=" + ",".join(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()

atexit.register(report)
sys.argv = ["podmortem", *sys.argv[1:]]
main()
"""


def oom_killed_pod(name: str) -> dict[str, object]:
    """A pod whose container was OOMKilled under a memory limit: a finding with a patch."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "api", "image": "api:1",
                                 "resources": {"limits": {"memory": "128Mi"}}}]},
        "status": {"phase": "Running",
                   "containerStatuses": [{
                       "name": "api", "ready": False, "restartCount": 7, "image": "api:1",
                       "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                       "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                    "startedAt": "2026-01-15T10:20:00Z",
                                                    "finishedAt": "2026-01-15T10:25:00Z"}}}]},
    }


def loaded_modules(tmp_path: Path, *args: str) -> tuple[int, str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")), None)
    assert line is not None, proc.stderr
    return proc.returncode, proc.stdout, line[len("MODULES="):].split(",")


def unneeded(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == u or m.startswith(u + ".") for u in UNNEEDED)]


def test_explain_json_of_failing_pods_imports_only_what_it_uses(tmp_path: Path) -> None:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "metadata": {},
                                "items": [oom_killed_pod("api-1"), oom_killed_pod("api-2")]}))
    code, out, modules = loaded_modules(tmp_path, "explain", str(path), "-o", "json", "--now",
                                        "2026-01-15T10:26:00Z")
    assert code == 1, out  # a problem was diagnosed: the rules and the renderer did run
    assert json.loads(out)["pods"][0]["findings"][0]["cause"] == "resources.oom-killed"
    assert "podmortem.engine" in modules and "podmortem.render.json" in modules
    assert "memory: 256Mi" in json.loads(out)["pods"][0]["findings"][0]["remedy"]["patch"]
    assert unneeded(modules) == []


def test_the_probe_sees_an_unneeded_import(tmp_path: Path) -> None:
    # The same probe on a command that does use some of them, or the test above proves nothing.
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(oom_killed_pod("api-1")))
    _, _, modules = loaded_modules(tmp_path, "explain", str(path), "-o", "text", "--color")
    assert "rich" in unneeded(modules)


# What explain's parent process does with standby workers (explainpods._on_standby), in a process
# of its own: read a list, keep its healthy pods as summaries and the others pending, write the
# healthy pods' entries and the report around them. The workers build evidence and diagnoses; this
# process must not import the model for them (about 19 ms before the first pod could be sent).
PARENT = """
import sys
from podmortem.commandline import backoff_settings, parse_now
from podmortem.explainpods import _Chain
from podmortem.render.jsonparts import json_report_bytes, split_entries
from podmortem.sources.healthy import PlainPod
from podmortem.sources.loader import Inputs, PendingPod, read_bundle

pods = read_bundle(Inputs([sys.argv[1]]), keep_plain=True).pods_pending()
plain = [p for p in pods if isinstance(p, PlainPod)]
chain = _Chain(parse_now(None), False, backoff_settings(False, None), None, True)
out, problem = chain.finish(plain, chain.decide([chain.report(plain)]))
report = json_report_bytes([out])
print(sum(isinstance(p, PendingPod) for p in pods), len(split_entries(out)), len(report) > 0)
print(",".join(sorted(m for m in sys.modules if m.startswith("podmortem"))))
"""


def healthy_pod(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"containers": [{"name": "api", "image": "api:1"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "api", "ready": True, "restartCount": 0,
                                              "state": {"running": {"startedAt": "2026-01-15T10:00:00Z"}}}]}}


def test_reading_a_list_and_writing_its_healthy_pods_imports_no_model(tmp_path: Path) -> None:
    path = tmp_path / "pods.json"
    items = [healthy_pod(f"web-{i}") for i in range(5)] + [oom_killed_pod("api-1"), oom_killed_pod("api-2")]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}))
    proc = subprocess.run([sys.executable, "-c", PARENT, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    counts, modules = proc.stdout.splitlines()
    assert counts == "2 5 True"  # the failing pods left pending, the healthy ones written
    loaded = modules.split(",")
    assert "podmortem.sources.listview" in loaded  # read through the typed view, as a big list is
    assert [m for m in loaded if m.startswith(("podmortem.model", "podmortem.engine", "podmortem.rules",
                                               "podmortem.sources.objects", "podmortem.sources.logs"))] == []


def test_the_entry_point_readies_workers_only_for_explain(tmp_path: Path) -> None:
    """podmortem/launch.py looks at the words for `explain` before it imports anything: every other
    command starts as it did, without the standby machinery."""
    probe = PROBE.replace("from podmortem.cli import main", "from podmortem.launch import main")
    for args, standby in ((("--version",), False), (("lint", "--help"), False), (("explain", "--help"), True)):
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")), None)
        assert proc.returncode == 0 and line is not None, proc.stderr
        assert ("podmortem.standby" in line[len("MODULES="):].split(",")) is standby, args
