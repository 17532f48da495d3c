"""Pure series assembly: own price steps, daily market figures, latest change, movers, money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from syncd.core.price_series import (
    Change,
    OwnChange,
    OwnStep,
    SnapshotPoint,
    assemble,
    describe_change,
    latest_change,
    own_steps,
    pounds,
    price_at,
    rank_movers,
    step_change,
)
from syncd.core.prices import DailyPoint


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_pounds_formats_pence_exactly() -> None:
    assert [pounds(p) for p in (0, 5, 135, 100000, -250, None)] == [
        "£0.00",
        "£0.05",
        "£1.35",
        "£1000.00",
        "-£2.50",
        "-",
    ]


def test_own_steps_take_the_lowest_sku_and_drop_non_changes() -> None:
    steps = own_steps(
        [
            OwnChange(at(1), "nm", 300),
            OwnChange(at(2), "lp", 200),  # a cheaper copy: the card's price drops
            OwnChange(at(3), "nm", 250),  # still above lp: no change
            OwnChange(at(4), "lp", 400),  # lp up: nm is now the lowest
        ]
    )
    assert steps == (OwnStep(at(1), 300), OwnStep(at(2), 200), OwnStep(at(4), 250))
    assert price_at(steps, at(1, 11)) is None
    assert price_at(steps, at(1)) == 300
    assert price_at(steps, at(3, 23)) == 200
    assert price_at(steps, at(9)) == 250


def test_assemble_prefers_snapshots_and_carries_own_price_forward() -> None:
    points = [
        DailyPoint("u", date(2026, 3, 1), 80, 100, 120, 4),
        DailyPoint("u", date(2026, 3, 2), None, None, None, 0),  # no sales: no figure
        DailyPoint("u", date(2026, 3, 3), 85, 110, 130, 2),
    ]
    snaps = [
        SnapshotPoint("u", at(3, 6), 111, 77, 167),
        SnapshotPoint("u", at(3, 18), 120, 84, 181),  # newest of the day wins
        SnapshotPoint("u", at(5, 9), 135, 94, 203, own_price=999),
    ]
    steps = own_steps([OwnChange(at(1, 9), "s", 150), OwnChange(at(4, 10), "s", 140)])
    rows = assemble(date(2026, 3, 1), date(2026, 3, 5), snaps, points, steps)
    got = [(r.day.day, r.low, r.mid, r.high, r.source, r.own) for r in rows]
    assert got == [
        (1, 80, 100, 120, "history", 150),
        (3, 84, 120, 181, "snapshot", 150),
        (4, None, None, None, "", 140),  # own price changed: the day is shown
        (5, 94, 135, 203, "snapshot", 140),  # own_prices wins over the snapshot's copy
    ]


def test_assemble_falls_back_to_snapshot_own_price_without_history() -> None:
    rows = assemble(
        date(2026, 3, 5), date(2026, 3, 5), [SnapshotPoint("u", at(5), 135, 94, 203, 999)], [], ()
    )
    assert rows[0].own == 999


def test_latest_change_finds_the_start_of_the_current_value() -> None:
    values = [
        (date(2026, 11, 25), 110),
        (date(2026, 11, 26), 120),
        (date(2026, 11, 27), None),
        (date(2026, 11, 28), 135),
        (date(2026, 11, 29), 135),
    ]
    change = latest_change(values)
    assert change == Change(before=120, after=135, since=date(2026, 11, 28))
    assert describe_change("market", change) == "market £1.20 → £1.35 (+12.5%) since 2026-11-28"
    flat = latest_change([(date(2026, 11, 1), 50), (date(2026, 11, 2), 50)])
    assert describe_change("own", flat) == "own £0.50, unchanged since 2026-11-01"
    assert describe_change("market", latest_change([])) == "market: no data"
    down = latest_change([(date(2026, 1, 1), 200), (date(2026, 1, 2), 150)])
    assert describe_change("market", down) == "market £2.00 → £1.50 (-25.0%) since 2026-01-02"


def test_rank_movers_by_absolute_percentage_both_ways() -> None:
    t = at(1)
    snaps = [
        SnapshotPoint("up", t, 100, None, None),
        SnapshotPoint("up", t + timedelta(days=3), 130, None, None),  # +30 %
        SnapshotPoint("down", t, 200, None, None),
        SnapshotPoint("down", t + timedelta(days=3), 100, None, None),  # -50 %
        SnapshotPoint("flat", t, 100, None, None),
        SnapshotPoint("flat", t + timedelta(days=3), 100, None, None),
        SnapshotPoint("once", t, 100, None, None),
    ]
    points = [  # history only: +10 %
        DailyPoint("hist", date(2026, 3, 1), 1, 100, 1, 1),
        DailyPoint("hist", date(2026, 3, 2), 1, 110, 1, 1),
    ]
    movers = rank_movers(snaps, points, {"up": 125}, limit=10)
    assert [(m.urn, round(m.pct, 1), m.own_price) for m in movers] == [
        ("down", -50.0, None),
        ("up", 30.0, 125),
        ("hist", 10.0, None),
    ]
    assert [m.urn for m in rank_movers(snaps, points, {}, limit=1)] == ["down"]


def test_step_change_dates_the_change_even_before_a_window() -> None:
    steps = own_steps([OwnChange(at(1), "s", 300), OwnChange(at(4, 23), "s", 250)])
    assert step_change(steps) == Change(before=300, after=250, since=date(2026, 3, 4))
    assert step_change(steps[:1]) == Change(before=None, after=300, since=date(2026, 3, 1))
    assert step_change(()) is None
