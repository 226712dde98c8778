"""Apply every remedy podmortem prints to the simulated cluster and see whether it fixes the workload.

The procedure behind tests/e2e/test_remedies_fix.py and docs/remedies.md (issue 9 item 4):

1. start `podmortem sim serve` (the default scenario, real HTTP on 127.0.0.1, any free port);
2. `podmortem diagnose -A -o json`; one row per failing workload (a group of the JSON);
3. for each, the remedy's commands that change the cluster are run with the real kubectl exactly as
   printed, through a shell, after filling placeholders from the JSON's `target` only (NAMESPACE, NAME,
   KIND, CONTAINER; a value only the user has, such as VALUE or PATH, is not invented: the row says so);
4. virtual time is advanced through the simulator's own path (POST /sim.podmortem.dev/v1/advance) until
   every changed workload is Ready or 30 virtual minutes have passed;
5. a second diagnose must find nothing on the pods of a workload that was changed.

A remedy that changes nothing must say why in the remedy itself (`outside_spec`, or a placeholder only
the user can fill); a row without either reason is a defect the test reports.

Run as a script it writes the table: `python tests/e2e/remedies.py docs/remedies.md` (`make docs`).
Standalone on purpose (no package-relative imports) so that the script and the test share it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KUBECTL = os.environ.get("PODMORTEM_KUBECTL", "/usr/bin/kubectl")
PODMORTEM = [sys.executable, "-m", "podmortem"]
# kubectl verbs that change the cluster: the commands of a remedy that are the fix (the others read).
MUTATING = {"patch", "replace", "delete", "create", "apply", "set", "scale", "label", "annotate", "edit"}
STEP = 30.0  # virtual seconds per advance
HORIZON = 1800.0  # virtual seconds after which a workload that is not Ready counts as not fixed
SAFETY = 240.0  # wall seconds: only a safety net so a hung cluster cannot hang the suite; never asserted


@dataclass
class Row:
    namespace: str
    owner: str  # kind/name as the JSON's group names it
    cause: str
    summary: str
    fix: list[str] = field(default_factory=list)  # the commands run (placeholders filled)
    status: str = ""  # applied | outside | needs-values | no-reason
    reason: str = ""
    fixed: bool | None = None  # None: not applied
    why: str = ""  # when applied and not fixed, or a command failed

    @property
    def workload(self) -> str:
        return f"{self.namespace}/{self.owner}"

    def result(self) -> str:
        if self.status == "applied":
            return "yes: Ready, and a second diagnose finds nothing" if self.fixed else f"NO: {self.why}"
        if self.status == "outside":
            return f"no, outside the pod spec: {self.reason}"
        if self.status == "needs-values":
            return f"not applied: {self.reason}"
        return "NO REASON GIVEN: the remedy neither changes anything nor says why not"


def _tokens(line: str) -> list[list[str]]:
    """The pipeline's commands as word lists (a `|` outside quotes splits them)."""
    lex = shlex.shlex(line, posix=True, punctuation_chars="|&;")
    lex.whitespace_split = True
    out: list[list[str]] = [[]]
    for tok in lex:
        if tok in ("|", "&&", ";", "&", "||"):
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def mutates(line: str) -> bool:
    for words in _tokens(line):
        if words[:1] != ["kubectl"] or len(words) < 2:
            continue
        verb = words[1]
        if verb == "rollout" and words[2:3] in (["undo"], ["restart"]):
            return True
        if verb == "set" and "--list" in words:
            continue
        if verb == "patch" and "--local" in words:
            continue
        if verb in MUTATING:
            return True
    return False


def fillable(target: Mapping[str, Any] | None) -> dict[str, str]:
    """Placeholders the JSON's own target gives a value for (nothing else is filled)."""
    t = target or {}
    out = {}
    if t.get("namespace"):
        out["NAMESPACE"] = str(t["namespace"])
    if t.get("name"):
        out["NAME"] = str(t["name"])
        if t.get("kind") == "Pod":
            out["POD"] = str(t["name"])
    if t.get("kind"):
        out["KIND"] = str(t["kind"]).lower()
    if t.get("container"):
        out["CONTAINER"] = str(t["container"])
    return out


