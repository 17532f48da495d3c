"""Counters of what the gateway did: calls, retries, 429s and time spent throttled.

The jobs read a snapshot for their one summary line per run and the health endpoint may expose
it. Counters only ever grow; every method is thread-safe. This module must not import the HTTP
client or log anything.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class GatewayMetrics:
    """Thread-safe counters for one Gateway."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()
        self._retries: Counter[str] = Counter()
        self._rate_limited = 0
        self._throttled_seconds = 0.0

    def record_call(self, operation: str, outcome: str) -> None:
        """One HTTP attempt; ``outcome`` is the status code or the exception class name."""
        with self._lock:
            self._calls[(operation, outcome)] += 1

    def record_retry(self, operation: str) -> None:
        with self._lock:
            self._retries[operation] += 1

    def record_rate_limited(self) -> None:
        """A 429 answer."""
        with self._lock:
            self._rate_limited += 1

    def record_throttled(self, seconds: float) -> None:
        """Seconds a call waited for the limiter (including Retry-After pauses)."""
        if seconds <= 0:
            return
        with self._lock:
            self._throttled_seconds += seconds

    def total_calls(self) -> int:
        """HTTP attempts made, retries included."""
        with self._lock:
            return sum(self._calls.values())

    def calls(self, operation: str | None = None, outcome: str | None = None) -> int:
        """Attempts matching an operation and/or outcome (``None`` matches any)."""
        with self._lock:
            return sum(
                count
                for (op, out), count in self._calls.items()
                if (operation is None or op == operation) and (outcome is None or out == outcome)
            )

    @property
    def rate_limited(self) -> int:
        with self._lock:
            return self._rate_limited

    @property
    def throttled_seconds(self) -> float:
        with self._lock:
            return self._throttled_seconds

    def snapshot(self) -> dict[str, Any]:
        """A plain, JSON-ready copy of every counter."""
        with self._lock:
            by_operation: dict[str, dict[str, int]] = {}
            for (operation, outcome), count in sorted(self._calls.items()):
                by_operation.setdefault(operation, {})[outcome] = count
            return {
                "calls": sum(self._calls.values()),
                "calls_by_operation": by_operation,
                "retries": sum(self._retries.values()),
                "retries_by_operation": dict(sorted(self._retries.items())),
                "rate_limited": self._rate_limited,
                "throttled_seconds": round(self._throttled_seconds, 3),
            }

    def __repr__(self) -> str:
        return f"GatewayMetrics(calls={self.total_calls()}, rate_limited={self.rate_limited})"
