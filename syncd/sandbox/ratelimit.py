"""Per-credential token buckets and the ``X-RateLimit-*`` / ``Retry-After`` headers (§8.6).

Off when ``rate`` is None. ``X-RateLimit-Limit`` is the bucket size, ``-Remaining`` the whole
tokens left, ``-Reset`` the whole seconds until the bucket is full; a 429 carries ``Retry-After``
(seconds until one token, rounded up). A refused request takes no token. Time comes from the
sandbox clock so ``advance_clock`` refills buckets. This module must not decide anything else.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by credential; thread-safe; reconfigurable at run time."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._guard = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.rate: float | None = None
        self.burst = 1

    def configure(self, rate: float | None, burst: int | None) -> None:
        """Set the limits; buckets start full again (as after a deploy of new limits)."""
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None for no limit)")
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1")
        with self._guard:
            self.rate = rate
            self.burst = burst if burst is not None else max(1, int(rate or 1))
            self._buckets.clear()

    def _refill(self, key: str, rate: float) -> _Bucket:
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.stamp) * rate)
        bucket.stamp = now
        return bucket

    def _headers(self, bucket: _Bucket, rate: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.burst),
            "X-RateLimit-Remaining": str(math.floor(bucket.tokens)),
            "X-RateLimit-Reset": str(math.ceil((self.burst - bucket.tokens) / rate)),
        }

    def take(self, key: str) -> Verdict:
        with self._guard:
            rate = self.rate
            if rate is None:
                return Verdict(True)
            bucket = self._refill(key, rate)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return Verdict(True, self._headers(bucket, rate))
            headers = self._headers(bucket, rate)
            headers["Retry-After"] = str(max(1, math.ceil((1.0 - bucket.tokens) / rate)))
            return Verdict(False, headers)

    def peek(self, key: str) -> dict[str, str]:
        """The headers without taking a token (for answers decided before the bucket)."""
        with self._guard:
            rate = self.rate
            if rate is None:
                return {}
            return self._headers(self._refill(key, rate), rate)
