"""Price series, pure: a card's daily market figures and own price, its latest change, and the
cards whose market moved most.

Two sources describe the market: snapshots (the item look-up's market price with its listed
low/high, taken by the prices job) and daily history points (sold low/median/high, from the
backfill). On a day that has both, the newest snapshot wins: it is what syncd saw itself. The
seller's own price is a step function over ``own_prices`` changes. Money is integer pence. This
module must not do I/O, read a clock, or know about SQL or HTTP.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from syncd.core.prices import DailyPoint, day_bounds, utc_day


@dataclass(frozen=True)
class SnapshotPoint:
    """The parts of a stored snapshot a series needs."""

    urn: str
    taken_at: datetime
    market_price: int | None
    low: int | None
    high: int | None
    own_price: int | None = None


@dataclass(frozen=True)
class OwnChange:
    """One ``own_prices`` row: from ``at`` on, ``sku`` was priced ``price``."""

    at: datetime
    sku: str
    price: int


@dataclass(frozen=True)
class OwnStep:
    """From ``at`` on (until the next step) the seller's lowest price for the card."""

    at: datetime
    price: int


@dataclass(frozen=True)
class SeriesDay:
    """One row of a card's price table; ``mid`` is the sold median or the market price."""

    day: date
    low: int | None
    mid: int | None
    high: int | None
    source: str  # "snapshot" | "history" | "" (no market figure that day)
    own: int | None


@dataclass(frozen=True)
class Change:
    """The latest change of a value: ``before`` → ``after`` since ``since`` (None: unchanged)."""

    before: int | None
    after: int
    since: date

    @property
    def pct(self) -> float | None:
        if self.before is None or self.before == 0:
            return None
        return (self.after - self.before) * 100.0 / self.before


@dataclass(frozen=True)
class Mover:
    """A card whose market moved between the first and last day of a window."""

    urn: str
    start_day: date
    start: int
    end_day: date
    end: int
    pct: float
    own_price: int | None


def pounds(pence: int | None) -> str:
    """``135`` → ``£1.35``; ``None`` → ``-``. Integer arithmetic, so no float rounding."""
    if pence is None:
        return "-"
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole}.{part:02d}"


def own_steps(changes: Iterable[OwnChange]) -> tuple[OwnStep, ...]:
    """The card's own price over time: after each change, the lowest current price of its skus.

    Steps that do not change the value are dropped, so the result is a clean step function.
    """
    current: dict[str, int] = {}
    steps: list[OwnStep] = []
    for change in sorted(changes, key=lambda c: (c.at, c.sku)):
        current[change.sku] = change.price
        value = min(current.values())
        if steps and steps[-1].at == change.at:
            steps.pop()
        if not steps or steps[-1].price != value:
            steps.append(OwnStep(change.at, value))
    return tuple(steps)


def price_at(steps: Sequence[OwnStep], moment: datetime) -> int | None:
    """What the card was listed at at ``moment`` (None before its first known price)."""
    index = bisect.bisect_right([s.at for s in steps], moment)
    return steps[index - 1].price if index else None


def market_by_day(
    snapshots: Iterable[SnapshotPoint], points: Iterable[DailyPoint]
) -> dict[date, SeriesDay]:
    """One market figure per UTC day: the newest snapshot, else the history point with sales."""
    newest: dict[date, SnapshotPoint] = {}
    for snap in snapshots:
        day = utc_day(snap.taken_at)
        if day not in newest or snap.taken_at >= newest[day].taken_at:
            newest[day] = snap
    out = {
        p.day: SeriesDay(p.day, p.low, p.median, p.high, "history", None)
        for p in points
        if p.median is not None
    }
    for day, snap in newest.items():
        out[day] = SeriesDay(
            day, snap.low, snap.market_price, snap.high, "snapshot", snap.own_price
        )
    return out


def assemble(
    start: date,
    end: date,
    snapshots: Iterable[SnapshotPoint],
    points: Iterable[DailyPoint],
    steps: Sequence[OwnStep],
) -> tuple[SeriesDay, ...]:
    """The rows of a card's table from ``start`` to ``end`` inclusive.

    A day appears when it has a market figure or the own price changed on it. The own price is
    the one in force at the end of the day; before the first ``own_prices`` row, the own price a
    snapshot recorded stands in.
    """
    market = market_by_day(snapshots, points)
    change_days = {utc_day(s.at) for s in steps}
    rows: list[SeriesDay] = []
    day = start
    while day <= end:
        if day in market or day in change_days:
            _, day_end = day_bounds(day)
            own = price_at(steps, day_end - timedelta(microseconds=1))
            base = market.get(day) or SeriesDay(day, None, None, None, "", None)
            if own is None:
                own = base.own
            rows.append(SeriesDay(day, base.low, base.mid, base.high, base.source, own))
        day += timedelta(days=1)
    return tuple(rows)


def latest_change(values: Sequence[tuple[date, int | None]]) -> Change | None:
    """The last time the value changed, over days in order (None values are skipped)."""
    known = [(day, value) for day, value in values if value is not None]
    if not known:
        return None
    after = known[-1][1]
    first = len(known) - 1
    while first > 0 and known[first - 1][1] == after:
        first -= 1
    before = known[first - 1][1] if first else None
    return Change(before=before, after=after, since=known[first][0])


def step_change(steps: Sequence[OwnStep]) -> Change | None:
    """The latest change of a step function, dated the day it happened (even before a window)."""
    if not steps:
        return None
    before = steps[-2].price if len(steps) > 1 else None
    return Change(before=before, after=steps[-1].price, since=utc_day(steps[-1].at))


def describe_change(label: str, change: Change | None) -> str:
    """``market £1.20 → £1.35 (+12.5%) since 2026-11-28`` (or unchanged / no data)."""
    if change is None:
        return f"{label}: no data"
    if change.before is None:
        return f"{label} {pounds(change.after)}, unchanged since {change.since.isoformat()}"
    pct = change.pct
    share = "" if pct is None else f" ({pct:+.1f}%)"
    return (
        f"{label} {pounds(change.before)} → {pounds(change.after)}{share}"
        f" since {change.since.isoformat()}"
    )


def rank_movers(
    snapshots: Iterable[SnapshotPoint],
    points: Iterable[DailyPoint],
    own: Mapping[str, int],
    *,
    limit: int,
) -> list[Mover]:
    """The ``limit`` cards whose market figure moved most (by absolute percentage, either way)
    between their first and last day with a figure. Cards with one figure, a zero start or no
    move are left out; ties go by urn so the list is stable."""
    by_urn_snaps: dict[str, list[SnapshotPoint]] = {}
    for snap in snapshots:
        by_urn_snaps.setdefault(snap.urn, []).append(snap)
    by_urn_points: dict[str, list[DailyPoint]] = {}
    for point in points:
        by_urn_points.setdefault(point.urn, []).append(point)
    movers: list[Mover] = []
    for urn in set(by_urn_snaps) | set(by_urn_points):
        market = market_by_day(by_urn_snaps.get(urn, ()), by_urn_points.get(urn, ()))
        known = sorted((d, r.mid) for d, r in market.items() if r.mid is not None)
        if len(known) < 2:
            continue
        (start_day, start), (end_day, end) = known[0], known[-1]
        if start is None or end is None or start <= 0 or start == end:
            continue
        pct = (end - start) * 100.0 / start
        movers.append(Mover(urn, start_day, start, end_day, end, pct, own.get(urn)))
    movers.sort(key=lambda m: (-abs(m.pct), m.urn))
    return movers[:limit]
