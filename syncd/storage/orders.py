"""Orders, order items, their status history and the sales they book on the stock ledger.

SQL only. What each item does is decided in ``syncd.core.ledger``; this module reads the state
that decision needs and writes its result inside the caller's transaction. Every stock change
goes through ``adjust_stock`` (once per reason and order item id, atomic UPDATE), an item is
claimed with INSERT … ON CONFLICT DO NOTHING so two runs can never both book it, and open
``remote_adjust`` rows are consumed with a guarded UPDATE.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.ledger import ItemStep, KnownItem, OpenAdjust, SeenOrder, observed_at
from syncd.storage.inventory import adjust_stock
from syncd.storage.tables import (
    InventoryItem,
    ListingLink,
    Order,
    OrderItem,
    OrderItemStatus,
    RemoteListing,
    StockLedger,
)

STATUS_WIDTH = 32  # order_items.status: an unknown, longer status is cut, never refused


@dataclass
class Booked:
    """What ``apply_steps`` actually changed (the ledger may find some of it done already)."""

    items_new: int = 0
    units_sold: int = 0
    units_consumed: int = 0
    units_restocked: int = 0
    not_ours: int = 0


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _status(text: str) -> str:
    return text[:STATUS_WIDTH]


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
            OpenAdjust(ledger_id, sku, open_quantity, observed_at(source_id))
        )
    return out


def save_orders(session: Session, orders: Sequence[SeenOrder], now: datetime) -> None:
    """Insert new orders, refresh the totals and remote updatedAt of known ones."""
    for order in orders:
        values = {
            "purchase_id": order.purchase_id,
            "total": order.total,
            "subtotal": order.subtotal,
            "delivery_charge": order.delivery_charge,
            "remote_created_at": order.created_at,
            "remote_updated_at": order.updated_at,
            "last_seen_at": now,
        }
        stmt = _insert(session, Order).values(id=order.id, first_seen_at=now, **values)
        session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))


def _claim(session: Session, step: ItemStep, now: datetime) -> bool:
    item = step.item
    stmt = (
        _insert(session, OrderItem)
        .values(
            id=item.id,
            order_id=item.order_id,
            listing_id=item.listing_id,
            sku=step.sku,
            urn=item.urn,
            quantity=item.quantity,
            price=item.price,
            status=_status(item.status),
            remote_created_at=item.created_at,
            remote_updated_at=item.updated_at,
            first_seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(OrderItem.id)
    )
    return session.execute(stmt).first() is not None


def _consume(session: Session, step: ItemStep) -> int:
    """Take the planned units off open rows; a row another run emptied meanwhile gives none."""
    taken = 0
    for take in step.consumed:
        done = session.execute(
            update(StockLedger)
            .where(StockLedger.id == take.ledger_id, StockLedger.open_quantity >= take.quantity)
            .values(open_quantity=StockLedger.open_quantity - take.quantity)
            .returning(StockLedger.id)
        ).first()
        taken += take.quantity if done is not None else 0
    return taken


def _lower_last_pushed(session: Session, sku: str, units: int) -> None:
    # The remote lost these units at checkout; the listings sync must expect that (P in the
    # three-way rule), or it would take the same sale off local stock a second time.
    pushed = ListingLink.last_pushed_quantity
    session.execute(
        update(ListingLink)
        .where(ListingLink.sku == sku, pushed.is_not(None))
        .values(last_pushed_quantity=case((pushed > units, pushed - units), else_=0))
    )


def apply_steps(session: Session, steps: Sequence[ItemStep], now: datetime) -> Booked:
    """Record every step and book its stock changes (the caller commits, cursor included)."""
    booked = Booked()
    for step in steps:
        item = step.item
        if step.new:
            if not _claim(session, step, now):
                continue
            booked.items_new += 1
            if step.sku is None:
                booked.not_ours += 1
            else:
                consumed = _consume(session, step)
                units = step.sold + sum(t.quantity for t in step.consumed) - consumed
                if adjust_stock(
                    session, sku=step.sku, delta=-units, reason="sale", source_id=item.id, now=now
                ):
                    booked.units_sold += units + consumed
                    booked.units_consumed += consumed
                    if units:
                        _lower_last_pushed(session, step.sku, units)
        else:
            session.execute(
                update(OrderItem)
                .where(OrderItem.id == item.id)
                .values(status=_status(item.status), remote_updated_at=item.updated_at)
            )
        if step.status_change is not None:
            session.add(
                OrderItemStatus(
                    order_item_id=item.id, status=_status(step.status_change), seen_at=now
                )
            )
        if (
            step.restock
            and step.sku is not None
            and adjust_stock(
                session,
                sku=step.sku,
                delta=step.restock,
                reason="cancel",
                source_id=item.id,
                now=now,
            )
        ):
            booked.units_restocked += step.restock
    session.flush()
    return booked


def first_import_at(session: Session) -> datetime | None:
    """When stock was first counted into syncd (the earliest import ledger row)."""
    first = session.scalar(
        select(func.min(StockLedger.created_at)).where(StockLedger.reason == "import")
    )
    # SQLite hands timestamps back without a zone; they were stored as UTC.
    return first.replace(tzinfo=UTC) if first is not None and first.tzinfo is None else first


def list_items(
    session: Session, *, since: str | None = None, status: str | None = None
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
