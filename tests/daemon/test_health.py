"""The staleness rule and the health server's routing."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from syncd.health import HealthServer, Verdict, stale_jobs, text_route, verdict_route
from syncd.metrics import Metrics

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
INTERVALS = {"orders": 60.0, "prices": 3600.0}


def test_nothing_is_stale_until_factor_intervals_after_start() -> None:
    now = T0 + timedelta(seconds=179)
    assert stale_jobs({}, INTERVALS, started_at=T0, now=now, factor=3) == {}


def test_a_job_without_a_success_goes_stale_after_factor_intervals() -> None:
    now = T0 + timedelta(seconds=181)
    stale = stale_jobs({}, INTERVALS, started_at=T0, now=now, factor=3)
    assert list(stale) == ["orders"]  # prices has 3 h of grace
    assert "no success since the daemon started" in stale["orders"]


def test_a_recent_success_keeps_a_job_fresh_and_an_old_one_does_not() -> None:
    now = T0 + timedelta(hours=5)
    fresh = {"orders": now - timedelta(seconds=170), "prices": now - timedelta(hours=2)}
    assert stale_jobs(fresh, INTERVALS, started_at=T0, now=now, factor=3) == {}
    old = {"orders": now - timedelta(seconds=181), "prices": now - timedelta(hours=2)}
    assert list(stale_jobs(old, INTERVALS, started_at=T0, now=now, factor=3)) == ["orders"]


def test_a_success_from_before_a_restart_counts() -> None:
    started = T0 + timedelta(hours=10)
    now = started + timedelta(hours=4)
    last = {"orders": now - timedelta(seconds=10), "prices": started - timedelta(minutes=30)}
    # prices last succeeded before this start; 4.5 h > 3 × 1 h, so it is stale now.
    assert list(stale_jobs(last, INTERVALS, started_at=started, now=now, factor=3)) == ["prices"]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (http only)
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_server_answers_200_503_404_and_survives_a_failing_probe() -> None:
    metrics = Metrics()
    metrics.set("syncd_job_last_success_timestamp_seconds", 1_767_225_600.25, {"job": "orders"})

    def boom() -> Verdict:
        raise RuntimeError("database exploded")

    routes = {
        "/healthz": verdict_route(lambda: Verdict(True, "alive")),
        "/readyz": verdict_route(lambda: Verdict(False, "lock not held")),
        "/metrics": text_route(metrics.render),
        "/boom": verdict_route(boom),
    }
    server = HealthServer(routes, host="127.0.0.1", port=0).start()
    try:
        assert server.address[0] == "127.0.0.1"
        status, body = _get(server.url + "/healthz")
        assert (status, b'"reason": "alive"' in body) == (200, True)
        status, body = _get(server.url + "/readyz")
        assert status == 503 and b"lock not held" in body
        status, body = _get(server.url + "/metrics")
        # Every digit of a Unix timestamp survives (":g" formatting would round it).
        assert status == 200
        assert b'syncd_job_last_success_timestamp_seconds{job="orders"} 1767225600.25' in body
        assert _get(server.url + "/nope")[0] == 404
        status, body = _get(server.url + "/boom")
        assert status == 503 and b"database exploded" in body
        assert _get(server.url + "/healthz")[0] == 200  # still serving
    finally:
        server.stop()


@pytest.mark.parametrize(("value", "text"), [(3.0, "3"), (0.5, "0.5"), (float("inf"), "+Inf")])
def test_metric_numbers(value: float, text: str) -> None:
    metrics = Metrics()
    metrics.set("x", value)
    assert metrics.render().splitlines()[-1] == f"x {text}"