def fill(line: str, values: Mapping[str, str]) -> str:
    # Placeholders render bare (never quoted), as whole upper-case words: replace those words only.
    for name, value in values.items():
        line = re.sub(rf"(?<![A-Za-z0-9_.-]){re.escape(name)}(?![A-Za-z0-9_])", shlex.quote(value), line)
    return line


class Sim:
    """`podmortem sim serve` in a child process, with the real kubectl pointed at it."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.kubeconfig = work / "kubeconfig"
        bindir = work / "bin"
        bindir.mkdir()
        (bindir / "kubectl").symlink_to(KUBECTL)  # `kubectl` in a printed command is the real one
        (work / "home").mkdir()
        self.env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(work / "home"),
                    "KUBECACHEDIR": str(work / "home" / "cache"), "NO_COLOR": "1",
                    "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> None:
        # The clock all but stands still (the slowest --speed): virtual time moves when this harness moves
        # it, never while a command is on its way to waiting (see `shell`), however slow a loaded machine is.
        self.proc = subprocess.Popen([*PODMORTEM, "sim", "serve", "--port", "0", "--speed", "0.01",
                                      "--kubeconfig-out", str(self.kubeconfig)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env)
        assert self.proc.stderr is not None
        seen = []
        for line in self.proc.stderr:  # ends when the server exits: then the error is in `seen`
            seen.append(line)
            m = re.search(r"serving \d+ pods on (http://127\.0\.0\.1:\d+)", line)
            if m:
                self.url = m.group(1)
            if line.startswith("kubeconfig written"):
                return
        raise RuntimeError("podmortem sim serve did not start:\n" + "".join(seen))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def advance(self, seconds: float) -> None:
        req = urllib.request.Request(f"{self.url}/sim.podmortem.dev/v1/advance?seconds={seconds:g}", method="POST",
                                     data=b"")
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()

    def watches_started(self) -> int:
        with urllib.request.urlopen(f"{self.url}/sim.podmortem.dev/v1/watches", timeout=60) as resp:
            return int(json.loads(resp.read())["started"])

    def shell(self, line: str) -> tuple[int, str]:
        """Run a printed command line as a shell would; (exit code, stderr).

        A command may wait on the cluster (`kubectl delete` waits until the pod is gone, which takes its
        termination grace period): while it waits, virtual time moves on, as it would for a person
        waiting at the prompt, so the wait never depends on the wall clock. It moves on only once the
        command watches (kubectl waits on a watch): `kubectl delete pod` gets the pod, lists it, then
        watches from the list for its deletion (kubectl 1.32 pkg/cmd/wait/delete.go, IsDeleted, which
        ends only on a Deleted event). Had the pod ended between the delete and the list (its container
        stops on SIGTERM within a second or two), a StatefulSet's pod would be back under its name with
        a new uid, and kubectl would wait for that pod's deletion forever. On a loaded machine kubectl
        can take seconds to get from one to the other: with the clock running and time moved on from
        the start, `kubectl delete pod search-0` hung until the 240 s safety net.
        """
        with tempfile.TemporaryFile("w+") as err:
            watches = self.watches_started()  # the harness runs one command at a time: a new watch is its
            proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", line], env=self.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, text=True)
            deadline = time.monotonic() + SAFETY
            while True:
                try:
                    code = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        proc.kill()
                        proc.wait()
                        watched = "" if self.watches_started() > watches else " (it never watched: time stood still)"
                        return -9, f"still running after {SAFETY:.0f}s of wall time{watched}"
                    if self.watches_started() > watches:
                        self.advance(5)
            err.seek(0)
            return code, err.read()

    def kubectl_json(self, *args: str) -> dict[str, Any]:
        p = subprocess.run([KUBECTL, *args, "-o", "json"], env=self.env, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
        return dict(json.loads(p.stdout))

    def diagnose(self) -> dict[str, Any]:
        p = subprocess.run([*PODMORTEM, "diagnose", "-A", "-o", "json", "--kubeconfig", str(self.kubeconfig)],
                           env=self.env, capture_output=True, text=True, timeout=180)
        if p.returncode not in (0, 1) or "Traceback" in p.stderr:
            raise RuntimeError(f"diagnose failed ({p.returncode}): {p.stderr}")
        return dict(json.loads(p.stdout))


@contextmanager
def running_sim() -> Iterator[Sim]:
    with tempfile.TemporaryDirectory(prefix="podmortem-remedies-") as tmp:
        sim = Sim(Path(tmp))
        try:
            sim.start()
            yield sim
        finally:
            sim.stop()


def _finding(doc: Mapping[str, Any], group: Mapping[str, Any]) -> dict[str, Any]:
    for pod in doc["pods"]:
        if pod["namespace"] == group["namespace"] and pod["name"] == group["representative"]:
            for f in pod["findings"]:
                if f["cause"] == group["cause"]:
                    return dict(f)
    raise AssertionError(f"group {group['owner']} has no finding on its representative pod")


def rows_from(doc: Mapping[str, Any]) -> list[Row]:
    rows = []
    for group in doc["groups"]:
        finding = _finding(doc, group)
        remedy = finding.get("remedy") or {}
        row = Row(group["namespace"], group["owner"], group["cause"], str(remedy.get("summary") or ""))
        values = fillable(remedy.get("target"))
        lines = [str(c) for c in remedy.get("commands") or [] if mutates(str(c))]
        unfilled = [p for p in remedy.get("placeholders") or [] if p not in values and any(
            re.search(rf"(?<![A-Za-z0-9_.-]){re.escape(p)}(?![A-Za-z0-9_])", c) for c in lines)]
        if remedy.get("outside_spec"):
            # The fix is elsewhere; commands that change the cluster here are conditional (a rollback "if a
            # new version started this", an object whose content is yours): listed, not run.
            row.status, row.reason = "outside", str(remedy["outside_spec"])
            row.fix = lines
        elif lines and not unfilled:
            row.status, row.fix = "applied", [fill(c, values) for c in lines]
        elif unfilled:
            row.status, row.fix = "needs-values", lines
            row.reason = f"needs {', '.join(unfilled)}, which only you can give"
        else:
            row.status = "no-reason"
        rows.append(row)
    return sorted(rows, key=lambda r: (r.namespace, r.owner))


def _owner_of(pod: Mapping[str, Any], replicasets: Mapping[tuple[str, str], str]) -> str:
    meta = pod["metadata"]
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            dep = replicasets.get((meta["namespace"], ref["name"]))
            return f"deployment/{dep}" if dep else f"replicaset/{ref['name']}"
        return f"{str(ref.get('kind')).lower()}/{ref.get('name')}"
    return f"pod/{meta['name']}"


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def not_ready(sim: Sim, rows: list[Row]) -> dict[str, str]:
    """workload -> why it is not Ready yet, for the rows whose fix was applied."""
    objs = sim.kubectl_json("get", "pods,replicasets,deployments,statefulsets", "-A")["items"]
    rs = {(o["metadata"]["namespace"], o["metadata"]["name"]): ref["name"]
          for o in objs if o["kind"] == "ReplicaSet" for ref in o["metadata"].get("ownerReferences") or []
          if ref.get("kind") == "Deployment"}
    pods: dict[str, list[dict[str, Any]]] = {}
    for o in objs:
        if o["kind"] == "Pod":
            pods.setdefault(f"{o['metadata']['namespace']}/{_owner_of(o, rs)}", []).append(o)
    workloads = {f"{o['metadata']['namespace']}/{o['kind'].lower()}/{o['metadata']['name']}": o
                 for o in objs if o["kind"] in ("Deployment", "StatefulSet")}
    out = {}
    for row in rows:
        if row.status != "applied":
            continue
        mine = pods.get(row.workload, [])
        wl = workloads.get(row.workload)
        if wl is not None:
            spec, st = wl["spec"], wl.get("status") or {}
            want = int(spec.get("replicas", 1))
            if st.get("observedGeneration", 0) < wl["metadata"].get("generation", 0):
                out[row.workload] = "the controller has not seen the change"
            elif wl["kind"] == "StatefulSet" and st.get("currentRevision") != st.get("updateRevision"):
                out[row.workload] = "the StatefulSet has not rolled out its new revision"
            elif int(st.get("updatedReplicas") or 0) < want or int(st.get("readyReplicas") or 0) < want:
                out[row.workload] = f"{st.get('readyReplicas') or 0}/{want} ready, {st.get('updatedReplicas') or 0} updated"
            elif len(mine) != want:
                out[row.workload] = f"{len(mine)} pods, {want} wanted"
        if row.workload not in out:
            if not mine:
                out[row.workload] = "no pod"
            elif not all(_pod_ready(p) for p in mine):
                out[row.workload] = "pod not Ready: " + ", ".join(
                    sorted(p["metadata"]["name"] for p in mine if not _pod_ready(p)))
    return out


def run(sim: Sim) -> list[Row]:
    rows = rows_from(sim.diagnose())
    for row in rows:
        if row.status != "applied":
            continue
        for line in row.fix:
            code, err = sim.shell(line)
            if code != 0:
                row.fixed, row.why = False, f"`{line}` failed ({code}): {err.strip().splitlines()[-1:]}"
                break
    waiting = [r for r in rows if r.status == "applied" and r.fixed is None]
    left: dict[str, str] = {}
    virtual, deadline = 0.0, time.monotonic() + SAFETY
    while waiting and virtual < HORIZON and time.monotonic() < deadline:
        sim.advance(STEP)
        virtual += STEP
        left = not_ready(sim, waiting)
        if not left:
            break
    second = sim.diagnose()
    found = {(g["namespace"], g["owner"]): g for g in second["groups"]}
    for row in waiting:
        if row.workload in left:
            row.fixed, row.why = False, f"not Ready after {virtual:.0f}s: {left[row.workload]}"
        elif (row.namespace, row.owner) in found:
            g = found[(row.namespace, row.owner)]
            row.fixed, row.why = False, f"Ready, but a second diagnose says {g['cause']}: {g['summary']}"
        else:
            row.fixed = True
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[Row]) -> str:
    out = ["| workload | cause | remedy | fixed? |", "|---|---|---|---|"]
    for r in rows:
        remedy = "<br>".join(f"`{_cell(c)}`" for c in r.fix) if r.fix else _cell(r.summary)
        out.append(f"| `{r.workload}` | `{r.cause}` | {remedy} | {_cell(r.result())} |")
    return "\n".join(out) + "\n"


HEADER = """# Remedies proven in the simulator

