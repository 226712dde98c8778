"""The JSON contract of `podmortem explain -o json` (documented in docs/json.md; schema in schema.json).

Field names and meanings are stable: add fields, never rename or drop one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podmortem.sources.healthy import PlainPod

if TYPE_CHECKING:
    # Not imported to run: explain's parent writes the healthy pods' entries and the report around
    # the workers' entries, and never sees a diagnosis (the model takes about 19 ms to import).
    from podmortem.model import Backoff, Finding, PodDiagnosis, Remedy

SCHEMA_VERSION = "podmortem/v1"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "cause": str(f.cause),  # the JSON contract: a plain string
        "category": f.category,
        "detail": f.detail,
        "container": f.container or None,
        "init": f.init,
        "confidence": f.confidence,
        "summary": f.summary,
        "evidence": [{"source": c.source, "text": c.text} for c in f.evidence],
        "remedy": remedy_dict(f.remedy),
        "rule": f.rule,
        "related": list(f.related),
        "lint_check": f.lint_check,
    }


def remedy_dict(r: Remedy) -> dict[str, Any]:
    from podmortem.render.commands import command_lines, patch_plain, patch_yaml, placeholders, target_dict

    return {
        "summary": r.summary,
        "patch": patch_yaml(r.patch),
        "commands": command_lines(r),
        "target": target_dict(r.target),
        "patch_object": patch_plain(r.patch),
        "patch_type": r.patch_type if r.patch is not None else None,
        "patch_file": r.patch_file,
        "outside_spec": r.outside_spec,
        "placeholders": placeholders(r),
    }


def backoff_dict(b: Backoff) -> dict[str, Any]:
    return {
        "container": b.container,
        "init": b.init,
        "restart_count": b.restart_count,
        "state": b.state,
        "delay_seconds": b.delay_seconds,
        "last_exit_at": b.last_exit_at,
        "next_restart_at": b.next_restart_at,
        "seconds_until_restart": b.seconds_until_restart,
        "failing_since": b.failing_since,
        "failing_for_seconds": b.failing_for_seconds,
        "initial_delay_seconds": b.initial_delay_seconds,
        "max_delay_seconds": b.max_delay_seconds,
        "note": b.note,
    }


def pod_dict(d: PodDiagnosis) -> dict[str, Any]:
    """One pod of the `-o json` document (its entry under "pods"), from its diagnosis alone: the same
    dict whichever process builds it (live/parallel's forked workers may), so it is pickled as is.
    A stable public name: the workers call it."""
    backoff: dict[str, Any] = {}
    if d.backoff:
        main = d.backoff[0]
        for b in d.backoff:  # the container that is in back-off is the one a reader wants first
            if b.state == "back-off":
                main = b
                break
        backoff = backoff_dict(main)
        backoff["containers"] = [backoff_dict(b) for b in d.backoff]
    return {
        "namespace": d.namespace,
        "name": d.name,
        "status": d.status,
        "owner": d.owner,
        "findings": [finding_dict(f) for f in d.findings] if d.findings else [],
        "backoff": backoff,
        "missing_evidence": list(d.missing),
        "notes": list(d.notes),
    }


def plain_pod_dict(p: PlainPod) -> dict[str, Any]:
    """`pod_dict(p.diagnosis())` without building the diagnosis (nine pods in ten of a big list):
    tests/render/test_plain_pod_dict.py holds the two equal."""
    return {
        "namespace": p.namespace,
        "name": p.name,
        "status": PlainPod.STATUS,
        "owner": p.owner,
        "findings": [],
        "backoff": {},
        "missing_evidence": list(p.missing),
        "notes": [],
    }


def document(diagnoses: Sequence[PodDiagnosis], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": SCHEMA_VERSION, "pods": [pod_dict(d) for d in diagnoses]}
    doc.update(extra)
    return doc


def render_json(diagnoses: Sequence[PodDiagnosis], **extra: Any) -> str:
    import orjson

    return orjson.dumps(document(diagnoses, **extra), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()


def render_yaml(diagnoses: Sequence[PodDiagnosis], **extra: Any) -> str:
    import yaml

    return str(yaml.safe_dump(document(diagnoses, **extra), sort_keys=False, allow_unicode=True))
