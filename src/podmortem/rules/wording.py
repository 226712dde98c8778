"""Message wordings as data: the format a program prints, where it prints it, and since when.

Rules match families of messages, not sample strings. Each family is a tuple of `Wording`s (the
upstream format string with its source file and version range, for the reader and for the
generated rule docs) plus one compiled pattern that accepts every wording of the family and the
damage real pastes do to it: other capitalisation, straight, curly, escaped or missing quotes, a
message cut off after the decisive words. Upstream code is read, not copied: only the message
formats are quoted here.
"""

from __future__ import annotations

from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy

_VERB = lazy(r"%v/%v|%[vsqd]")


class Wording(msgspec.Struct, frozen=True):
    """One message format as upstream prints it."""

    form: str  # the format, with %v / %s / %q where upstream interpolates
    source: str  # repository, file and version range that print it
    note: str = ""  # what the wording tells apart (for the docs)
    example: str = ""  # a filled-in instance, when filling the format's verbs would not make one

    def instance(self) -> str:
        """A message of this form, for the test that every listed wording is read by its rule."""
        if self.example:
            return self.example
        return _VERB.sub(lambda m: "demo/app-config" if m.group(0) == "%v/%v" else "app-config", self.form)

    def markdown_row(self) -> str:
        def cell(s: str) -> str:
            return s.replace("|", "\\|").replace("\n", " ")

        return f"| `{cell(self.form)}` | {cell(self.source)} | {cell(self.note)} |"


def wordings_markdown(wordings: tuple[Wording, ...]) -> list[str]:
    """The `## Wordings it knows` section of a generated rule doc."""
    if not wordings:
        return []
    lines = ["## Wordings it knows", "",
             "Message formats the rule reads (also with other case, stripped or escaped quotes, and cut off "
             "after the decisive words), with the upstream source that prints each.", "",
             "| format | printed by | note |", "|---|---|---|"]
    lines += [w.markdown_row() for w in wordings]
    return [*lines, ""]
