"""Properties of every rendered remedy over all rule fixtures and over every metamorphic variant of them
(tests/robustness/test_metamorphic.py's families: the same evidence as log pipelines and pastes change
it), issue 9: each command splits as shell words, nothing interpolated is empty, no command names a
patch file that was not written, every `-n NS` is a namespace the evidence gives (or the NAMESPACE
placeholder), every placeholder is an upper-case word of the documented list and is listed in
`placeholders`, and the runtime check (podmortem.render.validate) had nothing to repair."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from podmortem.engine import diagnose
from podmortem.model import Finding, PodEvidence
from podmortem.model.remedy import PLACEHOLDERS
from podmortem.render.commands import command_lines, patch_json, placeholders
from podmortem.render.validate import check
from podmortem.rules.evidence import namespace_of
from podmortem.testing import build_evidence, case_files, load_case

CASES_DIR = Path(__file__).parent.joinpath("cases")
CASES = sorted(CASES_DIR.glob("*/*.yaml"))
sys.path.insert(0, str(Path(__file__).parents[1] / "robustness"))  # the variant families, one definition

_WORD = re.compile(r"(?<![\w$.{-])[A-Z][A-Z0-9_]*(?::[A-Z][A-Z0-9_]*)?(?![\w}-]|:\.)")  # not a custom-columns heading


def _evidence_text(pod: PodEvidence) -> str:
    texts = [e.message for e in pod.events] + [e.raw or "" for e in pod.events] + list(pod.loose_lines)
    for c in pod.containers:
        for log in c.logs:
            texts.extend(log.lines)
    return "\n".join(texts)


def assert_honest(pod: PodEvidence, findings: tuple[Finding, ...], where: str) -> None:
    evidence = _evidence_text(pod)
    for f in findings:
        problems = check(f.remedy).problems
        assert not problems, f"{where} {f.rule}: the runtime check had to repair {problems}"
        listed = placeholders(f.remedy)
        assert all(name in PLACEHOLDERS for name in listed), (where, listed)
        lines = command_lines(f.remedy)
        shown = "\n".join(lines) + (patch_json(f.remedy.patch) if f.remedy.patch is not None else "")
        for name in listed:
            assert re.search(rf"(?<![\w$]){re.escape(name)}(?!\w)", shown), (where, name, shown)
        for line in lines:
            words = shlex.split(line)  # raises on unbalanced quotes
            assert "" not in words, f"{where}: empty interpolation in {line!r}"
            assert not any(w.startswith("--") and w.endswith("=") for w in words), (where, line)
            assert "--patch-file" not in words, f"{where}: --patch-file without --write-patches: {line!r}"
            if words[0] == "kubectl":
                for i, w in enumerate(words[:-1]):
                    if w in ("-n", "--namespace"):
                        ns = words[i + 1]
                        assert ns in {namespace_of(pod), "NAMESPACE", "kube-system"} or ns in evidence, \
                            (where, ns, line)
            # a bare upper-case word in a command is either a listed placeholder or inside a value
            # (quoted text, an env variable name, a jsonpath); bare ones must be listed
            for token in _WORD.findall(line):
                if token in PLACEHOLDERS:
                    assert token in listed, (where, token, line)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rendered_remedies_are_runnable_and_honest(path: Path) -> None:
    case = load_case(path)
    assert_honest(case.pod, diagnose(case.pod).findings, str(path.relative_to(CASES_DIR)))


@pytest.mark.slow
def test_the_same_holds_on_every_metamorphic_variant() -> None:
    import test_metamorphic as variants

    checked = 0
    for path in case_files(CASES_DIR):
        doc: dict[str, Any] = yaml.safe_load(path.read_text())
        for name, make in variants.FAMILIES.items():
            variant = make(doc)
            if variant is None:
                continue
            pod = build_evidence(variant)
            assert_honest(pod, diagnose(pod).findings, f"{name} {path.relative_to(CASES_DIR)}")
            checked += 1
    assert checked > 1000


HOSTILE = ["/var/log/app$(touch${IFS}/tmp/x)", "web;rm -rf /", "it's \"quoted\"", "`id`", "a|b&c>d", "$HOME\n"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_one_quoted_word(value: str) -> None:
    from podmortem.model import Command, Joined, Placeholder
    from podmortem.shell import render_command

    cmd = Command(("kubectl", "debug", Joined(("node/", value)), "-n", Placeholder("NAMESPACE"), "--", "ls", "-ld",
                   "/host" + value), pipe=Command(("grep", value)))
    words = shlex.split(render_command(cmd))
    assert words == ["kubectl", "debug", "node/" + value, "-n", "NAMESPACE", "--", "ls", "-ld", "/host" + value,
                     "|", "grep", value]
