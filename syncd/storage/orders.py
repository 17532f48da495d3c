"""Orders and order items: what the orders job needs to read, the orders it saves, and what
``syncd orders list`` shows.

SQL only. What each item does is decided in ``syncd.core.ledger``; the booking itself (claims,
sales, cancellations on the stock ledger) is in ``syncd.storage.sales``. Everything runs in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.core.ledger import KnownItem, OpenAdjust, SeenOrder, adjusted_listing, observed_at
from syncd.storage.sales import dialect_insert
from syncd.storage.tables import (
    InventoryItem,
    ListingLink,
    Order,
    OrderItem,
    OrderItemStatus,
    RemoteListing,
    StockLedger,
)


def known_items(session: Session, ids: Collection[str]) -> dict[str, KnownItem]:
    """Recorded items among ``ids``, with every status seen, oldest first."""
    if not ids:
        return {}
    rows = session.execute(
        select(OrderItem.id, OrderItem.sku, OrderItem.quantity).where(OrderItem.id.in_(ids))
    ).all()
    history: dict[str, list[str]] = {}
    for item_id, status in session.execute(
        select(OrderItemStatus.order_item_id, OrderItemStatus.status)
        .where(OrderItemStatus.order_item_id.in_(ids))
        .order_by(OrderItemStatus.id)
    ):
        history.setdefault(item_id, []).append(status)
    return {
        item_id: KnownItem(sku, quantity, tuple(history.get(item_id, ())))
        for item_id, sku, quantity in rows
    }


def local_skus(session: Session, listing_ids: Collection[str]) -> dict[str, str]:
    """Listing id → sku for the listings syncd can attribute without asking Managem: the
    link's listing id, else the mirrored listing's reference when it is an inventory sku."""
    if not listing_ids:
        return {}
    found: dict[str, str] = {
        listing_id: sku
        for listing_id, sku in session.execute(
            select(ListingLink.listing_id, ListingLink.sku).where(
                ListingLink.listing_id.in_(listing_ids)
            )
        )
        if listing_id is not None
    }
    rest = [lid for lid in listing_ids if lid not in found]
    if rest:
        for listing_id, sku in session.execute(
            select(RemoteListing.listing_id, InventoryItem.sku)
            .join(InventoryItem, InventoryItem.sku == RemoteListing.reference)
            .where(RemoteListing.listing_id.in_(rest))
        ):
            found[listing_id] = sku
    return found


def inventory_skus(session: Session, skus: Collection[str]) -> set[str]:
    if not skus:
        return set()
    return set(session.scalars(select(InventoryItem.sku).where(InventoryItem.sku.in_(skus))))


def open_adjustments(session: Session, skus: Collection[str]) -> dict[str, list[OpenAdjust]]:
    """Open ``remote_adjust`` rows of these skus, locked on Postgres until the tx ends."""
    if not skus:
        return {}
    out: dict[str, list[OpenAdjust]] = {}
    rows = session.execute(
        select(StockLedger.id, StockLedger.sku, StockLedger.open_quantity, StockLedger.source_id)
        .where(
            StockLedger.reason == "remote_adjust",
            StockLedger.open_quantity > 0,
            StockLedger.sku.in_(skus),
        )
        .order_by(StockLedger.id)
        .with_for_update()
    ).all()
    for ledger_id, sku, open_quantity, source_id in rows:
        out.setdefault(sku, []).append(
            OpenAdjust(
                ledger_id, sku, open_quantity, observed_at(source_id), adjusted_listing(source_id)
            )
        )
    return out


def save_orders(session: Session, orders: Sequence[SeenOrder], now: datetime) -> None:
    """Insert new orders, refresh the totals and remote updatedAt of known ones."""
    if not orders:
        return
    rows = [
        {
            "id": order.id,
            "purchase_id": order.purchase_id,
            "total": order.total,
            "subtotal": order.subtotal,
            "delivery_charge": order.delivery_charge,
            "remote_created_at": order.created_at,
            "remote_updated_at": order.updated_at,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for order in {o.id: o for o in orders}.values()
    ]
    stmt = dialect_insert(session, Order)
    refreshed = [c for c in rows[0] if c not in ("id", "first_seen_at")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={c: stmt.excluded[c] for c in refreshed}
    )
    session.connection().execute(stmt, rows)


def first_import_at(session: Session) -> datetime | None:
    """When stock was first counted into syncd (the earliest import ledger row)."""
    return session.scalar(
        select(func.min(StockLedger.created_at)).where(StockLedger.reason == "import")
    )


def list_items(
    session: Session,
    *,
    since: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Order lines for ``syncd orders list``, newest order first, with their stock effect."""
    effect = (
        select(StockLedger.source_id, func.sum(StockLedger.delta).label("delta"))
        .where(StockLedger.reason.in_(("sale", "cancel")))
        .group_by(StockLedger.source_id)
        .subquery()
    )
    query = (
        select(
            Order.id,
            Order.remote_created_at,
            Order.remote_updated_at,
            OrderItem.id,
            OrderItem.sku,
            OrderItem.urn,
            OrderItem.quantity,
            OrderItem.price,
            OrderItem.status,
            effect.c.delta,
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .outerjoin(effect, effect.c.source_id == OrderItem.id)
        .order_by(Order.remote_created_at.desc(), Order.id, OrderItem.id)
    )
    if since is not None:
        query = query.where(Order.remote_updated_at >= since)
    if status is not None:
        query = query.where(OrderItem.status == status)
    if limit is not None:
        query = query.limit(limit)
    keys = (
        "order_id",
        "created_at",
        "updated_at",
        "item_id",
        "sku",
        "urn",
        "quantity",
        "price",
        "status",
        "stock_delta",
    )
    return [dict(zip(keys, row, strict=True)) for row in session.execute(query)]