Every failing workload of the simulator's default scenario (`podmortem sim serve`), the cause
`podmortem diagnose -A -o json` gives it, and what happened when its remedy was applied: the commands that
change the cluster were run with the real kubectl exactly as printed (placeholders filled only from the
remedy's `target`), virtual time was advanced, and the workload had to become Ready with a second diagnose
finding nothing on it. A remedy whose fix is not in the pod spec says so in its `outside_spec` field
(docs/json.md); one that needs a value only you have says which.

Generated by `make docs` (`python tests/e2e/remedies.py docs/remedies.md`); tests/e2e/test_remedies_fix.py
runs the same procedure and fails when this file is stale or when a fix in the spec does not work.

"""


def document(rows: list[Row]) -> str:
    applied = [r for r in rows if r.status == "applied"]
    fixed = [r for r in applied if r.fixed]
    counts = (f"{len(rows)} failing workloads: {len(applied)} remedies applied, {len(fixed)} fixed; "
              f"{sum(r.status == 'outside' for r in rows)} outside the pod spec; "
              f"{sum(r.status == 'needs-values' for r in rows)} need values only you have.\n\n")
    return HEADER + counts + table(rows)


def main(argv: list[str]) -> int:
    with running_sim() as sim:
        rows = run(sim)
    text = document(rows)
    if argv:
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)
    bad = [r for r in rows if r.status == "no-reason" or (r.status == "applied" and not r.fixed)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
