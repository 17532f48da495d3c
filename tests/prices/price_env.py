"""Helpers for the price tests: an App on a database (and optionally a sandbox), inventory rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert

from syncd.bootstrap import App, build_app
from syncd.clock import FakeClock
from syncd.sandbox import Sandbox
from syncd.settings import load_settings
from syncd.storage.tables import InventoryItem


def make_app(
    db_url: str, *, clock: FakeClock, sandbox: Sandbox | None = None, keep_all_days: int = 90
) -> App:
    managem = {"base_url": sandbox.url, "token": sandbox.token} if sandbox else {}
    settings = load_settings(
        managem=managem,
        database={"url": db_url},
        ratelimit={"rate": 1000, "burst": 1000},
        prices={"keep_all_days": keep_all_days},
    )
    return build_app(settings, clock=clock)


def add_inventory(app: App, rows: Sequence[tuple[str, str, int, int]]) -> None:
    """(sku, urn, price, quantity) rows, NM English."""
    with app.db.transaction() as session:
        session.execute(
            insert(InventoryItem),
            [
                {
                    "sku": sku,
                    "urn": urn,
                    "condition": "NM",
                    "language": "English",
                    "price": price,
                    "quantity": qty,
                    "hidden": False,
                }
                for sku, urn, price, qty in rows
            ],
        )
