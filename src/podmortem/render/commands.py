"""Remedies into text: commands become shell lines (through `podmortem.shell`, the one place values are
quoted) and patches become YAML or JSON. Every renderer (terminal, markdown, JSON, JUnit) takes its
command lines and patch text from these functions.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Mapping
from typing import Any, NamedTuple

from podmortem.kube.kubectl import kubectl, object_ref
from podmortem.kube.yamlwords import is_plain_string
from podmortem.model.evolve import evolve
from podmortem.model.remedy import (
    APPLY,
    PLACEHOLDERS,
    ApplyPatch,
    Arg,
    Command,
    Joined,
    Placeholder,
    Remedy,
    Step,
    Target,
    all_text,
)
from podmortem.render.validate import repaired
from podmortem.shell import render_arg, render_command

# Kinds whose pod template a strategic-merge patch changes in place (the controller rolls it out).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet")


def patch_yaml(patch: Mapping[str, Any] | None) -> str | None:
    if patch is None:
        return None
    data = _plain(patch)
    block = block_yaml(data)
    if block is not None:
        return block
    import yaml  # here: most patches are written by block_yaml, which loads PyYAML only for a few words

    # libyaml's emitter writes what PyYAML's pure-Python one writes for plain ASCII data at a
    # fraction of the cost; they differ on empty keys and some non-ASCII text, which keep the
    # pure-Python emitter (tests/render/test_patch_yaml.py compares the two).
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper) if emitters_agree(data) else yaml.SafeDumper
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True))


# Patches are small mappings of names, paths and quantities. Those whose every key and value is a
# word PyYAML writes bare (checked with its own implicit resolvers: not a bool, number, null or
# date) are written here in PyYAML's block layout, at a fraction of the cost of its emitter;
# anything else goes to PyYAML. tests/render/test_patch_yaml.py compares the two.
_BARE_WORD = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]{0,99}\Z")


def block_yaml(data: Mapping[str, Any]) -> str | None:
    """`yaml.dump(data, sort_keys=False, default_flow_style=False)` for a non-empty mapping of bare
    words, integers, booleans and nulls (nested mappings, lists of those); None for anything else."""
    out: list[str] = []
    if not isinstance(data, dict) or not data or not _block_mapping(data, 0, out, inline=False):
        return None
    return "".join(out)


def _bare(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is str and _BARE_WORD.match(value):
        plain = is_plain_string(value)  # most words need no PyYAML to tell (kube/yamlwords.py)
        if plain is not None:
            return value if plain else None
        from yaml.resolver import Resolver

        resolvers = Resolver.yaml_implicit_resolvers
        for _tag, regexp in (*resolvers.get(value[0], ()), *resolvers.get(None, ())):
            if regexp.match(value):
                return None  # would read back as another type: PyYAML quotes it
        return value
    return None


def _block_mapping(data: dict[Any, Any], indent: int, out: list[str], *, inline: bool) -> bool:
    pad = " " * indent
    for i, (key, value) in enumerate(data.items()):
        name = _bare(key) if type(key) is str else None
        if name is None:
            return False
        lead = "" if inline and i == 0 else pad
        if isinstance(value, dict):
            out.append(f"{lead}{name}:\n")
            if not value or not _block_mapping(value, indent + 2, out, inline=False):
                return False
        elif isinstance(value, list):
            out.append(f"{lead}{name}:\n")
            if not value or not _block_sequence(value, indent, out):  # PyYAML: no indent for a list in a mapping
                return False
        else:
            text = _bare(value)
            if text is None:
                return False
            out.append(f"{lead}{name}: {text}\n")
    return True


def _block_sequence(items: list[Any], indent: int, out: list[str]) -> bool:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict):
            out.append(f"{pad}- ")
            if not item or not _block_mapping(item, indent + 2, out, inline=True):
                return False
        else:
            text = None if isinstance(item, list) else _bare(item)
            if text is None:
                return False
            out.append(f"{pad}- {text}\n")
    return True


_YAML_ASCII = frozenset(string.printable) - {"\r", "\x0b", "\x0c"}


def emitters_agree(value: Any) -> bool:
    """True when the data holds only what both YAML emitters write alike: strings of printable ASCII
    (newlines and tabs included), non-empty string keys, numbers, booleans and nulls."""
    if isinstance(value, str):
        return value.isascii() and _YAML_ASCII.issuperset(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k and emitters_agree(k) and emitters_agree(v) for k, v in value.items())
    if isinstance(value, list):
        return all(emitters_agree(v) for v in value)
    return value is None or isinstance(value, (bool, int, float))


# What `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` builds on every call, built once.
_PATCH_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def patch_json(patch: Mapping[str, Any]) -> str:
    return _PATCH_JSON.encode(_plain(patch))


def patch_plain(patch: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The patch as plain JSON data (for `-o json`)."""
    return _plain(patch) if patch is not None else None


def placeholders(remedy: Remedy) -> list[str]:
    """Every placeholder the rendered commands and the patch carry, once each, in order: what a reader
    fills in (each is explained in PLACEHOLDERS)."""
    return list(remedy_text(remedy).placeholders)


class RemedyText(NamedTuple):
    """A remedy as every renderer prints it, after the checks of podmortem.render.validate: its command
    lines in order and the placeholders they and the patch carry."""

    lines: tuple[str, ...]
    placeholders: tuple[str, ...]


