"""Time as a dependency: the real clock, passed in wherever code needs "now" or a sleep.

Tests pass a fake with the same two methods, so nothing waits for real. This module must not
import anything of ours.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What code needs of time: wall time (UTC), a monotonic reading, and a sleep."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to (or when something sleeps on it)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        from datetime import timedelta

        return self._wall + timedelta(seconds=self._mono - 1000.0)

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self._mono += seconds

    def advance(self, seconds: float) -> None:
        self._mono += seconds
