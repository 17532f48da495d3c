"""Judging one HTTP attempt, and turning a final failure into a ``syncd.errors`` error.

The rules (design.md §3, managem-api.md §8.6):

* 2xx is success. 429 is always worth another try, even for a create: the server refused it.
* 5xx, 408 (a proxy or load balancer timing out) and connection failures are retried for
  reads and idempotent writes (GET, PUT, DELETE, and the POSTs that only read: search, look-up,
  suggestions).
* A create POST that may have reached the server (5xx, 408, read timeout, a dropped connection or
  protocol error after sending) is *ambiguous* and never resent; one refused before sending
  (ConnectError, ConnectTimeout, PoolTimeout) is safe to retry.
* Other 4xx are final: 401/403 AuthError, 404 NotFound, the rest Rejected.

No sending, sleeping or logging here. Messages never contain the credential: they are built
from the method, path, status and the server's ``message``, with the token masked out anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

import httpx2

from syncd.errors import (
    AmbiguousWrite,
    AuthError,
    GatewayError,
    NotFound,
    RateLimited,
    Rejected,
    Retriable,
)
from syncd.gateway.endpoints import Endpoint

# Failures that prove the request never left this process.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
)


class Verdict(Enum):
    OK = "ok"
    RETRY = "retry"
    AMBIGUOUS = "ambiguous"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Judgement:
    """What one attempt came to, and why (a status code or an exception class name)."""

    verdict: Verdict
    reason: str
    status: int | None = None


class UnexpectedResponse(Retriable):
    """A 2xx answer whose body is not the shape syncd assumes (managem-api.md §8)."""


def _transient(status: int) -> bool:
    """5xx, or 408 from a proxy that gave up waiting (it may have passed the request on)."""
    return status >= 500 or status == 408


def judge_status(status: int, endpoint: Endpoint, ok_statuses: frozenset[int]) -> Judgement:
    reason = str(status)
    if 200 <= status < 300 or status in ok_statuses:
        return Judgement(Verdict.OK, reason, status)
    if status == 429:
        return Judgement(Verdict.RETRY, reason, status)
    if _transient(status):
        verdict = Verdict.RETRY if endpoint.retries_after_ambiguity else Verdict.AMBIGUOUS
        return Judgement(verdict, reason, status)
    return Judgement(Verdict.FAIL, reason, status)


def judge_exception(exc: httpx2.RequestError, endpoint: Endpoint) -> Judgement:
    reason = type(exc).__name__
    if isinstance(exc, httpx2.UnsupportedProtocol | httpx2.LocalProtocolError):
        # Our own request was malformed: it was not sent, and sending it again will not help.
        return Judgement(Verdict.FAIL, reason)
    if isinstance(exc, NOT_SENT) or endpoint.retries_after_ambiguity:
        return Judgement(Verdict.RETRY, reason)
    return Judgement(Verdict.AMBIGUOUS, reason)


class Redactor:
    """Masks the credential in any text that may end up in an error or a log line."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def __call__(self, text: str) -> str:
        if self._secret and self._secret in text:
            return text.replace(self._secret, "***")
        return text


def server_message(response: httpx2.Response) -> str:
    """The ``message`` of a §8.6 error body if there is one (never relied on), uncut: mask the
    credential before cutting it to length, or a token straddling the cut escapes the mask."""
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list) and value:
                return "; ".join(str(v) for v in value)
    return ""


def status_error(
    response: httpx2.Response,
    endpoint: Endpoint,
    redact: Redactor,
    *,
    retry_after: float | None = None,
    why: str = "retries spent",
) -> GatewayError:
    """The error for a final non-2xx answer (429 and 5xx here only once retries are spent)."""
    status = response.status_code
    where = f"{endpoint.operation}: {response.request.method} {response.request.url.path}"
    detail = redact(server_message(response))[:200]
    text = f"{where} answered {status}" + (f": {detail}" if detail else "")
    op = endpoint.operation
    if status in (401, 403):
        return AuthError(text, operation=op, status=status)
    if status == 404:
        return NotFound(text, operation=op, status=status)
    if status == 429:
        return RateLimited(f"{text} ({why})", operation=op, retry_after=retry_after)
    if _transient(status):
        return Retriable(f"{text} ({why})", operation=op, status=status)
    return Rejected(text, operation=op, status=status, body=redact(response.text)[:500])


def status_cause(response: httpx2.Response) -> httpx2.HTTPStatusError:
    """An exception standing for the answer, to chain errors ``from``."""
    return httpx2.HTTPStatusError(
        f"{response.status_code} for {response.request.method} {response.request.url.path}",
        request=response.request,
        response=response,
    )


def ambiguous_error(
    endpoint: Endpoint, reason: str, sent: object, status: int | None
) -> AmbiguousWrite:
    return AmbiguousWrite(
        f"{endpoint.operation}: {endpoint.method} {endpoint.path} may or may not have been "
        f"applied ({reason}); not resent",
        operation=endpoint.operation,
        status=status,
        sent=sent,
    )
