"""The prices job: snapshot the market price of every card in the inventory, keep the history.

One run, in order:

1. Backfill (only with ``backfill_days``, from ``run-once --backfill-days N``): daily history
   for cards that have none or not far enough back (``jobs.price_backfill``).
2. Snapshot: every distinct urn in ``inventory_items``, whatever its quantity, is looked up in
   batches of at most 200; each card found gets one appended ``price_snapshots`` row stamped
   with the run's time: the market price, the look-up's min/max as low/high, the market's
   available count, and the seller's own price and quantity from the inventory. When several
   skus share a urn the quantity is their sum and the price the lowest among those in stock
   (the lowest overall when none is), see ``core.prices.own_by_urn``. Rows are only appended:
   a card that leaves the inventory keeps its history. Cards Managem does not know are counted
   and logged, not fatal. Card names are refreshed on the way, for titles and tables.
3. Retention: snapshots older than ``prices.keep_all_days`` thin to the newest one per card per
   UTC day (``core.prices.thin``), one day per transaction, remembered by the
   ``prices_thinned_until`` cursor so a run only looks at days it has not thinned yet.
4. Housekeeping: job runs and finished write intents older than ``database.history_days`` are
   dropped (``storage.history``), so months of polling do not pile up. It rides on this job
   because it is the daily one.

``ctx.stop`` is checked between batches; a stopped run keeps what it stored. A dry run looks up
and reports but writes nothing. This module must not hold SQL or decide anything itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from syncd.core.prices import (
    LOOKUP_BATCH,
    MarketQuote,
    OwnStock,
    chunked,
    day_bounds,
    own_by_urn,
    retention_cutoff,
    snapshot_rows,
    thin,
    utc_day,
)
from syncd.jobs.price_backfill import ProgressBar, backfill
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.storage import Database
from syncd.storage import prices as store
from syncd.storage.history import prune_history
from syncd.storage.runs import get_cursor, set_cursor

if TYPE_CHECKING:
    from syncd.gateway import Gateway

THINNED_CURSOR = "prices_thinned_until"


def run(ctx: JobContext) -> JobOutcome:
    if ctx.log is None:
        ctx.log = structlog.get_logger("syncd.job").bind(run_id=ctx.run_id, job="prices")
    app = ctx.app
    taken_at = app.clock.now()
    with app.db.transaction() as session:
        own = own_by_urn(store.inventory_offers(session))
    urns = list(own)
    counts: dict[str, int] = {"cards": len(urns)}
    if urns:
        gateway = app.gateway()
        days = ctx.options.get("backfill_days")
        if days:
            counts |= backfill(ctx, gateway, urns, days=int(days), today=utc_day(taken_at))
        if not ctx.stop.is_set():
            counts |= _snapshot(ctx, gateway, urns, own, taken_at)
    if ctx.stop.is_set():
        return JobOutcome("ok", counts, "stopped before the end; what was stored is kept")
    if not ctx.dry_run:
        keep = app.settings.prices.keep_all_days
        counts["thinned"] = thin_snapshots(app.db, now=taken_at, keep_all_days=keep)
        before = taken_at - timedelta(days=app.settings.database.history_days)
        with app.db.transaction() as session:
            pruned = prune_history(session, before=before)
        counts["pruned_runs"], counts["pruned_intents"] = pruned.job_runs, pruned.intents
    app.metrics.set("syncd_prices_cards", len(urns))
    app.metrics.inc("syncd_price_snapshots_total", counts.get("snapshots", 0))
    return JobOutcome("ok", counts)


def _snapshot(
    ctx: JobContext,
    gateway: Gateway,
    urns: Sequence[str],
    own: dict[str, OwnStock],
    taken_at: datetime,
) -> dict[str, int]:
    counts = {"lookups": 0, "snapshots": 0, "missing": 0}
    missing: list[str] = []
    bar = ProgressBar("prices", len(urns), enabled=ctx.progress)
    try:
        for batch in chunked(urns, LOOKUP_BATCH):
            if ctx.stop.is_set():
                break
            answer = gateway.lookup_items(batch)
            counts["lookups"] += 1
            asked = set(batch)
            hits = {item.urn: item for item in answer.hits if item.urn in asked}
            missing.extend(u for u in batch if u not in hits)
            quotes = [
                MarketQuote(i.urn, i.price, i.min_price, i.max_price, i.available)
                for i in hits.values()
            ]
            rows = snapshot_rows(taken_at, quotes, own)
            counts["snapshots"] += len(rows)
            if not ctx.dry_run:
                names = [store.CardName(i.urn, i.name, i.set_name, i.number) for i in hits.values()]
                with ctx.app.db.transaction() as session:
                    store.append_snapshots(session, rows)
                    store.save_names(session, names, now=taken_at)
            bar.advance(len(batch))
    finally:
        bar.close()
    counts["missing"] = len(missing)
    if missing:
        ctx.log.warning("prices_cards_not_found", count=len(missing), sample=missing[:10])
    return counts


def thin_snapshots(db: Database, *, now: datetime, keep_all_days: int) -> int:
    """Thin snapshots older than ``keep_all_days`` to one per card per UTC day; returns how many
    were deleted. Idempotent; a day is thinned (and the cursor moved past it) in one transaction.
    """
    cutoff = retention_cutoff(now, keep_all_days)
    with db.transaction() as session:
        done = get_cursor(session, THINNED_CURSOR)
        start = datetime.fromisoformat(done) if done else store.oldest_snapshot(session)
    if start is None or start >= cutoff:
        return 0
    removed = 0
    day = utc_day(start)
    while day < utc_day(cutoff):
        lo, hi = day_bounds(day)
        with db.transaction() as session:
            doomed = thin(store.snapshot_keys(session, lo, hi), cutoff)
            removed += store.delete_snapshots(session, doomed)
            set_cursor(session, THINNED_CURSOR, hi.isoformat(), now=now)
        day += timedelta(days=1)
    return removed
