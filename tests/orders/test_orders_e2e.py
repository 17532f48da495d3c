"""The orders job against the sandbox over HTTP, on SQLite and Postgres: every sold unit comes off
local stock once, a cancellation puts it back once, and nothing else moves stock."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from orders_env import OrdersEnv, close_env, make_app, open_env
from sqlalchemy import func, select

from syncd.core.ledger import format_time, parse_time
from syncd.storage.tables import Order, OrderItem

ORDER_LIST = "GET /seller/orders"


@pytest.fixture
def env(db_url: str) -> Iterator[OrdersEnv]:
    before = {t.ident for t in threading.enumerate()}
    e = open_env(db_url)
    yield e
    close_env(e)
    leftover = [t.name for t in threading.enumerate() if t.ident not in before]
    assert leftover == [], f"threads left running: {leftover}"


def test_purchases_take_exactly_the_sold_quantities_once(env: OrdersEnv) -> None:
    skus = env.listed(30, quantity=5)
    rng = random.Random(3)
    sold = {sku: rng.randint(1, 3) for sku in skus}
    # Some checkouts buy several cards in one order.
    for i in range(0, 30, 3):
        env.sandbox.purchase_many([(env.listing_of[s], sold[s]) for s in skus[i : i + 2]])
        env.sandbox.purchase(env.listing_of[skus[i + 2]], sold[skus[i + 2]])

    first = env.run()
    assert env.stock() == {sku: 5 - sold[sku] for sku in skus}
    assert first.counts["items_new"] == 30 and first.counts["units_sold"] == sum(sold.values())
    assert first.counts["orders_seen"] == 20 and first.counts["not_ours"] == 0
    assert all(env.last_pushed(sku) == 5 - sold[sku] for sku in skus)
    assert len(env.ledger("sale")) == 30

    again = env.run()
    assert again.counts["items_new"] == 0 and again.counts["units_sold"] == 0
    env.set_cursor("2000-01-01T00:00:00.000Z")  # rewound: everything is read again
    rewound = env.run()
    assert rewound.counts["orders_seen"] == 20 and rewound.counts["items_new"] == 0
    assert env.stock() == {sku: 5 - sold[sku] for sku in skus}
    assert len(env.ledger("sale")) == 30
    assert all(env.last_pushed(sku) == 5 - sold[sku] for sku in skus)


def test_cancellation_restocks_once_and_only_before_dispatch(env: OrdersEnv) -> None:
    a, b = env.listed(2, quantity=4)
    order_a = env.sandbox.purchase(env.listing_of[a], 2)
    order_b = env.sandbox.purchase(env.listing_of[b], 3)
    env.run()
    assert env.stock() == {a: 2, b: 1}

    item_a = order_a["items"][0]["id"]
    env.sandbox.cancel_item(item_a)
    item_b = order_b["items"][0]["id"]
    env.sandbox.set_item_status(item_b, "DISPATCHED")
    outcome = env.run()
    assert outcome.counts["units_restocked"] == 2
    assert env.stock() == {a: 4, b: 1}
    env.sandbox.set_item_status(item_a, "REFUNDED")  # refunded after cancelling: still once
    env.sandbox.cancel_item(item_b, "REFUNDED")  # refunded after dispatch: the card left
    assert env.run().counts["units_restocked"] == 0
    env.set_cursor("2000-01-01T00:00:00.000Z")
    env.run()
    assert env.stock() == {a: 4, b: 1}
    assert [r[1] for r in env.ledger("cancel")] == [2]
    assert env.item_statuses(item_a) == ["PENDING", "CANCELLED", "REFUNDED"]
    assert env.item_statuses(item_b) == ["PENDING", "DISPATCHED", "REFUNDED"]
    # The remote quantity is not restored by Managem: the listings sync pushes it back up.
    assert env.last_pushed(a) == 2


def test_an_item_first_seen_cancelled_nets_to_zero(env: OrdersEnv) -> None:
    (sku,) = env.listed(1, quantity=3)
    order = env.sandbox.purchase(env.listing_of[sku], 2)
    env.sandbox.cancel_item(order["items"][0]["id"])
    outcome = env.run()
    assert (outcome.counts["units_sold"], outcome.counts["units_restocked"]) == (2, 2)
    assert env.stock() == {sku: 3}
    assert sorted(r[1] for r in env.ledger() if r[0] == sku) == [-2, 2, 3]  # sale, cancel, import
    assert env.last_pushed(sku) == 1  # the remote lost the 2 units at checkout


def test_a_listing_syncd_does_not_own_changes_no_stock(env: OrdersEnv) -> None:
    (sku,) = env.listed(1, quantity=3)
    urn_a, urn_b = env.sandbox.catalogue_urns(50)[40:42]
    plain = env.sandbox.seed_listing(urn=urn_a, quantity=2)  # no reference
    foreign_ref = env.sandbox.seed_listing(urn=urn_b, quantity=2, reference="not-a-sku")
    env.sandbox.purchase_many([(plain["id"], 1), (foreign_ref["id"], 1)])
    env.sandbox.reset_stats()
    outcome = env.run()
    assert (outcome.counts["items_new"], outcome.counts["not_ours"]) == (2, 2)
    assert env.stock() == {sku: 3}
    assert env.ledger("sale") == []
    assert env.api_calls("GET /seller/listings/{id}") == 2  # asked once each, then recorded
    with env.app.db.transaction() as session:
        assert session.scalars(select(OrderItem.sku)).all() == [None, None]
    env.set_cursor("2000-01-01T00:00:00.000Z")
    env.sandbox.reset_stats()
    env.run()
    assert env.api_calls("GET /seller/listings/{id}") == 0


def test_an_order_stamped_just_before_the_cursor_is_caught_by_the_overlap(
    env: OrdersEnv, db_url: str
) -> None:
    (sku,) = env.listed(1, quantity=5)
    env.run()

    def just_after(order: dict[str, Any]) -> str:
        stamp = parse_time(order["updatedAt"])
        assert stamp is not None
        return format_time(stamp + timedelta(seconds=1))

    # As if an earlier page had read past this order while it was not yet visible.
    env.set_cursor(just_after(env.sandbox.purchase(env.listing_of[sku], 1)))
    env.run()
    assert env.stock() == {sku: 4}

    # The control: with no overlap the same situation misses the order.
    no_overlap = OrdersEnv(
        env.sandbox,
        make_app(env.sandbox, db_url, env.clock, safety={"order_overlap": 0}),
        env.clock,
    )
    try:
        no_overlap.set_cursor(just_after(env.sandbox.purchase(env.listing_of[sku], 1)))
        no_overlap.run()
        assert no_overlap.stock() == {sku: 4}
    finally:
        no_overlap.app.close()


def test_an_order_updated_between_two_pages_does_not_hide_another(env: OrdersEnv) -> None:
    (sku,) = env.listed(1, quantity=200)
    orders = [env.sandbox.purchase(env.listing_of[sku], 1) for _ in range(120)]
    gateway = env.app.gateway()
    real = gateway.iter_orders
    fetches: list[Any] = []

    def iter_orders(since: Any) -> Any:
        fetches.append(since)
        if len(fetches) == 2:  # page 1 is booked; an early order changes before page 2
            env.sandbox.set_item_status(orders[0]["items"][0]["id"], "ACCEPTED")
        return real(since)

    gateway.iter_orders = iter_orders  # type: ignore[method-assign]
    outcome = env.run()
    assert outcome.counts["items_new"] == 120
    assert env.stock() == {sku: 80}
    assert outcome.counts["pages"] >= 2


def test_dry_run_reads_and_reports_but_writes_nothing(env: OrdersEnv) -> None:
    (sku,) = env.listed(1, quantity=5)
    env.sandbox.purchase(env.listing_of[sku], 2)
    outcome = env.run(dry_run=True)
    assert (outcome.counts["items_new"], outcome.counts["units_sold"]) == (1, 2)
    assert env.stock() == {sku: 5} and env.cursor() is None
    with env.app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert env.run().counts["units_sold"] == 2


def test_unknown_status_is_stored_and_an_idle_poll_costs_one_call(env: OrdersEnv) -> None:
    (sku,) = env.listed(1, quantity=5)
    order = env.sandbox.purchase(env.listing_of[sku], 1)
    env.run()
    item_id = order["items"][0]["id"]
    odd = "HELD_AT_CUSTOMS_AWAITING_PAPERWORK_X"  # unknown, and longer than the column
    env.sandbox.set_item_status(item_id, odd)
    env.run()
    assert env.item_statuses(item_id) == ["PENDING", odd[:32]]
    assert env.stock() == {sku: 4}
    env.advance(3600)  # nothing new for an hour: the overlap window is empty
    env.sandbox.reset_stats()
    outcome = env.run()
    assert outcome.counts["pages"] == 1 and env.api_calls() == 1
