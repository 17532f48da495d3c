"""Bulk create and the seller search: per-entry results by URN, paging edges, sorting, lag."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import MakeSandbox, NewListing, client_for

from syncd.sandbox import Sandbox


def entry(urn: str, **overrides: Any) -> dict[str, Any]:
    return {"urn": urn, "condition": "NM", "price": 100, "language": "English", **overrides}


def search(client: httpx2.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/seller/listings/search", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_bulk_mixes_good_and_bad_entries(sandbox: Sandbox, client: httpx2.Client) -> None:
    a, b, c = sandbox.catalogue_urns(3)
    listings = [
        entry(a, reference="sku-a"),
        entry("urn:managem:pokemon:set/nowhere/card/1"),
        entry(b, gradingProvider="PSA"),  # incomplete grading
        entry(c, reference="sku-c"),
        entry(a, reference="sku-a2"),  # duplicate URN: handled on its own
        {"condition": "NM"},  # no urn at all
    ]
    response = client.post("/seller/listings/bulk", json={"listings": listings})
    assert response.status_code == 200
    assert response.json() == {
        "successful": [a, c, a],
        "failed": ["urn:managem:pokemon:set/nowhere/card/1", b, ""],
    }
    stored = sorted((x["item"]["urn"], x["reference"]) for x in sandbox.listings())
    assert stored == sorted([(a, "sku-a"), (c, "sku-c"), (a, "sku-a2")])


def test_bulk_limit_is_200(sandbox: Sandbox, client: httpx2.Client) -> None:
    urns = sandbox.catalogue_urns(201)
    too_many = client.post("/seller/listings/bulk", json={"listings": [entry(u) for u in urns]})
    assert too_many.status_code == 400
    assert sandbox.listings() == []
    ok = client.post("/seller/listings/bulk", json={"listings": [entry(u) for u in urns[:200]]})
    assert len(ok.json()["successful"]) == 200
    assert client.post("/seller/listings/bulk", json={"listings": "x"}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"size": 0},
        {"size": 51},
        {"from": -1},
        {"size": "10"},
        {"sorting": {"field": "price"}},
        {"sorting": {"field": "name", "order": "up"}},
        {"facets": {"Condition": "NM"}},
    ],
)
def test_search_rejects_bad_bodies(client: httpx2.Client, body: dict[str, Any]) -> None:
    response = client.post("/seller/listings/search", json=body)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_search_pages_with_from_and_size(sandbox: Sandbox, client: httpx2.Client) -> None:
    urns = sandbox.catalogue_urns(120)
    client.post("/seller/listings/bulk", json={"listings": [entry(u) for u in urns]})
    seen: list[str] = []
    start = 0
    while True:
        page = search(client, **{"from": start, "size": 50})
        assert page["total"] == 120
        if not page["hits"]:
            break
        seen.extend(hit["id"] for hit in page["hits"])
        start += 50
    assert len(seen) == len(set(seen)) == 120
    assert search(client, **{"from": 120, "size": 50})["hits"] == []
    assert len(search(client, size=1)["hits"]) == 1
    assert search(client, **{"from": 119, "size": 50})["hits"][0]["id"] == seen[-1]


def test_search_sorts(sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing) -> None:
    made = [new_listing() for _ in range(4)]
    sandbox.advance_clock(1)
    full = {"condition": "NM", "price": 150, "language": "English", "quantity": 1}
    client.put(f"/seller/listings/{made[0]['id']}", json=full)  # now the most recently updated

    def ids(field: str, order: str) -> list[str]:
        hits = search(client, sorting={"field": field, "order": order})["hits"]
        return [hit["id"] for hit in hits]

    assert ids("createdAt", "asc") == [m["id"] for m in made]
    assert ids("createdAt", "desc") == [m["id"] for m in reversed(made)]
    assert ids("updatedAt", "desc")[0] == made[0]["id"]
    by_name = search(client, sorting={"field": "name", "order": "asc"})["hits"]
    names = [hit["item"]["name"] for hit in by_name]
    assert names == sorted(names)


def test_search_includes_soft_deleted(client: httpx2.Client, new_listing: NewListing) -> None:
    kept, gone = new_listing(), new_listing()
    client.delete(f"/seller/listings/{gone['id']}")
    hits = {hit["id"]: hit for hit in search(client, size=50)["hits"]}
    assert set(hits) == {kept["id"], gone["id"]}
    assert hits[gone["id"]]["quantity"] == 0


def test_search_only_shows_own_listings(sandbox: Sandbox, client: httpx2.Client) -> None:
    sandbox.seed_listing(sellerId="sel_other")
    mine = sandbox.seed_listing()
    page = search(client)
    assert [hit["id"] for hit in page["hits"]] == [mine["id"]]
    assert page["total"] == 1


def test_query_and_facets(client: httpx2.Client, new_listing: NewListing) -> None:
    a = new_listing(reference="shelf-alpha", condition="EX")
    b = new_listing(reference="shelf-beta", hidden=True)
    new_listing(price=3000)
    assert [h["id"] for h in search(client, query="ALPHA")["hits"]] == [a["id"]]
    assert [h["id"] for h in search(client, facets={"Condition": ["EX"]})["hits"]] == [a["id"]]
    assert [h["id"] for h in search(client, facets={"Hidden": ["Hidden"]})["hits"]] == [b["id"]]
    facets = search(client)["facets"]
    assert facets["Condition"] == {"EX": 1, "NM": 2}
    assert facets["Valid"] == {"Valid": 2}


def test_index_lag_hides_new_listings_from_search_only(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(index_lag=30)
    with client_for(sandbox) as client:
        urn = sandbox.catalogue_urns(1)[0]
        created = client.post("/seller/listings", json=entry(urn)).json()
        assert search(client)["total"] == 0
        assert client.get(f"/seller/listings/{created['id']}").status_code == 200
        sandbox.advance_clock(29)
        assert search(client)["hits"] == []
        sandbox.advance_clock(1)
        assert [h["id"] for h in search(client)["hits"]] == [created["id"]]
        sandbox.set_faults(index_lag=0)
        second = client.post("/seller/listings", json=entry(urn)).json()
        assert search(client)["total"] == 2 and second["id"]
