"""Whether PyYAML reads a bare word back as a string, answered without importing PyYAML.

PyYAML (6.0, lib/yaml/resolver.py, the YAML 1.1 implicit types) picks the resolvers that may type a
plain scalar by its first character: booleans may start with one of `yYnNtTfFoO`, null with `~nN`,
int, float and timestamp with a digit, a sign or a dot, merge with `<`, value with `=`. A word that
starts with a letter is therefore a boolean or null only when it is one of YAML 1.1's whole words
below, and a word that starts with a digit is a number or a timestamp only when all its characters
are ones those forms are written with. Anything in between is left to PyYAML's own resolvers: the
renderer asks them only then (`podmortem explain -o json` writes remedy patches without loading
PyYAML for most of them). tests/core/test_yamlwords.py checks both claims against PyYAML's table.
"""

from __future__ import annotations

# The words YAML 1.1's bool and null types name (yaml.org/type/bool.html without y/n, as PyYAML reads them;
# yaml.org/type/null.html).
BOOL_WORDS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                        "on", "On", "ON", "off", "Off", "OFF"})
NULL_WORDS = frozenset({"null", "Null", "NULL"})
# Every character of an int (binary, octal, decimal, hex, base 60), float or timestamp that starts with a
# digit, spaces aside: digits, `_` separators, signs, `.`, `:`, exponents, `x` and hex digits, `T`/`Z`.
NUMBER_CHARS = frozenset("0123456789_+-.:eExXabcdefABCDEFTtZz")


def is_plain_string(word: str) -> bool | None:
    """For a non-empty word of letters, digits and `_./-` (no spaces): True when PyYAML reads it
    written bare as a string, False when as a boolean or null, None when only its resolvers can say
    (a word of a digit and number characters only: 3.11, 2026-01-15, 0x1F)."""
    first = word[0]
    if first.isascii() and first.isalpha():
        return word not in BOOL_WORDS and word not in NULL_WORDS
    if first in "0123456789":
        return True if any(c not in NUMBER_CHARS for c in word) else None
    return None if first in "+-.<=~!&*" else True
