"""The orders job over answers Managem's loose schema allows: one odd order must not stop
stock from being booked (a page that fails every cycle loses every sale behind it).

The remote is a small in-process fake; the job, ledger and storage are the real ones, on
SQLite and Postgres.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import structlog

from syncd.bootstrap import App
from syncd.clock import FakeClock
from syncd.core.inventory import InventoryRow, import_changes
from syncd.core.ledger import format_time
from syncd.gateway import Order
from syncd.jobs import orders as orders_job
from syncd.jobs.runner import JobContext
from syncd.settings import load_settings
from syncd.storage import Database
from syncd.storage.inventory import apply_import, load_rows
from syncd.storage.tables import ListingLink


class FakeRemote:
    def __init__(self, hits: list[dict[str, Any]]) -> None:
        self.hits = hits

    def iter_orders(self, since: datetime | None) -> Iterator[Order]:
        for hit in self.hits:
            yield Order.model_validate(hit)

    def get_listing(self, listing_id: str) -> Any:
        return SimpleNamespace(reference=None)


def _world(db_url: str, hits: list[dict[str, Any]]) -> App:
    clock = FakeClock()
    app = App(settings=load_settings(database={"url": db_url}), db=Database(db_url), clock=clock)
    app._gateway = FakeRemote(hits)  # type: ignore[assignment]
    now = clock.now()
    with app.db.transaction() as session:
        rows = [InventoryRow("a", "urn:a", "NM", "English", 100, 5)]
        apply_import(session, import_changes(rows, {}), import_id="imp", now=now)
        session.add(
            ListingLink(
                sku="a", listing_id="La", urn="urn:a", last_pushed_quantity=5, updated_at=now
            )
        )
    clock.advance(60)
    return app


def test_an_item_naming_another_order_id_is_booked_under_its_own_order(db_url: str) -> None:
    # The item sits inside order o1 but its orderId says otherwise (a purchase id, a stale
    # copy): recording it under an order syncd never saved broke the page, and every sale on it.
    stamp = format_time(FakeClock().now())
    hits = [
        {
            "id": "o1",
            "createdAt": stamp,
            "updatedAt": stamp,
            "items": [
                {"id": "i1", "orderId": "pur-9", "listingId": "La", "quantity": 2},
                {"id": "i2", "orderId": "o1", "listingId": "La", "quantity": 1},
            ],
        }
    ]
    app = _world(db_url, hits)
    try:
        ctx = JobContext(app=app, run_id="odd", log=structlog.get_logger("test"))
        outcome = orders_job.run(ctx)
        assert outcome.status == "ok" and outcome.counts["units_sold"] == 3
        assert orders_job.run(ctx).counts["units_sold"] == 0  # and only once
        with app.db.transaction() as session:
            assert load_rows(session)["a"].quantity == 2
    finally:
        app.db.dispose()
