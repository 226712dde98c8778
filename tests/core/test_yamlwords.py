"""kube/yamlwords answers as PyYAML's own implicit resolvers do, for every word it answers at all."""

from __future__ import annotations

import itertools
import random
import re

import yaml
from yaml.resolver import Resolver

from podmortem.kube.yamlwords import BOOL_WORDS, NULL_WORDS, NUMBER_CHARS, is_plain_string

STR = "tag:yaml.org,2002:str"
# The words the renderer writes bare (render/commands._BARE_WORD).
BARE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]{0,99}\Z")


def pyyaml_reads_string(word: str) -> bool:
    return bool(Resolver().resolve(yaml.ScalarNode, word, (True, False)) == STR)


def corpus() -> list[str]:
    rnd = random.Random(20260115)
    words = {*BOOL_WORDS, *NULL_WORDS, "256Mi", "1Gi", "500m", "3.11", "2026-01-15", "2026-01-15T10:30:00Z",
             "0x1F", "0b101", "017", "1_000", "1:30", "190:20:30", "1e5", "10.5e+3", "6.8523015e+5", "0.", "1.2.3",
             "12e", "0xZZ", "0o17", "1d", "10Ti", "8080", "v1", "nginx", "name", "template", "true1", "nulls",
             "NaN", "Inf", "y", "n", "Y", "N", "_", "/", "/tmp", "a.b-c", "ON", "oN", "tRUE", "Off", "o"}
    # Every short word over letters that open a YAML 1.1 word, number characters and others.
    alphabet = "yYnNtTfFoOeEsSuUlLrRaAxXbBzZ0123456789_.:-/M"
    for n in (1, 2, 3):
        words.update("".join(t) for t in itertools.product(alphabet, repeat=n))
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-:+"
    for _ in range(20_000):
        words.add("".join(rnd.choice(chars) for _ in range(rnd.randint(1, 12))))
    for _ in range(5_000):  # numbers and times written in every way the characters allow
        words.add("".join(rnd.choice("0123456789_.:-+eExXabcdefTtZz") for _ in range(rnd.randint(1, 14))))
    return sorted(w for w in words if BARE.match(w))


def test_every_answer_agrees_with_pyyaml() -> None:
    words = corpus()
    answered = wrong = 0
    for word in words:
        got = is_plain_string(word)
        if got is None:
            continue
        answered += 1
        if got != pyyaml_reads_string(word):
            wrong += 1
            raise AssertionError(f"{word!r}: yamlwords says {got}, PyYAML {not got}")
    assert wrong == 0
    assert answered > 0.9 * len(words)  # the point: PyYAML is rarely needed to tell


def test_the_first_characters_are_pyyaml_s() -> None:
    # yamlwords relies on PyYAML choosing resolvers by first character, with no resolver for any
    # character: a table with a None key, or another letter, would make its answers wrong.
    table = Resolver.yaml_implicit_resolvers
    assert None not in table
    letters = {c for c in table if c and c.isalpha()}
    assert letters == {w[0] for w in BOOL_WORDS | NULL_WORDS}
    digits = {c for c in table if c and c.isdigit()}
    assert digits == set("0123456789")
    others = {c for c in table if c and not c.isalnum()}
    assert all(is_plain_string(c + "x") is None for c in others)


def test_the_number_characters_cover_what_pyyaml_types_as_numbers_and_times() -> None:
    for word in ("0b1_0", "0o7", "017", "0x_aF", "1_000", "190:20:30", "1.5e-3", "2026-01-15", "2026-1-5T1:02:03.5Z",
                 "2026-01-15t10:30:00+01:00"):
        if not pyyaml_reads_string(word):
            assert is_plain_string(word) is None, word
            assert set(word) <= NUMBER_CHARS
