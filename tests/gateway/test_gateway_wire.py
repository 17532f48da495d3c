"""Wire models: lenient reading (unknown fields, open enums, nulls) and exact writing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from syncd.gateway import BulkResult, Case, Item, Listing, ListingDraft, Order


def test_listing_reads_loosely() -> None:
    raw = {
        "id": "L1",
        "condition": "NM-ish",  # unknown value: kept as it came
        "quantity": None,
        "variants": None,
        "brandNewField": {"x": 1},
        "createdAt": "2026-03-01T12:00:00.000Z",
        "updatedAt": "not a date",
        "gradingScore": 9.5,
        "item": {"urn": "urn:managem:pokemon:card/base1/58-pikachu", "surprise": True},
    }
    got = Listing.model_validate(raw)
    assert got.condition == "NM-ish"
    assert got.urn == "urn:managem:pokemon:card/base1/58-pikachu"
    assert (got.quantity, got.variants, got.hidden, got.valid) == (0, [], False, None)
    assert got.grading_score == "9.5"
    assert got.created == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert got.updated is None


def test_top_level_urn_wins_and_only_id_is_required() -> None:
    got = Listing.model_validate({"id": "L1", "urn": "urn:top", "item": {"urn": "urn:nested"}})
    assert got.urn == "urn:top"
    assert Listing.model_validate({"id": "L2"}).urn is None
    with pytest.raises(ValidationError):
        Listing.model_validate({"urn": "urn:x"})


def test_listings_are_frozen() -> None:
    got = Listing.model_validate({"id": "L1"})
    with pytest.raises(ValidationError):
        got.quantity = 3  # type: ignore[misc]


def test_orders_cases_and_items_tolerate_drift() -> None:
    order = Order.model_validate(
        {
            "id": "o1",
            "purchaseId": "p1",
            "deliveryCharge": 250.0,
            "items": [{"id": "i1", "status": "TELEPORTED", "item": {"urn": "urn:x"}}],
            "buyer": {"name": "?"},
        }
    )
    assert order.delivery_charge == 250
    assert order.items[0].urn == "urn:x"
    assert order.items[0].status == "TELEPORTED"
    case = Case.model_validate(
        {
            "id": "c1",
            "reason": "GREMLINS",
            "status": "UNDER_REVIEW",
            "orderItemIds": None,
            "outcomes": [{"id": "x", "type": "CREDIT", "status": "MAYBE", "amount": 5}],
            "createdAt": None,
        }
    )
    assert (case.reason, case.status, case.order_item_ids) == ("GREMLINS", "UNDER_REVIEW", [])
    assert case.outcomes[0].type == "CREDIT"
    assert case.created is None
    item = Item.model_validate({"urn": "u", "set": {"name": "Base", "counts": {}}, "min": {}})
    assert (item.set_name, item.min_price) == ("Base", None)
    assert BulkResult.model_validate({"successful": ["a"], "failed": None}).failed == []


def test_an_unreadable_amount_or_a_null_id_does_not_sink_the_order_or_case() -> None:
    # One odd value must not fail the whole page on every poll (and every sale behind it):
    # optional money that is not whole pence reads as absent; nulls inside id lists are dropped.
    order = Order.model_validate(
        {
            "id": "o1",
            "total": 12.5,
            "subtotal": "lots",
            "deliveryCharge": True,
            "items": [{"id": "i1", "quantity": 2, "price": "1250"}, {"id": "i2", "price": 9.99}],
        }
    )
    assert (order.total, order.subtotal, order.delivery_charge) == (None, None, None)
    assert [(i.quantity, i.price) for i in order.items] == [(2, 1250), (0, None)]
    case = Case.model_validate(
        {"id": "c1", "orderItemIds": ["i1", None, 7], "outcomes": [{"id": "x", "amount": "£5"}]}
    )
    assert case.order_item_ids == ["i1", "7"]
    assert case.outcomes[0].amount is None
    assert Listing.model_validate({"id": "L1", "price": 3.333}).price is None  # re-pushed
    assert (
        Item.model_validate({"urn": "u", "price": "n/a", "min": {"price": 100.0}}).min_price == 100
    )
    with pytest.raises(ValidationError):  # a quantity is stock: never guessed
        Order.model_validate({"id": "o2", "items": [{"id": "i3", "quantity": 1.5}]})


def test_draft_bodies_use_wire_names() -> None:
    d = ListingDraft(
        urn="u", condition="NM", language="English", price=100, quantity=1, notes="box 3"
    )
    assert d.to_create_body() == {
        "urn": "u",
        "condition": "NM",
        "language": "English",
        "price": 100,
        "quantity": 1,
        "hidden": False,
        "notes": "box 3",
        "variants": [],
    }
    update = d.to_update_body()
    assert "urn" not in update
    assert update["gradingProvider"] is None
    assert ListingDraft.model_validate(d.to_create_body()) == d
