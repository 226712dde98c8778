"""Rendering's shortcuts against the plain ways they stand for, on generated commands that mix rules'
usual words with everything the runtime check repairs: the one-pass `untouched` (a command the check
gives back as it is), the joined line of plain words in `podmortem.shell.render_command`, and
`remedy_text` (lines and placeholders built together) against the step-by-step reference below."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podmortem.model.evolve import evolve
from podmortem.model.remedy import (
    APPLY,
    ApplyPatch,
    Arg,
    Command,
    Joined,
    Placeholder,
    Remedy,
    Step,
    Target,
    placeholders_in,
)
from podmortem.render import commands, validate
from podmortem.render.commands import apply_command, command_lines, placeholders, remedy_text
from podmortem.render.validate import check, untouched
from podmortem.shell import render_arg, render_command

# Words rules print, and words each repair and each shortcut's condition turns on.
_WORDS = ["kubectl", "get", "pod", "web-7d9f", "-n", "--namespace", "shop", "kube-system", "evil", "-w", "-o",
          "jsonpath={.data}", "{{json .Config.Cmd}}", "--previous", "--", "sh", "-c", "a b", "it's", "$(id)", "",
          "NAMESPACE", "x NAMESPACE y", "PATH", "--from-file=PATH", "DB_PATH", "$PATH", "NAME:.metadata.name",
          "--patch-file", "--patch-file=/tmp/p.yaml", "--patch-filex", "--namespace=shop", "--namespace=evil",
          "--namespace=", "--as=", "Deployment", "\x1b]0;t\x07", "gnp.\u202eexe", "é", "-", "%+=:,./@_"]
_WORD = st.sampled_from(_WORDS) | st.text(max_size=12)
_PLACEHOLDER = st.sampled_from([Placeholder("NAMESPACE"), Placeholder("POD"), Placeholder("VALUE")])
_LEAF = _WORD | _PLACEHOLDER
_JOINED = st.builds(lambda parts: Joined(tuple(parts)), st.lists(_LEAF, max_size=3))


class _Word(str):
    """A value of a type the shortcuts were not written for: it must take the plain way."""


def _commands(depth: int) -> st.SearchStrategy[Command]:
    arg: st.SearchStrategy[Arg] = _LEAF | _JOINED | st.builds(_Word, _WORD)
    if depth:
        arg = arg | _commands(depth - 1)
    return st.builds(Command, st.lists(arg, min_size=1, max_size=8).map(tuple),
                     st.none() | (_commands(depth - 1) if depth else st.none()),
                     st.none() | _WORD | _PLACEHOLDER, st.booleans())


_ALLOWED = st.sampled_from([frozenset({"kube-system"}), frozenset({"shop", "kube-system"})])


@settings(max_examples=600, suppress_health_check=list(HealthCheck))
@given(_commands(2), _ALLOWED)
def test_untouched_commands_are_what_the_check_gives_back(cmd: Command, allowed: frozenset[str]) -> None:
    problems: list[str] = []
    fixed = validate._command(cmd, allowed, problems)
    if untouched(cmd, allowed):
        assert fixed == cmd and not problems


def test_untouched_takes_the_common_command_and_leaves_every_repair() -> None:
    ok = frozenset({"shop", "kube-system"})
    assert untouched(Command(("kubectl", "logs", "web-1", "-n", "shop", "-c", "web", "--previous")), ok)
    assert untouched(Command(("docker", "image", "inspect", "r/x:1", "--format", "{{json .Config.Cmd}}")), ok)
    assert untouched(Command(("kubectl", "debug", Joined(("--copy-to=", "web-1", "-debug")), "-n",
                              Placeholder("NAMESPACE")), pipe=Command(("jq", "keys")), stdout="out.txt"), ok)
    for argv in [("kubectl", "get", "pod", "-n", "evil"), ("kubectl", "--namespace=evil"), ("x", ""),
                 ("x", "--patch-file", "p.yaml"), ("x", "--from-file=PATH"), ("x", Joined(())),
                 ("x", Joined(("--as=", ""))), ("x", _Word("y")), ("x", 5), ("sh", "-c", Command(("x", "")))]:
        assert not untouched(Command(argv), ok), argv  # type: ignore[arg-type]
    assert not untouched(Command(("x",), stdout=""), ok)
    assert not untouched(Command(("x",), pipe=Command(("y", "-n", "evil"))), ok)


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(st.lists(_commands(1), max_size=4), _ALLOWED)
def test_check_is_the_same_with_and_without_the_shortcut(cmds: list[Command], allowed: frozenset[str]) -> None:
    remedy = Remedy("fix", commands=(*cmds, APPLY), namespaces=tuple(allowed))
    fast = validate._check(remedy)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validate, "untouched", lambda cmd, allowed: False)
        slow = validate._check(remedy)
    assert fast == slow


@settings(max_examples=600, suppress_health_check=list(HealthCheck))
@given(_commands(1))
def test_plain_words_join_as_they_are_quoted_one_by_one(cmd: Command) -> None:
    reference = " ".join(render_arg(a) for a in cmd.argv)
    assert render_command(cmd).startswith(reference)
    assert render_command(evolve(cmd, pipe=None, stdout=None, background=False)) == reference


def test_words_quoted_one_by_one_when_one_needs_quotes() -> None:
    assert render_command(Command(("echo", "a b", "c"))) == "echo 'a b' c"
    assert render_command(Command(("echo", "", "c"))) == "echo '' c"
    assert render_command(Command(("echo", "a\tb"))) == "echo 'a\tb'"
    assert render_command(Command(("echo", "é"))) == "echo 'é'"
    assert render_command(Command(("kubectl", "get", "pod", "web-1", "-n", "shop"))) == "kubectl get pod web-1 -n shop"


def _reference(remedy: Remedy) -> tuple[list[str], list[str]]:
    """Lines and placeholders the plain way: every step rendered alone, then every command walked."""
    remedy = check(remedy).remedy
    steps: tuple[Step, ...] = remedy.commands
    if remedy.patch is not None and not any(isinstance(s, ApplyPatch) for s in steps):
        steps = (APPLY, *steps)
    lines = []
    for step in steps:
        if isinstance(step, ApplyPatch):
            if remedy.patch is not None:
                lines.append(render_command(apply_command(remedy, remedy.patch_file)))
        else:
            lines.append(render_command(step))
    walk = [s for s in remedy.commands if isinstance(s, Command)]
    if remedy.patch is not None:
        walk.append(apply_command(remedy, remedy.patch_file))
    found = [n for cmd in walk for n in placeholders_in(cmd)]
    if remedy.patch is not None:
        found += commands._patch_placeholders(remedy.patch)
    return lines, list(dict.fromkeys(found))


_TARGETS = st.none() | st.builds(Target, st.sampled_from([None, "Pod", "Deployment"]),
                                 st.sampled_from([None, "shop"]), st.sampled_from([None, "web"]))
_PATCHES = st.none() | st.sampled_from([{"spec": {"containers": [{"name": "CONTAINER", "image": "x"}]}},
                                        {"spec": {"template": {"spec": {"containers": [{"name": "web"}]}}}}])


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(_commands(1) | st.just(APPLY), max_size=4), target=_TARGETS, patch=_PATCHES,
       patch_file=st.sampled_from([None, "written.yaml", "missing.yaml"]))
def test_remedy_text_is_the_step_by_step_rendering(tmp_path_factory: pytest.TempPathFactory, steps: list[Step],
                                                   target: Target | None, patch: dict[str, object] | None,
                                                   patch_file: str | None) -> None:
    folder = tmp_path_factory.getbasetemp() / "patches"
    folder.mkdir(exist_ok=True)
    (folder / "written.yaml").write_text("x")
    remedy = Remedy("fix", patch=patch, commands=tuple(steps), target=target, namespaces=("shop",),
                    patch_file=str(folder / patch_file) if patch_file else None)
    lines, names = _reference(remedy)
    assert remedy_text(remedy).lines == tuple(lines)
    assert command_lines(remedy) == lines and placeholders(remedy) == names
    for line in lines:
        shlex.split(line)


def test_lines_and_placeholders_follow_a_patch_file_written_between_calls(tmp_path: Path) -> None:
    patch = tmp_path / "p.yaml"
    remedy = Remedy("fix", patch={"spec": {"x": "y"}}, target=Target("Deployment", "shop", "web"),
                    patch_file=str(patch))
    assert "-p" in command_lines(remedy)[0].split()
    patch.write_text("x")
    assert command_lines(remedy)[0].endswith(f"--patch-file {patch}")


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(st.lists(_commands(1) | st.just(APPLY), max_size=4), _TARGETS, _PATCHES)
def test_repaired_is_what_check_gives(steps: list[Step], target: Target | None, patch: dict[str, object] | None) -> None:
    remedy = Remedy("fix", patch=patch, commands=tuple(steps), target=target, namespaces=("shop",))
    assert validate.repaired(remedy) == check(remedy).remedy


# C0 and C1 controls, DEL, bidi overrides and isolates, zero-width and line separators.
_ESCAPES = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u200b", "\u2028", "\u202e", "\u2066", "\ufeff"]


@pytest.mark.parametrize("char", _ESCAPES, ids=lambda c: f"U+{ord(c):04X}")
def test_escapes_in_a_value_are_quoted_and_neutralised_in_json(char: str) -> None:
    from podmortem.causes import CauseId
    from podmortem.model import PodDiagnosis
    from podmortem.model.finding import Finding
    from podmortem.render.escape import has_unsafe, neutralise, shown
    from podmortem.render.json import render_json

    value = f"web{char}1"
    cmd = Command(("kubectl", "logs", value, "-n", "shop", Joined(("--container=", value))))
    line = render_command(cmd)
    assert line == " ".join(render_arg(a) for a in cmd.argv)  # the word-by-word way: a quoted value
    assert shlex.split(line)[2] == value
    remedy = Remedy("fix", commands=(cmd,), target=Target("Pod", "shop", value), namespaces=("shop",))
    finding = Finding(rule="r", cause=CauseId("app.crash"), category="app", detail=None, container=value, init=False,
                      confidence=0.9, summary="x", evidence=(), remedy=remedy)
    out = neutralise(render_json([PodDiagnosis("shop", value, "CrashLoopBackOff", (finding,))]), keep_colour=False)
    assert not has_unsafe(out)
    if ord(char) >= 0x20:  # JSON itself escapes C0 controls (\u0007); the rest are neutralised as \u202e
        assert shown(char) in out
