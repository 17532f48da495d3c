"""Reading the server's rate-limit headers and inferring its real refill rate from them.

Managem's limits are unknown (managem-api.md §8.6): every answer is assumed to carry
``X-RateLimit-Limit`` (bucket size), ``X-RateLimit-Remaining`` (tokens left) and
``X-RateLimit-Reset`` (seconds until the bucket is full again). From one answer the refill rate
is ``(Limit - Remaining) / Reset``. A Reset written as a whole number is taken to be rounded *up*
(the usual way to print "seconds until"), which makes ``d / Reset`` a lower bound and
``d / (Reset - 1)`` an upper bound on the rate; a Reset with decimals is exact to its last digit.
A second source of lower bounds is how Remaining moved over a few seconds of calls
(``RemainingTrail``). The estimate is the tightest lower bound over recent answers, kept under
the upper bounds; it converges to the real rate from below: under-estimating costs a little
throughput, over-estimating costs 429s.

Pure bookkeeping: no clock, no locks, no I/O. The limiter calls it under its own lock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

_WINDOW = 64
# Answered calls remembered beyond the Remaining points (headers absent or ignored: no points).
_KEEP_ANSWERED = 1024


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """The ``X-RateLimit-*`` headers of one answer (any may be missing)."""

    limit: float | None
    remaining: float | None
    reset: float | None
    # Half a unit of the last digit Reset was printed with: 0.5 for "2", 0.0005 for "1.500".
    reset_precision: float = 0.5


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def parse_rate_headers(headers: Mapping[str, str]) -> ServerLimits | None:
    """The rate-limit headers of an answer, or ``None`` when it carries none we can read."""
    lowered = {key.lower(): value for key, value in headers.items()}
    limit = _number(lowered.get("x-ratelimit-limit"))
    remaining = _number(lowered.get("x-ratelimit-remaining"))
    reset_text = lowered.get("x-ratelimit-reset")
    reset = _number(reset_text)
    if limit is None and remaining is None and reset is None:
        return None
    precision = 0.5
    if reset is not None and reset_text is not None and "." in reset_text:
        decimals = len(reset_text.strip().split(".", 1)[1])
        precision = 0.5 * 10.0**-decimals
    return ServerLimits(limit=limit, remaining=remaining, reset=reset, reset_precision=precision)


class RateEstimate:
    """Bounds on the server's refill rate from recent answers; ``rate`` is the best safe guess."""

    def __init__(self) -> None:
        self._lower: deque[float] = deque(maxlen=_WINDOW)
        self._upper: deque[float] = deque(maxlen=_WINDOW)

    @property
    def known(self) -> bool:
        return bool(self._lower)

    @property
    def rate(self) -> float | None:
        """The largest lower bound seen recently, kept under the smallest upper bound."""
        if not self._lower:
            return None
        low = max(self._lower)
        high = min(self._upper, default=math.inf)
        return min(low, high)

    def observe(self, limits: ServerLimits) -> None:
        """Add what one answer says about the rate (nothing if the bucket was full)."""
        if limits.limit is None or limits.remaining is None or limits.reset is None:
            return
        spent = limits.limit - limits.remaining
        if spent <= 0 or limits.reset <= 0:
            return
        if limits.reset_precision < 0.5:
            # Printed with decimals: exact up to the printed precision.
            low = spent / (limits.reset + limits.reset_precision)
            shortest = limits.reset - limits.reset_precision
        else:
            # Whole seconds, taken as rounded up: the true figure is in (Reset - 1, Reset].
            low = spent / limits.reset
            shortest = limits.reset - 1
        high = spent / shortest if shortest > 0 else math.inf
        # Bounds that contradict the window mean the server's rate changed (or it rounds some
        # other way): start again from this answer rather than keep a stale figure.
        slack = 1e-9
        if low > min(self._upper, default=math.inf) * (1 + slack) or high * (1 + slack) < max(
            self._lower, default=0.0
        ):
            self.forget()
        self._lower.append(low)
        if math.isfinite(high):
            self._upper.append(high)

    def observe_floor(self, rate: float) -> None:
        """Add a lower bound found some other way (see ``RemainingTrail``)."""
        if rate > 0 and rate <= min(self._upper, default=math.inf):
            self._lower.append(rate)

    def forget(self) -> None:
        """Drop everything learnt (after a 429 proved the estimate wrong)."""
        self._lower.clear()
        self._upper.clear()


class RemainingTrail:
    """A lower bound on the rate from how Remaining moved while we kept calling.

    Between two answers ``span`` seconds apart the server's bucket changed by
    ``rate · Δt − n``, n being the calls it counted in between, so
    ``rate ≥ (R₂ − R₁ + n − 1) / Δt`` (the −1 for Remaining printed as whole tokens). It stays
    a lower bound when the bucket overflowed in between or another client used the same
    credential; calls still unanswered are not counted, for they may not have arrived yet.
    This pins the rate when Reset alone cannot: with whole-second Reset and Limit equal to the
    rate, every Reset reads 1 until the bucket is drained.
    """

    def __init__(self, span: float = 5.0) -> None:
        self._span = span
        self._points: deque[tuple[float, int, float]] = deque(maxlen=1024)
        self._counted: dict[int, bool] = {}

    def answered(self, seq: int, counted: bool) -> None:
        """Call ``seq`` is over; ``counted``: the server took a token for it (not a 429)."""
        self._counted[seq] = counted
        if len(self._counted) > 2 * _KEEP_ANSWERED:
            # Without answers carrying Remaining, ``observe`` never prunes: keep recent calls.
            floor = seq - _KEEP_ANSWERED
            self._counted = {s: c for s, c in self._counted.items() if s > floor}

    def observe(self, now: float, seq: int, remaining: float, limit: float) -> float | None:
        """Record Remaining after call ``seq``; return a lower bound on the rate if one shows."""
        bound = None
        start = None
        for point in reversed(self._points):
            if now - point[0] >= self._span:
                start = point
                break
        if start is not None and start[2] <= limit - 2 and remaining <= limit - 2:
            then, first, before = start
            calls = sum(1 for s in range(first + 1, seq + 1) if self._counted.get(s, False))
            bound = (remaining - before + calls - 1) / (now - then)
        self._points.append((now, seq, remaining))
        oldest = self._points[0][1]
        for stale in [s for s in self._counted if s <= oldest]:
            del self._counted[stale]
        return bound if bound is not None and bound > 0 else None

    def forget(self) -> None:
        self._points.clear()
