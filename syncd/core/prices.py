"""Price history decisions, pure: what a snapshot row says, which cards need a backfill, which
old snapshots retention removes.

Money is integer pence, times are timezone-aware UTC. The shell (``syncd.jobs.prices``) gathers
rows, calls these functions and writes what they return. This module must not do I/O, read a
clock or know about SQL or HTTP; the daily series and movers live in ``core.price_series``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

LOOKUP_BATCH = 200  # Managem's limit for one item look-up (managem-api.md §8.5)

T = TypeVar("T")


@dataclass(frozen=True)
class OwnStock:
    """The seller's own offer for one card (urn), summed over the skus that share it."""

    price: int  # pence: the lowest price among the skus in stock, else among all of them
    quantity: int  # summed over the skus


@dataclass(frozen=True)
class MarketQuote:
    """What an item look-up said about one card today (pence; any figure may be absent)."""

    urn: str
    price: int | None
    low: int | None
    high: int | None
    available: int | None


@dataclass(frozen=True)
class Snapshot:
    """One ``price_snapshots`` row: the market and the seller's own offer at one moment."""

    taken_at: datetime
    urn: str
    market_price: int | None
    low: int | None
    high: int | None
    market_available: int | None
    own_price: int | None
    own_quantity: int | None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DailyPoint:
    """One day of market history for a card; ``sold == 0`` with no prices = a day without sales."""

    urn: str
    day: date
    low: int | None
    median: int | None
    high: int | None
    sold: int | None


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i : i + size] for i in range(0, len(items), size)]


def own_by_urn(rows: Iterable[tuple[str, int, int]]) -> dict[str, OwnStock]:
    """(urn, price, quantity) per inventory row → the seller's offer per urn.

    Several skus may share a urn (conditions, languages, graded copies). The price shown beside
    the market is the lowest one a buyer can actually buy, so skus in stock win; when none is in
    stock the lowest price overall is kept (the card still has a price history). Quantities are
    summed (negative quantities, which a till may write, count as zero).
    """
    in_stock: dict[str, int] = {}
    any_price: dict[str, int] = {}
    quantity: dict[str, int] = {}
    for urn, price, qty in rows:
        any_price[urn] = min(price, any_price.get(urn, price))
        if qty > 0:
            in_stock[urn] = min(price, in_stock.get(urn, price))
        quantity[urn] = quantity.get(urn, 0) + max(qty, 0)
    return {
        urn: OwnStock(price=in_stock.get(urn, any_price[urn]), quantity=quantity[urn])
        for urn in sorted(any_price)
    }


def snapshot_rows(
    taken_at: datetime, quotes: Iterable[MarketQuote], own: Mapping[str, OwnStock]
) -> list[Snapshot]:
    """One snapshot per quoted card, all stamped with the run's time."""
    rows: list[Snapshot] = []
    for quote in quotes:
        mine = own.get(quote.urn)
        rows.append(
            Snapshot(
                taken_at=taken_at,
                urn=quote.urn,
                market_price=quote.price,
                low=quote.low,
                high=quote.high,
                market_available=quote.available,
                own_price=None if mine is None else mine.price,
                own_quantity=None if mine is None else mine.quantity,
            )
        )
    return rows


# --- backfill ---------------------------------------------------------------------------------


def backfill_start(today: date, days: int) -> date:
    """The first day a backfill of ``days`` days covers (the look-up answers up to today)."""
    return today - timedelta(days=days - 1)


def needs_backfill(
    urns: Iterable[str], earliest: Mapping[str, date], *, today: date, days: int
) -> list[str]:
    """Cards with no stored history, or whose history starts later than ``days`` days ago.

    Gap days are stored as ``sold=0`` rows by ``complete_days``, so the earliest stored day is
    exactly how far back a card was fetched: a sparse card is not fetched again every run.
    """
    start = backfill_start(today, days)
    return sorted(u for u in set(urns) if u not in earliest or earliest[u] > start)


def complete_days(
    urn: str, points: Iterable[DailyPoint], *, today: date, days: int
) -> list[DailyPoint]:
    """The finished days of a fetched history, gaps filled with ``sold=0`` days.

    Managem returns only days with sales; a missing day inside the asked range is a day without
    sales, which is worth storing so the next backfill knows it was asked. Today is left out:
    its sales are not over, and stored points are never updated.
    """
    start = backfill_start(today, days)
    given = {p.day: p for p in points if start <= p.day < today}
    out: list[DailyPoint] = []
    day = start
    while day < today:
        out.append(given.get(day) or DailyPoint(urn, day, None, None, None, 0))
        day += timedelta(days=1)
    return out


# --- retention --------------------------------------------------------------------------------


def retention_cutoff(now: datetime, keep_all_days: int) -> datetime:
    """Snapshots taken before this moment are thinned to one per card per UTC day.

    Aligned to UTC midnight so a day is either wholly kept or wholly thinned: a half-thinned
    day would be thinned again, differently, as the cutoff moves through it.
    """
    day = (now.astimezone(UTC) - timedelta(days=keep_all_days)).date()
    return datetime.combine(day, time(0), tzinfo=UTC)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def thin(rows: Iterable[tuple[int, str, datetime]], cutoff: datetime) -> list[int]:
    """Ids of snapshots to delete: of those taken before ``cutoff``, all but the newest of each
    (urn, UTC day). Ties on time keep the highest id (the later insert). Idempotent: after the
    deletes, the same call on what is left returns nothing."""
    newest: dict[tuple[str, date], tuple[datetime, int]] = {}
    old: list[tuple[int, str, datetime]] = []
    for row_id, urn, taken_at in rows:
        if taken_at >= cutoff:
            continue
        old.append((row_id, urn, taken_at))
        key = (urn, utc_day(taken_at))
        best = newest.get(key)
        if best is None or (taken_at, row_id) > best:
            newest[key] = (taken_at, row_id)
    keep = {row_id for _, row_id in newest.values()}
    return sorted(row_id for row_id, _, _ in old if row_id not in keep)
