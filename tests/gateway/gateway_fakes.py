"""Fakes for gateway tests: a scripted Managem over ``httpx2.MockTransport`` and clocks.

``Script`` answers requests from a queue of responses (or exceptions) per route and records
every request it saw, with the fake time it arrived. ``SteppingClock`` is a clock for tests
with threads: ``sleep`` blocks until the test advances time, and ``advance`` wakes sleepers one
at a time in the order they went to sleep, so which thread wins a token is deterministic.
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from syncd.clock import FakeClock
from syncd.gateway import Gateway
from syncd.settings import ManagemSettings, RateLimitSettings

TOKEN = "tok-SECRET-1234567890"

Answer = httpx2.Response | Exception | Callable[[httpx2.Request], httpx2.Response]


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    return httpx2.Response(status, json=body if body is not None else {}, headers=headers)


class Script:
    """A fake Managem: per (method, path) a queue of answers; the last one repeats."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.routes: dict[tuple[str, str], deque[Answer]] = {}
        self.seen: list[httpx2.Request] = []
        self.times: list[float] = []
        self._lock = threading.Lock()

    def on(self, method: str, path: str, *answers: Answer) -> Script:
        self.routes[(method, path)] = deque(answers)
        return self

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            self.seen.append(request)
            self.times.append(self.clock.monotonic())
            queue = self.routes.get((request.method, request.url.path))
            if not queue:
                return httpx2.Response(404, json={"statusCode": 404, "message": "no route"})
            answer = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx2.Response):
            return answer(request)
        return answer

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self.seen
            if (method is None or r.method == method) and (path is None or r.url.path == path)
        )

    def body(self, index: int = -1) -> Any:
        return json.loads(self.seen[index].content or b"null")


def make_gateway(
    script: Script,
    clock: Any,
    *,
    token: str | None = TOKEN,
    managem: dict[str, Any] | None = None,
    **limits: Any,
) -> Gateway:
    settings = ManagemSettings(base_url="https://managem.test", token=token, **(managem or {}))
    defaults: dict[str, Any] = {"rate": 100.0, "burst": 100, "learn_from_headers": True}
    return Gateway(
        settings,
        RateLimitSettings(**{**defaults, **limits}),
        clock=clock,
        transport=httpx2.MockTransport(script),
        rng=random.Random(7),
    )


def listing(listing_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": listing_id,
        "condition": "NM",
        "language": "English",
        "price": 100,
        "quantity": 1,
        "item": {"urn": f"urn:managem:pokemon:card/{listing_id}"},
        **fields,
    }


def fresh_clock() -> FakeClock:
    return FakeClock()


class SteppingClock:
    """A thread-aware fake clock whose ``advance`` wakes sleepers one by one, in order.

    A woken thread runs until it sleeps again or calls ``done()``; only then is the next one
    woken. So with two threads waiting for one token, the one that slept first looks first.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._mono = 1000.0
        self._order = 0
        self._sleepers: list[tuple[float, int, int, threading.Event]] = []
        self._running: set[int] = set()

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.monotonic() - 1000.0)

    def monotonic(self) -> float:
        with self._cond:
            return self._mono

    def _settle(self) -> None:
        self._running.discard(threading.get_ident())
        self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        event = threading.Event()
        with self._cond:
            self._order += 1
            self._sleepers.append((self._mono + seconds, self._order, threading.get_ident(), event))
            self._settle()
        if not event.wait(timeout=10):
            raise TimeoutError("SteppingClock: nobody advanced the clock")

    def done(self) -> None:
        """A test thread has what it waited for (lets ``advance`` wake the next sleeper)."""
        with self._cond:
            self._settle()

    def wait_sleeping(self, count: int) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._sleepers) >= count, timeout=10):
                raise TimeoutError(f"expected {count} sleepers")

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._mono += seconds
            due = sorted((s for s in self._sleepers if s[0] <= self._mono), key=lambda s: s[1])
            for sleeper in due:
                self._sleepers.remove(sleeper)
            for _, _, ident, event in due:
                self._running.add(ident)
                event.set()
                if not self._cond.wait_for(self._settled(ident), timeout=10):
                    raise TimeoutError("SteppingClock: a woken thread never settled")

    def _settled(self, ident: int) -> Callable[[], bool]:
        return lambda: ident not in self._running
