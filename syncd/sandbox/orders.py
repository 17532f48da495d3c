"""Orders: buyer purchases (test control), the seller's order actions, listing and history.

Assumed contract (§8.2): a purchase takes the quantity off the listing's ``quantity`` and
``available`` at once; cancelling or refunding an item never puts it back (restocking is the
seller's call). New order items start ``PENDING``; the seller's ``accept`` makes them
``ACCEPTED``. Every change moves the item's and the order's ``updatedAt`` and writes a history
entry. Callers hold ``market.lock``. No HTTP here.
"""

from __future__ import annotations

import re
from typing import Any

from syncd.sandbox.clock import iso_ms
from syncd.sandbox.errors import ApiError, bad_request, conflict, not_found
from syncd.sandbox.market import Market
from syncd.sandbox.paging import Query, page_of, parse_page
from syncd.sandbox.records import HistoryEntry, Order, OrderItem
from syncd.sandbox.validation import get_choice, get_str, require_object

DELIVERY_CHARGE = 150  # pence, flat (the real rule is not documented)
ITEM_STATUSES = (
    "PENDING",
    "ACCEPTED",
    "DISPATCHED",
    "DELIVERED",
    "CANCELLED",
    "REFUNDED",
    "DISPUTED",
)
# Seller action → (item statuses it applies to, status it sets, history wording).
SELLER_ACTIONS = {
    "accept": (("PENDING",), "ACCEPTED", "accepted"),
    "dispatch": (("PENDING", "ACCEPTED"), "DISPATCHED", "dispatched"),
    "cancel": (("PENDING", "ACCEPTED"), "CANCELLED", "cancelled by the seller"),
}
_STATUS_SHAPE = re.compile(r"^[A-Z][A-Z_]{0,39}$")


def render_item(market: Market, item: OrderItem) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": item.id,
        "listingId": item.listing_id,
        "orderId": item.order_id,
        "urn": item.urn,
        "price": item.price,
        "quantity": item.quantity,
        "condition": item.condition,
        "language": item.language,
        "createdAt": iso_ms(item.created_ms),
        "updatedAt": iso_ms(item.updated_ms),
        "item": market.catalogue.item_summary(item.urn),
        "status": item.status,
        "variants": list(item.variants),
    }
    if item.comment is not None:
        wire["comment"] = item.comment
    if item.shipment_id is not None:
        wire["shipmentId"] = item.shipment_id
    return wire


def render(market: Market, order: Order) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": order.id,
        "sellerId": order.seller_id,
        "purchaseId": order.purchase_id,
        "deliveryCharge": order.delivery_charge,
        "subtotal": order.subtotal,
        "total": order.subtotal + order.delivery_charge,
        "createdAt": iso_ms(order.created_ms),
        "updatedAt": iso_ms(order.updated_ms),
        "buyer": {"username": order.buyer},
        "items": [render_item(market, item) for item in order.items],
    }
    if order.carrier is not None or order.tracking is not None:
        wire["shipment"] = {"carrier": order.carrier, "tracking": order.tracking}
    return wire


def render_history(entry: HistoryEntry) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": entry.id,
        "purchaseId": entry.purchase_id,
        "orderId": entry.order_id,
        "comment": entry.comment,
        "party": entry.party,
        "createdAt": iso_ms(entry.created_ms),
        "orderItemIds": list(entry.order_item_ids),
    }
    if entry.username is not None:
        wire["user"] = {"id": "usr_" + entry.username, "username": entry.username}
    return wire


def _record(
    market: Market, order: Order, comment: str, party: str, items: list[OrderItem], user: str | None
) -> None:
    entry = HistoryEntry(
        id=market.new_cuid(),
        order_id=order.id,
        purchase_id=order.purchase_id,
        comment=comment,
        party=party,
        created_ms=market.now_ms(),
        username=user,
        order_item_ids=[item.id for item in items],
    )
    market.history.setdefault(order.id, []).append(entry)


