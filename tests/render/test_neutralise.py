"""neutralise's ASCII shortcut answers as the line-by-line rule does, on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.render.escape import _SGR_OR_UNSAFE, _keep_sgr, neutralise


def reference(output: str) -> str:
    """Every line that is not plainly printable through the pattern (the rule before the shortcut)."""
    lines = output.split("\n")
    for i, line in enumerate(lines):
        if not line.replace("\t", "").isprintable():
            lines[i] = _SGR_OR_UNSAFE.sub(_keep_sgr, line)
    return "\n".join(lines)


ASCII = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60)
ANY = st.text(alphabet=st.sampled_from(["a", " ", "\n", "\t", "\x1b", "[", "0", "m", "\x7f", "\x00", "\x9b",
                                        "\u202e", "\u00e9", "\x1f"]), max_size=60)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(ASCII, ANY))
def test_same_as_the_line_rule(text: str) -> None:
    assert neutralise(text) == reference(text)


def test_clean_ascii_is_returned_as_is() -> None:
    text = '{\n\t"name": "web-7d9f"\n}'
    assert neutralise(text) is text
    assert neutralise("a\x1b]0;title\x07b") == "a\\x1b]0;title\\x07b"
