"""Inventory rows and the stock ledger: load, import in one transaction, atomic stock changes.

SQL only. Decisions (what an import changes) come from ``syncd.core.inventory``; this module
writes them. Stock adjustments are ``UPDATE … SET quantity = quantity + :delta`` guarded by a
unique ledger row, so the same source never changes stock twice and a till writing the table at
the same time loses nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, false, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.inventory import ImportChanges, InventoryRow
from syncd.storage.tables import InventoryItem, OwnPrice, StockLedger

_COLUMNS = tuple(InventoryRow.__dataclass_fields__)
_SOURCE_ID_MAX = 255  # stock_ledger.source_id


def _row(item: InventoryItem) -> InventoryRow:
    return InventoryRow(**{c: getattr(item, c) for c in _COLUMNS})


def load_rows(session: Session) -> dict[str, InventoryRow]:
    """Every inventory row by sku."""
    items = session.scalars(select(InventoryItem)).all()
    return {item.sku: _row(item) for item in items}


def lock_inventory(session: Session) -> None:
    """Hold off other writers of ``inventory_items`` (a till, a shop) until the transaction
    ends, before reading rows that will be written back as absolute values (an import).

    Postgres: a table lock that lets readers through and makes writers wait. SQLite: a write
    that changes nothing takes the database's write lock now (waiting out a writer for the busy
    timeout), so no writer can commit between our read and our write.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE inventory_items IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(
            update(InventoryItem).where(false()).values(quantity=InventoryItem.quantity)
        )


def iter_rows(session: Session) -> Iterable[InventoryRow]:
    for item in session.scalars(select(InventoryItem).order_by(InventoryItem.sku)):
        yield _row(item)


def count_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(InventoryItem)) or 0)


def apply_import(
    session: Session, changes: ImportChanges, *, import_id: str, now: datetime
) -> None:
    """Write the rows, ledger entries and price records of an import (caller owns the tx)."""
    if changes.inserts:
        session.execute(insert(InventoryItem), [r.as_dict() for r in changes.inserts])
    if changes.updates:
        params = [{"b_" + k: v for k, v in r.as_dict().items()} for r in changes.updates]
        stmt = (
            update(InventoryItem)
            .where(InventoryItem.sku == bindparam("b_sku"))
            .values({c: bindparam("b_" + c) for c in _COLUMNS if c != "sku"})
        )
        session.connection().execute(stmt, params)
    if changes.quantity_deltas:
        session.execute(
            insert(StockLedger),
            [
                {
                    "sku": sku,
                    "delta": delta,
                    "reason": "import",
                    "source_id": _import_source(import_id, sku),
                    "open_quantity": 0,
                    "created_at": now,
                }
                for sku, delta in sorted(changes.quantity_deltas.items())
            ],
        )
    if changes.price_changes:
        urns = {r.sku: r.urn for r in (*changes.inserts, *changes.updates)}
        session.execute(
            insert(OwnPrice),
            [
                {
                    "sku": sku,
                    "urn": urns[sku],
                    "price": price,
                    "reason": "import",
                    "recorded_at": now,
                }
                for sku, price in sorted(changes.price_changes.items())
            ],
        )


def _import_source(import_id: str, sku: str) -> str:
    """The ledger's source_id for an import row: ``import_id:sku``, or the sku's hash when a
    long sku (up to 255) would not fit the 255-character column."""
    source = f"{import_id}:{sku}"
    if len(source) <= _SOURCE_ID_MAX:
        return source
    return f"{import_id}:#{hashlib.sha256(sku.encode()).hexdigest()}"


def adjust_stock(
    session: Session,
    *,
    sku: str,
    delta: int,
    reason: str,
    source_id: str,
    now: datetime,
    open_quantity: int = 0,
) -> bool:
    """Change local stock once per (reason, source_id). Returns False if already applied.

    The ledger row is inserted first with ON CONFLICT DO NOTHING; only when it is new does the
    atomic UPDATE run, in the same transaction.
    """
    values = {
        "sku": sku,
        "delta": delta,
        "reason": reason,
        "source_id": source_id,
        "open_quantity": open_quantity,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    stmt = (
        postgresql.insert(StockLedger) if dialect == "postgresql" else sqlite.insert(StockLedger)
    ).values(values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["reason", "source_id"])
    # RETURNING tells reliably whether the row went in (rowcount is -1 on some drivers).
    if session.execute(stmt.returning(StockLedger.id)).first() is None:
        return False
    if delta:
        session.execute(
            update(InventoryItem)
            .where(InventoryItem.sku == sku)
            .values(quantity=InventoryItem.quantity + delta)
        )
    return True


def local_quantity(session: Session, sku: str) -> int | None:
    return session.scalar(select(InventoryItem.quantity).where(InventoryItem.sku == sku))
