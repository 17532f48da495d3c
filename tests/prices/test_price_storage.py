"""Price tables on SQLite and Postgres: insert-once history, retention, names, look-ups."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from price_env import add_inventory, make_app
from sqlalchemy import func, insert, select

from syncd.clock import FakeClock
from syncd.core.price_series import OwnChange, rank_movers
from syncd.core.prices import DailyPoint
from syncd.jobs.prices import THINNED_CURSOR, thin_snapshots
from syncd.storage import prices as store
from syncd.storage.runs import get_cursor
from syncd.storage.tables import OwnPrice, PricePoint, PriceSnapshot

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def test_insert_points_stores_each_day_once(db_url: str) -> None:
    app = make_app(db_url, clock=FakeClock(NOW))
    first = [DailyPoint("urn:a", date(2026, 6, d), 90, 100 + d, 120, 2) for d in (1, 2, 3)]
    again = [DailyPoint("urn:a", date(2026, 6, d), 1, 1, 1, 1) for d in (2, 3, 4)]
    with app.db.transaction() as s:
        assert store.insert_points(s, first) == 3
    with app.db.transaction() as s:
        assert store.insert_points(s, again) == 1  # only the 4th is new
        assert store.insert_points(s, []) == 0
    with app.db.transaction() as s:
        rows = {p.day: p.median for p in s.scalars(select(PricePoint))}
        assert rows == {"2026-06-01": 101, "2026-06-02": 102, "2026-06-03": 103, "2026-06-04": 1}
        assert store.earliest_points(s) == {"urn:a": date(2026, 6, 1)}
    app.close()


def _snap(urn: str, taken_at: datetime, price: int) -> dict[str, object]:
    return {"taken_at": taken_at, "urn": urn, "market_price": price}


def test_retention_keeps_newest_of_each_old_day_and_is_idempotent(db_url: str) -> None:
    app = make_app(db_url, clock=FakeClock(NOW))
    keep = 10  # cutoff: 2026-06-05T00:00Z
    old_day = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        _snap("urn:a", old_day + timedelta(hours=1), 1),
        _snap("urn:a", old_day + timedelta(hours=20), 2),  # newest of 1 June: kept
        _snap("urn:a", old_day + timedelta(hours=9), 3),
        _snap("urn:b", old_day + timedelta(hours=3), 4),  # alone: kept
        _snap("urn:a", old_day + timedelta(days=3, hours=23, minutes=59), 5),  # 4 June: kept
        _snap("urn:a", old_day + timedelta(days=3, hours=1), 6),
        _snap("urn:a", old_day + timedelta(days=4, hours=1), 7),  # 5 June: recent, all kept
        _snap("urn:a", old_day + timedelta(days=4, hours=2), 8),
    ]
    with app.db.transaction() as s:
        s.execute(insert(PriceSnapshot), rows)
    assert thin_snapshots(app.db, now=NOW, keep_all_days=keep) == 3
    with app.db.transaction() as s:
        left = sorted(s.scalars(select(PriceSnapshot.market_price)))
        assert left == [2, 4, 5, 7, 8]
        assert get_cursor(s, THINNED_CURSOR) == "2026-06-05T00:00:00+00:00"
    assert thin_snapshots(app.db, now=NOW, keep_all_days=keep) == 0
    # a day later the 5th of June is old too: thinned to its newest
    later = NOW + timedelta(days=1)
    assert thin_snapshots(app.db, now=later, keep_all_days=keep) == 1
    assert thin_snapshots(app.db, now=later, keep_all_days=keep) == 0
    with app.db.transaction() as s:
        assert sorted(s.scalars(select(PriceSnapshot.market_price))) == [2, 4, 5, 8]
    app.close()


def test_names_are_saved_and_refreshed(db_url: str) -> None:
    app = make_app(db_url, clock=FakeClock(NOW))
    with app.db.transaction() as s:
        n = store.save_names(s, [store.CardName("urn:a", "Pika", "Base", "58")], now=NOW)
        assert n == 1
    with app.db.transaction() as s:
        same = store.save_names(s, [store.CardName("urn:a", "Pika", "Base", "58")], now=NOW)
        renamed = store.save_names(s, [store.CardName("urn:a", "Pikachu", "Base", "58")], now=NOW)
        assert (same, renamed) == (0, 1)
    with app.db.transaction() as s:
        assert store.card_name(s, "urn:a").label == "Pikachu — Base #58"
        assert store.card_name(s, "urn:zz").label == "urn:zz"
    app.close()


def test_resolving_skus_and_urns(db_url: str) -> None:
    app = make_app(db_url, clock=FakeClock(NOW))
    add_inventory(app, [("NM-1", "urn:a", 150, 2), ("LP-1", "urn:a", 90, 0)])
    with app.db.transaction() as s:
        s.execute(
            insert(OwnPrice),
            [
                {
                    "sku": "gone",
                    "urn": "urn:old",
                    "price": 5,
                    "reason": "import",
                    "recorded_at": NOW,
                },
                {
                    "sku": "NM-1",
                    "urn": "urn:a",
                    "price": 150,
                    "reason": "import",
                    "recorded_at": NOW,
                },
            ],
        )
        s.execute(insert(PriceSnapshot), [_snap("urn:snap-only", NOW, 1)])
    with app.db.transaction() as s:
        assert store.urn_of_sku(s, "NM-1") == "urn:a"
        assert store.urn_of_sku(s, "gone") == "urn:old"  # left the inventory, history kept
        assert store.urn_of_sku(s, "urn:a") is None
        assert store.urn_known(s, "urn:a") and store.urn_known(s, "urn:snap-only")
        assert not store.urn_known(s, "urn:nothing")
        assert store.skus_of(s, "urn:a") == ["LP-1", "NM-1"]
        assert store.own_changes(s, sku="NM-1") == [OwnChange(NOW, "NM-1", 150)]
        assert int(s.scalar(select(func.count()).select_from(OwnPrice)) or 0) == 2
    app.close()


def test_window_ends_ranks_movers_like_the_whole_window(db_url: str) -> None:
    rng = random.Random(4)
    app = make_app(db_url, clock=FakeClock(NOW))
    start = NOW - timedelta(days=20)
    snaps, points = [], []
    for card in range(30):
        urn = f"urn:c{card}"
        for day in range(21):
            if rng.random() < 0.5:  # one snapshot a day, on some days
                when = start + timedelta(days=day, hours=rng.randrange(12))
                snaps.append(_snap(urn, when, rng.randrange(50, 150)))
            if card % 3 and rng.random() < 0.6:  # history on others, some without sales
                median = rng.choice([None, rng.randrange(50, 150)])
                day_text = (start + timedelta(days=day)).date().isoformat()
                points.append({"urn": urn, "day": day_text, "median": median, "sold": 1})
    with app.db.transaction() as s:
        s.execute(insert(PriceSnapshot), snaps)
        s.execute(insert(PricePoint), points)
    since = start + timedelta(days=3)
    with app.db.transaction() as s:
        full = rank_movers(
            store.snapshot_points(s, since=since),
            store.history_points(s, since=since.date()),
            {},
            limit=100,
        )
        ends = rank_movers(*store.window_ends(s, since=since), {}, limit=100)
    assert len(full) > 10
    assert ends == full
    app.close()
