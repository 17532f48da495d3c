"""The sandbox's own clock: wall time plus an offset that tests move with ``advance``.

Timestamps (``createdAt``/``updatedAt``), index lag, case auto-escalation, price history "today"
and the rate-limit buckets all read this clock, so ``advance`` makes time pass for all of them at
once and no test needs to sleep. It must not sleep itself.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

DAY_MS = 86_400_000


class SandboxClock:
    """Real time shifted by ``offset`` seconds; thread-safe."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._guard = threading.Lock()

    @property
    def offset(self) -> float:
        with self._guard:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._guard:
            self._offset += seconds

    def now_ms(self) -> int:
        """Wall time in whole milliseconds since the epoch (the precision of the wire format)."""
        return int((time.time() + self.offset) * 1000)

    def monotonic(self) -> float:
        """Monotonic seconds, shifted by the same offset so ``advance`` refills rate buckets."""
        return time.monotonic() + self.offset


def iso_ms(ms: int) -> str:
    """``2026-03-01T12:00:00.000Z``: UTC, milliseconds, ``Z``, as in the docs' examples."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso_ms(text: str) -> int:
    """Read an ISO-8601 timestamp (``Z`` or an offset; naive means UTC) into epoch milliseconds."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)
