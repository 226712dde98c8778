"""podmortem's one error tree. Imports nothing else from podmortem, so any module may use it.

Every error podmortem raises on purpose is a PodmortemError with a one-line message, an optional
hint and its exit code; the CLI (podmortem.cli.main) is the only place that turns them into exit
codes and prints them (docs/cli.md). kopf's and pip's error trees are the models:

    PodmortemError
    ├── UsageError                 2  flags or arguments that cannot work together
    ├── InputError                 2  input that cannot be read or is not what it must be
    │   ├── EmptyInput, BinaryInput, UnknownInputKind
    │   └── SnapshotInvalid
    └── ApiError (SourceError)     3  the cluster could not give the evidence
        ├── ApiClientError         3  the API refused the request (4xx)
        │   ├── ApiUnauthorized    3  401: the credentials are not accepted
        │   ├── ApiForbidden       3  403: RBAC does not allow a call the run cannot do without
        │   └── ApiNotFound        2  404: the namespace or pod named on the command line does not exist
        ├── ApiServerError         3  the API kept failing (5xx, throttled, timed out)
        ├── ApiUnreachable         3  no connection (refused, DNS, no cluster configured)
        └── ApiTlsError            3  the TLS handshake failed (certificate not trusted, wrong name)

Exit codes: 0 nothing wrong found, 1 a problem diagnosed, 2 bad usage or input (including a named
object that does not exist), 3 cluster unreachable or refusing, 4 internal error (a bug).
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_SOURCE = 3


class PodmortemError(Exception):
    """Base of every error podmortem raises on purpose. `reference` is a stable kebab-case name."""

    reference = "podmortem-error"
    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint on one line: newlines and other control characters are flattened."""
        text = self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


class UsageError(PodmortemError):
    """Flags or arguments that cannot work together."""

    reference = "usage"


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


class ApiError(PodmortemError):
    """The cluster could not give the evidence."""

    reference = "api-error"
    exit_code = EXIT_SOURCE


SourceError = ApiError  # the name this class had before the tree had API branches


class ApiClientError(ApiError):
    """The API refused the request (HTTP 4xx)."""

    reference = "api-client-error"


class ApiUnauthorized(ApiClientError):
    reference = "api-unauthorized"


class ApiForbidden(ApiClientError):
    reference = "api-forbidden"


class ApiNotFound(ApiClientError):
    """What the command line names does not exist: a usage problem, not an outage (exit 2)."""

    reference = "not-found"
    exit_code = EXIT_USAGE


NotFound = ApiNotFound


class ApiServerError(ApiError):
    """The API kept failing: 5xx answers, throttling or timeouts after retries."""

    reference = "api-server-error"


class ApiUnreachable(ApiError):
    reference = "api-unreachable"


class ApiTlsError(ApiError):
    reference = "api-tls"
