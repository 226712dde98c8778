"""The validator's shell-word check: skipped only for commands podmortem.shell quotes by construction."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podmortem.model.remedy import Command, Joined, Placeholder, Remedy
from podmortem.render.validate import check, quoted_by_construction
from podmortem.shell import render_command

_text = st.text(max_size=20)
_leaf = st.one_of(_text, st.sampled_from([Placeholder("NAMESPACE"), Placeholder("POD"), Placeholder("VALUE")]))
_arg = st.one_of(_leaf, st.builds(lambda parts: Joined(tuple(parts)), st.lists(_leaf, min_size=1, max_size=3)))


@given(st.lists(_arg, min_size=1, max_size=6), _arg.filter(lambda a: isinstance(a, str)))
def test_what_is_quoted_by_construction_splits_as_shell_words(argv: list, inner: str) -> None:
    cmd = Command(("sh", "-c", Command(tuple(argv)), inner), pipe=Command(("grep", inner)), stdout=inner or None)
    assert quoted_by_construction(cmd)
    shlex.split(render_command(cmd))  # the claim the shortcut rests on: never raises


class _Word(Placeholder):
    """A value of a type podmortem.shell was not written for (strings are normalised to `str` before
    the check, so a subclass of a placeholder stands for it here)."""


def test_anything_else_takes_the_shell_word_check(monkeypatch: pytest.MonkeyPatch) -> None:
    odd = Command(("kubectl", "get", _Word("POD")))
    plain = Command(("kubectl", "get", "pods"))
    assert not quoted_by_construction(odd)
    assert not quoted_by_construction(Command(("echo",), pipe=odd))
    assert not quoted_by_construction(Command(("sh", "-c", odd)))
    # A renderer that, for such a value, wrote an unbalanced quote: the check still catches it.
    monkeypatch.setattr("podmortem.shell.render_command", lambda cmd: "kubectl get 'pods")
    checked = check(Remedy("fix", commands=(odd, plain)))
    assert checked.remedy.commands == (plain,)
    assert any("does not split as shell words" in p for p in checked.problems)
