"""Hypothesis: any interleaving of purchases, cancellations, dispatches, order polls, rewound
re-polls and listings syncs keeps local stock = imported − sold + cancelled, exactly once.

The remote is an in-process model (the real sandbox is exercised in the e2e tests); the orders
job, the pure ledger and the storage are the real ones, on SQLite. The listings sync is modelled
with exactly the calls the listings shell makes (``syncd/jobs/listings_apply.py``): the core
three-way rule, ``adjust_stock(reason="remote_adjust", source_id="<listing>@<remote updatedAt>",
open_quantity=taken)``, last pushed = observed remote quantity, then a push of the target.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from syncd.bootstrap import App
from syncd.clock import FakeClock
from syncd.core.inventory import InventoryRow, import_changes
from syncd.core.ledger import format_time
from syncd.core.quantity import three_way_quantity
from syncd.errors import NotFound
from syncd.gateway import Order
from syncd.jobs import orders as orders_job
from syncd.jobs.runner import JobContext
from syncd.settings import load_settings
from syncd.storage import Database
from syncd.storage.engine import make_engine
from syncd.storage.inventory import adjust_stock, apply_import, load_rows
from syncd.storage.runs import set_cursor
from syncd.storage.schema import upgrade
from syncd.storage.tables import ListingLink, StockLedger

SKUS = ("a", "b", "c")
START = 6


@dataclass
class ModelListing:
    id: str
    reference: str | None
    quantity: int
    updated: str


@dataclass
class ModelItem:
    id: str
    listing_id: str
    quantity: int
    created: str
    status: str = "PENDING"
    shipped: bool = False
    statuses: list[str] = field(default_factory=lambda: ["PENDING"])


@dataclass
class ModelOrder:
    id: str
    created: str
    updated: str
    items: list[ModelItem]


class ModelRemote:
    """Just enough Managem for the orders job: checkout takes quantity at once (§8.2)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.listings: dict[str, ModelListing] = {}
        self.orders: list[ModelOrder] = []
        self.edited: dict[str, int] = {}
        self.unsynced: dict[str, int] = {}  # edits no listings sync has seen yet

    def stamp(self) -> str:
        self.clock.advance(0.001)  # every change gets its own millisecond
        return format_time(self.clock.now())

    def purchase(self, listing_id: str, quantity: int) -> bool:
        listing = self.listings[listing_id]
        if listing.quantity < quantity:
            return False
        now = self.stamp()
        listing.quantity -= quantity
        listing.updated = now
        n = len(self.orders)
        item = ModelItem(f"oi{n}", listing_id, quantity, now)
        self.orders.append(ModelOrder(f"o{n}", now, now, [item]))
        return True

    def website_edit(self, listing_id: str, down: int) -> None:
        """The seller lowers the quantity on the website: a decrease no order explains."""
        listing = self.listings[listing_id]
        down = min(down, listing.quantity)
        if down:
            listing.quantity -= down
            listing.updated = self.stamp()
            self.edited[listing_id] = self.edited.get(listing_id, 0) + down
            self.unsynced[listing_id] = self.unsynced.get(listing_id, 0) + down

    def set_status(self, index: int, status: str) -> None:
        order = self.orders[index % len(self.orders)]
        item = order.items[0]
        if item.status in ("CANCELLED", "REFUNDED"):
            return
        item.status = status
        item.statuses.append(status)
        item.shipped = item.shipped or status == "DISPATCHED"
        order.updated = self.stamp()

    # -- the gateway surface the orders job uses ---------------------------------------------

    def iter_orders(self, since: Any) -> Any:
        chosen = [o for o in self.orders if since is None or o.updated >= format_time(since)]
        for order in sorted(chosen, key=lambda o: (o.updated, o.id)):
            yield Order.model_validate(
                {
                    "id": order.id,
                    "createdAt": order.created,
                    "updatedAt": order.updated,
                    "items": [
                        {
                            "id": i.id,
                            "listingId": i.listing_id,
                            "orderId": order.id,
                            "quantity": i.quantity,
                            "status": i.status,
                            "createdAt": i.created,
                            "updatedAt": order.updated,
                            "shipmentId": "shp" if i.shipped else None,
                        }
                        for i in order.items
                    ],
                }
            )

    def get_listing(self, listing_id: str) -> Any:
        if listing_id not in self.listings:
            raise NotFound("no such listing")
        return SimpleNamespace(reference=self.listings[listing_id].reference)


