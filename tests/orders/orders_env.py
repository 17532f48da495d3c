"""A syncd app pointed at a real sandbox over HTTP, with skus listed, linked and stocked.

``OrdersEnv`` owns one sandbox and one App. Its clock follows the sandbox's (real time plus
whatever ``advance`` added), so "24 hours before auto-escalation" means the same on both sides.
``listed(n)`` seeds n listings in the sandbox with ``reference=<sku>`` plus matching inventory
rows and links, as the listings job would leave them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from syncd.bootstrap import App, build_app
from syncd.core.inventory import InventoryRow, import_changes
from syncd.jobs import JobOutcome, job_table, run_job
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import load_settings
from syncd.storage.inventory import apply_import, load_rows
from syncd.storage.runs import get_cursor, set_cursor
from syncd.storage.tables import ListingLink, OrderItemStatus, StockLedger


class SandboxClock:
    """Real time shifted by the seconds the test advanced the sandbox."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass
class OrdersEnv:
    sandbox: Sandbox
    app: App
    clock: SandboxClock
    listing_of: dict[str, str] = field(default_factory=dict)  # sku → listing id

    # -- setup ------------------------------------------------------------------------------

    def listed(self, n: int, quantity: int = 5, prefix: str = "sku") -> list[str]:
        """n skus, each with a sandbox listing (reference = sku), inventory row and link."""
        urns = self.sandbox.catalogue_urns(n + len(self.listing_of))[len(self.listing_of) :]
        rows = [
            InventoryRow(f"{prefix}-{i:03d}", urn, "NM", "English", 150 + i, quantity)
            for i, urn in enumerate(urns)
        ]
        now = self.clock.now()
        with self.app.db.transaction() as session:
            changes = import_changes(rows, load_rows(session))
            apply_import(session, changes, import_id=f"imp-{prefix}", now=now)
            for row in rows:
                listing = self.sandbox.seed_listing(
                    urn=row.urn, reference=row.sku, quantity=quantity, price=row.price
                )
                self.listing_of[row.sku] = listing["id"]
                session.add(
                    ListingLink(
                        sku=row.sku,
                        listing_id=listing["id"],
                        urn=row.urn,
                        last_pushed_quantity=quantity,
                        updated_at=now,
                    )
                )
        return [row.sku for row in rows]

    def advance(self, seconds: float) -> None:
        self.sandbox.advance_clock(seconds)
        self.clock.offset += seconds

    # -- running ----------------------------------------------------------------------------

    def run(self, job: str = "orders", **kw: Any) -> JobOutcome:
        outcome = run_job(self.app, job, job_table()[job], **kw)
        assert outcome.status == "ok", outcome
        return outcome

    # -- reading ----------------------------------------------------------------------------

    def stock(self) -> dict[str, int]:
        with self.app.db.transaction() as session:
            return {sku: row.quantity for sku, row in load_rows(session).items()}

    def last_pushed(self, sku: str) -> int | None:
        with self.app.db.transaction() as session:
            link = session.get(ListingLink, sku)
            return None if link is None else link.last_pushed_quantity

    def ledger(self, reason: str | None = None) -> list[tuple[str, int, str]]:
        query = select(StockLedger.sku, StockLedger.delta, StockLedger.source_id)
        if reason is not None:
            query = query.where(StockLedger.reason == reason)
        with self.app.db.transaction() as session:
            return [tuple(r) for r in session.execute(query.order_by(StockLedger.id))]  # type: ignore[misc]

    def item_statuses(self, item_id: str) -> list[str]:
        with self.app.db.transaction() as session:
            return list(
                session.scalars(
                    select(OrderItemStatus.status)
                    .where(OrderItemStatus.order_item_id == item_id)
                    .order_by(OrderItemStatus.id)
                )
            )

    def cursor(self, name: str = "orders") -> str | None:
        with self.app.db.transaction() as session:
            return get_cursor(session, name)

    def set_cursor(self, value: str, name: str = "orders") -> None:
        with self.app.db.transaction() as session:
            set_cursor(session, name, value, now=self.clock.now())

    def api_calls(self, route: str | None = None) -> int:
        """Requests the sandbox answered (all routes, or one ``"GET /seller/orders"``)."""
        stats = self.sandbox.stats()
        if route is None:
            return stats["totals"]["all"]
        return sum(stats.get(route, {}).values())


def make_app(sandbox: Sandbox, db_url: str, clock: SandboxClock, **overrides: Any) -> App:
    settings = load_settings(
        managem={"base_url": sandbox.url, "token": sandbox.token},
        database={"url": db_url},
        **overrides,
    )
    return build_app(settings, clock=clock)


def open_env(db_url: str, **overrides: Any) -> OrdersEnv:
    sandbox = start_sandbox(SandboxOptions(seed=11, catalogue_size=400))
    clock = SandboxClock()
    return OrdersEnv(sandbox, make_app(sandbox, db_url, clock, **overrides), clock)


def close_env(env: OrdersEnv) -> None:
    env.app.close()
    env.sandbox.stop()
    assert env.sandbox.internal_errors == 0
