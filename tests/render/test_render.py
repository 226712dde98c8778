"""Golden tests for the renderers (text, wide, markdown, json) over hand-built diagnoses.

The diagnoses are built here, not by the rules, so a change in a rule never changes these files;
a change in a renderer does, and the diff is reviewed like code. Rewrite the golden files with
PODMORTEM_UPDATE_GOLDEN=1 after checking that the new output is what you want.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from podmortem.causes import CAUSES
from podmortem.kube.durations import format_duration
from podmortem.model import APPLY, Backoff, Citation, Command, Finding, PodDiagnosis, Remedy, Target
from podmortem.render import render
from podmortem.render.json import document, render_json
from podmortem.render.markdown import code_span, fenced, render_markdown
from podmortem.render.terminal import backoff_line, render_terminal
from podmortem.testing import check_golden

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parents[2] / "src" / "podmortem" / "schema.json"
ANSI = re.compile(r"\x1b\[")


def _finding(cause: str, summary: str, evidence: list[tuple[str, str]], remedy: Remedy, **kw: object) -> Finding:
    fields: dict[str, object] = {
        "rule": kw.pop("rule", cause.split(".")[-1]), "cause": cause, "category": CAUSES[cause].category,
        "detail": None, "container": "app", "init": False, "confidence": 0.9, "summary": summary,
        "evidence": tuple(Citation(s, t, f"path.of.{s}") for s, t in evidence), "remedy": remedy,
    }
    fields.update(kw)
    return Finding(**fields)  # type: ignore[arg-type]


def _backoff(container: str, restarts: int, state: str = "back-off", **kw: object) -> Backoff:
    delay = min(10 * 2 ** (restarts - 1), 300) if restarts else None
    fields: dict[str, object] = {
        "container": container, "init": False, "restart_count": restarts, "state": state,
        "delay_seconds": delay, "last_exit_at": "2026-01-15T10:28:52Z", "next_restart_at": None,
        "seconds_until_restart": None, "failing_since": "2026-01-15T10:12:00Z", "failing_for_seconds": 1080.0,
        "initial_delay_seconds": 10, "max_delay_seconds": 300, "note": f"{restarts} restarts",
    }
    fields.update(kw)
    return Backoff(**fields)  # type: ignore[arg-type]


MEMORY_PATCH = {"spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"limits": {
    "memory": "512Mi"}}}]}}}}


def _cmds(*lines: str) -> tuple[Command, ...]:
    """Commands as data, from how a person writes them (the renderer quotes them back)."""
    return tuple(Command(tuple(shlex.split(line))) for line in lines)


def oom_chain() -> PodDiagnosis:
    """OOM kill as root cause, the liveness kill that followed as a chained symptom, back-off running."""
    oom = _finding(
        "resources.oom-killed",
        "Container api was OOMKilled (5 restarts): it reached its memory limit of 256Mi and the kernel killed it.",
        [("status", "Last State: Terminated, Reason: OOMKilled, Exit Code: 137"),
         ("spec", "Limits: memory: 256Mi")],
        Remedy("Raise resources.limits.memory of api to 512Mi (doubles the current limit 256Mi).", MEMORY_PATCH,
               (APPLY, *_cmds("kubectl rollout status deployment/api -n shop --timeout=5m")),
               target=Target("Deployment", "shop", "api", "api")),
        rule="oom-killed-last-state", container="api", confidence=0.95, strength=3,
        related=("root of probes.liveness: the container ran out of memory; the probe failures came from the "
                 "dying process",),
        lint_check="memory-limit-missing",
    )
    probe = _finding(
        "probes.liveness",
        "The liveness probe of api failed 3 times and the kubelet restarted the container.",
        [("events", "Warning Unhealthy (x9): Liveness probe failed: Get \"http://10.244.1.7:8080/healthz\": "
                    "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"),
         ("events", "Normal Killing (x3): Container api failed liveness probe, will be restarted")],
        Remedy("Give the probe a longer timeoutSeconds.", None, ()),
        rule="liveness-probe-kill", container="api", confidence=0.7,
        related=("follows from resources.oom-killed: the container ran out of memory; the probe failures came "
                 "from the dying process",),
    )
    return PodDiagnosis(
        "shop", "api-7d9f8c6b5-x2kqz", "CrashLoopBackOff", (oom, probe),
        (_backoff("api", 5, next_restart_at="2026-01-15T10:31:32Z", seconds_until_restart=92.0),
         _backoff("istio-proxy", 2, state="running", delay_seconds=None, failing_since=None,
                  failing_for_seconds=None, last_exit_at=None)),
        owner="ReplicaSet/api-7d9f8c6b5", missing=("logs",),
    )


def init_crash() -> PodDiagnosis:
    """An init container that cannot reach its database, in back-off, restart due now."""
    f = _finding(
        "app.dependency-unreachable",
        "Init container wait-for-db cannot reach postgres:5432: the connection is refused.",
        [("logs", "psql: error: connection to server at \"postgres\" (10.96.0.12), port 5432 failed: "
                  "Connection refused"),
         ("status", "Last State: Terminated, Reason: Error, Exit Code: 2")],
        Remedy("Check that the postgres Service has ready endpoints in namespace billing.", None,
               _cmds("kubectl get endpoints postgres -n billing"), target=Target("StatefulSet", "billing", "invoicer")),
        rule="dependency-connection-refused", container="wait-for-db", init=True, confidence=0.85,
        detail="postgresql",
    )
    return PodDiagnosis(
        "billing", "invoicer-0", "Init:CrashLoopBackOff", (f,),
        (_backoff("wait-for-db", 7, init=True, next_restart_at="2026-01-15T10:29:52Z", seconds_until_restart=-8.0,
                  failing_for_seconds=2400.0),),
        owner="StatefulSet/invoicer",
    )


def key_missing() -> PodDiagnosis:
    """CreateContainerConfigError: the container never started, so no back-off entry."""
    f = _finding(
        "config.key-missing",
        "ConfigMap shop/app-config has no key DB_HOST, which env var DB_HOST of container web references.",
        [("status", "State: Waiting, Reason: CreateContainerConfigError"),
         ("events", "Warning Failed (x6): Error: couldn't find key DB_HOST in ConfigMap shop/app-config")],
        Remedy("Add the key DB_HOST to ConfigMap app-config, or mark the reference optional.",
               {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [
                   {"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "DB_HOST",
                                                                         "optional": True}}}]}]}}}},
               (APPLY, *_cmds("kubectl get configmap app-config -n shop -o yaml")),
               target=Target("Deployment", "shop", "web", "web")),
        rule="configmap-key-missing", container="web", confidence=0.98, strength=3,
    )
    return PodDiagnosis("shop", "web-5c6d7f9b8-q8wlm", "CreateContainerConfigError", (f,), (),
                        owner="ReplicaSet/web-5c6d7f9b8", missing=("logs",))


def unknown() -> PodDiagnosis:
    """Nothing matched: the `unknown` finding with the commands that would get the missing evidence."""
    f = _finding(
        "unknown",
        "The evidence does not show why container worker fails; missing evidence: logs, events.",
        [("status", "State: Waiting, Reason: CrashLoopBackOff (Restart Count: 3)"),
         ("status", "Last State: Terminated, Reason: Error, Exit Code: 1")],
        Remedy("Collect the missing evidence with the commands below and run podmortem again.", None,
               _cmds("kubectl logs worker-1 -n jobs -c worker --previous", "kubectl describe pod worker-1 -n jobs",
                     "kubectl debug worker-1 -n jobs -it --copy-to=worker-1-debug --container=worker -- sh"),
               namespaces=("jobs",)),
        rule="no-rule-matched", category="-", container="worker", confidence=0.0, strength=0,
    )
    return PodDiagnosis("jobs", "worker-1", "CrashLoopBackOff", (f,),
                        (_backoff("worker", 3, next_restart_at="2026-01-15T10:29:32Z", seconds_until_restart=0.5,
                                  failing_for_seconds=75.0),),
                        missing=("logs", "events"), notes=("rule example-rule failed: KeyError: 'x'",))


def healthy() -> PodDiagnosis:
    return PodDiagnosis("shop", "cart-6b7c8d9f4-abcde", "Running", (), (), owner="ReplicaSet/cart-6b7c8d9f4",
                        missing=("logs",))


def hostile_text() -> PodDiagnosis:
    """Text that must come out verbatim: rich markup, Markdown syntax, backticks, pipes, long lines."""
    long_line = ("Traceback (most recent call last): File \"/app/main.py\", line 3, in <module> import "
                 + "very_long_module_name." * 8 + "x")
    f = _finding(
        "app.missing-module",
        "Container app cannot import [bold]flask_sqlalchemy[/bold]: the *image* lacks the module __init__.",
        [("logs", "ModuleNotFoundError: No module named 'flask_sqlalchemy'"),
         ("logs", long_line),
         ("describe", "Message: `sh -c` failed | exit ``2`` <none>"),
         ("logs", "\x1b[31mERROR\x1b[0m\tbell\x07 and a stray\rreturn")],
        Remedy("Add flask_sqlalchemy to requirements.txt and rebuild the image; see `pip freeze`.",
               {"spec": {"note": "a value with ``` inside"}}, _cmds("pip install 'flask_sqlalchemy[async]'")),
        rule="python-module-not-found", detail="python", confidence=0.92,
    )
    other = _finding("app.crash", "A second finding whose summary is far too long to fit on one terminal line, "
                     "so the brief one-line form must cut it with an ellipsis instead of wrapping it onto "
                     "another line.", [("logs", "Exception")], Remedy("Fix the code."), confidence=0.4)
    return PodDiagnosis(None, "legacy-app", "Error", (f, other), ())


SCENARIOS: dict[str, Callable[[], PodDiagnosis]] = {
    "oom-chain": oom_chain, "init-crash": init_crash, "key-missing": key_missing, "unknown": unknown,
    "healthy": healthy, "hostile-text": hostile_text,
}

FORMATS: dict[str, tuple[str, Callable[[list[PodDiagnosis]], str]]] = {
    "text": ("txt", lambda ds: render_terminal(ds, color=False)),
    "wide": ("txt", lambda ds: render_terminal(ds, color=False, wide=True)),
    "markdown": ("md", render_markdown),
    "json": ("json", render_json),
}


def _check_golden(name: str, got: str) -> None:
    check_golden(GOLDEN / name, got)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_golden(scenario: str, fmt: str) -> None:
    ext, fn = FORMATS[fmt]
    _check_golden(f"{scenario}.{fmt}.{ext}" if fmt != "json" else f"{scenario}.{ext}", fn([SCENARIOS[scenario]()]))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_golden_many_pods(fmt: str) -> None:
    ext, fn = FORMATS[fmt]
    _check_golden(f"all.{fmt}.{ext}", fn([make() for make in SCENARIOS.values()]))


def test_golden_narrow_wraps_under_its_label() -> None:
    _check_golden("oom-chain.narrow.txt", render_terminal([oom_chain()], color=False, width=60))


def test_no_escape_codes_without_color() -> None:
    everything = [make() for make in SCENARIOS.values()]
    for wide in (False, True):
        out = render_terminal(everything, color=False, wide=wide)
        assert not ANSI.search(out)
        assert "\x1b" not in out


def test_color_uses_escape_codes_and_same_text() -> None:
    plain = render_terminal([oom_chain()], color=False)
    colored = render_terminal([oom_chain()], color=True)
    assert ANSI.search(colored)
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_color_ignores_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The caller decides about colour (cli.use_color); the renderer must not second-guess it.
    for var, value in (("NO_COLOR", "1"), ("FORCE_COLOR", "1"), ("TERM", "dumb"), ("COLUMNS", "40")):
        monkeypatch.setenv(var, value)
    assert render_terminal([oom_chain()], color=False) == (GOLDEN / "oom-chain.text.txt").read_text(encoding="utf-8")
    assert ANSI.search(render_terminal([oom_chain()], color=True))


def test_control_characters_in_quoted_text_never_reach_the_terminal() -> None:
    plain = render_terminal([hostile_text()], color=False, wide=True)
    assert "\x1b" not in plain and "\x07" not in plain and "\r" not in plain
    assert "\\x1b[31mERROR\\x1b[0m    bell\\x07 and a stray\\x0dreturn" in plain
    colored = render_terminal([hostile_text()], color=True)
    assert "\x1b[31mERROR" not in colored and "\x07" not in colored
    md = render_markdown([hostile_text()])
    assert "\x1b" not in md and "\x07" not in md and "\r" not in md


def test_markup_in_user_text_is_printed_verbatim() -> None:
    out = render_terminal([hostile_text()], color=True)
    assert "[bold]flask_sqlalchemy[/bold]" in out


def test_cause_comes_first_then_evidence_then_fix() -> None:
    lines = render_terminal([oom_chain()], color=False).splitlines()
    assert lines[0].startswith("shop/api-7d9f8c6b5-x2kqz  CrashLoopBackOff")
    assert lines[1].startswith("✗ resources.oom-killed  ")
    order = [next(i for i, ln in enumerate(lines) if ln.strip().startswith(word))
             for word in ("evidence", "fix", "related", "also", "back-off")]
    assert order == sorted(order)


def test_other_findings_take_one_line_each() -> None:
    lines = render_terminal([hostile_text()], color=False).splitlines()
    also = [ln for ln in lines if ln.strip().startswith("also")]
    assert len(also) == 1 and also[0].endswith("…")
    assert all(len(ln) <= 100 for ln in lines if not ln.startswith(" " * 4))


def test_healthy_pod_is_one_line() -> None:
    out = render_terminal([healthy()], color=False)
    assert out == "✓ shop/cart-6b7c8d9f4-abcde Running: nothing wrong found\n"


def test_render_dispatch_matches_direct_calls() -> None:
    ds = [oom_chain(), healthy()]
    assert render(ds, "text") == render_terminal(ds, color=False)
    assert render(ds, "wide") == render_terminal(ds, color=False, wide=True)
    assert render(ds, "markdown") == render_markdown(ds)
    assert render(ds, "json") == render_json(ds)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (-5, "0s"), (10, "10s"), (9.6, "10s"), (80, "1m20s"),
                                               (117, "1m57s"), (160, "2m40s"), (300, "5m0s"), (3725, "1h2m"),
                                               (7200, "2h"), (3 * 86400 + 4 * 3600, "3d4h"),
                                               (800 * 86400, "2y70d")])
def test_one_duration_format(seconds: float, text: str) -> None:
    """Go's form under an hour (the kubelet's back-off), kubectl's age form above: never `117s`."""
    assert format_duration(seconds) == text


