"""The generated catalogue, item look-ups, price history and price suggestions."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import httpx2
import pytest
from sandbox_http import MakeSandbox

from syncd.sandbox import Sandbox
from syncd.sandbox.catalogue import Catalogue

URN = re.compile(r"^urn:managem:pokemon:set/[a-z0-9-]+/card/[1-9][0-9]*$")


def test_catalogue_is_deterministic_and_sized() -> None:
    one, same, other = Catalogue(3, 12_000), Catalogue(3, 12_000), Catalogue(4, 12_000)
    urns = one.urns()
    assert len(urns) == len(set(urns)) == 12_000
    assert all(URN.match(urn) for urn in urns[::997])
    assert urns == same.urns() and urns != other.urns()
    today = 1_780_000_000_000
    assert one.item(urns[5000], today) == same.item(urns[5000], today)
    assert one.item("urn:managem:pokemon:set/nowhere/card/1", today) is None
    assert not one.exists(urns[0].replace("/card/1", "/card/01"))


def test_lookup(sandbox: Sandbox, client: httpx2.Client) -> None:
    urns = sandbox.catalogue_urns(3)
    response = client.post("/items/lookup", json={"urns": [*urns, "urn:nope", urns[0]]})
    assert response.status_code == 200
    found = response.json()
    assert [hit["urn"] for hit in found["hits"]] == urns
    assert found["missing"] == ["urn:nope"]
    item = found["hits"][0]
    assert item["type"] == "card" and item["game"] == "Pokemon" and item["name"]
    assert item["set"]["urn"] == urns[0].rsplit("/card/", 1)[0]
    assert isinstance(item["price"], int) and item["min"]["price"] <= item["price"]
    assert item["price"] <= item["max"]["price"]


def test_lookup_limit(sandbox: Sandbox, client: httpx2.Client) -> None:
    urns = sandbox.catalogue_urns(201)
    assert client.post("/items/lookup", json={"urns": urns}).status_code == 400
    assert len(client.post("/items/lookup", json={"urns": urns[:200]}).json()["hits"]) == 200
    assert client.post("/items/lookup", json={"urns": "x"}).status_code == 400


@pytest.mark.parametrize("params", [{"days": 0}, {"days": 366}, {"days": "a"}, {}])
def test_price_history_rejects_bad_queries(
    sandbox: Sandbox, client: httpx2.Client, params: dict[str, object]
) -> None:
    query = {"urn": sandbox.catalogue_urns(1)[0], **params} if params else {}
    assert client.get("/items/prices", params=query).status_code == 400


def test_price_history(sandbox: Sandbox, client: httpx2.Client) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    assert client.get("/items/prices", params={"urn": "urn:nope"}).status_code == 404
    default = client.get("/items/prices", params={"urn": urn}).json()
    assert default["urn"] == urn and 0 < len(default["points"]) <= 30
    year = client.get("/items/prices", params={"urn": urn, "days": 365}).json()["points"]
    dates = [date.fromisoformat(p["date"]) for p in year]
    assert dates == sorted(set(dates))
    today = datetime.fromisoformat(client.get("/_sandbox/clock").json()["now"]).date()
    assert today - timedelta(days=364) <= dates[0] and dates[-1] <= today
    assert all(p["low"] <= p["median"] <= p["high"] and p["sold"] >= 1 for p in year)
    assert year[-len(default["points"]) :] == default["points"]


def test_price_history_is_stable_as_days_pass(sandbox: Sandbox, client: httpx2.Client) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    before = client.get("/items/prices", params={"urn": urn, "days": 60}).json()["points"]
    sandbox.advance_clock(10 * 86_400)
    after = client.get("/items/prices", params={"urn": urn, "days": 60}).json()["points"]
    overlap = {p["date"] for p in before} & {p["date"] for p in after}
    assert overlap
    assert [p for p in before if p["date"] in overlap] == [p for p in after if p["date"] in overlap]
    today = datetime.fromisoformat(client.get("/_sandbox/clock").json()["now"]).date()
    assert all(today - timedelta(days=59) <= date.fromisoformat(p["date"]) <= today for p in after)


def test_suggest_prices(sandbox: Sandbox, client: httpx2.Client) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    market = client.post("/items/lookup", json={"urns": [urn]}).json()["hits"][0]["price"]
    wanted = [
        {"urn": urn, "condition": "NM", "language": "English"},
        {"urn": urn, "condition": "PO", "language": "English"},
        {"urn": "urn:nope", "condition": "NM", "language": "English"},
    ]
    response = client.post("/seller/listings/suggest-prices", json={"items": wanted})
    prices = [s["price"] for s in response.json()["suggestions"]]
    assert prices[0] == market and prices[1] < market and prices[2] is None
    with httpx2.Client(base_url=sandbox.url, verify=False) as anonymous:
        assert (
            anonymous.post("/seller/listings/suggest-prices", json={"items": []}).status_code == 401
        )
    too_many = client.post("/seller/listings/suggest-prices", json={"items": wanted * 67})
    assert too_many.status_code == 400


def test_seeds_change_the_catalogue(make_sandbox: MakeSandbox) -> None:
    assert make_sandbox(seed=1).catalogue_urns(5) != make_sandbox(seed=2).catalogue_urns(5)
    assert make_sandbox(seed=1, catalogue_size=50).catalogue_urns() == Catalogue(1, 50).urns()
