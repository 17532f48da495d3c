"""Benchmark: how much the price tables grow per snapshot, and how fast `prices` reads a year.

Usage: .venv/bin/python bench/prices_growth.py [--cards 10000] [--snapshots 3] [--skip-year]

Part 1 runs the real prices job against the sandbox on a fresh SQLite file, N times (one
simulated day apart), and prints the rows and bytes each snapshot adds: the file size after a
WAL checkpoint (what the disk sees) and the compact size after VACUUM (what the rows need).
Part 2 builds a year of daily history for every card (365 history points and 365 thinned daily
snapshots per card, one own price per sku) and times `syncd prices show` (30 and 365 days),
`prices chart` and `prices movers` through the CLI entry point, in process, median of 5 runs.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from syncd.bootstrap import App, build_app
from syncd.cli.main import main
from syncd.clock import FakeClock
from syncd.jobs.prices import run
from syncd.jobs.runner import JobContext
from syncd.sandbox import SandboxOptions, start_sandbox
from syncd.settings import load_settings
from syncd.storage.engine import make_engine
from syncd.storage.schema import upgrade
from syncd.storage.tables import (
    CatalogueItem,
    InventoryItem,
    OwnPrice,
    PricePoint,
    PriceSnapshot,
)

PRICE_TABLES = (PriceSnapshot, PricePoint, CatalogueItem)


def fresh_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def sizes(app: App, path: Path) -> tuple[int, int]:
    """(file bytes after a WAL checkpoint, file bytes after VACUUM)."""
    app.db.engine.dispose()  # pooled connections would hold the WAL open
    raw = app.db.engine.raw_connection()  # the driver runs in autocommit: VACUUM may run
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        on_disk = path.stat().st_size
        raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()
    return on_disk, path.stat().st_size


def rows(app: App) -> dict[str, int]:
    with app.db.transaction() as s:
        return {
            t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in PRICE_TABLES
        }


def add_inventory(app: App, urns: list[str]) -> None:
    with app.db.transaction() as s:
        s.execute(
            insert(InventoryItem),
            [
                {
                    "sku": f"sku-{n:05d}",
                    "urn": urn,
                    "condition": "NM",
                    "language": "English",
                    "price": 100 + n % 900,
                    "quantity": 1 + n % 3,
                    "hidden": False,
                }
                for n, urn in enumerate(urns)
            ],
        )


def growth(cards: int, snapshots: int, work: Path) -> None:
    path = work / "growth.db"
    url = fresh_db(path)
    clock = FakeClock(datetime.now(UTC))
    with start_sandbox(SandboxOptions(seed=5, catalogue_size=max(cards, 12_000))) as sb:
        settings = load_settings(
            managem={"base_url": sb.url, "token": sb.token},
            database={"url": url},
            ratelimit={"rate": 10_000, "burst": 10_000},
        )
        app = build_app(settings, clock=clock)
        add_inventory(app, sb.catalogue_urns(cards))
        before_disk, before_compact = sizes(app, path)
        before_rows = rows(app)
        print(f"Part 1: growth per snapshot of {cards:,} cards (SQLite, sandbox, real job)")
        print(f"  empty price tables: file {before_disk:,} B, compact {before_compact:,} B")
        for n in range(1, snapshots + 1):
            started = time.perf_counter()
            outcome = run(JobContext(app=app, run_id=f"bench{n}"))
            took = time.perf_counter() - started
            disk, compact = sizes(app, path)
            now_rows = rows(app)
            added = {k: now_rows[k] - before_rows[k] for k in now_rows}
            snaps = added["price_snapshots"]
            print(
                f"  snapshot {n}: {outcome.counts.get('lookups')} look-ups, {took:.2f} s; rows +"
                + ", +".join(f"{v:,} {k}" for k, v in added.items())
                + f"; file +{disk - before_disk:,} B, compact +{compact - before_compact:,} B"
                + f" ({(compact - before_compact) / max(snaps, 1):.1f} B per snapshot row)"
            )
            before_disk, before_compact, before_rows = disk, compact, now_rows
            clock.advance(86_400)
        app.close()


def year_of_history(cards: int, work: Path) -> tuple[App, Path]:
    path = work / "year.db"
    app = build_app(load_settings(database={"url": fresh_db(path)}))
    urns = [f"urn:managem:pokemon:set/bench-{n // 200}/card/{n % 200 + 1}" for n in range(cards)]
    add_inventory(app, urns)
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    with app.db.transaction() as s:
        s.execute(
            insert(CatalogueItem),
            [
                {"urn": u, "name": f"Card {n}", "set_name": "Bench", "number": str(n)}
                | {"seen_at": today}
                for n, u in enumerate(urns)
            ],
        )
        s.execute(
            insert(OwnPrice),
            [
                {"sku": f"sku-{n:05d}", "urn": u, "price": 100 + n % 900, "reason": "import"}
                | {"recorded_at": today - timedelta(days=365)}
                for n, u in enumerate(urns)
            ],
        )
    # Straight through the driver: ORM or Core inserts of 7.3M rows take many minutes. The
    # timestamp text is the format SQLAlchemy writes for SQLite DateTime columns.
    app.db.engine.dispose()
    db = sqlite3.connect(path)
    with db:
        for day_back in range(365, 0, -1):
            day = today - timedelta(days=day_back)
            iso, stamp = day.date().isoformat(), day.strftime("%Y-%m-%d %H:%M:%S.%f")
            db.executemany(
                "INSERT INTO price_points (urn, day, low, median, high, sold)"
                " VALUES (?, ?, 80, ?, 140, 3)",
                ((u, iso, 100 + day_back) for u in urns),
            )
            db.executemany(
                "INSERT INTO price_snapshots (taken_at, urn, market_price, low, high,"
                " market_available, own_price, own_quantity) VALUES (?, ?, ?, 70, 150, 5, 120, 1)",
                ((stamp, u, 100 + day_back + n % 50) for n, u in enumerate(urns)),
            )
        db.execute("ANALYZE")
    db.close()
    return app, path


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def quiet(argv: list[str]) -> Callable[[], object]:
    def call() -> object:
        with redirect_stdout(io.StringIO()):
            code = main(argv)
        if code != 0:
            raise SystemExit(f"{argv} exited {code}")
        return code

    return call


def reads(cards: int, work: Path) -> None:
    started = time.perf_counter()
    app, path = year_of_history(cards, work)
    built = time.perf_counter() - started
    counts = rows(app)
    disk, compact = sizes(app, path)
    app.close()
    print(f"\nPart 2: a year of daily history for {cards:,} cards (built in {built:.0f} s)")
    print(
        f"  {counts['price_snapshots']:,} snapshots + {counts['price_points']:,} history points;"
        f" file {disk / 1e6:.0f} MB, compact {compact / 1e6:.0f} MB"
        f" ({compact / cards / 1e3:.1f} kB per card-year)"
    )
    os.environ["SYNCD_DATABASE__URL"] = f"sqlite:///{path}"
    os.environ.pop("SYNCD_CONFIG", None)
    sku = f"sku-{cards // 2:05d}"
    for label, argv in (
        ("prices show SKU --days 30", ["prices", "show", sku, "--days", "30"]),
        ("prices show SKU --days 365", ["prices", "show", sku, "--days", "365"]),
        ("prices chart SKU --days 365 (PNG)", ["prices", "chart", sku, "--days", "365", "-o"]),
        ("prices movers --days 7", ["prices", "movers", "--days", "7"]),
        ("prices movers --days 30", ["prices", "movers", "--days", "30"]),
    ):
        if argv[-1] == "-o":
            argv = [*argv, str(work / "year.png")]
        repeat = 3 if "movers" in label else 5
        print(f"  {label:<36} {timed(quiet(argv), repeat) * 1000:8.0f} ms (median of {repeat})")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=3)
    parser.add_argument("--skip-year", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syncd-prices-bench-") as tmp:
        growth(args.cards, args.snapshots, Path(tmp))
        if not args.skip_year:
            reads(args.cards, Path(tmp))
    sys.stdout.flush()


if __name__ == "__main__":
    cli()