def test_backoff_line_counts_the_next_restart() -> None:
    b = _backoff("api", 5, next_restart_at="2026-01-15T10:31:32Z", seconds_until_restart=72.0)
    assert backoff_line(b) == "restart 6 held 2m40s after the last exit; next restart in 1m12s; failing for 18m0s"


@pytest.mark.parametrize(("text", "span"), [("plain", "`plain`"), ("a `b` c", "``a `b` c``"),
                                            ("`edge", "`` `edge ``"), ("", "` `")])
def test_code_span(text: str, span: str) -> None:
    assert code_span(text) == span


def test_fence_is_longer_than_backticks_inside() -> None:
    assert fenced("x\n````\ny", "yaml").startswith("`````yaml\n")


# JSON: the schema is the contract.

def _validator() -> object:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_json_matches_schema(scenario: str) -> None:
    validator = _validator()
    doc = json.loads(render_json([SCENARIOS[scenario]()]))
    errors = sorted(validator.iter_errors(doc), key=str)  # type: ignore[attr-defined]
    assert not errors, [e.message for e in errors]


def test_json_empty_and_many_match_schema() -> None:
    validator = _validator()
    for ds in ([], [make() for make in SCENARIOS.values()]):
        assert validator.is_valid(json.loads(render_json(ds)))  # type: ignore[attr-defined]


