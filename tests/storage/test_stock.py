"""Stock changes: once per (reason, source), atomic against concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from syncd.core.inventory import InventoryRow, import_changes
from syncd.storage import Database
from syncd.storage.inventory import adjust_stock, apply_import, load_rows, local_quantity
from syncd.storage.tables import StockLedger

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _seed(db: Database, quantity: int = 10) -> None:
    row = InventoryRow("s1", "urn:managem:pokemon:set/a/card/1", "NM", "English", 100, quantity)
    with db.transaction() as session:
        apply_import(session, import_changes([row], {}), import_id="imp1", now=NOW)


def test_same_source_changes_stock_once(db_url: str) -> None:
    db = Database(db_url)
    _seed(db)
    for _ in range(3):
        with db.transaction() as session:
            adjust_stock(session, sku="s1", delta=-2, reason="sale", source_id="oi1", now=NOW)
    with db.transaction() as session:
        assert local_quantity(session, "s1") == 8
        reasons = session.scalars(select(StockLedger.reason).order_by(StockLedger.id)).all()
        assert reasons == ["import", "sale"]
        applied = adjust_stock(
            session, sku="s1", delta=2, reason="cancel", source_id="oi1", now=NOW
        )
        assert applied is True
        assert local_quantity(session, "s1") == 10
    db.dispose()


def test_concurrent_decrements_lose_nothing(db_url: str) -> None:
    db = Database(db_url)
    _seed(db, quantity=100)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with db.transaction() as session:
                    adjust_stock(
                        session, sku="s1", delta=-1, reason="sale", source_id=f"{n}-{i}", now=NOW
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.transaction() as session:
        assert local_quantity(session, "s1") == 60
        assert load_rows(session)["s1"].quantity == 60
    db.dispose()


def test_times_come_back_aware_utc(db_url: str) -> None:
    db = Database(db_url)
    _seed(db)
    with db.transaction() as session:
        moment = session.scalars(select(StockLedger.created_at)).one()
    assert moment == NOW
    assert moment.utcoffset() is not None
    db.dispose()
