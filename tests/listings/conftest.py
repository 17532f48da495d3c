"""Fixtures for the listings sync, end to end: a real sandbox over HTTP and a real database.

``world`` starts a sandbox and builds an App on ``db_url`` (SQLite and Postgres) pointed at it,
with a clock that tests can move forward together with the sandbox's (``world.advance``), so a
grace period or an index lag passes without sleeping. Small backoffs keep fault tests fast.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from syncd.bootstrap import App, build_app
from syncd.jobs import listings
from syncd.jobs.runner import JobOutcome, run_job
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import load_settings
from syncd.storage.tables import Base, InventoryItem


class ShiftedClock:
    """The real clock plus an offset that ``advance`` moves (sleeps are real)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def settings_for(db_url: str, sandbox: Sandbox, **groups: dict[str, Any]) -> Any:
    base: dict[str, dict[str, Any]] = {
        "database": {"url": db_url},
        "managem": {"base_url": sandbox.url, "token": sandbox.token, "read_timeout": 5.0},
        "ratelimit": {"rate": 2000.0, "burst": 200, "backoff_base": 0.01, "backoff_cap": 0.05},
        "safety": {"ambiguous_grace": 5.0},
    }
    for name, values in groups.items():
        base[name] = {**base.get(name, {}), **values}
    return load_settings(**base)


class World:
    """One sandbox, one App on the test database, and helpers to drive and inspect them."""

    def __init__(self, sandbox: Sandbox, db_url: str, **groups: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.db_url = db_url
        self.clock = ShiftedClock()
        self.app: App = build_app(settings_for(db_url, sandbox, **groups), clock=self.clock)
        self.urns = sandbox.catalogue_urns(2000)

    def rebuild(self, **groups: dict[str, Any]) -> None:
        """A new App (as a new process would build it) with other settings."""
        self.app.close()
        self.app = build_app(settings_for(self.db_url, self.sandbox, **groups), clock=self.clock)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.sandbox.advance_clock(seconds)

    def sync(self, *, dry_run: bool = False, force: bool = False) -> JobOutcome:
        return run_job(self.app, "listings", listings.run, dry_run=dry_run, force=force)

    # --- the inventory ----------------------------------------------------------------------

    def stock(self, n: int, *, quantity: int = 2, price: int = 150, start: int = 0) -> None:
        rows = [
            InventoryItem(
                sku=f"sku-{i:05d}",
                urn=self.urns[i],
                condition="NM",
                language="English",
                price=price + i,
                quantity=quantity,
                hidden=False,
            )
            for i in range(start, start + n)
        ]
        with self.app.db.transaction() as session:
            session.add_all(rows)

    def set_row(self, sku: str, **values: Any) -> None:
        with self.app.db.transaction() as session:
            session.execute(update(InventoryItem).where(InventoryItem.sku == sku).values(values))

    def remove_row(self, sku: str) -> None:
        with self.app.db.transaction() as session:
            session.execute(delete(InventoryItem).where(InventoryItem.sku == sku))

    def inventory(self) -> dict[str, InventoryItem]:
        with self.app.db.transaction() as session:
            return {row.sku: row for row in session.scalars(select(InventoryItem))}

    def quantity(self, sku: str) -> int:
        return self.inventory()[sku].quantity

    def row_counts(self) -> dict[str, int]:
        with self.app.db.transaction() as session:
            return {
                name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in Base.metadata.tables.items()
            }

    def rows(self, model: Any) -> list[Any]:
        with self.app.db.transaction() as session:
            return list(session.scalars(select(model)))

    # --- the remote -------------------------------------------------------------------------

    def live(self) -> dict[str, list[dict[str, Any]]]:
        """Live listings of the seller by reference (no index lag)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for listing in self.sandbox.listings():
            if listing["quantity"] > 0:
                found.setdefault(listing["reference"], []).append(listing)
        return found

    def writes(self) -> int:
        """Listing writes the sandbox answered or dropped since the last ``reset_stats``."""
        stats = self.sandbox.stats()
        return sum(
            sum(outcomes.values())
            for route, outcomes in stats.items()
            if route.split(" ")[0] in ("PUT", "DELETE")
            or route in ("POST /seller/listings", "POST /seller/listings/bulk")
        )

    def calls(self) -> Counter[str]:
        stats = self.sandbox.stats()
        return Counter({route: sum(v.values()) for route, v in stats.items() if route != "totals"})

    def assert_converged(self) -> None:
        """Remote equals desired: one live listing per sku for sale, with its fields; none else."""
        live = self.live()
        want = {sku: row for sku, row in self.inventory().items() if row.quantity > 0}
        assert sorted(k for k in live if k is not None) == sorted(want)
        for sku, row in want.items():
            assert len(live[sku]) == 1, f"{sku}: {len(live[sku])} live listings"
            listing = live[sku][0]
            got = (listing["price"], listing["quantity"], listing["item"]["urn"])
            assert got == (row.price, row.quantity, row.urn), sku


@pytest.fixture
def make_world(db_url: str) -> Iterator[Any]:
    made: list[World] = []
    sandboxes: list[Sandbox] = []
    threads_before = {t.ident for t in threading.enumerate()}

    def make(sandbox_options: dict[str, Any] | None = None, **groups: dict[str, Any]) -> World:
        sandbox = start_sandbox(SandboxOptions(**{"seed": 7, **(sandbox_options or {})}))
        sandboxes.append(sandbox)
        world = World(sandbox, db_url, **groups)
        made.append(world)
        return world

    yield make
    for world in made:
        world.app.close()
    for sandbox in sandboxes:
        sandbox.stop()
    assert [s.internal_errors for s in sandboxes] == [0] * len(sandboxes)
    leftover = [t.name for t in threading.enumerate() if t.ident not in threads_before]
    assert leftover == [], f"threads left running: {leftover}"


@pytest.fixture
def world(make_world: Any) -> World:
    return make_world()  # type: ignore[no-any-return]
