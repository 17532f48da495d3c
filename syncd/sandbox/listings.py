"""Listing rules: create, bulk create, get, full-replacement PUT, soft delete, website edits.

Follows §4.1/§6 where documented and §8.4 where assumed. Assumption (Prisma-style ``@updatedAt``):
every change to a listing — PUT, DELETE, a purchase taking quantity off, a website edit — moves
``updatedAt``. ``available`` equals ``quantity`` except after purchases, which take from both.
Callers hold ``market.lock``. No HTTP here; searching lives in ``search``.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox.clock import DAY_MS, iso_ms, parse_iso_ms
from syncd.sandbox.errors import ApiError, bad_request, not_found
from syncd.sandbox.market import Market
from syncd.sandbox.records import Listing
from syncd.sandbox.validation import (
    ListingFields,
    get_bool,
    get_int,
    get_str,
    get_str_list,
    parse_listing_fields,
    require_object,
)

BULK_LIMIT = 200
# Fields a website edit or a seeded listing may set besides the editable ones (test controls).
_CONTROL_FIELDS = ("locked", "attachments", "available")


def render(market: Market, listing: Listing) -> dict[str, Any]:
    """The Listing wire shape (§2.3). Optional text fields are absent when unset, as in the docs."""
    wire: dict[str, Any] = {
        "id": listing.id,
        "sellerId": listing.seller_id,
        "condition": listing.condition,
        "price": listing.price,
        "language": listing.language,
        "quantity": listing.quantity,
        "available": listing.available,
        "variants": list(listing.variants),
        "reference": listing.reference,
        "hidden": listing.hidden,
        "valid": listing.valid,
        "locked": listing.locked,
        "attachments": list(listing.attachments),
        "createdAt": iso_ms(listing.created_ms),
        "updatedAt": iso_ms(listing.updated_ms),
    }
    optional = {
        "comment": listing.comment,
        "gradingProvider": listing.grading_provider,
        "gradingScore": listing.grading_score,
        "gradingNumber": listing.grading_number,
        "notes": listing.notes,
    }
    wire.update({key: value for key, value in optional.items() if value is not None})
    wire["item"] = market.catalogue.item(listing.urn, market.now_ms())
    wire["seller"] = market.seller_summary(listing.seller_id)
    return wire


def editable_wire(listing: Listing) -> dict[str, Any]:
    """The editable fields under their wire names: the base a partial website edit merges onto."""
    return {
        "condition": listing.condition,
        "price": listing.price,
        "language": listing.language,
        "quantity": listing.quantity,
        "variants": list(listing.variants),
        "comment": listing.comment,
        "gradingProvider": listing.grading_provider,
        "gradingScore": listing.grading_score,
        "gradingNumber": listing.grading_number,
        "hidden": listing.hidden,
        "notes": listing.notes,
        "reference": listing.reference,
    }


def _apply(listing: Listing, fields: ListingFields) -> None:
    listing.condition = fields.condition
    listing.price = fields.price
    listing.language = fields.language
    listing.quantity = fields.quantity
    listing.available = fields.quantity
    listing.variants = fields.variants
    listing.comment = fields.comment
    listing.grading_provider = fields.grading_provider
    listing.grading_score = fields.grading_score
    listing.grading_number = fields.grading_number
    listing.hidden = fields.hidden
    listing.notes = fields.notes
    listing.reference = fields.reference


def _known_urn(market: Market, data: dict[str, Any]) -> str:
    urn = get_str(data, "urn") or ""
    if not market.catalogue.exists(urn):
        raise bad_request(f"unknown catalogue item: {urn[:200]}")
    return urn


def create(market: Market, body: Any) -> Listing:
    data = require_object(body)
    urn = _known_urn(market, data)
    fields = parse_listing_fields(data, creating=True)
    now = market.now_ms()
    listing = Listing(
        id=market.new_id("lst"),
        seller_id=market.seller_id,
        urn=urn,
        condition=fields.condition,
        price=fields.price,
        language=fields.language,
        quantity=fields.quantity,
        available=fields.quantity,
        created_ms=now,
        updated_ms=now,
    )
    _apply(listing, fields)
    market.add_listing(listing)
    return listing


def create_bulk(market: Market, body: Any) -> dict[str, list[str]]:
    """Each entry on its own (§4.1): answers by URN only, with no reasons, as the real one does."""
    entries = require_object(body).get("listings")
    if not isinstance(entries, list):
        raise bad_request("listings must be an array")
    if len(entries) > BULK_LIMIT:
        raise bad_request(f"at most {BULK_LIMIT} listings per request")
    successful: list[str] = []
    failed: list[str] = []
    for entry in entries:
        try:
            listing = create(market, entry)
        except ApiError:
            urn = entry.get("urn") if isinstance(entry, dict) else None
            failed.append(urn if isinstance(urn, str) else "")
        else:
            successful.append(listing.urn)
    return {"successful": successful, "failed": failed}


def replace(market: Market, listing_id: str, body: Any) -> Listing:
    """PUT: full replacement of the editable fields (§8.4); omitted optional fields are cleared."""
    listing = market.own_listing(listing_id)
    data = require_object(body)
    urn = data.get("urn")
    if urn is not None and urn != listing.urn:
        raise bad_request("the catalogue item of a listing cannot be changed")
    _apply(listing, parse_listing_fields(data, creating=False))
    market.touch(listing)
    return listing


def delete(market: Market, listing_id: str) -> None:
    """Soft delete (§6.5): quantity → 0. Already inactive → 404 (§8.4); holds → 423."""
    listing = market.own_listing(listing_id)
    if listing.quantity == 0:
        raise not_found("active listing")
    if listing.locked:
        raise ApiError(423, "listing has active holds")
    listing.quantity = 0
    listing.available = 0
    market.touch(listing)


def _apply_controls(listing: Listing, data: dict[str, Any]) -> None:
    if "locked" in data:
        listing.locked = get_bool(data, "locked", listing.locked)
    if "attachments" in data:
        listing.attachments = get_str_list(data, "attachments")
    if "available" in data:
        listing.available = get_int(data, "available", minimum=0, maximum=listing.quantity)


def seller_edit(market: Market, listing_id: str, fields: dict[str, Any]) -> Listing:
    """An edit on the website: only the given fields change, the rules still hold."""
    listing = market.own_listing(listing_id)
    allowed = set(editable_wire(listing)) | set(_CONTROL_FIELDS)
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise bad_request(f"cannot edit {', '.join(unknown)}")
    merged = {**editable_wire(listing), **fields}
    parsed = parse_listing_fields(merged, creating=False)
    available = listing.available if "quantity" not in fields else parsed.quantity
    _apply(listing, parsed)
    listing.available = min(available, listing.quantity)
    _apply_controls(listing, fields)
    market.touch(listing)
    return listing


def seed(market: Market, fields: dict[str, Any]) -> Listing:
    """A listing that was there before syncd: indexed long ago, no reference unless given."""
    allowed = {"urn", "sellerId", "createdAt", *_CONTROL_FIELDS}
    unknown = sorted(set(fields) - allowed - set(editable_wire_defaults()))
    if unknown:
        raise bad_request(f"cannot seed {', '.join(unknown)}")
    data = {**editable_wire_defaults(), "urn": market.catalogue.urns(1)[0], **fields}
    urn = _known_urn(market, data)
    parsed = parse_listing_fields(data, creating=False)
    created = data.get("createdAt")
    try:
        created_ms = (
            parse_iso_ms(created) if isinstance(created, str) else market.now_ms() - 30 * DAY_MS
        )
    except ValueError as exc:
        raise bad_request("createdAt must be an ISO-8601 timestamp") from exc
    seller_id = get_str(data, "sellerId", required=False) or market.seller_id
    listing = Listing(
        id=market.new_id("lst"),
        seller_id=seller_id,
        urn=urn,
        condition=parsed.condition,
        price=parsed.price,
        language=parsed.language,
        quantity=parsed.quantity,
        available=parsed.quantity,
        created_ms=created_ms,
        updated_ms=created_ms,
    )
    _apply(listing, parsed)
    _apply_controls(listing, data)
    market.add_listing(listing)
    return listing


def editable_wire_defaults() -> dict[str, Any]:
    return {
        "condition": "NM",
        "price": 100,
        "language": "English",
        "quantity": 1,
        "variants": [],
        "comment": None,
        "gradingProvider": None,
        "gradingScore": None,
        "gradingNumber": None,
        "hidden": False,
        "notes": None,
        "reference": None,
    }
