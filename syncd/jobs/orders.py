"""The orders job: sold cards come off local stock exactly once, cancelled ones go back once.

Pages through orders updated since the cursor minus ``safety.order_overlap`` (oldest change
first). Per page: attribute each new item to a sku (link → mirrored listing's reference →
``get_listing``), decide with ``core.ledger.plan_items``, then record orders, items, status
history, ledger rows and the cursor advance in ONE transaction — a crash loses nothing and
redoes at most a page, and redoing is harmless (the ledger is keyed by order item id).
A dry run reads and decides but writes nothing. This module must not decide stock maths itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncd.core.ledger import (
    ItemStep,
    SeenItem,
    SeenOrder,
    next_cursor,
    plan_items,
    poll_since,
)
from syncd.errors import NotFound
from syncd.gateway.endpoints import LIST_PAGE_SIZE, ORDER_LIST
from syncd.jobs.polling import keyset_batches
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.storage.orders import (
    first_import_at,
    inventory_skus,
    known_items,
    local_skus,
    open_adjustments,
    save_orders,
)
from syncd.storage.runs import get_cursor, set_cursor
from syncd.storage.sales import Booked, apply_steps, status_text

if TYPE_CHECKING:
    from syncd.gateway import Gateway, Order

CURSOR = "orders"
PAGE_SIZE = ORDER_LIST.page_size or LIST_PAGE_SIZE


def seen_order(order: Order) -> SeenOrder:
    """The wire order as core values (status kept as it came; missing → ``UNKNOWN``)."""
    items = tuple(
        SeenItem(
            id=item.id,
            # The enclosing order, not the item's own orderId: the row needs a saved order.
            order_id=order.id,
            listing_id=item.listing_id,
            quantity=item.quantity,
            # Cut like the column, so a long unknown status reads back as the same status.
            status=status_text(item.status or "UNKNOWN"),
            created_at=item.created_at or order.created_at,
            updated_at=item.updated_at,
            shipped=item.shipment_id is not None,
            urn=item.urn,
            price=item.price,
        )
        for item in order.items
    )
    return SeenOrder(
        id=order.id,
        purchase_id=order.purchase_id,
        total=order.total,
        subtotal=order.subtotal,
        delivery_charge=order.delivery_charge,
        created_at=order.created_at,
        updated_at=order.updated_at,
        items=items,
    )


@dataclass
class _Remote:
    """Listing id → sku learnt from Managem during this run (None = not ours)."""

    gateway: Gateway
    skus: dict[str, str | None] = field(default_factory=dict)

    def references(self, listing_ids: Sequence[str]) -> dict[str, str]:
        for listing_id in listing_ids:
            if listing_id not in self.skus:
                try:
                    self.skus[listing_id] = self.gateway.get_listing(listing_id).reference
                except NotFound:
                    self.skus[listing_id] = None
        return {lid: ref for lid in listing_ids if (ref := self.skus.get(lid)) is not None}


def _page(
    ctx: JobContext, orders: Sequence[SeenOrder], remote: _Remote, cursor: str | None
) -> tuple[tuple[ItemStep, ...], Booked | None]:
    """Decide one page and, unless dry, record it with the cursor advance in one transaction."""
    app = ctx.app
    items = [item for order in orders for item in order.items]
    ids = [item.id for item in items]
    with app.db.transaction() as session:
        known = known_items(session, ids)
        new_listings = {
            i.listing_id for i in items if i.listing_id is not None and i.id not in known
        }
        local = local_skus(session, new_listings)
    asked = remote.references(sorted(new_listings - set(local)))  # HTTP outside any transaction
    now = app.clock.now()
    with app.db.transaction() as session:
        if not ctx.dry_run:
            # Write before reading: on SQLite the first write takes the write lock (waiting out
            # a till's UPDATE); after a read, a till committing meanwhile fails our first write
            # with "database is locked" (the WAL snapshot is stale) and the page with it.
            save_orders(session, orders, now)
        owned = inventory_skus(session, set(asked.values()))
        sku_of = {**local, **{lid: ref for lid, ref in asked.items() if ref in owned}}
        known = known_items(session, ids)
        skus = {sku_of[i.listing_id] for i in items if i.listing_id in sku_of and i.id not in known}
        steps = plan_items(items, known, sku_of, open_adjustments(session, skus))
        if ctx.dry_run:
            return steps, None
        booked = apply_steps(session, steps, now)
        if cursor is not None:
            set_cursor(session, CURSOR, cursor, now=now)
    return steps, booked


def _start(ctx: JobContext, run_start: datetime) -> tuple[str | None, datetime | None]:
    """The stored cursor and where this poll starts. Without a cursor: when stock was first
    counted into syncd (sales before that are in the imported quantities), or the overlap
    window if nothing was ever imported."""
    overlap = ctx.app.settings.safety.order_overlap
    with ctx.app.db.transaction() as session:
        cursor = get_cursor(session, CURSOR)
        imported = first_import_at(session)
    recent = run_start - timedelta(seconds=overlap)
    first = min(imported, recent) if imported is not None else recent
    return cursor, poll_since(cursor, overlap, run_start, first)


def run(ctx: JobContext) -> JobOutcome:
    app = ctx.app
    gateway = app.gateway()
    run_start = app.clock.now()
    cursor, since = _start(ctx, run_start)
    remote = _Remote(gateway)
    counts = dict.fromkeys(
        ("orders_seen", "items_new", "units_sold", "units_restocked", "not_ours", "pages"), 0
    )
    counts["units_pre_adjusted"] = 0
    counts["units_without_row"] = 0
    orders_seen: set[str] = set()
    newest: datetime | None = None
    for batch in keyset_batches(
        gateway.iter_orders,
        since,
        size=PAGE_SIZE,
        updated=lambda o: o.updated,
        key=lambda o: (o.id, o.updated_at),
        stop=ctx.stop,
    ):
        counts["pages"] += 1
        if batch.newest is not None and (newest is None or batch.newest > newest):
            newest = batch.newest
        cursor_after = next_cursor(cursor, newest, run_start)
        if not batch.records and cursor_after == cursor:
            continue
        orders = [seen_order(o) for o in batch.records]
        orders_seen.update(o.id for o in orders)
        steps, booked = _page(ctx, orders, remote, cursor_after)
        cursor = cursor_after
        _tally(counts, steps, booked)
    counts["orders_seen"] = len(orders_seen)
    counts["stopped_early"] = int(ctx.stop.is_set())
    return JobOutcome("ok", counts)


def _tally(counts: dict[str, int], steps: Sequence[ItemStep], booked: Booked | None) -> None:
    if booked is None:  # dry run: what would happen
        new = [s for s in steps if s.new]
        counts["items_new"] += len(new)
        counts["not_ours"] += sum(1 for s in new if not s.ours)
        counts["units_sold"] += sum(s.sold + sum(t.quantity for t in s.consumed) for s in new)
        counts["units_pre_adjusted"] += sum(sum(t.quantity for t in s.consumed) for s in new)
        counts["units_restocked"] += sum(s.restock for s in steps)
        return
    counts["items_new"] += booked.items_new
    counts["not_ours"] += booked.not_ours
    counts["units_sold"] += booked.units_sold
    counts["units_pre_adjusted"] += booked.units_consumed
    counts["units_restocked"] += booked.units_restocked
    counts["units_without_row"] += booked.units_without_row
