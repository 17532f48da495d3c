"""Price tables: append snapshots, store history points once, thin old snapshots, read series.

SQL only. What to write and what to delete is decided in ``syncd.core.prices``; this module
stores and fetches. ``price_snapshots`` rows are appended and, past retention, deleted — never
updated. ``price_points`` rows are inserted once per (urn, day) and never changed. ``own_prices``
is written by the import and the listings sync; here it is only read. Times come back as
timezone-aware UTC on both backends (SQLite hands back naive values).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.price_series import OwnChange, SnapshotPoint
from syncd.core.prices import DailyPoint, Snapshot, utc_day
from syncd.storage.tables import (
    CatalogueItem,
    InventoryItem,
    OwnPrice,
    PricePoint,
    PriceSnapshot,
)

_DELETE_CHUNK = 500  # ids per DELETE … IN (…): well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class CardName:
    """How a card is called, for titles and tables."""

    urn: str
    name: str | None
    set_name: str | None
    number: str | None

    @property
    def label(self) -> str:
        if not self.name:
            return self.urn
        parts = [self.name]
        if self.set_name:
            parts.append(f"{self.set_name} #{self.number}" if self.number else self.set_name)
        return " — ".join(parts)


def _insert(session: Session, table: type[PricePoint]) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- the job's side ---------------------------------------------------------------------------


def inventory_offers(session: Session) -> list[tuple[str, int, int]]:
    """(urn, price, quantity) of every inventory row, whatever its quantity."""
    stmt = select(InventoryItem.urn, InventoryItem.price, InventoryItem.quantity)
    return [(urn, price, qty) for urn, price, qty in session.execute(stmt)]


def append_snapshots(session: Session, rows: Sequence[Snapshot]) -> int:
    if rows:
        session.execute(insert(PriceSnapshot), [r.as_row() for r in rows])
    return len(rows)


def save_names(session: Session, names: Iterable[CardName], *, now: datetime) -> int:
    """Insert or refresh card names; rows whose names did not change are left alone."""
    wanted = {n.urn: n for n in names}
    if not wanted:
        return 0
    stored = {
        row.urn: CardName(row.urn, row.name, row.set_name, row.number)
        for row in session.scalars(select(CatalogueItem).where(CatalogueItem.urn.in_(wanted)))
    }
    new = [n for u, n in wanted.items() if u not in stored]
    changed = [n for u, n in wanted.items() if u in stored and stored[u] != n]
    if new:
        session.execute(
            insert(CatalogueItem),
            [
                {"urn": n.urn, "name": n.name, "set_name": n.set_name, "number": n.number}
                | {"seen_at": now}
                for n in new
            ],
        )
    for n in changed:
        session.execute(
            update(CatalogueItem)
            .where(CatalogueItem.urn == n.urn)
            .values(name=n.name, set_name=n.set_name, number=n.number, seen_at=now)
        )
    return len(new) + len(changed)


def earliest_points(session: Session) -> dict[str, date]:
    """The first stored history day of every card that has any."""
    stmt = select(PricePoint.urn, func.min(PricePoint.day)).group_by(PricePoint.urn)
    return {urn: date.fromisoformat(day) for urn, day in session.execute(stmt)}


def insert_points(session: Session, points: Sequence[DailyPoint]) -> int:
    """Store history days not stored yet (a day already there is left as it is); returns how
    many went in."""
    if not points:
        return 0
    rows = [
        {
            "urn": p.urn,
            "day": p.day.isoformat(),
            "low": p.low,
            "median": p.median,
            "high": p.high,
            "sold": p.sold,
        }
        for p in points
    ]
    stmt = _insert(session, PricePoint).on_conflict_do_nothing(index_elements=["urn", "day"])
    # RETURNING counts the rows that went in; rowcount is unreliable for executemany.
    return len(session.execute(stmt.returning(PricePoint.urn), rows).all())


def oldest_snapshot(session: Session) -> datetime | None:
    return session.scalar(select(func.min(PriceSnapshot.taken_at)))


def snapshot_keys(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, str, datetime]]:
    """(id, urn, taken_at) of the snapshots taken in [start, end)."""
    stmt = select(PriceSnapshot.id, PriceSnapshot.urn, PriceSnapshot.taken_at).where(
        PriceSnapshot.taken_at >= start, PriceSnapshot.taken_at < end
    )
    return [(row_id, urn, taken) for row_id, urn, taken in session.execute(stmt)]


def delete_snapshots(session: Session, ids: Sequence[int]) -> int:
    for i in range(0, len(ids), _DELETE_CHUNK):
        chunk = ids[i : i + _DELETE_CHUNK]
        session.execute(delete(PriceSnapshot).where(PriceSnapshot.id.in_(chunk)))
    return len(ids)


# --- the read side ----------------------------------------------------------------------------


def skus_of(session: Session, urn: str) -> list[str]:
    stmt = select(InventoryItem.sku).where(InventoryItem.urn == urn).order_by(InventoryItem.sku)
    return list(session.scalars(stmt))


def urn_of_sku(session: Session, sku: str) -> str | None:
    """The card a sku is: from the inventory, else from its own price history."""
    urn = session.scalar(select(InventoryItem.urn).where(InventoryItem.sku == sku))
    if urn is None:
        urn = session.scalar(
            select(OwnPrice.urn)
            .where(OwnPrice.sku == sku)
            .order_by(OwnPrice.recorded_at.desc())
            .limit(1)
        )
    return urn


def urn_known(session: Session, urn: str) -> bool:
    """True when any table syncd keeps mentions this card (each probe is an index look-up)."""
    columns = (
        InventoryItem.urn,
        PriceSnapshot.urn,
        PricePoint.urn,
        OwnPrice.urn,
        CatalogueItem.urn,
    )
    return any(
        session.execute(select(column).where(column == urn).limit(1)).first() is not None
        for column in columns
    )


def card_name(session: Session, urn: str) -> CardName:
    row = session.get(CatalogueItem, urn)
    if row is None:
        return CardName(urn, None, None, None)
    return CardName(urn, row.name, row.set_name, row.number)


def card_names(session: Session, urns: Iterable[str]) -> dict[str, CardName]:
    wanted = sorted(set(urns))
    stmt = select(CatalogueItem).where(CatalogueItem.urn.in_(wanted))
    found = {r.urn: CardName(r.urn, r.name, r.set_name, r.number) for r in session.scalars(stmt)}
    return {u: found.get(u, CardName(u, None, None, None)) for u in wanted}


def snapshot_points(
    session: Session, *, since: datetime, urn: str | None = None
) -> list[SnapshotPoint]:
    """Snapshots taken since ``since`` (of one card, or all), oldest first."""
    stmt = select(
        PriceSnapshot.urn,
        PriceSnapshot.taken_at,
        PriceSnapshot.market_price,
        PriceSnapshot.low,
        PriceSnapshot.high,
        PriceSnapshot.own_price,
    ).where(PriceSnapshot.taken_at >= since)
    if urn is not None:
        stmt = stmt.where(PriceSnapshot.urn == urn)
    return [
        SnapshotPoint(u, t, price, low, high, own)
        for u, t, price, low, high, own in session.execute(stmt.order_by(PriceSnapshot.taken_at))
    ]


def history_points(session: Session, *, since: date, urn: str | None = None) -> list[DailyPoint]:
    """History days from ``since`` on (of one card, or all), oldest first."""
    stmt = select(
        PricePoint.urn,
        PricePoint.day,
        PricePoint.low,
        PricePoint.median,
        PricePoint.high,
        PricePoint.sold,
    ).where(PricePoint.day >= since.isoformat())
    if urn is not None:
        stmt = stmt.where(PricePoint.urn == urn)
    return [
        DailyPoint(u, date.fromisoformat(day), low, median, high, sold)
        for u, day, low, median, high, sold in session.execute(stmt.order_by(PricePoint.day))
    ]


def window_ends(
    session: Session, *, since: datetime
) -> tuple[list[SnapshotPoint], list[DailyPoint]]:
    """The first and last snapshot, and the first and last history day with sales, of every
    card since ``since``: all a movers ranking needs, without reading the whole window into
    Python (a month of 10,000 cards is 600,000 rows; this is at most four per card)."""
    snaps = (
        select(
            PriceSnapshot.urn,
            func.min(PriceSnapshot.taken_at).label("first"),
            func.max(PriceSnapshot.taken_at).label("last"),
        )
        .where(PriceSnapshot.taken_at >= since)
        .group_by(PriceSnapshot.urn)
        .subquery()
    )
    snap_rows = session.execute(
        select(
            PriceSnapshot.urn,
            PriceSnapshot.taken_at,
            PriceSnapshot.market_price,
            PriceSnapshot.low,
            PriceSnapshot.high,
        ).join(
            snaps,
            (PriceSnapshot.urn == snaps.c.urn)
            & (
                (PriceSnapshot.taken_at == snaps.c.first) | (PriceSnapshot.taken_at == snaps.c.last)
            ),
        )
    )
    days = (
        select(
            PricePoint.urn,
            func.min(PricePoint.day).label("first"),
            func.max(PricePoint.day).label("last"),
        )
        .where(PricePoint.day >= utc_day(since).isoformat(), PricePoint.median.is_not(None))
        .group_by(PricePoint.urn)
        .subquery()
    )
    point_rows = session.execute(
        select(
            PricePoint.urn, PricePoint.day, PricePoint.low, PricePoint.median, PricePoint.high
        ).join(
            days,
            (PricePoint.urn == days.c.urn) & PricePoint.day.in_([days.c.first, days.c.last]),
        )
    )
    return (
        [SnapshotPoint(u, t, price, low, high) for u, t, price, low, high in snap_rows],
        [
            DailyPoint(u, date.fromisoformat(d), low, median, high, None)
            for u, d, low, median, high in point_rows
        ],
    )


def own_changes(
    session: Session, *, urn: str | None = None, sku: str | None = None
) -> list[OwnChange]:
    """Every own price recorded for a sku, or for all skus of a card, oldest first.

    All of them, not just the window: the price in force on the first day shown was often set
    before it.
    """
    stmt = select(OwnPrice.recorded_at, OwnPrice.sku, OwnPrice.price)
    if sku is not None:
        stmt = stmt.where(OwnPrice.sku == sku)
    if urn is not None:
        stmt = stmt.where(OwnPrice.urn == urn)
    stmt = stmt.order_by(OwnPrice.recorded_at, OwnPrice.id)
    return [OwnChange(at, s, price) for at, s, price in session.execute(stmt)]