def purchase(market: Market, wanted: list[tuple[str, int]], buyer: str = "buyer1") -> Order:
    """A buyer checks out: one order for one seller, stock taken at once, or 409 and no change."""
    if not wanted:
        raise bad_request("a purchase needs at least one item")
    totals: dict[str, int] = {}
    for listing_id, quantity in wanted:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise bad_request("quantity must be a whole number of at least 1")
        totals[listing_id] = totals.get(listing_id, 0) + quantity
    chosen = {}
    for listing_id, quantity in totals.items():
        listing = market.listings.get(listing_id)
        if listing is None:
            raise not_found("listing")
        if listing.hidden or listing.quantity == 0 or listing.available < quantity:
            raise conflict(f"listing {listing_id} has only {listing.available} available")
        chosen[listing_id] = listing
    sellers = {listing.seller_id for listing in chosen.values()}
    if len(sellers) != 1:
        raise bad_request("one purchase buys from one seller")
    now = market.now_ms()
    order = Order(
        id=market.new_id("ord"),
        seller_id=sellers.pop(),
        purchase_id=market.new_id("pur"),
        buyer=buyer,
        delivery_charge=DELIVERY_CHARGE,
        created_ms=now,
        updated_ms=now,
    )
    for listing_id, quantity in wanted:
        listing = chosen[listing_id]
        listing.quantity -= quantity
        listing.available -= quantity
        market.touch(listing, now)
        order.items.append(
            OrderItem(
                id=market.new_id("oit"),
                order_id=order.id,
                listing_id=listing.id,
                urn=listing.urn,
                price=listing.price,
                quantity=quantity,
                condition=listing.condition,
                language=listing.language,
                status="PENDING",
                created_ms=now,
                updated_ms=now,
                variants=list(listing.variants),
                comment=listing.comment,
            )
        )
    market.orders[order.id] = order
    _record(market, order, "Order placed", "BUYER", order.items, buyer)
    return order


def find_item(market: Market, item_id: str) -> tuple[Order, OrderItem]:
    for order in market.orders.values():
        for item in order.items:
            if item.id == item_id:
                return order, item
    raise not_found("order item")


def set_item_status(
    market: Market, item_id: str, status: str, *, party: str = "SYSTEM", note: str = ""
) -> Order:
    """Force an item's status (any UPPER_CASE value, so tests can send unknown ones)."""
    if not _STATUS_SHAPE.match(status):
        raise bad_request("status must be an UPPER_CASE word")
    order, item = find_item(market, item_id)
    now = market.now_ms()
    item.status = status
    item.updated_ms = now
    order.updated_ms = now
    _record(market, order, note or f"Item status set to {status}", party, [item], None)
    return order


def cancel_item(market: Market, item_id: str, status: str = "CANCELLED") -> Order:
    """A buyer/support cancellation or refund; the listing's quantity is NOT restored (§8.2)."""
    if status not in ("CANCELLED", "REFUNDED"):
        raise bad_request("status must be CANCELLED or REFUNDED")
    wording = "Item cancelled" if status == "CANCELLED" else "Item refunded"
    return set_item_status(market, item_id, status, party="SYSTEM", note=wording)


def seller_update(market: Market, order_id: str, body: Any) -> Order:
    """``PUT /seller/orders/{id}`` with accept | dispatch | cancel (§8.2)."""
    order = market.own_order(order_id)
    data = require_object(body)
    action = get_choice(data, "action", tuple(SELLER_ACTIONS), "")
    carrier = get_str(data, "carrier", required=False)
    tracking = get_str(data, "tracking", required=False)
    from_statuses, to_status, wording = SELLER_ACTIONS[action]
    eligible = [item for item in order.items if item.status in from_statuses]
    if not eligible:
        raise ApiError(409, f"no item of this order can be {wording}")
    now = market.now_ms()
    shipment_id = market.new_id("shp") if action == "dispatch" else None
    for item in eligible:
        item.status = to_status
        item.updated_ms = now
        if shipment_id is not None:
            item.shipment_id = shipment_id
    if action == "dispatch":
        order.carrier, order.tracking = carrier, tracking
    order.updated_ms = now
    _record(market, order, f"Items {wording}", "SELLER", eligible, market.username)
    return order


def list_orders(market: Market, query: Query) -> dict[str, Any]:
    request = parse_page(query)
    own = [order for order in market.orders.values() if order.seller_id == market.seller_id]
    total, page = page_of(
        own,
        request,
        created=lambda o: o.created_ms,
        updated=lambda o: o.updated_ms,
        key=lambda o: o.id,
    )
    return {"total": total, "hits": [render(market, order) for order in page]}


def history(market: Market, order_id: str) -> list[dict[str, Any]]:
    order = market.own_order(order_id)
    return [render_history(entry) for entry in market.history.get(order.id, [])]
