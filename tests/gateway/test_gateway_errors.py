"""Status classes, retries, Retry-After, ambiguous writes and the call deadline (MockTransport)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from gateway_fakes import Script, listing, make_gateway, reply

from syncd.clock import FakeClock
from syncd.errors import (
    AmbiguousWrite,
    AuthError,
    NotFound,
    RateLimited,
    Rejected,
    Retriable,
)
from syncd.gateway import ListingDraft

GET = "/seller/listings/L1"
CREATE = "/seller/listings"
BULK = "/seller/listings/bulk"
DRAFT = ListingDraft(
    urn="urn:managem:pokemon:card/a", condition="NM", language="English", price=150, quantity=2
)


gateway_for = make_gateway


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (403, AuthError), (404, NotFound), (400, Rejected), (422, Rejected)],
)
def test_final_4xx_are_mapped_and_not_retried(status: int, error: type[Exception]) -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(status, {"statusCode": status, "message": "nope"}))
    with gateway_for(script, clock) as gw, pytest.raises(error) as caught:
        gw.get_listing("L1")
    assert script.count() == 1
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert "nope" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx2.HTTPStatusError)


def test_rejected_keeps_a_short_body() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, httpx2.Response(400, text="x" * 2000))
    with gateway_for(script, clock) as gw, pytest.raises(Rejected) as caught:
        gw.get_listing("L1")
    assert caught.value.body == "x" * 500


def test_5xx_on_a_read_is_retried_until_it_works() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(500), reply(502), reply(200, listing("L1")))
    with gateway_for(script, clock) as gw:
        assert gw.get_listing("L1").id == "L1"
        assert gw.metrics.snapshot()["retries_by_operation"] == {"listings.get": 2}
    assert script.count() == 3


def test_a_408_from_a_proxy_is_transient_like_a_5xx() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(408), reply(200, listing("L1")))
    with gateway_for(script, clock) as gw:
        assert gw.get_listing("L1").id == "L1"
    assert script.count() == 2
    creates = Script(clock).on("POST", CREATE, reply(408), reply(200, listing("L9")))
    with gateway_for(creates, clock) as gw, pytest.raises(AmbiguousWrite):
        gw.create_listing(DRAFT)  # a proxy may have passed it on before timing out
    assert creates.count("POST", CREATE) == 1


def test_5xx_after_the_attempts_raises_retriable() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(503))
    with gateway_for(script, clock, max_attempts=4) as gw, pytest.raises(Retriable) as caught:
        gw.get_listing("L1")
    assert script.count() == 4
    assert caught.value.status == 503


def test_connection_errors_on_reads_are_retried() -> None:
    clock = FakeClock()
    script = Script(clock).on(
        "GET",
        GET,
        httpx2.ReadTimeout("slow"),
        httpx2.RemoteProtocolError("dropped"),
        reply(200, listing("L1")),
    )
    with gateway_for(script, clock) as gw:
        assert gw.get_listing("L1").id == "L1"
    assert script.count() == 3


def test_connection_errors_after_the_attempts_raise_retriable_from_the_cause() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, httpx2.ConnectError("refused"))
    with gateway_for(script, clock, max_attempts=3) as gw, pytest.raises(Retriable) as caught:
        gw.get_listing("L1")
    assert isinstance(caught.value.__cause__, httpx2.ConnectError)
    assert script.count() == 3


def test_429_after_the_attempts_raises_rate_limited() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(429, headers={"Retry-After": "1"}))
    with gateway_for(script, clock, max_attempts=3) as gw, pytest.raises(RateLimited):
        gw.get_listing("L1")
    assert script.count() == 3


def test_retry_after_on_429_is_honoured() -> None:
    clock = FakeClock()
    script = Script(clock).on(
        "GET", GET, reply(429, headers={"Retry-After": "7"}), reply(200, listing("L1"))
    )
    with gateway_for(script, clock) as gw:
        gw.get_listing("L1")
        assert gw.metrics.rate_limited == 1
        assert gw.metrics.throttled_seconds >= 7.0 - 1e-6
    assert script.times[1] - script.times[0] >= 7.0


def test_retry_after_as_an_http_date_is_honoured() -> None:
    clock = FakeClock()  # now() is 2026-01-01T00:00:00Z
    date = "Thu, 01 Jan 2026 00:00:20 GMT"
    script = Script(clock).on(
        "GET", GET, reply(503, headers={"Retry-After": date}), reply(200, listing("L1"))
    )
    with gateway_for(script, clock) as gw:
        gw.get_listing("L1")
    assert script.times[1] - script.times[0] >= 20.0


def test_retry_after_on_503_is_honoured_and_capped() -> None:
    clock = FakeClock()
    script = Script(clock).on(
        "GET",
        GET,
        reply(503, headers={"Retry-After": "5"}),
        reply(503, headers={"Retry-After": "9999"}),
        reply(200, listing("L1")),
    )
    with gateway_for(script, clock, max_retry_after=30.0, retry_budget=500.0) as gw:
        gw.get_listing("L1")
    first, second = (b - a for a, b in zip(script.times, script.times[1:], strict=False))
    assert first >= 5.0
    assert 30.0 <= second <= 30.0 + 1.0  # capped, plus at most a jittered backoff


def test_backoff_is_jittered_exponential_and_capped() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(500))
    limits: dict[str, Any] = {
        "max_attempts": 6,
        "backoff_base": 1.0,
        "backoff_cap": 4.0,
        "retry_budget": 999.0,
    }
    with gateway_for(script, clock, **limits) as gw, pytest.raises(Retriable):
        gw.get_listing("L1")
    gaps = [b - a for a, b in zip(script.times, script.times[1:], strict=False)]
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(0 <= gap <= ceiling + 0.05 for gap, ceiling in zip(gaps, ceilings, strict=True))
    assert len(set(gaps)) > 1  # jittered, not a fixed ladder


@pytest.mark.parametrize(
    "failure",
    [
        reply(500),
        reply(502),
        httpx2.ReadTimeout("no answer"),
        httpx2.RemoteProtocolError("closed mid-answer"),
        httpx2.ReadError("reset"),
        httpx2.WriteTimeout("stuck sending"),
    ],
)
def test_a_create_that_may_have_landed_is_not_resent(failure: object) -> None:
    clock = FakeClock()
    script = Script(clock).on("POST", CREATE, failure, reply(200, listing("L9")))  # type: ignore[arg-type]
    with gateway_for(script, clock) as gw, pytest.raises(AmbiguousWrite) as caught:
        gw.create_listing(DRAFT)
    assert script.count("POST", CREATE) == 1
    assert caught.value.sent == DRAFT.to_create_body()
    assert caught.value.__cause__ is not None


def test_an_ambiguous_bulk_create_is_not_resent() -> None:
    clock = FakeClock()
    script = Script(clock).on("POST", BULK, reply(504), reply(200, {"successful": [DRAFT.urn]}))
    with gateway_for(script, clock) as gw, pytest.raises(AmbiguousWrite) as caught:
        gw.bulk_create([DRAFT])
    assert script.count("POST", BULK) == 1
    assert caught.value.sent == {"listings": [DRAFT.to_create_body()]}


@pytest.mark.parametrize(
    "refusal",
    [
        httpx2.ConnectError("refused"),
        httpx2.ConnectTimeout("no handshake"),
        httpx2.PoolTimeout("pool full"),
        reply(429, headers={"Retry-After": "1"}),
    ],
)
def test_a_create_refused_before_it_was_sent_is_retried(refusal: object) -> None:
    clock = FakeClock()
    script = Script(clock).on("POST", CREATE, refusal, reply(201, listing("L9")))  # type: ignore[arg-type]
    with gateway_for(script, clock) as gw:
        assert gw.create_listing(DRAFT).id == "L9"
    assert script.count("POST", CREATE) == 2


def test_post_reads_are_retried_on_5xx() -> None:
    clock = FakeClock()
    page = {"total": 1, "hits": [listing("L1")]}
    search = "/seller/listings/search"
    lookup = "/items/lookup"
    script = (
        Script(clock)
        .on("POST", search, reply(500), reply(200, page))
        .on("POST", lookup, httpx2.ReadTimeout("slow"), reply(200, {"hits": [], "missing": ["u"]}))
    )
    with gateway_for(script, clock) as gw:
        assert [x.id for x in gw.iter_listings()] == ["L1"]
        assert gw.lookup_items(["u"]).missing == ["u"]
    assert script.count("POST", search) == 2
    assert script.count("POST", lookup) == 2


def test_put_and_delete_are_retried_and_delete_404_is_done() -> None:
    clock = FakeClock()
    script = (
        Script(clock)
        .on("PUT", GET, reply(502), reply(200, listing("L1", quantity=2)))
        .on("DELETE", GET, httpx2.ReadTimeout("slow"), reply(404))
    )
    with gateway_for(script, clock) as gw:
        assert gw.update_listing("L1", DRAFT).quantity == 2
        gw.delete_listing("L1")  # the first try landed; the retry finds it gone: done
    assert script.count("PUT") == 2
    assert script.count("DELETE") == 2


def test_delete_423_is_rejected_with_its_status() -> None:
    clock = FakeClock()
    script = Script(clock).on("DELETE", GET, reply(423, {"message": "active holds"}))
    with gateway_for(script, clock) as gw, pytest.raises(Rejected) as caught:
        gw.delete_listing("L1")
    assert caught.value.status == 423
    assert script.count() == 1


def test_the_call_deadline_covers_retries() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(503, headers={"Retry-After": "4"}))
    limits: dict[str, Any] = {"max_attempts": 100, "retry_budget": 1000.0}
    managem: dict[str, Any] = {"call_deadline": 10.0}
    with gateway_for(script, clock, managem=managem, **limits) as gw:
        start = clock.monotonic()
        with pytest.raises(Retriable, match="deadline"):
            gw.get_listing("L1")
    assert clock.monotonic() - start <= 10.0
    assert script.count() in (2, 3)


def test_the_call_deadline_covers_limiter_waits() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", GET, reply(429, headers={"Retry-After": "100"}))
    with gateway_for(script, clock, managem={"call_deadline": 10.0}) as gw:
        with pytest.raises(RateLimited):
            gw.get_listing("L1")
        # The bucket is paused for 100 s: another call fails fast instead of waiting.
        with pytest.raises(Retriable, match="deadline"):
            gw.get_listing("L1")
    assert sum(clock.slept) < 20.0
    assert script.count() == 1


def test_per_attempt_timeouts_are_cut_to_the_deadline() -> None:
    clock = FakeClock()
    seen: list[dict[str, float]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.extensions["timeout"])
        return httpx2.Response(200, json=listing("L1"))

    script = Script(clock).on("GET", GET, answer)
    managem = {"call_deadline": 3.0, "read_timeout": 30.0, "connect_timeout": 2.0}
    with gateway_for(script, clock, managem=managem) as gw:
        gw.get_listing("L1")
    assert seen[0]["read"] == pytest.approx(3.0)
    assert seen[0]["connect"] == pytest.approx(2.0)


def test_unreadable_answers() -> None:
    clock = FakeClock()
    script = (
        Script(clock)
        .on("GET", GET, httpx2.Response(200, text="<html>oops</html>"))
        .on("POST", CREATE, reply(201, {"no": "id"}))
    )
    with gateway_for(script, clock) as gw:
        with pytest.raises(Retriable, match="unexpected answer"):
            gw.get_listing("L1")
        with pytest.raises(AmbiguousWrite):  # created, but we cannot tell what
            gw.create_listing(DRAFT)


def test_metrics_count_calls_retries_and_429s() -> None:
    clock = FakeClock()
    script = Script(clock).on(
        "GET",
        GET,
        reply(429, headers={"Retry-After": "2"}),
        httpx2.ConnectError("refused"),
        reply(200, listing("L1")),
    )
    with gateway_for(script, clock) as gw:
        gw.get_listing("L1")
        snap = gw.metrics.snapshot()
    assert gw.metrics.total_calls() == 3
    assert snap["calls_by_operation"] == {"listings.get": {"429": 1, "ConnectError": 1, "200": 1}}
    assert snap["retries"] == 2
    assert snap["rate_limited"] == 1
    assert snap["throttled_seconds"] >= 2.0