# Renderers ask for a remedy's lines, then its placeholders: the last answer is kept for the same
# remedy object (frozen) and the same state of its patch file, as podmortem.render.validate.check does.
_LAST_TEXT: list[tuple[Remedy, bool, RemedyText]] = []


def remedy_text(remedy: Remedy) -> RemedyText:
    """The remedy's command lines and placeholders after the checks (podmortem.render.validate), built
    once: the apply command is made and rendered once, plain words are not walked for placeholders."""
    written = remedy.patch_file is not None and os.path.isfile(remedy.patch_file)
    last = _LAST_TEXT[0] if _LAST_TEXT else None  # one read: another thread may replace it meanwhile
    if last is not None and last[0] is remedy and last[1] == written:
        return last[2]
    text = _remedy_text(repaired(remedy))
    _LAST_TEXT[:] = [(remedy, written, text)]
    return text


def _remedy_text(remedy: Remedy) -> RemedyText:
    names: list[str] = []
    lines: list[str] = []
    if remedy.patch is None:  # most remedies: each step rendered and walked in turn, no apply command
        for step in remedy.commands:
            if not isinstance(step, ApplyPatch):
                lines.append(render_command(step))
            if isinstance(step, Command):
                _command_placeholders(step, names)
        return RemedyText(tuple(lines), tuple(names))
    apply = apply_command(remedy, remedy.patch_file)
    applied = render_command(apply)
    steps = remedy.commands
    if not any(isinstance(s, ApplyPatch) for s in steps):
        steps = (APPLY, *steps)
    for step in steps:
        lines.append(applied if isinstance(step, ApplyPatch) else render_command(step))
    for step in remedy.commands:  # the apply command's placeholders after the other steps'
        if isinstance(step, Command):
            _command_placeholders(step, names)
    _command_placeholders(apply, names)
    for name in _patch_placeholders(remedy.patch):
        if name not in names:
            names.append(name)
    return RemedyText(tuple(lines), tuple(names))


def _command_placeholders(cmd: Command, out: list[str]) -> None:
    """Adds the placeholder names `placeholders_in(cmd)` gives, in its order, to `out` (once each):
    the same walk with plain string values, most of a command's words, passed over."""
    if all_text(cmd.argv) and cmd.stdout is None and cmd.pipe is None:
        return
    for arg in cmd.argv:
        if type(arg) is not str:
            _arg_placeholders(arg, out)
    if cmd.stdout is not None:
        _arg_placeholders(cmd.stdout, out)
    if cmd.pipe is not None:
        _command_placeholders(cmd.pipe, out)




def _arg_placeholders(arg: Arg, out: list[str]) -> None:
    if isinstance(arg, Placeholder):
        if arg.name not in out:
            out.append(arg.name)
    elif isinstance(arg, Joined):
        for p in arg.parts:
            if type(p) is not str:
                _arg_placeholders(p, out)
    elif isinstance(arg, Command):
        _command_placeholders(arg, out)


def _patch_placeholders(value: Any) -> list[str]:
    """Placeholder names a patch holds as whole values (a container name the evidence lost: CONTAINER)."""
    if isinstance(value, str):
        return [value] if value in PLACEHOLDERS else []
    if isinstance(value, Mapping):
        return [n for v in value.values() for n in _patch_placeholders(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _patch_placeholders(v)]
    return []


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def apply_command(remedy: Remedy, patch_file: str | None = None) -> Command:
    """The command that applies the remedy's patch to its target, runnable as printed."""
    assert remedy.patch is not None
    target = remedy.target
    source: tuple[Arg, ...] = ("--patch-file", patch_file) if patch_file else ("-p", patch_json(remedy.patch))
    if target is not None and target.kind == "Pod":
        # A Pod's spec is almost all immutable: patch its manifest locally and recreate it.
        name: Arg = target.name or Placeholder("POD")
        replace = kubectl("replace", "--force", "-f", "-")
        local = kubectl("patch", "-f", "-", "--local", "--type", remedy.patch_type, *source, "-o", "yaml",
                        pipe=replace)
        return kubectl("get", "pod", name, "-o", "yaml", namespace=target.namespace, pipe=local)
    # `deployment/NAME`, with placeholders where the target is not known
    ref = object_ref(target.kind if target else None, target.name if target else None)
    return kubectl("patch", ref, "--type", remedy.patch_type, *source,
                   namespace=target.namespace if target else None)


def render_step(remedy: Remedy, step: Step, patch_file: str | None = None) -> str | None:
    if isinstance(step, ApplyPatch):
        return render_command(apply_command(remedy, patch_file)) if remedy.patch is not None else None
    return render_command(step)


def command_lines(remedy: Remedy, patch_file: str | None = None) -> list[str]:
    """The remedy's commands as shell lines, in order, after the checks of podmortem.render.validate (every
    renderer prints these). A remedy with a patch always says how to apply it (first, unless its steps
    place the apply elsewhere); the patch file is the one `--write-patches` wrote."""
    if patch_file is not None:
        remedy = evolve(remedy, patch_file=patch_file)
    return list(remedy_text(remedy).lines)


def target_dict(target: Target | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"kind": target.kind, "namespace": target.namespace, "name": target.name, "container": target.container}


__all__ = ["WORKLOAD_KINDS", "RemedyText", "apply_command", "block_yaml", "command_lines", "patch_json", "patch_plain", "patch_yaml",
           "placeholders", "remedy_text",
           "render_arg", "render_command", "render_step", "target_dict"]