def test_schema_rejects_drift() -> None:
    """The schema must be strict enough to catch a renamed field or a cause id that does not exist."""
    validator = _validator()
    doc = document([oom_chain()])
    bad_cause = json.loads(json.dumps(doc))
    bad_cause["pods"][0]["findings"][0]["cause"] = "resources.oom"
    dropped = json.loads(json.dumps(doc))
    del dropped["pods"][0]["findings"][0]["evidence"]
    bad_source = json.loads(json.dumps(doc))
    bad_source["pods"][0]["findings"][0]["evidence"][0]["source"] = "kubelet"
    for broken in (bad_cause, dropped, bad_source):
        assert not validator.is_valid(broken)  # type: ignore[attr-defined]


def _schema_fields(node: dict[str, object], defs: dict[str, object], prefix: str, out: set[str]) -> None:
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = defs[ref.rsplit("/", 1)[-1]]  # type: ignore[assignment]
    for key, sub in node.get("properties", {}).items():  # type: ignore[attr-defined]
        out.add(prefix + key)
        _schema_fields(sub, defs, prefix + key + ".", out)
    items = node.get("items")
    if isinstance(items, dict):
        _schema_fields(items, defs, prefix.rstrip(".") + "[].", out)
    for alt in node.get("anyOf", []) + node.get("oneOf", []):  # type: ignore[operator]
        if isinstance(alt, dict):
            _schema_fields(alt, defs, prefix, out)


