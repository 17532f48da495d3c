"""Listings over HTTP: create rules, validity, ownership, full-replacement PUT, soft delete."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from sandbox_http import NewListing

from syncd.sandbox import ApiError, Sandbox

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def body(urn: str, **overrides: Any) -> dict[str, Any]:
    return {"urn": urn, "condition": "NM", "price": 150, "language": "English", **overrides}


def assert_error(response: httpx2.Response, status: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()
    assert error["statusCode"] == status
    assert isinstance(error["message"], str)
    assert isinstance(error["error"], str)


def test_create_returns_the_full_listing(sandbox: Sandbox, client: httpx2.Client) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    response = client.post("/seller/listings", json=body(urn, quantity=2, reference=" sku-1 "))
    assert response.status_code == 201
    listing = response.json()
    assert listing["item"]["urn"] == urn
    assert listing["sellerId"] == client.get("/seller").json()["id"]
    assert listing["quantity"] == listing["available"] == 2
    assert listing["reference"] == "sku-1"  # normalised: trimmed
    assert listing["valid"] is True and listing["hidden"] is False and listing["locked"] is False
    assert ISO_MS.match(listing["createdAt"]) and listing["createdAt"] == listing["updatedAt"]
    assert "notes" not in listing  # optional fields are absent when unset
    assert client.get(f"/seller/listings/{listing['id']}").json() == listing


def test_create_defaults_quantity_to_one(sandbox: Sandbox, client: httpx2.Client) -> None:
    listing = client.post("/seller/listings", json=body(sandbox.catalogue_urns(1)[0])).json()
    assert listing["quantity"] == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"gradingProvider": "PSA"},
        {"gradingProvider": "PSA", "gradingScore": "10"},
        {"notes": "n" * 256},
        {"reference": "r" * 256},
        {"condition": "NM-"},
        {"price": "150"},
        {"price": 12.5},
        {"quantity": 0},
        {"language": ""},
        {"hidden": "yes"},
    ],
)
def test_create_rejects_bad_fields(
    sandbox: Sandbox, client: httpx2.Client, overrides: dict[str, Any]
) -> None:
    response = client.post("/seller/listings", json=body(sandbox.catalogue_urns(1)[0], **overrides))
    assert_error(response, 400)
    assert sandbox.listings() == []


def test_create_rejects_unknown_urn_and_bad_json(client: httpx2.Client) -> None:
    assert_error(client.post("/seller/listings", json=body("urn:managem:pokemon:nope")), 400)
    bad_json = client.post(
        "/seller/listings", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(bad_json, 400)


def test_limits_are_inclusive_and_empty_reference_is_null(
    sandbox: Sandbox, client: httpx2.Client
) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    listing = client.post("/seller/listings", json=body(urn, notes="n" * 255, reference="")).json()
    assert listing["notes"] == "n" * 255
    assert listing["reference"] is None


@pytest.mark.parametrize(
    ("overrides", "valid"),
    [
        ({"price": 1999}, True),
        ({"price": 2000}, False),
        ({"gradingProvider": "PSA", "gradingScore": "9", "gradingNumber": "123"}, False),
    ],
)
def test_photo_rule(new_listing: NewListing, overrides: dict[str, Any], valid: bool) -> None:
    assert new_listing(**overrides)["valid"] is valid


def test_a_photo_makes_an_expensive_listing_valid(
    sandbox: Sandbox, new_listing: NewListing
) -> None:
    listing = new_listing(price=5000)
    edited = sandbox.seller_edit(listing["id"], attachments=["https://img.example/1.jpg"])
    assert edited["valid"] is True


def test_foreign_and_missing_listings_are_404(sandbox: Sandbox, client: httpx2.Client) -> None:
    foreign = sandbox.seed_listing(sellerId="sel_someone_else")
    full = body(sandbox.catalogue_urns(1)[0], quantity=1)
    for listing_id in (foreign["id"], "lst_missing"):
        assert_error(client.get(f"/seller/listings/{listing_id}"), 404)
        assert_error(client.put(f"/seller/listings/{listing_id}", json=full), 404)
        assert_error(client.delete(f"/seller/listings/{listing_id}"), 404)
    assert sandbox.listings()[0]["quantity"] == 1  # the foreign one was not touched


def test_put_is_a_full_replacement(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(reference="sku-9", notes="box 4", comment="fresh")
    sandbox.advance_clock(1)
    replacement = {"condition": "EX", "price": 120, "language": "English", "quantity": 5}
    response = client.put(f"/seller/listings/{listing['id']}", json=replacement)
    assert response.status_code == 200
    updated = response.json()
    assert (updated["condition"], updated["price"], updated["quantity"]) == ("EX", 120, 5)
    assert updated["reference"] is None  # omitted → cleared (full replacement)
    assert "notes" not in updated and "comment" not in updated
    assert updated["updatedAt"] > listing["updatedAt"]
    assert updated["createdAt"] == listing["createdAt"]


def test_put_accepts_reference_and_refuses_another_item(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing()
    full = {"condition": "NM", "price": 150, "language": "English", "quantity": 3}
    ok = client.put(f"/seller/listings/{listing['id']}", json={**full, "reference": "sku-2"})
    assert ok.json()["reference"] == "sku-2"
    same_urn = client.put(
        f"/seller/listings/{listing['id']}", json={**full, "urn": listing["item"]["urn"]}
    )
    assert same_urn.status_code == 200
    other = sandbox.catalogue_urns(2)[1]
    assert_error(client.put(f"/seller/listings/{listing['id']}", json={**full, "urn": other}), 400)
    assert_error(client.put(f"/seller/listings/{listing['id']}", json={"price": 1}), 400)


def test_soft_delete_then_404_then_restock_by_put(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(reference="sku-3")
    sandbox.advance_clock(1)
    deleted = client.delete(f"/seller/listings/{listing['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    after = client.get(f"/seller/listings/{listing['id']}").json()
    assert (after["quantity"], after["available"]) == (0, 0)
    assert after["updatedAt"] > listing["updatedAt"]
    assert after["reference"] == "sku-3"  # the record stays
    assert_error(client.delete(f"/seller/listings/{listing['id']}"), 404)

    full = {"condition": "NM", "price": 150, "language": "English", "quantity": 4}
    restocked = client.put(f"/seller/listings/{listing['id']}", json={**full, "reference": "sku-3"})
    assert restocked.json()["quantity"] == 4
    assert client.delete(f"/seller/listings/{listing['id']}").status_code == 204


def test_delete_is_423_while_locked(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing()
    sandbox.seller_edit(listing["id"], locked=True)
    assert_error(client.delete(f"/seller/listings/{listing['id']}"), 423)
    assert client.get(f"/seller/listings/{listing['id']}").json()["quantity"] == 3
    sandbox.seller_edit(listing["id"], locked=False)
    assert client.delete(f"/seller/listings/{listing['id']}").status_code == 204


def test_every_change_moves_updated_at(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=5)
    stamps = [listing["updatedAt"]]

    def read() -> dict[str, Any]:
        result: dict[str, Any] = client.get(f"/seller/listings/{listing['id']}").json()
        return result

    sandbox.advance_clock(1)
    sandbox.purchase(listing["id"], 2)
    after_sale = read()
    assert (after_sale["quantity"], after_sale["available"]) == (3, 3)
    stamps.append(after_sale["updatedAt"])
    sandbox.advance_clock(1)
    edited = sandbox.seller_edit(listing["id"], price=175)
    assert edited["price"] == 175 and edited["quantity"] == 3  # partial: the rest kept
    stamps.append(read()["updatedAt"])
    sandbox.advance_clock(1)
    full = {"condition": "NM", "price": 175, "language": "English", "quantity": 3}
    client.put(f"/seller/listings/{listing['id']}", json=full)
    stamps.append(read()["updatedAt"])
    sandbox.advance_clock(1)
    client.delete(f"/seller/listings/{listing['id']}")
    stamps.append(read()["updatedAt"])
    assert stamps == sorted(set(stamps)), stamps


def test_seller_edit_keeps_the_rules(sandbox: Sandbox, new_listing: NewListing) -> None:
    listing = new_listing()
    with pytest.raises(ApiError) as refused:
        sandbox.seller_edit(listing["id"], gradingProvider="PSA")
    assert refused.value.status == 400
    with pytest.raises(ApiError):
        sandbox.seller_edit(listing["id"], urn="urn:x")


def test_seed_listing_existed_before(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    seeded = sandbox.seed_listing(condition="LP", price=90, quantity=2)
    fresh = new_listing()
    assert seeded["reference"] is None
    age = datetime.fromisoformat(fresh["createdAt"]) - datetime.fromisoformat(seeded["createdAt"])
    assert age > timedelta(days=29)  # it was there long before syncd arrived
    fetched = client.get(f"/seller/listings/{seeded['id']}").json()
    assert fetched["condition"] == "LP" and fetched["sellerId"] == fresh["sellerId"]
    with_ref = sandbox.seed_listing(reference="legacy-1", createdAt="2025-01-02T03:04:05.006Z")
    assert with_ref["reference"] == "legacy-1"
    assert with_ref["createdAt"] == "2025-01-02T03:04:05.006Z"
