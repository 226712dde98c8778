"""podmortem's error hierarchy. Imports nothing else from podmortem, so any module may use it.

The CLI is the only place that turns these into exit codes (see docs/cli.md):
0 nothing wrong found, 1 a problem diagnosed, 2 bad usage or unreadable input, 3 cluster unreachable.
"""

from __future__ import annotations


class PodmortemError(Exception):
    """Base of every error podmortem raises on purpose. `reference` is a stable kebab-case name."""

    reference = "podmortem-error"
    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = f"{self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class InputError(PodmortemError):
    """Input that cannot be read or is not what it must be."""

    reference = "input-invalid"


class EmptyInput(InputError):
    reference = "input-empty"


class BinaryInput(InputError):
    reference = "input-binary"


class UnknownInputKind(InputError):
    reference = "input-unknown-kind"


class SnapshotInvalid(InputError):
    reference = "snapshot-invalid"


class SourceError(PodmortemError):
    """The cluster or another source could not give evidence."""

    reference = "source-error"
    exit_code = 3


class ApiUnreachable(SourceError):
    reference = "api-unreachable"


class ApiForbidden(SourceError):
    reference = "api-forbidden"


class NotFound(SourceError):
    reference = "not-found"