def _doc_fields(value: object, prefix: str, out: set[str]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            out.add(prefix + key)
            _doc_fields(sub, prefix + key + ".", out)
    elif isinstance(value, list):
        for item in value:
            _doc_fields(item, prefix.rstrip(".") + "[].", out)


def test_every_emitted_field_is_in_the_schema_and_the_docs() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    declared: set[str] = set()
    _schema_fields(schema, schema.get("$defs", {}), "", declared)
    emitted: set[str] = set()
    _doc_fields(document([make() for make in SCENARIOS.values()]), "", emitted)
    # a patch's fields are Kubernetes' own (the pod spec), not the contract's
    emitted = {f for f in emitted if not f.startswith("pods[].findings[].remedy.patch_object.")}
    assert emitted - declared == set(), "fields emitted but not in schema.json"
    assert declared - emitted == set(), "fields in schema.json that the renderer never emits"
    docs = (Path(__file__).parents[2] / "docs" / "json.md").read_text(encoding="utf-8")
    undocumented = {f for f in declared if f"`{f.rsplit('.', 1)[-1]}`" not in docs}
    assert not undocumented, f"fields missing from docs/json.md: {sorted(undocumented)}"


def test_schema_cause_ids_are_the_canonical_ones() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["finding"]["properties"]["cause"]["enum"]) == set(CAUSES)
    categories = {c.category for c in CAUSES.values()}
    assert set(schema["$defs"]["finding"]["properties"]["category"]["enum"]) == categories
