"""One logical call to Managem: wait for the limiter, send, judge, retry, or raise.

Everything a request goes through lives here: the auth header, per-attempt timeouts cut to the
call's overall deadline (``call_deadline``, which covers limiter waits and retries too), the
retry loop, metrics and the retry log lines. The gateway's typed methods call ``Exchange.call``
and only parse what comes back.

It must not parse bodies into models or know any endpoint's meaning beyond the endpoint row.
The credential is only ever put in the ``Authorization`` header; it is never logged, and any
text that reaches an error or a log line goes through the redactor first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import structlog

from syncd.clock import Clock
from syncd.errors import AuthError, GatewayError, RateLimited, Retriable
from syncd.gateway.endpoints import Endpoint
from syncd.gateway.metrics import GatewayMetrics
from syncd.gateway.outcomes import (
    Judgement,
    Redactor,
    Verdict,
    ambiguous_error,
    judge_exception,
    judge_status,
    status_cause,
    status_error,
)
from syncd.gateway.ratelimit import LimiterTimeout, RateLimiter
from syncd.gateway.retry import RetryPolicy, parse_retry_after
from syncd.settings import ManagemSettings

_SCHEMES = {"bearer": "Bearer", "apikey": "ApiKey"}
# Shortest per-attempt timeout, so an almost-spent deadline still gives a fair try.
_MIN_TIMEOUT = 0.05


class Exchange:
    """Sends requests for one Gateway. Thread-safe: the client, limiter and metrics are."""

    def __init__(
        self,
        *,
        client: httpx2.Client,
        settings: ManagemSettings,
        limiter: RateLimiter,
        policy: RetryPolicy,
        metrics: GatewayMetrics,
        clock: Clock,
    ) -> None:
        self._client = client
        self._settings = settings
        self._limiter = limiter
        self._policy = policy
        self._metrics = metrics
        self._clock = clock
        token = settings.token.get_secret_value() if settings.token is not None else None
        self._auth = f"{_SCHEMES[settings.auth_scheme]} {token}" if token else None
        self._redact = Redactor(token)
        self._log = structlog.get_logger("syncd.gateway")

    def __repr__(self) -> str:
        return f"Exchange(base_url={self._settings.base_url!r})"

    def call(
        self,
        endpoint: Endpoint,
        *,
        ids: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> httpx2.Response:
        """Send one logical call, retrying as the rules allow; return the final answer."""
        if self._auth is None and not endpoint.public:
            raise AuthError(
                f"{endpoint.operation}: no Managem token configured (SYNCD_MANAGEM__TOKEN)",
                operation=endpoint.operation,
            )
        request = _Request(endpoint, endpoint.url(**(ids or {})), params, body, ok_statuses)
        deadline = self._clock.monotonic() + self._settings.call_deadline
        first_failure: float | None = None
        last: _Try | None = None
        attempt = 0
        while True:
            attempt += 1
            tried = self._attempt(request, deadline, last)
            if tried.judgement.verdict is Verdict.OK and tried.response is not None:
                return tried.response
            judgement = tried.judgement
            if judgement.verdict is Verdict.AMBIGUOUS:
                self._log.warning(
                    "managem.ambiguous_write",
                    operation=endpoint.operation,
                    attempt=attempt,
                    reason=judgement.reason,
                )
                raise ambiguous_error(
                    endpoint, judgement.reason, body, judgement.status
                ) from tried.cause
            if judgement.verdict is Verdict.FAIL:
                raise self._final_error(endpoint, tried) from tried.cause
            now = self._clock.monotonic()
            first_failure = now if first_failure is None else first_failure
            # On 429 the limiter itself pauses every lane for Retry-After; 503's Retry-After
            # is about this call only, so it is a floor for this call's own backoff.
            plan = self._policy.plan(
                attempt=attempt,
                retrying_for=now - first_failure,
                time_left=deadline - now,
                retry_after=tried.retry_after if judgement.status == 503 else None,
            )
            if not plan.retry:
                raise self._final_error(endpoint, tried, plan.why_not) from tried.cause
            self._log.info(
                "managem.retry",
                operation=endpoint.operation,
                attempt=attempt,
                reason=judgement.reason,
                delay=round(plan.delay, 3),
            )
            self._metrics.record_retry(endpoint.operation)
            if tried.retry_after is not None:
                # Time spent because the server asked for a break counts as throttled.
                self._metrics.record_throttled(plan.delay)
            last = tried
            self._clock.sleep(plan.delay)

    def _attempt(self, req: _Request, deadline: float, last: _Try | None) -> _Try:
        """Wait for a token, send once, judge the answer. Raises only past the deadline."""
        endpoint = req.endpoint
        if self._clock.monotonic() >= deadline:
            raise self._deadline_error(endpoint, last) from (last.cause if last else None)
        try:
            permit = self._limiter.acquire(endpoint.lane, deadline=deadline)
        except LimiterTimeout as exc:
            raise self._deadline_error(endpoint, last) from (last.cause if last else exc)
        self._metrics.record_throttled(permit.waited)
        handed_back = False
        try:
            request = self._client.build_request(
                endpoint.method,
                req.path,
                params=dict(req.params) if req.params is not None else None,
                json=req.body,
                headers={"Authorization": self._auth} if self._auth else None,
                timeout=self._timeout(deadline - self._clock.monotonic()),
            )
            try:
                response = self._send(request, deadline)
            except httpx2.RequestError as exc:
                self._limiter.finish(permit, status=None)
                handed_back = True
                tried = _Try(judge_exception(exc, endpoint), None, exc, None)
            else:
                status = response.status_code
                retry_after = None
                if status in (429, 503):
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), self._clock.now()
                    )
                self._limiter.finish(
                    permit,
                    status=status,
                    headers=response.headers,
                    retry_after=retry_after if status == 429 else None,
                )
                handed_back = True
                judgement = judge_status(status, endpoint, req.ok_statuses)
                tried = _Try(judgement, response, status_cause(response), retry_after)
        finally:
            if not handed_back:
                # Anything unexpected: the permit must not stay "in flight" for ever.
                self._limiter.finish(permit, status=None)
        self._metrics.record_call(endpoint.operation, tried.judgement.reason)
        if tried.judgement.status == 429:
            self._metrics.record_rate_limited()
        return tried

    def _send(self, request: httpx2.Request, deadline: float) -> httpx2.Response:
        """Send and read the whole answer, but not past the deadline.

        httpx2's timeouts are per read: a server dripping a byte at a time never trips them,
        so the body is read chunk by chunk against the deadline (a ``ReadTimeout`` past it).
        """
        response = self._client.send(request, stream=True)
        try:
            if isinstance(response.stream, httpx2.SyncByteStream):  # always, on a sync client
                response.stream = _Bounded(response.stream, request, deadline, self._clock)
            response.read()
        finally:
            response.close()
        return response

    def _timeout(self, left: float) -> httpx2.Timeout:
        s = self._settings
        cut = max(_MIN_TIMEOUT, left)
        return httpx2.Timeout(
            connect=min(s.connect_timeout, cut),
            read=min(s.read_timeout, cut),
            write=min(s.write_timeout, cut),
            pool=min(s.pool_timeout, cut),
        )

    def _final_error(self, endpoint: Endpoint, tried: _Try, why: str = "") -> GatewayError:
        if tried.response is not None:
            return status_error(
                tried.response,
                endpoint,
                self._redact,
                retry_after=tried.retry_after,
                why=why or "final",
            )
        text = self._redact(
            f"{endpoint.operation}: {endpoint.method} {endpoint.path} failed: "
            f"{tried.judgement.reason} ({tried.cause})" + (f"; {why}" if why else "")
        )
        if tried.judgement.verdict is Verdict.FAIL:
            return GatewayError(text, operation=endpoint.operation)
        return Retriable(text, operation=endpoint.operation)

    def _deadline_error(self, endpoint: Endpoint, last: _Try | None) -> GatewayError:
        text = (
            f"{endpoint.operation}: {endpoint.method} {endpoint.path} passed its "
            f"{self._settings.call_deadline:g}s deadline"
            + (f" (last failure: {last.judgement.reason})" if last else "")
        )
        status = last.judgement.status if last else None
        if status == 429:
            return RateLimited(
                text, operation=endpoint.operation, retry_after=last.retry_after if last else None
            )
        return Retriable(text, operation=endpoint.operation, status=status)


@dataclass(frozen=True, slots=True)
class _Request:
    """What stays the same across the attempts of one call."""

    endpoint: Endpoint
    path: str
    params: Mapping[str, str | int] | None
    body: Any
    ok_statuses: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Try:
    """One attempt: its judgement, the answer if any, what to chain errors from."""

    judgement: Judgement
    response: httpx2.Response | None
    cause: BaseException
    retry_after: float | None


class _Bounded(httpx2.SyncByteStream):
    """A response body stream that gives up once the call's deadline has passed."""

    def __init__(
        self, inner: httpx2.SyncByteStream, request: httpx2.Request, deadline: float, clock: Clock
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline
        self._clock = clock

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if self._clock.monotonic() > self._deadline:
                raise httpx2.ReadTimeout(
                    "the call deadline passed while reading the answer", request=self._request
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()
