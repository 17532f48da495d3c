"""The product's error tree.

Every failure syncd reports to a person or a caller is one of these. Lower layers wrap what they
catch (``raise SomeError(...) from exc``) so the cause is kept. Nothing here may hold the API
token: messages are built from what was sent and received, never from the credential.
"""

from __future__ import annotations

from typing import Any


class SyncdError(Exception):
    """Base of every error syncd raises on purpose."""

    exit_code = 1


class ConfigError(SyncdError):
    """A setting is missing or malformed. Message names the setting and the problem."""

    exit_code = 2


class InputError(SyncdError):
    """Bad input from a person (a CSV file, a command argument)."""

    exit_code = 2


class StorageError(SyncdError):
    """The database refused or failed an operation."""


class SchemaOutOfDate(StorageError):
    """The database schema is older than the code: run ``syncd migrate``."""


class LockHeld(SyncdError):
    """Another syncd process holds the single-instance lock for this database."""

    exit_code = 3


class PlanRefused(SyncdError):
    """A guard refused a plan (mass delete, empty inventory). ``--force`` overrides."""

    exit_code = 4


# --- talking to Managem -------------------------------------------------------------------


class GatewayError(SyncdError):
    """Base for everything that went wrong talking to Managem."""

    def __init__(self, message: str, *, operation: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status


class AuthError(GatewayError):
    """401/403: the credential is missing, wrong or lacks access."""


class NotFound(GatewayError):
    """404: missing, or owned by someone else (Managem answers 404 for both)."""


class Rejected(GatewayError):
    """A 4xx for this request: the server understood it and said no. Not retried."""

    def __init__(
        self, message: str, *, operation: str = "", status: int | None = None, body: str = ""
    ) -> None:
        super().__init__(message, operation=operation, status=status)
        self.body = body[:500]


class RateLimited(GatewayError):
    """429 after the retry budget was spent."""

    def __init__(
        self, message: str, *, operation: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, operation=operation, status=429)
        self.retry_after = retry_after


class Retriable(GatewayError):
    """5xx or a connection failure after the retry budget was spent; try again next cycle."""


class AmbiguousWrite(GatewayError):
    """A write (POST) may or may not have reached the server: do not resend, reconcile.

    ``sent`` is the request body as sent, so the intent log can be matched against the
    remote state later.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status: int | None = None,
        sent: Any = None,
    ) -> None:
        super().__init__(message, operation=operation, status=status)
        self.sent = sent
