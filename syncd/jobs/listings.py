"""The listings job: gather → settle → plan → guard → apply (design.md §1.3 and §2).

``prepare`` does everything up to the plan: desired state from ``inventory_items``, the remote
listings (an incremental or full read into the mirror), intents left open by earlier runs and
ids still to learn (``listings_intents``), then ``make_plan``. With ``persist=False`` it writes
nothing anywhere (``syncd plan``, ``run-once --dry-run``): the read is kept in memory. When the
plan adopts listings on which the orders job recorded sales as not ours (the listing was not
known to be the seller's yet), those sales are booked first and the plan made again, so the
adoption does not push sold units back up (a dry run takes them off in memory). ``run``
stops there on a refusal or a dry run, else hands the plan to ``listings_apply``.

The decisions live in ``syncd.core`` (the plan) and ``listings_intents`` (what open intents
mean); this module only wires reads, decisions and records together.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from syncd.bootstrap import App
from syncd.core.inventory import InventoryRow
from syncd.core.ledger import sales_on_adopted
from syncd.core.listing import Desired, ListingFields
from syncd.core.plan import Op, Plan, make_plan
from syncd.gateway.wire.base import format_timestamp
from syncd.jobs.listings_apply import apply_plan
from syncd.jobs.listings_intents import Settlement, settle
from syncd.jobs.listings_read import (
    FULL_AT_CURSOR,
    MARK_CURSOR,
    ReadStopped,
    RemoteRead,
    full_read_due,
    read_listings,
)
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.storage import Session
from syncd.storage.listings import (
    IntentRow,
    LinkRow,
    MirrorRow,
    finish_intents,
    forget_mirror,
    load_inventory,
    load_links,
    load_mirror,
    newest_own_prices,
    open_intents,
    upsert_mirror,
    write_links,
)
from syncd.storage.orders import first_import_at
from syncd.storage.runs import get_cursor, set_cursor
from syncd.storage.sales import book_adopted_sales, unowned_items


@dataclass(frozen=True)
class Prepared:
    """A plan and everything the apply step needs to perform and record it."""

    plan: Plan
    read: RemoteRead
    desired: Mapping[str, Desired]
    mirror: Mapping[str, MirrorRow]  # listing id → row, after this read
    links: Mapping[str, LinkRow]  # sku → link, after settling open intents
    own_prices: Mapping[str, int]  # sku → newest own price
    held: Mapping[str, str]  # sku → why nothing is sent for it this cycle


def desired_of(row: InventoryRow) -> Desired:
    return Desired(
        row.sku,
        ListingFields(
            urn=row.urn,
            condition=row.condition,
            language=row.language,
            price=row.price,
            quantity=row.quantity,
            hidden=row.hidden,
            comment=row.comment,
            notes=row.notes,
            grading_provider=row.grading_provider,
            grading_score=row.grading_score,
            grading_number=row.grading_number,
        ),
    )


def prepare(
    app: App, *, force: bool, persist: bool, stop: threading.Event | None = None
) -> Prepared:
    """Read, settle and plan. ``persist=False`` writes nothing (not even the mirror)."""
    settings = app.settings
    grace = settings.safety.ambiguous_grace
    now = app.clock.now()
    with app.db.transaction() as session:
        desired = {row.sku: desired_of(row) for row in load_inventory(session)}
        stored_mirror = load_mirror(session)
        stored_links = load_links(session)
        intents = open_intents(session)
        mark = get_cursor(session, MARK_CURSOR)
        full_at = get_cursor(session, FULL_AT_CURSOR)
        own_prices = newest_own_prices(session)

    gateway = app.gateway()
    full = full_read_due(mark, full_at, now, settings.schedule.full_resync_interval)

    def decide(read: RemoteRead) -> tuple[dict[str, MirrorRow], Settlement, Plan]:
        mirror = _merged(stored_mirror, read)
        settled = settle(intents, mirror, stored_links, now=now, grace=grace)
        plan = make_plan(
            desired.values(),
            [row.remote() for row in mirror.values()],
            [link.link() for link in settled.links(stored_links).values()],
            hold=frozenset(settled.hold),
            max_delete_share=settings.safety.max_delete_share,
            delete_guard_min=settings.safety.delete_guard_min,
            force=force,
        )
        return mirror, settled, plan

    read = read_listings(gateway, full=full, mark=mark, overlap=grace, started=now, stop=stop)
    mirror, settled, plan = decide(read)
    if not read.full and _creates_again(plan, intents, settled, stored_links):
        # An incremental read may have missed a listing the search index showed late; look
        # at everything once before creating anything a second time.
        read = read_listings(gateway, full=True, mark=mark, overlap=grace, started=now, stop=stop)
        mirror, settled, plan = decide(read)
    early = _sales_on_adopted(app, plan)
    if early:
        # Sales the orders job saw on these listings before they were known to be ours: off
        # local stock first, so the adoption does not push the sold units back up.
        if persist:
            with app.db.transaction() as session:
                book_adopted_sales(session, early, now)
                desired = {row.sku: desired_of(row) for row in load_inventory(session)}
        else:
            desired = _less(desired, early)
        mirror, settled, plan = decide(read)

    if persist:
        with app.db.transaction() as session:
            upsert_mirror(session, read.rows, now=now)
            if read.full:
                forget_mirror(session, stored_mirror.keys() - mirror.keys())
                set_cursor(session, FULL_AT_CURSOR, format_timestamp(now), now=now)
            set_cursor(session, MARK_CURSOR, read.mark, now=now)
            _record_settlement(session, settled, now=now)
    links = settled.links(stored_links)
    return Prepared(plan, read, desired, mirror, links, own_prices, settled.hold)


def run(ctx: JobContext) -> JobOutcome:
    try:
        prepared = prepare(ctx.app, force=ctx.force, persist=not ctx.dry_run, stop=ctx.stop)
    except ReadStopped:
        return JobOutcome("ok", {"stopped": 1}, "stopped while reading; nothing was changed")
    plan = prepared.plan
    read = {
        "read": "full" if prepared.read.full else "incremental",
        "seen": len(prepared.read.rows),
    }
    if plan.refused is not None:
        return JobOutcome("refused", {**plan.counts(), **read}, plan.refused)
    if ctx.dry_run:
        return JobOutcome("ok", {**plan.counts(), **read}, "dry run: planned only, nothing sent")
    return apply_plan(ctx, prepared, extra_counts=read)


def _sales_on_adopted(app: App, plan: Plan) -> dict[str, tuple[str, int]]:
    """Order item id → (sku, units) for the sales recorded as not ours on listings the plan
    adopts (``core.ledger.sales_on_adopted``)."""
    adopted = {a.listing_id: a.sku for a in plan.actions if a.op is Op.ADOPT and a.listing_id}
    if not adopted:
        return {}
    with app.db.transaction() as session:
        items = unowned_items(session, adopted)
        since = first_import_at(session)
    return sales_on_adopted(items, adopted, since)


def _less(
    desired: Mapping[str, Desired], sales: Mapping[str, tuple[str, int]]
) -> dict[str, Desired]:
    """``desired`` with the units of ``sales`` taken off, as booking them would (dry runs)."""
    out = dict(desired)
    for sku, units in sales.values():
        want = out.get(sku)
        if want is not None:
            fields = want.fields.with_quantity(want.fields.quantity - units)
            out[sku] = Desired(sku, fields)
    return out


def _merged(stored: Mapping[str, MirrorRow], read: RemoteRead) -> dict[str, MirrorRow]:
    """The mirror after ``read``: a full read replaces it, an incremental one updates it."""
    seen = {row.listing_id: row for row in read.rows}
    return seen if read.full else {**stored, **seen}


def _creates_again(
    plan: Plan, intents: list[IntentRow], settled: Settlement, stored: Mapping[str, LinkRow]
) -> bool:
    """True when the plan creates a sku that an earlier create may already have made."""
    creates = {intent.id: intent.sku for intent in intents if intent.op == "create"}
    maybe_made = {
        creates[intent_id]
        for intent_id, (state, _detail) in settled.intent_states.items()
        if intent_id in creates and state == "resolved_absent"
    }
    maybe_made |= {
        sku
        for sku, link in settled.links(stored).items()
        if link.listing_id is None and link.created_at is not None
    }
    return any(a.op is Op.CREATE and a.sku in maybe_made for a in plan.actions)


def _record_settlement(session: Session, settled: Settlement, *, now: datetime) -> None:
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for intent_id, outcome in settled.intent_states.items():
        by_outcome.setdefault(outcome, []).append(intent_id)
    for (state, detail), ids in sorted(by_outcome.items()):
        finish_intents(session, ids, state, now=now, detail=detail)
    if settled.link_changes:
        write_links(session, settled.link_changes, now=now)
