"""Rule case files: a small evidence bundle plus the expected diagnosis, used by the test suite.

A case file (tests/rules/cases/<cause-id>/<scenario>.yaml) holds any of:

    why: what this case pins down (required: a case without a reason is noise)
    pod: a Pod object, partial as real input is
    events: core/v1 Events about the pod (involvedObject may be omitted)
    logs: {container: "log text of the crashed instance"}
    describe: pasted `kubectl describe pod` text (parsed by the real describe parser)
    expect: {cause, rule?, container?, init?, detail?, sources?: [evidence sources that must be cited],
             remedy_has?: [texts the remedy's summary, patch or commands must contain]}

Near misses are named near-miss-*.yaml and live beside the cause they could be mistaken for.
Shipped in the package (like click's CliRunner) so plugins can test their rules the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podmortem.kube.yamldocs import load_one
from podmortem.model import PodEvidence
from podmortem.model.evolve import evolve
from podmortem.sources.logs import attach_logs, log_text, logs_only_pod
from podmortem.sources.objects import pods_from_objects


@dataclass(frozen=True)
class Case:
    path: Path
    why: str
    pod: PodEvidence
    expect: dict[str, Any]


def build_evidence(doc: dict[str, Any]) -> PodEvidence:
    logs = {str(k): log_text(str(v), origin=f"case:{k}") for k, v in (doc.get("logs") or {}).items()}
    pod: PodEvidence | None = None
    if doc.get("describe"):
        from podmortem.sources.describe import parse_describe

        parsed = parse_describe(str(doc["describe"]))
        pod = parsed[0] if parsed else None
    elif doc.get("pod") or doc.get("events"):
        pod_obj = dict(doc.get("pod") or {})
        pod_obj.setdefault("kind", "Pod")
        meta = dict(pod_obj.get("metadata") or {})
        meta.setdefault("name", "case-pod")
        meta.setdefault("namespace", "default")
        pod_obj["metadata"] = meta
        events = []
        for e in doc.get("events") or []:
            e = dict(e)
            e.setdefault("kind", "Event")
            inv = dict(e.get("involvedObject") or {})
            inv.setdefault("kind", "Pod")
            inv.setdefault("name", meta["name"])
            inv.setdefault("namespace", meta["namespace"])
            e["involvedObject"] = inv
            events.append(e)
        pods = pods_from_objects([pod_obj, *events])
        pod = pods[0]
        if not doc.get("pod"):
            pod = evolve(pod, has_status=False, has_spec=False)
    if pod is None:
        return logs_only_pod(list(logs.values()), next(iter(logs), None))
    for container, text in logs.items():
        pod = attach_logs(pod, [text], container)
    return pod


def load_case(path: Path) -> Case:
    doc = load_one(str(path), path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or "expect" not in doc:
        raise ValueError(f"{path}: a case needs an `expect` block")
    if not doc.get("why"):
        raise ValueError(f"{path}: a case needs a `why`")
    return Case(path, str(doc["why"]), build_evidence(doc), dict(doc["expect"]))


def case_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


# Golden files: set PODMORTEM_UPDATE_GOLDEN=1 to rewrite them after checking the new output.
UPDATE_GOLDEN_VAR = "PODMORTEM_UPDATE_GOLDEN"


def check_golden(path: Path, got: str) -> None:
    """Compare output with its golden file; rewrite the file instead when PODMORTEM_UPDATE_GOLDEN=1."""
    import os

    if os.environ.get(UPDATE_GOLDEN_VAR) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path.name}: run with {UPDATE_GOLDEN_VAR}=1"
    want = path.read_text(encoding="utf-8")
    assert got == want, f"{path.name} differs from the golden file ({UPDATE_GOLDEN_VAR}=1 rewrites it)"
