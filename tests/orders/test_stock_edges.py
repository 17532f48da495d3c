"""Edges of "a sold card comes off local stock exactly once" found in review, against the sandbox
on SQLite and Postgres: duplicate listings of one sku, deleted inventory rows, statuses longer
than their column."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import structlog
from orders_env import OrdersEnv, close_env, open_env
from sqlalchemy import delete, update

from syncd.core.inventory import InventoryRow, import_changes
from syncd.core.ledger import adjust_source
from syncd.core.plan import Op
from syncd.jobs import orders as orders_job
from syncd.jobs.listings import prepare
from syncd.jobs.runner import JobContext
from syncd.storage.inventory import adjust_stock, apply_import, load_rows
from syncd.storage.tables import InventoryItem, ListingLink

REWOUND = "2000-01-01T00:00:00.000Z"


@pytest.fixture
def env(db_url: str) -> Iterator[OrdersEnv]:
    before = {t.ident for t in threading.enumerate()}
    e = open_env(db_url)
    yield e
    close_env(e)
    leftover = [t.name for t in threading.enumerate() if t.ident not in before]
    assert leftover == [], f"threads left running: {leftover}"


def test_a_sale_on_a_duplicate_listing_does_not_consume_another_listings_adjustment(
    env: OrdersEnv,
) -> None:
    """Open remote_adjust rows explain decreases of the listing they observed. A sale on a second
    (duplicate) listing of the same sku is a different decrease: it must not be taken as already
    counted, or the card never comes off local stock."""
    (sku,) = env.listed(1, quantity=5)
    linked = env.listing_of[sku]
    urn = _urn(env, sku)
    duplicate = env.sandbox.seed_listing(urn=urn, reference=sku, quantity=2)
    env.sandbox.purchase(duplicate["id"], 1)
    # The seller then lowers the linked listing by one on the website, and a listings sync takes
    # that edit in (exactly the calls the listings shell makes).
    edited = env.sandbox.seller_edit(linked, quantity=4)
    with env.app.db.transaction() as session:
        adjust_stock(
            session,
            sku=sku,
            delta=-1,
            reason="remote_adjust",
            source_id=adjust_source(linked, edited["updatedAt"]),
            now=env.clock.now(),
            open_quantity=1,
        )
        link = session.get(ListingLink, sku)
        assert link is not None
        link.last_pushed_quantity = 4
    env.run()
    assert env.stock() == {sku: 3}  # 5 − the website edit − the sale


def _urn(env: OrdersEnv, sku: str) -> str:
    with env.app.db.transaction() as session:
        return load_rows(session)[sku].urn


def test_a_status_longer_than_its_column_is_not_a_change_each_time_it_is_read(
    env: OrdersEnv,
) -> None:
    (sku,) = env.listed(1, quantity=5)
    order = env.sandbox.purchase(env.listing_of[sku], 1)
    item_id = order["items"][0]["id"]
    odd = "HELD_AT_CUSTOMS_AWAITING_PAPERWORK_X"  # 36 characters; the column keeps 32
    env.sandbox.set_item_status(item_id, odd)
    env.run()
    env.set_cursor(REWOUND)
    env.run()
    assert env.item_statuses(item_id) == [odd[:32]]


def _reimport(env: OrdersEnv, sku: str, urn: str, quantity: int) -> None:
    row = InventoryRow(sku, urn, "NM", "English", 150, quantity)
    with env.app.db.transaction() as session:
        changes = import_changes([row], load_rows(session))
        apply_import(session, changes, import_id="again", now=env.clock.now())


def test_a_sale_on_a_deleted_inventory_row_moves_no_stock_and_its_cancel_none(
    env: OrdersEnv,
) -> None:
    """The seller removed the row (the listing is still up until the next listings sync) and a
    buyer checks out. Nothing comes off: there is no row. If the seller then counts the card in
    again and the buyer cancels before dispatch, the cancellation must not add a unit that never
    came off."""
    (sku,) = env.listed(1, quantity=3)
    urn = _urn(env, sku)
    with env.app.db.transaction() as session:
        session.execute(delete(InventoryItem).where(InventoryItem.sku == sku))
    order = env.sandbox.purchase(env.listing_of[sku], 2)
    outcome = env.run()
    assert (outcome.counts["units_sold"], outcome.counts["units_without_row"]) == (0, 2)
    assert env.stock() == {}
    assert env.last_pushed(sku) == 1  # the listing still lost the units at checkout
    assert env.ledger("sale") == []  # no row claims that stock moved
    _reimport(env, sku, urn, 3)
    env.sandbox.cancel_item(order["items"][0]["id"])
    env.run()
    assert env.stock() == {sku: 3}
    assert env.ledger("cancel") == []


def test_a_till_writing_stock_all_through_the_run_neither_fails_it_nor_loses_a_unit(
    env: OrdersEnv,
) -> None:
    """A till decrements stock in its own transactions while the orders job books 200 sales
    over several pages. Both must land in full (atomic UPDATEs), and on SQLite the job must not
    fail with "database is locked" because the till committed between its reads and writes."""
    skus = env.listed(20, quantity=100)
    for _ in range(10):
        for sku in skus:
            env.sandbox.purchase(env.listing_of[sku], 1)
    stop = threading.Event()
    till_sales = 0

    def till() -> None:
        nonlocal till_sales
        while not stop.is_set():
            with env.app.db.transaction() as session:
                session.execute(
                    update(InventoryItem)
                    .where(InventoryItem.sku == skus[till_sales % len(skus)])
                    .values(quantity=InventoryItem.quantity - 1)
                )
            till_sales += 1

    thread = threading.Thread(target=till)
    thread.start()
    try:
        # Called directly: the runner's own bookkeeping is not what is under test here.
        ctx = JobContext(app=env.app, run_id="till", log=structlog.get_logger("test"))
        outcome = orders_job.run(ctx)
    finally:
        stop.set()
        thread.join()
    assert outcome.counts["units_sold"] == 200 and outcome.counts["pages"] >= 2
    assert till_sales > 0
    assert sum(env.stock().values()) == 20 * 100 - 200 - till_sales


def test_a_sale_on_a_listing_syncd_then_adopts_comes_off_stock_once(env: OrdersEnv) -> None:
    """A listing made on the website before syncd (no reference) sells after the seller's
    import but before syncd adopts it: the orders job cannot know it is ours yet. When the
    listings sync adopts it, that sale must come off local stock (and the remote must not be
    pushed back up over it); a later cancel puts it back once."""
    [urn] = env.sandbox.catalogue_urns(1)
    with env.app.db.transaction() as session:
        row = InventoryRow("web-1", urn, "NM", "English", 300, 4)
        changes = import_changes([row], load_rows(session))
        apply_import(session, changes, import_id="imp-web", now=env.clock.now())
    listing = env.sandbox.seed_listing(urn=urn, quantity=4, price=300)
    env.advance(5)
    order = env.sandbox.purchase(listing["id"], 1)
    assert env.run("orders").counts["not_ours"] == 1
    assert env.stock() == {"web-1": 4}

    # `syncd plan` shows the adoption at the quantity left, and writes nothing.
    [adopt] = [a for a in prepare(env.app, force=False, persist=False).plan.actions]
    assert (adopt.op, adopt.fields and adopt.fields.quantity) == (Op.ADOPT, 3)
    assert env.stock() == {"web-1": 4} and env.ledger("sale") == []

    outcome = env.run("listings")
    assert outcome.counts["adopted"] == 1
    assert env.stock() == {"web-1": 3}
    [remote] = [x for x in env.sandbox.listings() if x["id"] == listing["id"]]
    assert (remote["reference"], remote["quantity"]) == ("web-1", 3)
    item_id = order["items"][0]["id"]
    assert env.ledger("sale") == [("web-1", -1, item_id)]

    env.advance(5)
    env.run("orders")
    env.run("listings")
    assert env.stock() == {"web-1": 3}  # neither job takes it a second time

    env.sandbox.cancel_item(item_id)
    env.advance(5)
    env.run("orders")
    assert env.stock() == {"web-1": 4}
    env.run("listings")
    env.run("orders")
    assert env.stock() == {"web-1": 4}
    [remote] = [x for x in env.sandbox.listings() if x["id"] == listing["id"]]
    assert remote["quantity"] == 4