def listings_sync(app: App, remote: ModelRemote) -> None:
    """The listings shell's quantity half, with the storage calls it makes."""
    now = app.clock.now()
    with app.db.transaction() as session:
        for sku in SKUS:
            link = session.get(ListingLink, sku)
            assert link is not None and link.listing_id is not None
            listing = remote.listings[link.listing_id]
            local = load_rows(session)[sku].quantity
            decision = three_way_quantity(local, listing.quantity, link.last_pushed_quantity)
            remote.unsynced.pop(listing.id, None)  # whatever was edited is taken in now
            if decision.taken:
                adjust_stock(
                    session,
                    sku=sku,
                    delta=-decision.taken,
                    reason="remote_adjust",
                    source_id=f"{listing.id}@{listing.updated}",
                    now=now,
                    open_quantity=decision.taken,
                )
                link.last_pushed_quantity = listing.quantity
            if decision.target != listing.quantity:
                listing.quantity = decision.target
                listing.updated = remote.stamp()
                link.last_pushed_quantity = decision.target


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def make_world(db_path: Path) -> tuple[App, ModelRemote]:
    clock = FakeClock()
    remote = ModelRemote(clock)
    url = f"sqlite:///{db_path}"
    app = App(settings=load_settings(database={"url": url}), db=Database(url), clock=clock)
    app._gateway = remote  # type: ignore[assignment]
    rows = [InventoryRow(s, f"urn:{s}", "NM", "English", 100, START) for s in SKUS]
    now = clock.now()
    with app.db.transaction() as session:
        apply_import(session, import_changes(rows, {}), import_id="imp", now=now)
        for sku in SKUS:
            remote.listings[f"L{sku}"] = ModelListing(f"L{sku}", sku, START, remote.stamp())
            session.add(
                ListingLink(
                    sku=sku,
                    listing_id=f"L{sku}",
                    urn=f"urn:{sku}",
                    last_pushed_quantity=START,
                    updated_at=now,
                )
            )
    remote.listings["Lx"] = ModelListing("Lx", None, 50, remote.stamp())  # not ours
    clock.advance(1)
    return app, remote


def poll(app: App) -> None:
    ctx = JobContext(app=app, run_id="prop", log=structlog.get_logger("test"))
    assert orders_job.run(ctx).status == "ok"


OPS = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from([*SKUS, "x"]), st.integers(1, 3)),
    st.tuples(
        st.just("status"),
        st.integers(0, 50),
        st.sampled_from(["CANCELLED", "REFUNDED", "DISPATCHED", "ACCEPTED"]),
    ),
    st.tuples(st.just("edit"), st.sampled_from(SKUS), st.integers(1, 2)),
    st.tuples(st.just("orders")),
    st.tuples(st.just("rewind")),
    st.tuples(st.just("listings")),
    st.tuples(st.just("tick"), st.integers(1, 2000)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, max_size=30))
