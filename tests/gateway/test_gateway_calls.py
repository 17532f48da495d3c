"""Requests as sent (paths, bodies, auth), paging, batch limits and the token kept secret."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from gateway_fakes import TOKEN, Script, listing, make_gateway, reply
from structlog.testing import capture_logs

from syncd.clock import FakeClock
from syncd.errors import AuthError, GatewayError, NotFound, Rejected
from syncd.gateway import Lane, ListingDraft, SuggestRequest
from syncd.gateway import endpoints as ep

SEARCH = "/seller/listings/search"


def draft(urn: str = "urn:a", **kw: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "urn": urn,
        "condition": "NM",
        "language": "English",
        "price": 100,
        "quantity": 1,
    }
    return ListingDraft(**{**fields, **kw})


def searching(pages: list[dict[str, Any]]) -> Script:
    return Script(FakeClock()).on("POST", SEARCH, *[reply(200, page) for page in pages])


def test_listing_pages_end_when_total_is_reached() -> None:
    script = searching(
        [
            {"total": 3, "hits": [listing("a"), listing("b")]},
            {"total": 3, "hits": [listing("c")]},
            {"total": 3, "hits": [listing("never")]},
        ]
    )
    with make_gateway(script, script.clock) as gw:
        ids = [x.id for x in gw.iter_listings(sort="updatedAt", order="desc")]
    assert ids == ["a", "b", "c"]
    assert script.count() == 2
    assert script.body(0) == {
        "from": 0,
        "size": 50,
        "sorting": {"field": "updatedAt", "order": "desc"},
    }
    assert script.body(1)["from"] == 2  # the offset moves by what actually came back


def test_listing_pages_end_at_an_empty_page_without_total() -> None:
    full = [listing(f"x{i}") for i in range(50)]
    script = searching([{"hits": full}, {"hits": []}])
    with make_gateway(script, script.clock) as gw:
        assert len(list(gw.iter_listings())) == 50
    assert script.count() == 2
    assert script.body(1)["from"] == 50


def test_stop_condition_ends_without_yielding_or_fetching_more() -> None:
    first = [listing(f"x{i}") for i in range(50)]
    script = searching([{"total": 500, "hits": first}, {"total": 500, "hits": [listing("y")]}])
    with make_gateway(script, script.clock) as gw:
        got = [x.id for x in gw.iter_listings(stop=lambda x: x.id == "x3")]
    assert got == ["x0", "x1", "x2"]
    assert script.count() == 1


def test_a_server_ignoring_the_offset_cannot_make_us_page_forever() -> None:
    same = {"total": 1000, "hits": [listing("a"), listing("b")]}
    script = searching([same])
    with make_gateway(script, script.clock) as gw:
        assert [x.id for x in gw.iter_listings()] == ["a", "b"]
    assert script.count() == 2


def test_order_pages_send_the_cursor_and_end_on_an_empty_page() -> None:
    clock = FakeClock()
    orders = "/seller/orders"
    order = {"id": "o1", "items": [{"id": "i1", "status": "SHIPPED_BY_OWL", "quantity": 1}]}
    script = Script(clock).on(
        "GET", orders, reply(200, {"hits": [order]}), reply(200, {"hits": []})
    )
    since = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    with make_gateway(script, clock) as gw:
        got = list(gw.iter_orders(since))
    assert got[0].items[0].status == "SHIPPED_BY_OWL"
    params = dict(script.seen[0].url.params)
    assert params == {
        "sort": "updatedAt",
        "order": "asc",
        "updatedSince": "2026-03-01T12:00:00.250Z",
        "page": "1",
        "size": "100",
    }
    assert len(got) == 1  # no total: a page shorter than asked for is the last
    assert script.count() == 1


def test_case_pages_and_single_reads() -> None:
    clock = FakeClock()
    case = {"id": "c1", "reason": "ALIENS", "status": "OPEN", "outcomes": None}
    script = (
        Script(clock)
        .on("GET", "/seller/cases", reply(200, {"total": 1, "hits": [case]}))
        .on("GET", "/seller/cases/c1", reply(200, case))
        .on("GET", "/seller/orders/o1", reply(200, {"id": "o1", "total": 500}))
        .on("GET", "/seller/orders/o1/history", reply(200, [{"id": "h1", "party": "BUYER"}]))
    )
    with make_gateway(script, clock) as gw:
        assert [c.reason for c in gw.iter_cases(None)] == ["ALIENS"]
        assert "updatedSince" not in dict(script.seen[0].url.params)
        assert gw.get_case("c1").outcomes == []
        assert gw.get_order("o1").total == 500
        assert gw.order_history("o1")[0].party == "BUYER"


def test_bulk_create_refuses_over_200_and_repeated_urns_before_sending() -> None:
    clock = FakeClock()
    script = Script(clock).on("POST", "/seller/listings/bulk", reply(200, {"successful": []}))
    with make_gateway(script, clock) as gw:
        with pytest.raises(ValueError, match="at most 200"):
            gw.bulk_create([draft(f"urn:{i}") for i in range(201)])
        with pytest.raises(ValueError, match="repeated"):
            gw.bulk_create([draft("urn:1"), draft("urn:2"), draft("urn:1", condition="EX")])
        assert script.count() == 0
        result = gw.bulk_create([draft(f"urn:{i}") for i in range(200)])
        assert gw.bulk_create([]).successful == []
    assert result.failed == []
    assert script.count() == 1
    assert len(script.body()["listings"]) == 200


def test_lookups_suggestions_and_prices() -> None:
    clock = FakeClock()
    item = {"urn": "urn:a", "name": "Pikachu", "min": {"price": 10}, "max": {"price": 99}}
    prices = {"urn": "urn:a", "points": [{"date": "2026-02-01", "low": 1, "median": 2, "high": 3}]}
    suggestions = {"suggestions": [{"urn": "urn:a", "condition": "NM", "price": None}]}
    script = (
        Script(clock)
        .on("POST", "/items/lookup", reply(200, {"hits": [item], "missing": ["urn:b"]}))
        .on("GET", "/items/prices", reply(200, prices))
        .on("POST", "/seller/listings/suggest-prices", reply(200, suggestions))
    )
    with make_gateway(script, clock) as gw:
        with pytest.raises(ValueError, match="at most 200"):
            gw.lookup_items([f"urn:{i}" for i in range(201)])
        found = gw.lookup_items(["urn:a", "urn:b"])
        history = gw.item_prices("urn:a", days=7)
        wanted = [SuggestRequest(urn="urn:a", condition="NM", language="English")]
        suggested = gw.suggest_prices(wanted)
    assert (found.hits[0].min_price, found.hits[0].max_price, found.missing) == (10, 99, ["urn:b"])
    assert history.points[0].median == 2
    assert history.points[0].sold is None
    assert suggested[0].price is None
    assert dict(script.seen[1].url.params) == {"urn": "urn:a", "days": "7"}
    assert script.body(2) == {"items": [{"urn": "urn:a", "condition": "NM", "language": "English"}]}


def test_write_bodies() -> None:
    clock = FakeClock()
    script = (
        Script(clock)
        .on("POST", "/seller/listings", reply(201, listing("L1")))
        .on("PUT", "/seller/listings/L1", reply(200, listing("L1")))
    )
    d = draft(reference="sku-1", grading_provider="PSA", grading_score="10", grading_number="1")
    with make_gateway(script, clock) as gw:
        gw.create_listing(d)
        gw.update_listing("L1", d)
    created, updated = script.body(0), script.body(1)
    assert created["urn"] == "urn:a"
    assert created["gradingProvider"] == "PSA"
    assert "comment" not in created
    assert "urn" not in updated
    assert updated["comment"] is None  # full state: clearing is explicit
    assert updated["reference"] == "sku-1"


@pytest.mark.parametrize(("scheme", "prefix"), [("bearer", "Bearer"), ("apikey", "ApiKey")])
def test_auth_header_by_scheme(scheme: str, prefix: str) -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", "/seller", reply(200, {"id": "s1", "country": "GB"}))
    with make_gateway(script, clock, managem={"auth_scheme": scheme}) as gw:
        assert gw.seller().country == "GB"
    assert script.seen[0].headers["authorization"] == f"{prefix} {TOKEN}"


def test_without_a_token_seller_calls_fail_before_sending_and_public_ones_work() -> None:
    clock = FakeClock()
    script = Script(clock).on("POST", "/items/lookup", reply(200, {"hits": []}))
    with make_gateway(script, clock, token=None) as gw:
        with pytest.raises(AuthError):
            gw.get_listing("L1")
        assert gw.lookup_items(["urn:a"]).hits == []
    assert script.count() == 1
    assert "authorization" not in script.seen[0].headers


def test_the_token_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    echo = {"statusCode": 400, "message": f"bad token {TOKEN}"}
    script = (
        Script(clock)
        .on("GET", "/seller/listings/A", reply(400, echo))
        .on("GET", "/seller/listings/B", reply(404, echo))
        .on("GET", "/seller/listings/C", reply(503, echo))
        .on("GET", "/seller/listings/D", httpx2.ConnectError(f"failed with {TOKEN}"))
        .on("POST", "/seller/listings", reply(500, echo))
    )
    errors: list[GatewayError] = []
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs, make_gateway(script, clock, max_attempts=2) as gw:
        for listing_id in "ABCD":
            with pytest.raises(GatewayError) as caught:
                gw.get_listing(listing_id)
            errors.append(caught.value)
        with pytest.raises(GatewayError) as caught:
            gw.create_listing(draft())
        errors.append(caught.value)
        texts = [repr(gw), str(gw.metrics.snapshot()), json.dumps(logs), caplog.text]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [getattr(e, "body", "") for e in errors]
    assert isinstance(errors[0], Rejected)
    assert isinstance(errors[1], NotFound)
    assert any(entry["event"] == "managem.retry" for entry in logs)
    for text in texts:
        assert TOKEN not in text


def test_retry_log_lines_say_what_and_why() -> None:
    clock = FakeClock()
    script = Script(clock).on("GET", "/seller/listings/L1", reply(502), reply(200, listing("L1")))
    with capture_logs() as logs, make_gateway(script, clock) as gw:
        gw.get_listing("L1")
    retry = next(entry for entry in logs if entry["event"] == "managem.retry")
    assert retry["operation"] == "listings.get"
    assert retry["attempt"] == 1
    assert retry["reason"] == "502"
    assert retry["delay"] >= 0


def test_endpoint_table_lanes_and_write_flags() -> None:
    priority = {e.operation for e in ep.ALL_ENDPOINTS if e.lane is Lane.PRIORITY}
    assert priority == {"orders.list", "orders.get", "orders.history", "cases.list", "cases.get"}
    unsafe = {e.operation for e in ep.ALL_ENDPOINTS if e.unsafe_write}
    assert unsafe == {"listings.create", "listings.bulk_create"}
    public = {e.operation for e in ep.ALL_ENDPOINTS if e.public}
    assert public == {"items.lookup", "items.prices"}
    assert ep.LISTING_GET.url(listing_id="a/b c") == "/seller/listings/a%2Fb%20c"
