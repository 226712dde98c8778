"""Properties of every rendered remedy over all rule fixtures (issue 9): each command splits as shell
words, nothing interpolated is empty, no command names a patch file without a patch, and every
`-n NS` is a namespace the evidence gives (or the NAMESPACE placeholder)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from podmortem.engine import diagnose
from podmortem.render.commands import command_lines
from podmortem.rules.evidence import namespace_of
from podmortem.testing import load_case

CASES = sorted(Path(__file__).parent.joinpath("cases").glob("*/*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rendered_remedies_are_runnable_and_honest(path: Path) -> None:
    case = load_case(path)
    pod = case.pod
    evidence_text = " ".join([e.message for e in pod.events] + list(pod.loose_lines))
    for f in diagnose(pod).findings:
        for line in command_lines(f.remedy):
            words = shlex.split(line)  # raises on unbalanced quotes
            assert "" not in words, f"empty interpolation in {line!r}"
            assert not any(w.endswith("=") and w.startswith("--") for w in words), line
            if "--patch-file" in words:
                assert f.remedy.patch is not None, line
            for i, w in enumerate(words[:-1]):
                if w == "-n" and words[0] == "kubectl":
                    ns = words[i + 1]
                    assert ns in {namespace_of(pod), "NAMESPACE", "kube-system"} or ns in evidence_text, (ns, line)


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
