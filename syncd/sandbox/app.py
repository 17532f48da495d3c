"""The request pipeline, independent of sockets: one request in, a reply (or "drop it") out.

Order for an API request: scripted fault → rate limit → random fault → authentication → body
parsing → the handler (under the market lock, after auto-escalating due cases) → the fault's
after-effect (an ambiguous 500 or a drop after the write applied) → rate-limit headers and
statistics. ``/_sandbox/`` control requests skip faults, limits and statistics. The server
(``server``) only moves bytes; it must not decide anything this module decides.
"""

from __future__ import annotations

import hmac
import json
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from syncd.sandbox import api, cases, control_routes
from syncd.sandbox.clock import SandboxClock
from syncd.sandbox.controls import Controls
from syncd.sandbox.errors import ApiError, error_body
from syncd.sandbox.faults import Fault, FaultInjector, FaultSettings
from syncd.sandbox.market import Market
from syncd.sandbox.options import SandboxOptions
from syncd.sandbox.ratelimit import RateLimiter
from syncd.sandbox.routing import Call, Reply, Route, find_route
from syncd.sandbox.stats import RequestStats

_SCHEMES = ("bearer", "apikey")


@dataclass(frozen=True)
class Outcome:
    reply: Reply | None  # None: close the connection without answering
    delay: float = 0.0  # seconds to wait before answering (or dropping)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, error_body(status, message), dict(headers or {}))


def credential(headers: Mapping[str, str]) -> str | None:
    """The token from ``Authorization: Bearer <t>`` or ``ApiKey <t>`` (scheme case-insensitive)."""
    raw = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = raw.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() in _SCHEMES and token else None


class SandboxApp:
    """All of the fake Managem except the socket handling."""

    def __init__(self, options: SandboxOptions) -> None:
        self._token = options.token
        self.clock = SandboxClock()
        self.market = Market(options.seed, options.catalogue_size, self.clock)
        self.market.index_lag = options.index_lag
        self.limiter = RateLimiter(self.clock.monotonic)
        self.faults = FaultInjector(
            options.seed,
            FaultSettings(
                latency=options.latency,
                error_rate=options.error_rate,
                error_codes=tuple(options.error_codes),
                ambiguous_rate=options.ambiguous_rate,
                drop_rate=options.drop_rate,
            ),
        )
        self.stats = RequestStats()
        self.controls = Controls(
            self.market, self.limiter, self.faults, self.stats, options.state_file
        )
        self.controls.set_faults(
            rate=options.rate,
            burst=options.burst,
            index_lag=options.index_lag,
            latency=options.latency,
            error_rate=options.error_rate,
            error_codes=options.error_codes,
            ambiguous_rate=options.ambiguous_rate,
            drop_rate=options.drop_rate,
        )
        if options.state_file:
            self.market.load(options.state_file)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, client: str
    ) -> Outcome:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            if path == control_routes.PREFIX or path.startswith(control_routes.PREFIX + "/"):
                return Outcome(self._control(method, path, query, body))
            return self._api(method, path, query, headers, body, client)
        except Exception:  # a sandbox bug: answer 500 and make it visible, never hang the client
            self.stats.count_internal_error()
            traceback.print_exc(file=sys.stderr)
            return Outcome(_error(500, "sandbox internal error"))

    def _control(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        found = find_route(control_routes.ROUTES, method, path)
        if found is None:
            return _error(404, f"Cannot {method} {path}")
        route, params = found
        try:
            call = Call(method, path, params, query, _parse_json(body))
            with self.market.lock:
                cases.auto_escalate(self.market)
            return route.handler(self.controls, call)
        except ApiError as exc:
            return Reply(exc.status, exc.body())
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))

    def _api(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        client: str,
    ) -> Outcome:
        found = find_route(api.ROUTES, method, path)
        route_key = found[0].key if found else f"{method} (unmatched)"
        token = credential(headers)
        bucket = token if token is not None else f"anonymous@{client}"
        delay = self.faults.settings.latency

        fault = self.faults.scripted(method, path)
        if fault is None:
            verdict = self.limiter.take(bucket)
            if not verdict.allowed:
                return self._count(
                    route_key, Outcome(_error(429, "rate limited", verdict.headers), delay)
                )
            limit_headers = verdict.headers
            fault = self.faults.random(writes=bool(found and found[0].writes))
        else:
            limit_headers = self.limiter.peek(bucket)

        if fault is not None and fault.kind in ("error", "429", "drop_before"):
            return self._count(route_key, Outcome(_fault_reply(fault, limit_headers), delay))

        reply = self._serve(found, method, path, query, token, body)
        if fault is not None:  # ambiguous or drop_after: the write above has happened
            return self._count(route_key, Outcome(_fault_reply(fault, limit_headers), delay))
        reply.headers.update(limit_headers)
        return self._count(route_key, Outcome(reply, delay))

    def _serve(
        self,
        found: tuple[Route[Market], dict[str, str]] | None,
        method: str,
        path: str,
        query: dict[str, list[str]],
        token: str | None,
        body: bytes,
    ) -> Reply:
        if found is None:
            return _error(404, f"Cannot {method} {path}")
        route, params = found
        if not route.public and (
            token is None or not hmac.compare_digest(token.encode(), self._token.encode())
        ):
            return _error(401, "missing or invalid credentials")
        try:
            call = Call(method, path, params, query, _parse_json(body))
            with self.market.lock:
                cases.auto_escalate(self.market)
                reply: Reply = route.handler(self.market, call)
            return reply
        except ApiError as exc:
            return Reply(exc.status, exc.body())

    def _count(self, route_key: str, outcome: Outcome) -> Outcome:
        status = "dropped" if outcome.reply is None else str(outcome.reply.status)
        self.stats.count(route_key, status)
        return outcome


def _fault_reply(fault: Fault, limit_headers: dict[str, str]) -> Reply | None:
    if fault.drops:
        return None
    if fault.kind == "429":
        headers = {**limit_headers, "Retry-After": str(fault.retry_after)}
        return _error(429, "rate limited", headers)
    return _error(fault.status, "injected fault", limit_headers)


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "body is not valid JSON") from None
