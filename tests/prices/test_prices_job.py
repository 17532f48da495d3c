"""The prices job end to end against the sandbox, on SQLite and Postgres."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, timedelta
from typing import Any

import pytest
from price_env import add_inventory, make_app
from sqlalchemy import delete, func, insert, select

from syncd.bootstrap import App
from syncd.cli.main import main
from syncd.clock import FakeClock
from syncd.jobs.price_backfill import ProgressBar
from syncd.jobs.prices import run
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.sandbox import Sandbox
from syncd.storage.tables import (
    CatalogueItem,
    InventoryItem,
    JobRun,
    PricePoint,
    PriceSnapshot,
    WriteIntent,
)


def run_prices(app: App, **kw: Any) -> JobOutcome:
    return run(JobContext(app=app, run_id="test", **kw))


def count(app: App, table: Any, *where: Any) -> int:
    with app.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def lookups(sandbox: Sandbox) -> int:
    return sandbox.stats().get("POST /items/lookup", {}).get("200", 0)


def history_calls(sandbox: Sandbox) -> int:
    return sum(sandbox.stats().get("GET /items/prices", {}).values())


def test_snapshot_of_1000_cards_costs_five_lookups(
    db_url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox)
    urns = sandbox.catalogue_urns(997) + [
        f"urn:managem:pokemon:set/nope/card/{n}" for n in (1, 2, 3)
    ]
    rows = [(f"sku-{n}", urn, 100 + n, 1) for n, urn in enumerate(urns)]
    rows += [("extra-cheap-sold-out", urns[0], 1, 0), ("extra-lp", urns[0], 50, 2)]
    add_inventory(app, rows)

    outcome = run_prices(app)

    assert outcome.status == "ok", outcome.message
    assert outcome.counts["cards"] == 1000
    assert outcome.counts["lookups"] == 5 == lookups(sandbox)  # ⌈1000/200⌉
    assert app.gateway().metrics.calls("items.lookup") == 5
    assert outcome.counts["missing"] == 3
    assert count(app, PriceSnapshot) == 997
    assert count(app, CatalogueItem) == 997
    with app.db.transaction() as s:
        first = s.scalars(select(PriceSnapshot).where(PriceSnapshot.urn == urns[0])).one()
        # three skus share the card: lowest price in stock (50, not the sold-out 1), summed qty
        assert (first.own_price, first.own_quantity) == (50, 3)
        assert first.market_price is not None and first.low is not None
        assert first.low <= first.market_price <= (first.high or 0)
        taken = {t.replace(tzinfo=None) for t in s.scalars(select(PriceSnapshot.taken_at))}
        assert taken == {clock.now().replace(tzinfo=None)}  # one run, one time

    # A card leaving the inventory keeps its history; the next run appends, never updates.
    with app.db.transaction() as s:
        s.execute(delete(InventoryItem).where(InventoryItem.urn == urns[1]))
    clock.advance(3600)
    assert run_prices(app).counts["snapshots"] == 996
    assert count(app, PriceSnapshot) == 997 + 996
    assert count(app, PriceSnapshot, PriceSnapshot.urn == urns[1]) == 1
    app.close()


def test_backfill_twice_stores_the_same_rows_once(
    db_url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox)
    urns = sandbox.catalogue_urns(12)
    add_inventory(app, [(f"s{n}", u, 100, 1) for n, u in enumerate(urns)])

    first = run_prices(app, options={"backfill_days": 30})
    assert first.status == "ok", first.message
    assert first.counts["backfill_cards"] == 12 == history_calls(sandbox)
    stored = count(app, PricePoint)
    # 29 finished days per card (today is left out), gaps stored as sold=0 days
    assert stored == first.counts["backfill_points"] == 12 * 29
    with app.db.transaction() as s:
        before = sorted(s.execute(select(PricePoint.urn, PricePoint.day, PricePoint.median)))

    sandbox.reset_stats()
    second = run_prices(app, options={"backfill_days": 30})
    assert second.counts["backfill_cards"] == 0 and history_calls(sandbox) == 0
    assert count(app, PricePoint) == stored

    # A card whose history was cut short is fetched again; only its missing days go in.
    with app.db.transaction() as s:
        s.execute(delete(PricePoint).where(PricePoint.urn == urns[3]))
        s.execute(insert(PricePoint), [r for r in _rows(before) if r["urn"] == urns[3]][5:])
    third = run_prices(app, options={"backfill_days": 30})
    assert third.counts["backfill_cards"] == 1 and third.counts["backfill_points"] == 5
    with app.db.transaction() as s:
        assert (
            sorted(s.execute(select(PricePoint.urn, PricePoint.day, PricePoint.median))) == before
        )

    # Asking for more days fetches everyone again and adds only the older days.
    longer = run_prices(app, options={"backfill_days": 45})
    assert longer.counts["backfill_cards"] == 12
    assert longer.counts["backfill_points"] == 12 * 15
    app.close()


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"urn": u, "day": d, "median": m} for u, d, m in sorted(rows)]


def test_dry_run_looks_up_and_writes_nothing(
    db_url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox)
    add_inventory(app, [(f"s{n}", u, 100, 1) for n, u in enumerate(sandbox.catalogue_urns(250))])
    outcome = run_prices(app, dry_run=True, options={"backfill_days": 10})
    assert outcome.counts["snapshots"] == 250 and outcome.counts["lookups"] == 2
    assert outcome.counts["backfill_cards"] == 250 and history_calls(sandbox) == 0
    assert count(app, PriceSnapshot) == 0 and count(app, PricePoint) == 0
    assert count(app, CatalogueItem) == 0
    app.close()


def test_a_stopped_run_looks_nothing_up(db_url: str, sandbox: Sandbox, clock: FakeClock) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox)
    add_inventory(app, [("s", sandbox.catalogue_urns(1)[0], 100, 1)])
    stop = threading.Event()
    stop.set()
    outcome = run_prices(app, stop=stop)
    assert outcome.status == "ok" and "stopped" in outcome.message
    assert lookups(sandbox) == 0 and count(app, PriceSnapshot) == 0
    app.close()


def test_the_job_thins_old_snapshots_at_the_end(
    db_url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox, keep_all_days=30)
    urn = sandbox.catalogue_urns(1)[0]
    add_inventory(app, [("s", urn, 100, 1)])
    old = (clock.now() - timedelta(days=40)).replace(hour=0, minute=0, second=0, tzinfo=UTC)
    with app.db.transaction() as s:
        s.execute(
            insert(PriceSnapshot),
            [
                {"taken_at": old + timedelta(hours=h), "urn": urn, "market_price": h}
                for h in range(24)
            ],
        )
    outcome = run_prices(app)
    assert outcome.counts["thinned"] == 23
    with app.db.transaction() as s:
        prices = sorted(p for p in s.scalars(select(PriceSnapshot.market_price)) if p is not None)
    assert 23 in prices and not set(range(23)) & set(prices)  # the newest of the old day stays
    assert run_prices(app).counts["thinned"] == 0
    app.close()


def test_progress_bar_draws_in_place_only_when_enabled() -> None:
    out = io.StringIO()
    bar = ProgressBar("backfill", 4, enabled=True, stream=out)
    for _ in range(4):
        bar.advance()
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rbackfill [") and text.endswith("4/4 100%\n")
    assert text.count("\r") == 4
    quiet = io.StringIO()
    silent = ProgressBar("x", 4, enabled=False, stream=quiet)
    silent.advance(4)
    silent.close()
    assert quiet.getvalue() == ""


def test_run_once_job_prices_with_backfill(
    env_db: str,
    sandbox: Sandbox,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SYNCD_MANAGEM__BASE_URL", sandbox.url)
    monkeypatch.setenv("SYNCD_MANAGEM__TOKEN", sandbox.token)
    app = make_app(env_db, clock=clock)
    add_inventory(app, [(f"s{n}", u, 100, 1) for n, u in enumerate(sandbox.catalogue_urns(3))])
    app.close()
    args = ["run-once", "--job", "prices", "--backfill-days", "5", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)["prices"]
    assert summary["status"] == "ok"
    assert (summary["cards"], summary["backfill_cards"], summary["snapshots"]) == (3, 3, 3)
    assert summary["api_calls"] == 3 + 1  # three histories, one look-up
    assert main(args) == 0  # the second backfill finds nothing to fetch
    again = json.loads(capsys.readouterr().out)["prices"]
    assert again["backfill_cards"] == 0 and again["api_calls"] == 1
    # One day would be today alone, which is never stored (its sales are not over): every run
    # would fetch every card again. It is refused, naming the option.
    assert main(["run-once", "--job", "prices", "--backfill-days", "1"]) == 2
    assert "--backfill-days" in capsys.readouterr().err


def test_the_daily_run_drops_old_job_runs_and_finished_intents(
    db_url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    app = make_app(db_url, clock=clock, sandbox=sandbox)
    old = clock.now() - timedelta(days=app.settings.database.history_days + 1)
    with app.db.transaction() as s:
        s.execute(
            insert(JobRun),
            [
                {"run_id": f"old-{n}", "job": "orders", "status": "ok", "started_at": old}
                for n in range(3)
            ],
        )
        s.execute(
            insert(WriteIntent),
            [
                {
                    "run_id": "r",
                    "sku": sku,
                    "op": "create",
                    "payload": "{}",
                    "state": state,
                    "created_at": old,
                    "finished_at": old,
                }
                for sku, state in (("a", "ok"), ("b", "ambiguous"))
            ],
        )

    outcome = run_prices(app)

    assert (outcome.counts["pruned_runs"], outcome.counts["pruned_intents"]) == (2, 1)
    with app.db.transaction() as s:
        assert list(s.scalars(select(JobRun.run_id))) == ["old-2"]  # the newest orders run
        assert list(s.scalars(select(WriteIntent.sku))) == ["b"]
    app.close()
