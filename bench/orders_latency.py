"""Benchmark: purchase → local decrement latency with the orders job every 30 s, and the API cost
of an idle orders poll. Real sandbox over HTTP, real orders job, SQLite (and Postgres if it
answers).

Usage: .venv/bin/python bench/orders_latency.py [PURCHASES]   (default 300)

How time is compressed: the schedule is simulated on the sandbox's clock, not waited for.
Each 30-second interval, purchases land at uniformly random moments inside it (the sandbox clock
is advanced to each moment, so every order carries that timestamp); at the end of the interval
the orders job runs for real. A purchase's latency = (simulated wait until that run) + (the run's
measured wall time, an upper bound on when its page was committed). The wait is exact; the
processing part is real work (HTTP page read, attribution, one transaction per page).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from syncd.bootstrap import App, build_app
from syncd.core.inventory import InventoryRow, import_changes
from syncd.jobs import job_table, run_job
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import load_settings
from syncd.storage.engine import make_engine
from syncd.storage.inventory import apply_import, load_rows
from syncd.storage.schema import upgrade
from syncd.storage.tables import ListingLink

INTERVAL = 30.0
OVERLAP = 600.0  # settings.safety.order_overlap default
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class ShiftedClock:
    """Real time plus the seconds the sandbox was advanced (the two sides agree on "now")."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0))


def setup(url: str, sandbox: Sandbox, clock: ShiftedClock, skus: int) -> tuple[App, list[str]]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = load_settings(
        managem={"base_url": sandbox.url, "token": sandbox.token},
        database={"url": url},
        ratelimit={"rate": 50, "burst": 50},
    )
    app = build_app(settings, clock=clock)
    urns = sandbox.catalogue_urns(skus)
    rows = [InventoryRow(f"b-{i:04d}", u, "NM", "English", 200, 1000) for i, u in enumerate(urns)]
    listing_ids = []
    now = clock.now()
    with app.db.transaction() as session:
        apply_import(session, import_changes(rows, load_rows(session)), import_id="b", now=now)
        for row in rows:
            listing = sandbox.seed_listing(urn=row.urn, reference=row.sku, quantity=1000)
            listing_ids.append(listing["id"])
            session.add(
                ListingLink(
                    sku=row.sku,
                    listing_id=listing["id"],
                    urn=row.urn,
                    last_pushed_quantity=1000,
                    updated_at=now,
                )
            )
    return app, listing_ids


def advance(sandbox: Sandbox, clock: ShiftedClock, seconds: float) -> None:
    if seconds > 0:
        sandbox.advance_clock(seconds)
        clock.offset += seconds


def latency(url: str, purchases: int) -> dict[str, float]:
    rng = random.Random(7)
    clock = ShiftedClock()
    with start_sandbox(SandboxOptions(seed=3, catalogue_size=500)) as sandbox:
        app, listing_ids = setup(url, sandbox, clock, skus=50)
        orders = job_table()["orders"]
        run_job(app, "orders", orders)  # first poll: sets the cursor
        waits: list[float] = []
        runs: list[float] = []
        per_interval = 6  # purchases per 30 s: a busy shop
        done = 0
        while done < purchases:
            moments = sorted(rng.uniform(0, INTERVAL) for _ in range(per_interval))
            elapsed = 0.0
            for moment in moments:
                advance(sandbox, clock, moment - elapsed)
                elapsed = moment
                sandbox.purchase(rng.choice(listing_ids), 1)
            advance(sandbox, clock, INTERVAL - elapsed)
            started = time.perf_counter()
            outcome = run_job(app, "orders", orders)
            took = time.perf_counter() - started
            assert outcome.status == "ok" and outcome.counts["items_new"] == per_interval
            runs.append(took)
            waits.extend((INTERVAL - m) + took for m in moments)
            done += per_interval

        # Idle polls: nothing new (a) with recent orders still inside the overlap window,
        # (b) after an hour of quiet.
        sandbox.reset_stats()
        run_job(app, "orders", orders)
        quiet_calls = sandbox.stats()["totals"]["all"]
        advance(sandbox, clock, 3600)
        sandbox.reset_stats()
        started = time.perf_counter()
        run_job(app, "orders", orders)
        idle_wall = time.perf_counter() - started
        idle_calls = sandbox.stats()["totals"]["all"]
        sandbox.reset_stats()
        run_job(app, "cases", job_table()["cases"])
        cases_idle_calls = sandbox.stats()["totals"]["all"]

        # One big catch-up: 500 new orders in one poll (5 pages).
        for _ in range(500):
            sandbox.purchase(rng.choice(listing_ids), 1)
        started = time.perf_counter()
        big = run_job(app, "orders", orders)
        big_wall = time.perf_counter() - started
        app.close()
    waits.sort()
    return {
        "median_s": statistics.median(waits),
        "p95_s": waits[int(0.95 * (len(waits) - 1))],
        "max_s": waits[-1],
        "run_median_ms": statistics.median(runs) * 1000,
        "quiet_calls": quiet_calls,
        "idle_calls": idle_calls,
        "idle_ms": idle_wall * 1000,
        "cases_idle_calls": cases_idle_calls,
        "catchup_500_s": big_wall,
        "catchup_pages": big.counts["pages"],
        "window_orders": min(done, per_interval * OVERLAP / INTERVAL),
    }


def report(name: str, r: dict[str, float]) -> None:
    print(f"\n[{name}]")
    print(
        f"purchase → local decrement, job every {INTERVAL:.0f} s: median {r['median_s']:.2f} s, "
        f"p95 {r['p95_s']:.2f} s, max {r['max_s']:.2f} s (ideal median {INTERVAL / 2:.0f} s)"
    )
    print(f"orders run with 6 new purchases: median {r['run_median_ms']:.0f} ms wall")
    print(
        f"idle orders poll (nothing new for an hour): {r['idle_calls']:.0f} API call(s), "
        f"{r['idle_ms']:.0f} ms; right after the last run: {r['quiet_calls']:.0f} call(s); "
        f"idle cases poll: {r['cases_idle_calls']:.0f} call(s)"
    )
    print(
        "  (an idle poll re-reads the orders updated in the overlap window before the newest "
        f"one: here {r['window_orders']:.0f} orders, one call per 100)"
    )
    print(
        f"catch-up of 500 new orders: {r['catchup_500_s']:.2f} s over {r['catchup_pages']:.0f} "
        f"pages ({r['catchup_500_s'] / 500 * 1000:.1f} ms per order)"
    )


def main() -> None:
    purchases = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)
    )  # quiet: errors only
    with tempfile.TemporaryDirectory() as tmp:
        report("sqlite", latency(f"sqlite:///{Path(tmp) / 'bench.db'}", purchases))
    try:
        import psycopg

        name = f"syncd_bench_{uuid.uuid4().hex[:8]}"
        dsn = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    except Exception as exc:
        print(f"\n[postgres] skipped: {str(exc).splitlines()[0]}")
        return
    try:
        report("postgres", latency(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, purchases))
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
