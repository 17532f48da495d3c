"""Booking a page of order items: claim new items, book sales and cancellations on the ledger.

SQL only; what each item does comes from ``syncd.core.ledger.plan_items``. The rules are those
of ``inventory.adjust_stock``, applied a page at a time (a few statements per page rather than
several per item): a ledger row per (reason, order item id) is inserted with ON CONFLICT DO
NOTHING, and only the rows that went in change stock, by an atomic
``UPDATE … SET quantity = quantity + :delta``. An item is claimed the same way, so two runs can
never both book it. Everything happens in the caller's transaction, cursor included.

Also the late half of an adoption: items first recorded as not ours on a listing the listings
sync now adopts get their sku and a sale row, once (``unowned_items``, ``book_adopted_sales``;
which ones is ``core.ledger.sales_on_adopted``'s decision).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.ledger import ItemStep, UnownedItem
from syncd.storage.tables import InventoryItem, ListingLink, OrderItem, OrderItemStatus, StockLedger

STATUS_WIDTH = 32  # order_items.status: an unknown, longer status is cut, never refused


@dataclass
class Booked:
    """What ``apply_steps`` actually changed (the ledger may find some of it done already)."""

    items_new: int = 0
    units_sold: int = 0
    units_consumed: int = 0
    units_restocked: int = 0
    not_ours: int = 0
    units_without_row: int = 0  # sold on a sku whose inventory row is gone: nothing to take off


def status_text(text: str) -> str:
    return text[:STATUS_WIDTH]


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT support on either backend."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _claim(session: Session, steps: Sequence[ItemStep], now: datetime) -> set[str]:
    """Insert the new items; the ids that went in are ours to book."""
    if not steps:
        return set()
    rows = [
        {
            "id": s.item.id,
            "order_id": s.item.order_id,
            "listing_id": s.item.listing_id,
            "sku": s.sku,
            "urn": s.item.urn,
            "quantity": s.item.quantity,
            "price": s.item.price,
            "status": status_text(s.item.status),
            "remote_created_at": s.item.created_at,
            "remote_updated_at": s.item.updated_at,
            "first_seen_at": now,
        }
        for s in steps
    ]
    stmt = dialect_insert(session, OrderItem).on_conflict_do_nothing(index_elements=["id"])
    # executemany with RETURNING ("insertmanyvalues"): one compiled statement, batched rows.
    return set(session.connection().execute(stmt.returning(OrderItem.id), rows).scalars())


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


def _ledger(
    session: Session, reason: str, changes: Sequence[tuple[str, str, int]], now: datetime
) -> dict[str, int]:
    """Ledger rows for (sku, order item id, delta) once each; stock moves for those that went in.

    Returns order item id → delta of the rows written now.
    """
    if not changes:
        return {}
    rows = [
        {
            "sku": sku,
            "delta": delta,
            "reason": reason,
            "source_id": item_id,
            "open_quantity": 0,
            "created_at": now,
        }
        for sku, item_id, delta in changes
    ]
    stmt = dialect_insert(session, StockLedger).on_conflict_do_nothing(
        index_elements=["reason", "source_id"]
    )
    answer = session.connection().execute(
        stmt.returning(StockLedger.source_id, StockLedger.delta), rows
    )
    written = {source: delta for source, delta in answer}
    per_sku: Counter[str] = Counter()
    for sku, item_id, delta in changes:
        if item_id in written:
            per_sku[sku] += delta
    _move_stock(session, per_sku.items())
    return written


def _move_stock(session: Session, deltas: Iterable[tuple[str, int]]) -> None:
    params = [{"b_sku": sku, "b_delta": delta} for sku, delta in sorted(deltas) if delta]
    if params:
        stmt = (
            update(InventoryItem)
            .where(InventoryItem.sku == bindparam("b_sku"))
            .values(quantity=InventoryItem.quantity + bindparam("b_delta"))
        )
        session.connection().execute(stmt, params)


def _with_rows(session: Session, skus: Iterable[str]) -> set[str]:
    """The skus that still have an inventory row, locked (Postgres) until the transaction ends,
    so a row deleted meanwhile cannot make a ledger row claim a stock change that hit nothing."""
    wanted = sorted(set(skus))
    if not wanted:
        return set()
    query = (
        select(InventoryItem.sku)
        .where(InventoryItem.sku.in_(wanted))
        .order_by(InventoryItem.sku)
        .with_for_update()
    )
    return set(session.scalars(query))


def _sold(session: Session, item_ids: Iterable[str]) -> set[str]:
    """Items whose sale is on the ledger (only those took anything off local stock)."""
    ids = sorted(set(item_ids))
    if not ids:
        return set()
    query = select(StockLedger.source_id).where(
        StockLedger.reason == "sale", StockLedger.source_id.in_(ids)
    )
    return set(session.scalars(query))


def _lower_last_pushed(session: Session, units: Counter[str]) -> None:
    # The remote lost these units at checkout; the listings sync must expect that (P in the
    # three-way rule), or it would take the same sale off local stock a second time.
    params = [{"b_sku": sku, "b_units": n} for sku, n in sorted(units.items()) if n]
    if params:
        pushed = ListingLink.last_pushed_quantity
        n: Any = bindparam("b_units")
        stmt = (
            update(ListingLink)
            .where(ListingLink.sku == bindparam("b_sku"), pushed.is_not(None))
            .values(last_pushed_quantity=case((pushed > n, pushed - n), else_=0))
        )
        session.connection().execute(stmt, params)


def apply_steps(session: Session, steps: Sequence[ItemStep], now: datetime) -> Booked:
    """Record every step and book its stock changes (the caller commits, cursor included)."""
    booked = Booked()
    claimed = _claim(session, [s for s in steps if s.new], now)
    booked.items_new = len(claimed)
    touched = [s.sku for s in steps if s.sku is not None and (s.new or s.restock)]
    with_rows = _with_rows(session, touched)
    sales: list[tuple[str, str, int]] = []
    consumed: dict[str, int] = {}
    lowered: Counter[str] = Counter()
    for step in steps:
        if step.new and step.item.id in claimed:
            if step.sku is None:
                booked.not_ours += 1
                continue
            consumed[step.item.id] = _consume(session, step)
            planned = sum(t.quantity for t in step.consumed)
            units = step.sold + planned - consumed[step.item.id]
            if step.sku not in with_rows:
                # No row to take it off: no sale on the ledger (so no restock either). The
                # listing still lost the units at checkout.
                booked.units_without_row += units
                lowered[step.sku] += units
                continue
            sales.append((step.sku, step.item.id, -units))
    sold = _ledger(session, "sale", sales, now)
    for sku, item_id, delta in sales:
        if item_id in sold:
            booked.units_sold += -delta + consumed[item_id]
            booked.units_consumed += consumed[item_id]
            lowered[sku] += -delta
    _lower_last_pushed(session, lowered)

    seen_again = [s for s in steps if not s.new]
    if seen_again:
        stmt = (
            update(OrderItem)
            .where(OrderItem.id == bindparam("b_id"))
            .values(status=bindparam("b_status"), remote_updated_at=bindparam("b_updated"))
        )
        session.connection().execute(
            stmt,
            [
                {
                    "b_id": s.item.id,
                    "b_status": status_text(s.item.status),
                    "b_updated": s.item.updated_at,
                }
                for s in seen_again
            ],
        )
    history = [
        {"order_item_id": s.item.id, "status": status_text(s.status_change), "seen_at": now}
        for s in steps
        if s.status_change is not None and (not s.new or s.item.id in claimed)
    ]
    if history:
        session.execute(insert(OrderItemStatus), history)
    due = [
        s for s in steps if s.restock and s.sku in with_rows and (not s.new or s.item.id in claimed)
    ]
    on_ledger = _sold(session, [s.item.id for s in due])
    restocks = [(s.sku, s.item.id, s.restock) for s in due if s.sku and s.item.id in on_ledger]
    booked.units_restocked = sum(_ledger(session, "cancel", restocks, now).values())
    return booked


def unowned_items(session: Session, listing_ids: Iterable[str]) -> list[UnownedItem]:
    """Items recorded as not ours on these listings, with every status seen, oldest first."""
    ids = sorted(set(listing_ids))
    if not ids:
        return []
    rows = session.execute(
        select(
            OrderItem.id,
            OrderItem.listing_id,
            OrderItem.quantity,
            OrderItem.remote_created_at,
            OrderItem.status,
        ).where(OrderItem.sku.is_(None), OrderItem.listing_id.in_(ids))
    ).all()
    history: dict[str, list[str]] = {}
    if rows:
        seen = select(OrderItemStatus.order_item_id, OrderItemStatus.status).where(
            OrderItemStatus.order_item_id.in_([r[0] for r in rows])
        )
        for item_id, status in session.execute(seen.order_by(OrderItemStatus.id)):
            history.setdefault(item_id, []).append(status)
    return [
        UnownedItem(
            item_id=item_id,
            listing_id=listing_id,
            quantity=quantity,
            created_at=created_at,
            statuses=tuple(history.get(item_id) or [status]),
        )
        for item_id, listing_id, quantity, created_at, status in rows
        if listing_id is not None  # always, by the query; for the type
    ]


def book_adopted_sales(
    session: Session, sales: Mapping[str, tuple[str, int]], now: datetime
) -> int:
    """Give each item (id → (sku, units)) its sku and book its sale once; returns the units
    taken off local stock now (a sale already on the ledger takes nothing again)."""
    if not sales:
        return 0
    stmt = (
        update(OrderItem)
        .where(OrderItem.id == bindparam("b_id"), OrderItem.sku.is_(None))
        .values(sku=bindparam("b_sku"))
    )
    params = [{"b_id": item_id, "b_sku": sku} for item_id, (sku, _units) in sorted(sales.items())]
    session.connection().execute(stmt, params)
    with_rows = _with_rows(session, (sku for sku, _units in sales.values()))
    changes = [
        (sku, item_id, -units)
        for item_id, (sku, units) in sorted(sales.items())
        if sku in with_rows
    ]
    return -sum(_ledger(session, "sale", changes, now).values())