def test_stock_is_imported_minus_sold_plus_cancelled(
    ops: list[tuple[Any, ...]], template: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "world.db"
    db_path.unlink(missing_ok=True)
    shutil.copy(template, db_path)
    app, remote = make_world(db_path)
    try:
        for op in ops:
            if op[0] == "buy":
                remote.purchase(f"L{op[1]}", op[2])
            elif op[0] == "edit":
                remote.website_edit(f"L{op[1]}", op[2])
            elif op[0] == "status" and remote.orders:
                remote.set_status(op[1], op[2])
            elif op[0] == "orders":
                poll(app)
                check_settled(app, remote)
            elif op[0] == "rewind":
                with app.db.transaction() as session:
                    set_cursor(session, "orders", "2000-01-01T00:00:00.000Z", now=app.clock.now())
                poll(app)
                check_settled(app, remote)
            elif op[0] == "listings":
                listings_sync(app, remote)
            elif op[0] == "tick":
                app.clock.advance(op[1])  # type: ignore[attr-defined]
            check_always(app, remote)
        poll(app)  # catch up: every order seen, then every website edit taken in
        listings_sync(app, remote)
        check_always(app, remote)
        check_settled(app, remote)
        with app.db.transaction() as session:
            for sku in SKUS:
                link = session.get(ListingLink, sku)
                assert link is not None
                quantity = load_rows(session)[sku].quantity
                assert remote.listings[f"L{sku}"].quantity == max(quantity, 0)
                assert link.last_pushed_quantity == max(quantity, 0)
    finally:
        app.db.dispose()


def _bought(remote: ModelRemote, sku: str) -> list[ModelItem]:
    return [i for o in remote.orders for i in o.items if i.listing_id == f"L{sku}"]


def check_always(app: App, remote: ModelRemote) -> None:
    """The remote never shows more than local, and no sale is ever taken twice."""
    with app.db.transaction() as session:
        local = {sku: row.quantity for sku, row in load_rows(session).items()}
    for sku in SKUS:
        assert remote.listings[f"L{sku}"].quantity <= max(local[sku], 0), sku
        sold = sum(i.quantity for i in _bought(remote, sku))
        restocked = sum(
            i.quantity
            for i in _bought(remote, sku)
            if i.status in ("CANCELLED", "REFUNDED") and not i.shipped
        )
        edited = remote.edited.get(f"L{sku}", 0)
        # Never taken twice (lower bound), never put back twice (upper bound).
        assert START - sold - edited <= local[sku] <= START + restocked, sku


def check_settled(app: App, remote: ModelRemote) -> None:
    """Right after an orders poll (every order seen): local = imported − sold + cancelled −
    the website edits a listings sync took in, and only those edits are left open (no order
    explains them)."""
    with app.db.transaction() as session:
        local = {sku: row.quantity for sku, row in load_rows(session).items()}
        still_open = session.scalar(select(func.coalesce(func.sum(StockLedger.open_quantity), 0)))
        sales = session.scalar(
            select(func.count()).select_from(StockLedger).where(StockLedger.reason == "sale")
        )
    for sku in SKUS:
        items = _bought(remote, sku)
        sold = sum(i.quantity for i in items)
        cancelled = sum(
            i.quantity for i in items if i.status in ("CANCELLED", "REFUNDED") and not i.shipped
        )
        taken_in = remote.edited.get(f"L{sku}", 0) - remote.unsynced.get(f"L{sku}", 0)
        assert local[sku] == START - sold + cancelled - taken_in, sku
    assert still_open == sum(remote.edited.values()) - sum(remote.unsynced.values())
    assert sales == sum(len(_bought(remote, s)) for s in SKUS)


@pytest.mark.parametrize(
    "ops",
    [
        # A website edit taken in, then a sale: the sale must not pass for the edit.
        [("edit", "a", 1), ("listings",), ("buy", "a", 2), ("orders",)],
        # The sale seen by a listings sync first, then by the orders job: taken once.
        [("buy", "a", 2), ("listings",), ("buy", "a", 1), ("orders",), ("listings",)],
        # Cancelled after a listings sync took it in, seen first as cancelled.
        [("buy", "b", 3), ("listings",), ("status", 0, "CANCELLED"), ("rewind",), ("orders",)],
        # Dispatched, then refunded: the card left, nothing comes back.
        [("buy", "c", 1), ("orders",), ("status", 0, "DISPATCHED"), ("status", 0, "REFUNDED")],
        # A purchase of a listing syncd does not own.
        [("buy", "x", 3), ("orders",), ("listings",), ("rewind",)],
    ],
)
def test_ledger_table(ops: list[tuple[Any, ...]], template: Path, tmp_path: Path) -> None:
    test_stock_is_imported_minus_sold_plus_cancelled.hypothesis.inner_test(  # type: ignore[attr-defined]
        ops=ops, template=template, tmp_path=tmp_path
    )
