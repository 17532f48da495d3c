"""Pure price decisions: own offers per card, snapshot rows, backfill coverage, retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from syncd.core.prices import (
    DailyPoint,
    MarketQuote,
    OwnStock,
    chunked,
    complete_days,
    needs_backfill,
    own_by_urn,
    retention_cutoff,
    snapshot_rows,
    thin,
)

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_own_by_urn_sums_quantity_and_prefers_lowest_price_in_stock() -> None:
    own = own_by_urn(
        [
            ("urn:a", 500, 2),  # NM in stock
            ("urn:a", 100, 0),  # a cheap copy, sold out: not what a buyer can buy
            ("urn:a", 300, 1),
            ("urn:b", 250, 0),
            ("urn:b", 200, 0),  # nothing in stock: lowest overall
            ("urn:c", 90, -1),  # a till wrote a negative quantity: counts as zero
        ]
    )
    assert own == {
        "urn:a": OwnStock(price=300, quantity=3),
        "urn:b": OwnStock(price=200, quantity=0),
        "urn:c": OwnStock(price=90, quantity=0),
    }


def test_snapshot_rows_carry_market_and_own_figures() -> None:
    quotes = [MarketQuote("urn:a", 120, 84, 181, 7), MarketQuote("urn:x", None, None, None, None)]
    rows = snapshot_rows(T0, quotes, {"urn:a": OwnStock(300, 3)})
    assert [r.as_row() for r in rows] == [
        {
            "taken_at": T0,
            "urn": "urn:a",
            "market_price": 120,
            "low": 84,
            "high": 181,
            "market_available": 7,
            "own_price": 300,
            "own_quantity": 3,
        },
        {
            "taken_at": T0,
            "urn": "urn:x",
            "market_price": None,
            "low": None,
            "high": None,
            "market_available": None,
            "own_price": None,
            "own_quantity": None,
        },
    ]


def test_chunked_respects_the_batch_limit() -> None:
    parts = chunked(list(range(1001)), 200)
    assert [len(p) for p in parts] == [200, 200, 200, 200, 200, 1]
    assert [x for p in parts for x in p] == list(range(1001))
    with pytest.raises(ValueError, match="at least 1"):
        chunked([1], 0)


def test_needs_backfill_uses_how_far_back_history_goes() -> None:
    today = date(2026, 3, 10)
    earliest = {
        "urn:full": date(2026, 2, 9),  # exactly 30 days back (today included)
        "urn:short": date(2026, 2, 20),
    }
    todo = needs_backfill(["urn:new", "urn:full", "urn:short"], earliest, today=today, days=30)
    assert todo == ["urn:new", "urn:short"]
    # asking for more days makes the full one short again
    assert needs_backfill(["urn:full"], earliest, today=today, days=31) == ["urn:full"]


def test_complete_days_fills_gaps_and_leaves_today_out() -> None:
    today = date(2026, 3, 10)
    given = [
        DailyPoint("urn:a", date(2026, 3, 6), 90, 100, 110, 3),
        DailyPoint("urn:a", date(2026, 3, 8), 95, 105, 120, 1),
        DailyPoint("urn:a", date(2026, 3, 10), 1, 2, 3, 1),  # today: not over yet
        DailyPoint("urn:a", date(2026, 3, 1), 1, 2, 3, 1),  # outside the asked range
    ]
    days = complete_days("urn:a", given, today=today, days=5)
    assert [d.day for d in days] == [date(2026, 3, d) for d in (6, 7, 8, 9)]
    assert days[0].median == 100 and days[2].median == 105
    assert days[1] == DailyPoint("urn:a", date(2026, 3, 7), None, None, None, 0)
    # with gaps stored, the earliest stored day now says the card is covered
    assert needs_backfill(["urn:a"], {"urn:a": days[0].day}, today=today, days=5) == []


def test_retention_cutoff_is_utc_midnight() -> None:
    assert retention_cutoff(T0, 90) == datetime(2025, 12, 10, tzinfo=UTC)


def test_thin_keeps_newest_per_card_per_day_before_cutoff_only() -> None:
    cutoff = datetime(2026, 3, 1, tzinfo=UTC)
    d1 = datetime(2026, 2, 27, tzinfo=UTC)
    rows = [
        (1, "urn:a", d1 + timedelta(hours=1)),
        (2, "urn:a", d1 + timedelta(hours=13)),
        (3, "urn:a", d1 + timedelta(hours=7)),
        (4, "urn:b", d1 + timedelta(hours=1)),  # alone on its day: kept
        (5, "urn:a", d1 + timedelta(days=1, hours=2)),
        (6, "urn:a", d1 + timedelta(days=1, hours=2)),  # same instant: highest id kept
        (7, "urn:a", cutoff + timedelta(hours=1)),  # after the cutoff: all kept
        (8, "urn:a", cutoff + timedelta(hours=2)),
    ]
    doomed = thin(rows, cutoff)
    assert doomed == [1, 3, 5]
    left = [r for r in rows if r[0] not in doomed]
    assert thin(left, cutoff) == []  # idempotent


def test_thin_groups_by_utc_day_whatever_the_offset() -> None:
    bst = datetime(2026, 2, 1, 0, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=1)))
    rows = [(1, "urn:a", datetime(2026, 1, 31, 23, 0, tzinfo=UTC)), (2, "urn:a", bst)]
    # 23:00 UTC on the 31st and 00:30 UTC on the 1st are different UTC days: nothing thinned
    assert thin(rows, datetime(2026, 3, 1, tzinfo=UTC)) == []
