"""The client-side rate limiter: a thread-safe token bucket with two lanes that learns.

Every request waits here for a token before it is sent. The bucket starts from the configured
rate and burst (``RateLimitSettings``), which act as ceilings, and follows the server:

* ``X-RateLimit-Remaining`` is the truth about the server's bucket, so after each answer our
  level is set to it, less the calls sent after that one and still in flight (the server had
  not counted them yet). Remaining 0 empties our bucket; it then refills at the server's rate,
  so it is full again exactly when the server's Reset says.
* ``X-RateLimit-Limit`` caps our burst, and ``Limit/Remaining/Reset`` (plus how Remaining
  moves over time) give the refill rate (``ratelearn``), so a limiter configured too high
  converges to the server's real rate.
* A 429 empties the bucket and pauses it for ``Retry-After`` (capped by ``max_retry_after``).
  With no headers at all, each 429 also cuts the rate by a third and successes win it back
  slowly (additive increase, multiplicative decrease).

Lanes: order and case polling (``Lane.PRIORITY``) must not queue behind a listings backfill.
The bulk lane may not take the last ``priority_share`` of the bucket, and while a priority
call is waiting no bulk call takes a token.

The clock is injected (``monotonic`` and ``sleep``), so tests never wait for real. This module
must not send requests or log; the gateway records waits in its metrics.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from syncd.clock import Clock
from syncd.gateway.endpoints import Lane
from syncd.gateway.ratelearn import RateEstimate, RemainingTrail, parse_rate_headers
from syncd.settings import RateLimitSettings

# Longest single sleep: a waiter wakes at least this often to see what answers taught us.
_MAX_NAP = 0.25
# Shortest sleep, and the shortfall treated as none: float time at ~1e3 s cannot resolve less.
_MIN_NAP = 1e-6
_MIN_RATE = 0.05
_DECREASE = 2.0 / 3.0
_INCREASE_SHARE = 0.005


class LimiterTimeout(Exception):
    """The wait for a token would pass the caller's deadline."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limiter wait of {wait:.2f}s passes the call deadline")
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to send one request. Hand it back with ``finish`` when the answer is in."""

    seq: int
    lane: Lane
    waited: float


@dataclass(frozen=True, slots=True)
class LimiterState:
    """What the limiter currently believes (for tests, metrics and the benchmark)."""

    rate: float
    capacity: float
    level: float
    paused_for: float


class RateLimiter:
    """Token bucket shared by every thread using one Gateway."""

    def __init__(self, limits: RateLimitSettings, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._ceiling_rate = limits.rate
        self._ceiling_burst = float(limits.burst)
        self._rate = limits.rate
        self._capacity = float(limits.burst)
        self._level = self._capacity
        self._share = limits.priority_share
        self._learn = limits.learn_from_headers
        self._max_pause = limits.max_retry_after
        self._last = clock.monotonic()
        self._paused_until = -math.inf
        self._waiting = {Lane.PRIORITY: 0, Lane.BULK: 0}
        self._seq = 0
        self._in_flight: set[int] = set()
        self._last_seen_seq = 0
        self._estimate = RateEstimate()
        self._trail = RemainingTrail()
        self._headers_seen = False
        self._server_limit: float | None = None

    # --- taking tokens ------------------------------------------------------------------

    def acquire(self, lane: Lane, *, deadline: float | None = None) -> Permit:
        """Block until a token is free for ``lane``; raise LimiterTimeout past ``deadline``."""
        start = self._clock.monotonic()
        with self._lock:
            self._waiting[lane] += 1
        try:
            while True:
                with self._lock:
                    now = self._clock.monotonic()
                    self._refill(now)
                    wait, certain = self._wait_time(lane, now)
                    if wait <= 0:
                        return self._take(lane, now - start)
                if deadline is not None:
                    left = deadline - now
                    if left <= 0 or (certain and wait > left):
                        raise LimiterTimeout(wait)
                    wait = min(wait, left)
                self._clock.sleep(min(max(wait, _MIN_NAP), _MAX_NAP))
        finally:
            with self._lock:
                self._waiting[lane] -= 1

    def _take(self, lane: Lane, waited: float) -> Permit:
        self._level -= 1.0
        self._seq += 1
        self._in_flight.add(self._seq)
        return Permit(seq=self._seq, lane=lane, waited=max(0.0, waited))

    def _wait_time(self, lane: Lane, now: float) -> tuple[float, bool]:
        """Seconds until ``lane`` may take a token, and whether only time can shorten it."""
        if now < self._paused_until:
            return self._paused_until - now, True
        if lane is Lane.BULK:
            if self._waiting[Lane.PRIORITY] > 0:
                # Priority first: look again once the next token has come and gone.
                return 1.0 / self._rate, False
            # Leave the reserve for the priority lane (but never need more than a full bucket).
            need = min(1.0 + self._share * self._capacity, self._capacity)
        else:
            need = 1.0
        missing = need - self._level
        if missing <= _MIN_NAP:
            return 0.0, True
        return missing / self._rate, True

    def _refill(self, now: float) -> None:
        elapsed = now - self._last
        if elapsed > 0:
            self._level = min(self._capacity, self._level + elapsed * self._rate)
            self._last = now

    # --- learning from answers --------------------------------------------------------

    def finish(
        self,
        permit: Permit,
        *,
        status: int | None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Hand back a permit with what the answer said (``status`` None: no answer)."""
        limits = parse_rate_headers(headers) if headers is not None and self._learn else None
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            self._in_flight.discard(permit.seq)
            sent_after = sum(1 for seq in self._in_flight if seq > permit.seq)
            self._trail.answered(permit.seq, counted=status != 429)
            if limits is not None:
                self._headers_seen = True
                if limits.limit is not None and limits.limit >= 1:
                    if limits.limit != self._server_limit:
                        # New limits on the server: what we learnt of the old ones is void.
                        self._estimate.forget()
                        self._trail.forget()
                        self._server_limit = limits.limit
                    self._capacity = min(self._ceiling_burst, limits.limit)
                    self._level = min(self._level, self._capacity)
                if status == 429:
                    self._estimate.forget()
                    self._trail.forget()
                self._estimate.observe(limits)
                # Answers can arrive out of order; only the newest call's view counts.
                if limits.remaining is not None and permit.seq > self._last_seen_seq:
                    self._last_seen_seq = permit.seq
                    self._level = min(self._capacity, limits.remaining - sent_after)
                    if limits.limit is not None:
                        floor = self._trail.observe(now, permit.seq, limits.remaining, limits.limit)
                        if floor is not None:
                            self._estimate.observe_floor(floor)
                learnt = self._estimate.rate
                if learnt is not None:
                    self._rate = max(_MIN_RATE, min(self._ceiling_rate, learnt))
            if status == 429:
                self._level = min(self._level, -float(sent_after))
                if retry_after is not None:
                    pause = min(max(retry_after, 0.0), self._max_pause)
                    self._paused_until = max(self._paused_until, now + pause)
                if not self._headers_seen:
                    self._rate = max(_MIN_RATE, self._rate * _DECREASE)
            elif status is not None and status < 500 and not self._headers_seen:
                self._rate = min(
                    self._ceiling_rate, self._rate + _INCREASE_SHARE * self._ceiling_rate
                )

    def pause(self, seconds: float) -> None:
        """Stop every lane for ``seconds`` (capped), e.g. when the server asks for a break."""
        with self._lock:
            until = self._clock.monotonic() + min(max(seconds, 0.0), self._max_pause)
            self._paused_until = max(self._paused_until, until)

    def state(self) -> LimiterState:
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            return LimiterState(
                rate=self._rate,
                capacity=self._capacity,
                level=self._level,
                paused_for=max(0.0, self._paused_until - now),
            )
