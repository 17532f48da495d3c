"""The pure ledger: open remote_adjust consumption, restock eligibility, item plans, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.ledger import (
    KnownItem,
    OpenAdjust,
    SeenItem,
    Take,
    UnownedItem,
    adjust_source,
    adjusted_listing,
    consume,
    format_time,
    next_cursor,
    observed_at,
    parse_time,
    plan_items,
    poll_since,
    restock_due,
    sales_on_adopted,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def item(
    item_id: str = "oi1",
    *,
    listing: str = "L1",
    quantity: int = 2,
    status: str = "PENDING",
    created: float = 0,
    shipped: bool = False,
) -> SeenItem:
    return SeenItem(
        id=item_id,
        order_id="o1",
        listing_id=listing,
        quantity=quantity,
        status=status,
        created_at=format_time(at(created)),
        updated_at=format_time(at(created)),
        shipped=shipped,
    )


def row(
    ledger_id: int, open_quantity: int, observed: float | None, sku: str = "s1", listing: str = "L1"
) -> OpenAdjust:
    observed_at = None if observed is None else at(observed)
    return OpenAdjust(ledger_id, sku, open_quantity, observed_at, listing)


@pytest.mark.parametrize(
    ("statuses", "shipped", "due"),
    [
        (("CANCELLED",), False, True),
        (("PENDING", "REFUNDED"), False, True),
        (("PENDING", "ACCEPTED", "CANCELLED"), False, True),
        (("PENDING", "DISPUTED", "REFUNDED"), False, True),  # disputed before it ever shipped
        (("PENDING", "DISPATCHED", "REFUNDED"), False, False),
        (("DELIVERED", "DISPUTED", "REFUNDED"), False, False),
        (("PENDING", "REFUNDED"), True, False),  # a shipment id means it left the shelf
        (("PENDING",), False, False),
        (("CANCELLED", "SOMETHING_NEW"), False, False),
        ((), False, False),
    ],
)
def test_restock_only_if_it_never_shipped(
    statuses: tuple[str, ...], shipped: bool, due: bool
) -> None:
    assert restock_due(statuses, shipped) is due


def test_consume_takes_rows_that_saw_the_sale_oldest_first() -> None:
    rows = [row(3, 2, observed=20), row(1, 1, observed=-5), row(2, 4, observed=10)]
    # Created at 0: row 1 (observed before the sale) cannot explain it.
    assert consume(rows, 5, at(0)) == (Take(2, 4), Take(3, 1))
    assert consume(rows, 1, at(10)) == (Take(2, 1),)  # observed == created counts
    assert consume(rows, 3, at(21)) == ()
    assert consume(rows, 3, None) == ()
    assert consume([row(1, 0, observed=30), row(2, 2, observed=None)], 2, at(0)) == ()


def test_new_item_of_ours_sells_what_no_open_row_explains() -> None:
    (step,) = plan_items([item(quantity=3)], {}, {"L1": "s1"}, {"s1": [row(9, 2, observed=1)]})
    assert step.new and step.ours and step.sku == "s1"
    assert (step.sold, step.consumed, step.restock) == (1, (Take(9, 2),), 0)
    assert step.status_change == "PENDING"


def test_items_of_one_sku_share_its_open_rows_in_creation_order() -> None:
    items = [item("b", quantity=2, created=5), item("a", quantity=2, created=0)]
    steps = plan_items(items, {}, {"L1": "s1"}, {"s1": [row(9, 3, observed=6)]})
    assert [(s.item.id, s.sold, s.consumed) for s in steps] == [
        ("a", 0, (Take(9, 2),)),
        ("b", 1, (Take(9, 1),)),
    ]


def test_a_sale_on_another_listing_of_the_sku_consumes_no_row() -> None:
    # Two live listings of one sku (a duplicate): the row took in a decrease of L1 only.
    rows = {"s1": [row(9, 2, observed=6, listing="L1")]}
    (step,) = plan_items([item(listing="L2", quantity=2)], {}, {"L1": "s1", "L2": "s1"}, rows)
    assert (step.sku, step.sold, step.consumed) == ("s1", 2, ())


def test_not_ours_changes_nothing() -> None:
    (step,) = plan_items([item(listing="foreign")], {}, {"L1": "s1"}, {})
    assert step.new and not step.ours
    assert (step.sold, step.consumed, step.restock) == (0, (), 0)


def test_first_seen_already_cancelled_nets_to_zero() -> None:
    (step,) = plan_items([item(quantity=2, status="CANCELLED")], {}, {"L1": "s1"}, {})
    assert (step.sold, step.restock) == (2, 2)


def test_seen_again_records_changes_and_restocks_only_before_dispatch() -> None:
    known = {
        "a": KnownItem("s1", 2, ("PENDING",)),
        "b": KnownItem("s1", 1, ("PENDING", "DISPATCHED")),
        "c": KnownItem(None, 4, ("PENDING",)),
        "d": KnownItem("s1", 3, ("PENDING", "CANCELLED")),
    }
    items = [
        item("a", status="CANCELLED"),
        item("b", status="REFUNDED"),
        item("c", status="CANCELLED"),
        item("d", status="CANCELLED"),
    ]
    steps = {s.item.id: s for s in plan_items(items, known, {"L1": "s1"}, {})}
    assert (steps["a"].new, steps["a"].status_change, steps["a"].restock) == (False, "CANCELLED", 2)
    assert (steps["b"].status_change, steps["b"].restock) == ("REFUNDED", 0)
    assert (steps["c"].status_change, steps["c"].restock) == ("CANCELLED", 0)  # not ours
    assert (steps["d"].status_change, steps["d"].restock) == (None, 0)  # unchanged
    assert all(s.sold == 0 and not s.consumed for s in steps.values())


def test_unknown_status_is_kept_as_it_came() -> None:
    (step,) = plan_items([item(status="ON_HOLD_FOR_REVIEW")], {}, {"L1": "s1"}, {})
    assert step.status_change == "ON_HOLD_FOR_REVIEW" and step.sold == 2


def test_adjust_source_round_trip() -> None:
    source = adjust_source("lst_1@odd", "2026-03-01T12:00:00.250Z")
    assert observed_at(source) == T0 + timedelta(milliseconds=250)
    assert observed_at("no-stamp") is None
    assert observed_at("lst@garbage") is None
    assert adjusted_listing(source) == "lst_1@odd"
    assert adjusted_listing("no-stamp") is None


def test_times_parse_and_format_like_managem() -> None:
    assert format_time(at(0.5)) == "2026-03-01T12:00:00.500Z"
    assert parse_time("2026-03-01T13:00:00+01:00") == T0
    assert parse_time("2026-03-01T12:00:00") == T0  # naive means UTC
    assert parse_time("yesterday") is None and parse_time(None) is None
    # Past the ends of the calendar once moved to UTC: unreadable, not an OverflowError.
    assert parse_time("0001-01-01T00:00:00+01:00") is None
    assert parse_time("9999-12-31T23:59:59-01:00") is None


def test_poll_starts_an_overlap_before_the_cursor() -> None:
    cursor = format_time(at(100))
    assert poll_since(cursor, 30, at(1000), None) == at(70)
    # A cursor ahead of this machine's clock cannot push the start past the run's start.
    assert poll_since(format_time(at(5000)), 30, at(1000), None) == at(970)
    assert poll_since(None, 30, at(1000), at(-7)) == at(-7)
    assert poll_since(None, 30, at(1000), None) is None


def test_cursor_moves_forward_only_and_never_past_the_run_start() -> None:
    assert next_cursor(None, at(10), at(100)) == format_time(at(10))
    assert next_cursor(format_time(at(10)), at(500), at(100)) == format_time(at(100))
    assert next_cursor(format_time(at(50)), at(20), at(100)) == format_time(at(50))
    assert next_cursor(format_time(at(50)), None, at(100)) == format_time(at(50))
    assert next_cursor(None, None, at(100)) is None


def test_sales_on_adopted_listings_count_from_the_import_and_skip_cancelled_ones() -> None:
    imported = datetime(2026, 3, 1, tzinfo=UTC)
    after, before = "2026-03-02T10:00:00.000Z", "2026-02-27T10:00:00.000Z"
    items = [
        UnownedItem("sold", "L1", 2, after, ("PENDING",)),
        UnownedItem("before-import", "L1", 1, before, ("PENDING",)),
        UnownedItem("no-time", "L1", 1, None, ("PENDING",)),
        UnownedItem("cancelled", "L1", 1, after, ("PENDING", "CANCELLED")),
        UnownedItem("refunded-after-dispatch", "L1", 1, after, ("DISPATCHED", "REFUNDED")),
        UnownedItem("other-listing", "L9", 1, after, ("PENDING",)),
    ]
    found = sales_on_adopted(items, {"L1": "s1"}, imported)
    assert found == {"sold": ("s1", 2), "refunded-after-dispatch": ("s1", 1)}
    assert sales_on_adopted(items, {"L1": "s1"}, None) == {}  # nothing imported: no stock
