"""The rate limiter on a fake clock: bucket, reserve, lanes, pauses and learning from headers."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest
from gateway_fakes import SteppingClock

from syncd.clock import FakeClock
from syncd.gateway.endpoints import Lane
from syncd.gateway.ratelearn import RateEstimate, RemainingTrail, parse_rate_headers
from syncd.gateway.ratelimit import LimiterTimeout, RateLimiter
from syncd.settings import RateLimitSettings


def limiter(clock: Any, **kw: Any) -> RateLimiter:
    settings: dict[str, Any] = {"rate": 10.0, "burst": 5, "priority_share": 0.0}
    return RateLimiter(RateLimitSettings(**{**settings, **kw}), clock)


def take(lim: RateLimiter, lane: Lane = Lane.BULK, **finish: Any) -> float:
    permit = lim.acquire(lane)
    lim.finish(permit, status=finish.pop("status", 200), **finish)
    return permit.waited


def test_burst_then_refill_rate() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    waits = [take(lim) for _ in range(8)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5:] == pytest.approx([0.1, 0.1, 0.1])


def test_bulk_lane_leaves_the_reserve_to_the_priority_lane() -> None:
    clock = FakeClock()
    lim = limiter(clock, burst=8, priority_share=0.25)  # reserve = 2 tokens
    bulk_waits = [take(lim) for _ in range(6)]
    assert bulk_waits == [0] * 6
    assert take(lim) > 0  # the 7th bulk call must wait: only the reserve is left
    clock2 = FakeClock()
    lim2 = limiter(clock2, burst=8, priority_share=0.25)
    for _ in range(6):
        take(lim2)
    assert take(lim2, Lane.PRIORITY) == 0
    assert take(lim2, Lane.PRIORITY) == 0


def test_priority_waiter_is_served_before_an_earlier_bulk_waiter() -> None:
    clock = SteppingClock()
    lim = limiter(clock, rate=1.0, burst=1)
    take(lim)  # empty the bucket
    served: list[str] = []

    def wait_for_token(lane: Lane) -> None:
        try:
            permit = lim.acquire(lane)
            served.append(lane.value)
            lim.finish(permit, status=200)
        finally:
            clock.done()

    bulk = threading.Thread(target=wait_for_token, args=(Lane.BULK,))
    bulk.start()
    clock.wait_sleeping(1)  # the bulk call went to sleep first...
    prio = threading.Thread(target=wait_for_token, args=(Lane.PRIORITY,))
    prio.start()
    clock.wait_sleeping(2)
    clock.advance(1.0)  # ...one token appears: the bulk thread looks first but must yield
    prio.join(timeout=10)
    assert served == ["priority"]
    clock.advance(1.0)
    bulk.join(timeout=10)
    assert served == ["priority", "bulk"]


def test_429_pauses_every_lane_for_retry_after_capped() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=100.0, burst=100, max_retry_after=5.0)
    permit = lim.acquire(Lane.BULK)
    lim.finish(permit, status=429, retry_after=3.0)
    start = clock.monotonic()
    take(lim, Lane.PRIORITY)
    assert clock.monotonic() - start == pytest.approx(3.0)
    permit = lim.acquire(Lane.BULK)
    lim.finish(permit, status=429, retry_after=600.0)
    assert lim.state().paused_for == pytest.approx(5.0)


def test_acquire_gives_up_at_the_deadline_without_sleeping_through_it() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    permit = lim.acquire(Lane.BULK)
    lim.finish(permit, status=429, retry_after=60.0)
    with pytest.raises(LimiterTimeout):
        lim.acquire(Lane.BULK, deadline=clock.monotonic() + 10.0)
    assert sum(clock.slept) < 10.0


def test_remaining_zero_means_no_token_until_the_server_refills() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=1000.0, burst=1000)
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"}
    take(lim, headers=headers)
    state = lim.state()
    assert state.capacity == 10
    assert state.rate == pytest.approx(5.0)  # 10 tokens in 2 s
    assert state.level <= 0
    start = clock.monotonic()
    take(lim, Lane.PRIORITY)
    assert clock.monotonic() - start == pytest.approx(0.2)
    clock.advance(2.0)
    assert lim.state().level == pytest.approx(10.0)  # full again at Reset


def test_remaining_counts_calls_still_in_flight() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=10.0, burst=10)
    first = lim.acquire(Lane.BULK)
    later = [lim.acquire(Lane.BULK) for _ in range(3)]
    # The server counted only the first call when it said 6 tokens were left.
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "6", "X-RateLimit-Reset": "1"}
    lim.finish(first, status=200, headers=headers)
    assert lim.state().level == pytest.approx(3.0)
    for permit in later:
        lim.finish(permit, status=200)


def test_headers_ignored_when_learning_is_off() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=10.0, burst=5, learn_from_headers=False)
    take(lim, headers={"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"})
    assert lim.state().capacity == 5
    assert lim.state().rate == 10.0


class ServerBucket:
    """The server side, as §8.6 and the sandbox describe it: whole-number headers."""

    def __init__(self, clock: FakeClock, rate: float, burst: int) -> None:
        self.clock, self.rate, self.burst = clock, rate, burst
        self.tokens, self.stamp = float(burst), clock.monotonic()
        self.refused = 0

    def hit(self) -> tuple[int, dict[str, str]]:
        now = self.clock.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        status = 200
        if self.tokens >= 1:
            self.tokens -= 1
        else:
            status = 429
            self.refused += 1
        return status, {
            "X-RateLimit-Limit": str(self.burst),
            "X-RateLimit-Remaining": str(math.floor(self.tokens)),
            "X-RateLimit-Reset": str(math.ceil((self.burst - self.tokens) / self.rate)),
        }


@pytest.mark.parametrize(("server_rate", "burst"), [(20.0, 20), (5.0, 5), (8.0, 20)])
def test_limiter_set_too_high_converges_to_the_server_rate(server_rate: float, burst: int) -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=50.0, burst=50, priority_share=0.25)
    server = ServerBucket(clock, server_rate, burst)
    calls = 400
    start = clock.monotonic()
    for _ in range(calls):
        permit = lim.acquire(Lane.BULK)
        status, headers = server.hit()
        lim.finish(
            permit, status=status, headers=headers, retry_after=1.0 if status == 429 else None
        )
    achieved = calls / (clock.monotonic() - start)
    assert server.refused <= 1
    assert lim.state().capacity == burst
    assert 0.9 * server_rate <= lim.state().rate <= server_rate + 1e-9
    assert achieved >= 0.9 * server_rate


def test_without_headers_429s_cut_the_rate() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=50.0, burst=5)
    for _ in range(3):
        take(lim, status=429)
    assert lim.state().rate < 50.0 * 0.5
    for _ in range(200):
        take(lim)
    assert lim.state().rate == pytest.approx(50.0)


def test_rate_estimate_bounds_from_whole_and_fractional_reset() -> None:
    estimate = RateEstimate()
    for remaining, reset in ((18, "1"), (10, "2"), (0, "3")):
        limits = parse_rate_headers(
            {
                "x-ratelimit-limit": "20",
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": reset,
            }
        )
        assert limits is not None
        estimate.observe(limits)
    # 20 spent in at most 3 s, 10 in more than 1 s: the rate is in [6.67, 10).
    assert estimate.rate == pytest.approx(20 / 3)
    exact = RateEstimate()
    limits = parse_rate_headers(
        {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "8", "x-ratelimit-reset": "1.500"}
    )
    assert limits is not None
    exact.observe(limits)
    assert exact.rate == pytest.approx(8.0, rel=1e-3)
    assert parse_rate_headers({"x-ratelimit-remaining": "soon"}) is None


def test_new_server_limits_void_the_old_rate_estimate() -> None:
    clock = FakeClock()
    lim = limiter(clock, rate=50.0, burst=50)
    take(
        lim,
        headers={"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "1"},
    )
    assert lim.state().rate == pytest.approx(18.0)
    take(
        lim,
        headers={"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "1"},
    )
    assert lim.state().rate == pytest.approx(2.0)
    assert lim.state().capacity == 5


def test_remaining_trail_bounds_the_rate_from_below() -> None:
    trail = RemainingTrail(span=5.0)
    # Calls 2..61 were counted by the server between the two answers; Remaining went 12 -> 10.
    for seq in range(1, 62):
        trail.answered(seq, counted=True)
    assert trail.observe(100.0, 1, 12, 20) is None  # nothing to compare with yet
    bound = trail.observe(106.0, 61, 10, 20)
    assert bound == pytest.approx((10 - 12 + 60 - 1) / 6.0)
    assert bound is not None and bound <= 10.0
    trail.answered(62, counted=False)  # a 429 took no token: still 60 calls since t=100
    assert trail.observe(107.0, 62, 10, 20) == pytest.approx((10 - 12 + 60 - 1) / 7.0)
    assert trail.observe(108.0, 63, 19, 20) is None  # bucket nearly full: it may have overflowed
