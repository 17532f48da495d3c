"""The retry policy: how long to wait before another attempt, and when to give up.

Capped exponential backoff with full jitter (AWS's "full jitter": a uniform draw between zero
and ``min(cap, base · 2^(attempt-1))``), with the server's ``Retry-After`` as a floor. A logical
call stops retrying when it has made ``max_attempts`` attempts, when its retrying has lasted
``retry_budget`` seconds, or when the next wait would pass its deadline.

Which failures are worth retrying is decided in ``outcomes``; this module only does the timing.
It must not sleep, send requests or log: the caller owns the clock and the loop.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from syncd.settings import RateLimitSettings


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """The decision after a failed attempt: wait ``delay`` seconds and retry, or stop."""

    retry: bool
    delay: float
    why_not: str = ""


class RetryPolicy:
    """Backoff timing and give-up rules for one Gateway (thread-safe: the rng is locked)."""

    def __init__(self, limits: RateLimitSettings, rng: random.Random) -> None:
        self._base = limits.backoff_base
        self._cap = limits.backoff_cap
        self._max_attempts = limits.max_attempts
        self._budget = limits.retry_budget
        self._max_retry_after = limits.max_retry_after
        self._rng = rng
        self._rng_lock = threading.Lock()

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay after the ``attempt``-th failure (1-based)."""
        ceiling = min(self._cap, self._base * (2 ** max(0, attempt - 1)))
        with self._rng_lock:
            return self._rng.uniform(0.0, ceiling)

    def cap_retry_after(self, seconds: float) -> float:
        """A server's Retry-After, clamped to ``max_retry_after`` (absurd values are not obeyed)."""
        return max(0.0, min(seconds, self._max_retry_after))

    def plan(
        self,
        *,
        attempt: int,
        retrying_for: float,
        time_left: float,
        retry_after: float | None,
    ) -> RetryPlan:
        """Whether to retry after failed attempt number ``attempt``, and after how long.

        ``retrying_for`` is the seconds since the call's first failure; ``time_left`` the
        seconds until the call's deadline.
        """
        delay = self.backoff(attempt)
        if retry_after is not None:
            delay = max(delay, self.cap_retry_after(retry_after))
        if attempt >= self._max_attempts:
            return RetryPlan(False, delay, f"gave up after {attempt} attempts")
        if retrying_for + delay > self._budget:
            return RetryPlan(False, delay, f"retry budget of {self._budget:g}s spent")
        if delay >= time_left:
            return RetryPlan(False, delay, "call deadline reached")
        return RetryPlan(True, delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
