"""Orders over HTTP: purchases take stock, the §8.1 paged list, updatedSince, seller actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from sandbox_http import NewListing

from syncd.sandbox import ApiError, Sandbox


def orders_page(client: httpx2.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/seller/orders", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_purchase_takes_quantity_off_at_once(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=3, price=400)
    order = sandbox.purchase(listing["id"], 2, buyer="ash")
    assert order["subtotal"] == 800 and order["total"] == 800 + order["deliveryCharge"]
    (item,) = order["items"]
    assert (item["listingId"], item["quantity"], item["status"]) == (listing["id"], 2, "PENDING")
    assert item["urn"] == listing["item"]["urn"]
    after = client.get(f"/seller/listings/{listing['id']}").json()
    assert (after["quantity"], after["available"]) == (1, 1)
    assert client.get(f"/seller/orders/{order['id']}").json() == order


def test_purchase_refuses_more_than_available(sandbox: Sandbox, new_listing: NewListing) -> None:
    listing = new_listing(quantity=1)
    with pytest.raises(ApiError) as refused:
        sandbox.purchase(listing["id"], 2)
    assert refused.value.status == 409
    sandbox.purchase(listing["id"], 1)
    with pytest.raises(ApiError):
        sandbox.purchase(listing["id"], 1)  # sold out (quantity 0)
    hidden = new_listing(hidden=True)
    with pytest.raises(ApiError):
        sandbox.purchase(hidden["id"], 1)


def test_purchase_many_is_one_order(sandbox: Sandbox, new_listing: NewListing) -> None:
    a, b = new_listing(), new_listing()
    order = sandbox.purchase_many([(a["id"], 1), (b["id"], 2)])
    assert [(i["listingId"], i["quantity"]) for i in order["items"]] == [
        (a["id"], 1),
        (b["id"], 2),
    ]
    assert len({i["orderId"] for i in order["items"]}) == 1


def test_cancel_and_refund_do_not_restock(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=4)
    first = sandbox.purchase(listing["id"], 1)
    second = sandbox.purchase(listing["id"], 1)
    sandbox.advance_clock(1)
    cancelled = sandbox.cancel_item(first["items"][0]["id"])
    refunded = sandbox.cancel_item(second["items"][0]["id"], "REFUNDED")
    assert cancelled["items"][0]["status"] == "CANCELLED"
    assert refunded["items"][0]["status"] == "REFUNDED"
    assert cancelled["updatedAt"] > first["updatedAt"]
    assert client.get(f"/seller/listings/{listing['id']}").json()["quantity"] == 2
    unknown = sandbox.set_item_status(first["items"][0]["id"], "ON_HOLD")  # drifted enum
    assert unknown["items"][0]["status"] == "ON_HOLD"


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": "x"},
        {"size": 0},
        {"size": 101},
        {"sort": "total"},
        {"order": "random"},
        {"updatedSince": "yesterday"},
    ],
)
def test_order_list_rejects_bad_parameters(client: httpx2.Client, params: dict[str, Any]) -> None:
    response = client.get("/seller/orders", params=params)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_order_list_pages_and_sorts(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=30)
    made = []
    for _ in range(25):
        made.append(sandbox.purchase(listing["id"], 1)["id"])
        sandbox.advance_clock(0.01)
    default = orders_page(client)
    assert default["total"] == 25 and len(default["hits"]) == 20  # size 20, newest first
    assert [o["id"] for o in default["hits"]] == list(reversed(made))[:20]
    pages = [orders_page(client, page=p, size=10, order="asc")["hits"] for p in (1, 2, 3)]
    assert [o["id"] for page in pages for o in page] == made
    assert orders_page(client, page=4, size=10)["hits"] == []
    assert len(orders_page(client, size=100)["hits"]) == 25


def test_updated_since_is_inclusive_and_sees_item_changes(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=10)
    old = sandbox.purchase(listing["id"], 1)
    sandbox.advance_clock(60)
    recent = sandbox.purchase(listing["id"], 1)
    since = recent["updatedAt"]
    hits = orders_page(client, updatedSince=since)["hits"]
    assert [o["id"] for o in hits] == [recent["id"]]  # inclusive of the exact instant
    later = datetime.fromisoformat(since) + timedelta(milliseconds=1)
    assert orders_page(client, updatedSince=later.isoformat())["total"] == 0
    sandbox.advance_clock(60)
    sandbox.cancel_item(old["items"][0]["id"])  # an old order changes: it is updated now
    hits = orders_page(client, updatedSince=later.isoformat(), sort="updatedAt")["hits"]
    assert [o["id"] for o in hits] == [old["id"]]
    assert hits[0]["items"][0]["status"] == "CANCELLED"


def test_seller_actions(sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing) -> None:
    listing = new_listing(quantity=5)
    order = sandbox.purchase(listing["id"], 1)
    url = f"/seller/orders/{order['id']}"
    accepted = client.put(url, json={"action": "accept"}).json()
    assert accepted["items"][0]["status"] == "ACCEPTED"
    assert client.put(url, json={"action": "accept"}).status_code == 409  # nothing left to accept
    shipped = client.put(url, json={"action": "dispatch", "carrier": "RM", "tracking": "T1"})
    assert shipped.json()["items"][0]["status"] == "DISPATCHED"
    assert shipped.json()["items"][0]["shipmentId"]
    assert client.put(url, json={"action": "cancel"}).status_code == 409
    assert client.put(url, json={"action": "dispute"}).status_code == 400
    other = sandbox.purchase(listing["id"], 1)
    cancelled = client.put(f"/seller/orders/{other['id']}", json={"action": "cancel"}).json()
    assert cancelled["items"][0]["status"] == "CANCELLED"
    assert client.get(f"/seller/listings/{listing['id']}").json()["quantity"] == 3
    history = client.get(f"{url}/history").json()
    assert [e["party"] for e in history] == ["BUYER", "SELLER", "SELLER"]
    assert all(e["orderItemIds"] == [order["items"][0]["id"]] for e in history)


def test_foreign_and_missing_orders_are_404(sandbox: Sandbox, client: httpx2.Client) -> None:
    foreign_listing = sandbox.seed_listing(sellerId="sel_other", quantity=2)
    foreign = sandbox.purchase(foreign_listing["id"], 1)
    for order_id in (foreign["id"], "ord_missing"):
        assert client.get(f"/seller/orders/{order_id}").status_code == 404
        assert client.get(f"/seller/orders/{order_id}/history").status_code == 404
        assert (
            client.put(f"/seller/orders/{order_id}", json={"action": "accept"}).status_code == 404
        )
    assert orders_page(client)["total"] == 0
