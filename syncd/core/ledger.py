"""Sales and the stock ledger: what each order item does to local stock, decided as data.

For a page of order items (as Managem shows them now) and what syncd already knows about them,
``plan_items`` says which items are new, which status changes to record, how many units a sale
takes off local stock after consuming "open" ``remote_adjust`` rows (a listings sync saw the
remote decrease before the order arrived, integration.md "Sales"), and which cancellations put
units back. It also holds the cursor arithmetic the order and case polls share.

Pure: no I/O, no clock (times come in), no logging. It does not make anything happen once —
the shell's ledger (unique per reason and order item id) does; the plan only says what is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

# A cancelled or refunded item goes back on the shelf only if it never left it.
RESTOCK_STATUSES = frozenset({"CANCELLED", "REFUNDED"})
SHIPPED_STATUSES = frozenset({"DISPATCHED", "DELIVERED"})


@dataclass(frozen=True)
class SeenItem:
    """An order item as the remote shows it now (wire values, status kept as it came)."""

    id: str
    order_id: str
    listing_id: str | None
    quantity: int
    status: str
    created_at: str | None
    updated_at: str | None
    shipped: bool = False  # the item carries a shipment id: it has left the shelf
    urn: str | None = None
    price: int | None = None


@dataclass(frozen=True)
class SeenOrder:
    """An order as the remote shows it now; status lives on its items."""

    id: str
    purchase_id: str | None
    total: int | None
    subtotal: int | None
    delivery_charge: int | None
    created_at: str | None
    updated_at: str | None
    items: tuple[SeenItem, ...] = ()


@dataclass(frozen=True)
class KnownItem:
    """What syncd recorded of an item: its sku (None = not ours) and every status seen."""

    sku: str | None
    quantity: int
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class OpenAdjust:
    """A ``remote_adjust`` ledger row with units no order has explained yet."""

    ledger_id: int
    sku: str
    open_quantity: int
    observed_at: datetime | None  # the remote updatedAt the listings sync saw
    listing_id: str | None = None  # the listing whose decrease it took in


@dataclass(frozen=True)
class Take:
    ledger_id: int
    quantity: int


@dataclass(frozen=True)
class ItemStep:
    """What one order item does now. ``sold`` units come off local stock through the sale
    ledger row; ``consumed`` units were already taken off by a listings sync."""

    item: SeenItem
    sku: str | None
    new: bool
    status_change: str | None  # the status to append to the item's history
    sold: int
    consumed: tuple[Take, ...]
    restock: int

    @property
    def ours(self) -> bool:
        return self.sku is not None


def adjust_source(listing_id: str, remote_updated_at: str) -> str:
    """The ledger source id of a ``remote_adjust`` row (integration.md): listing and the remote
    updatedAt the listings sync saw."""
    return f"{listing_id}@{remote_updated_at}"


def observed_at(source_id: str) -> datetime | None:
    """The remote updatedAt inside a ``remote_adjust`` source id (None if it has none)."""
    _, sep, stamp = source_id.rpartition("@")
    return parse_time(stamp) if sep else None


def adjusted_listing(source_id: str) -> str | None:
    """The listing id inside a ``remote_adjust`` source id (None if it has none)."""
    listing_id, sep, _ = source_id.rpartition("@")
    return listing_id if sep else None


def restock_due(statuses: Sequence[str], shipped: bool) -> bool:
    """A cancel or refund puts stock back only if the item never shipped.

    ``statuses`` is every status seen, oldest first, the current one last. "Before dispatch"
    is judged on the whole history (and the shipment id), not only the previous status: an
    item seen DELIVERED, then DISPUTED, then REFUNDED is not on the shelf.
    """
    if not statuses or statuses[-1] not in RESTOCK_STATUSES:
        return False
    return not shipped and not any(s in SHIPPED_STATUSES for s in statuses)


@dataclass(frozen=True)
class UnownedItem:
    """An order item recorded as not ours (its listing was not syncd's when it was seen)."""

    item_id: str
    listing_id: str
    quantity: int
    created_at: str | None
    statuses: tuple[str, ...]


def sales_on_adopted(
    items: Iterable[UnownedItem], adopted: Mapping[str, str], since: datetime | None
) -> dict[str, tuple[str, int]]:
    """The sales that become a sku's when a plan adopts their listing (listing id → sku):
    order item id → (sku, units).

    Such a sale was seen before syncd knew the listing was the seller's card of that sku (a
    listing made on the website, adopted on first contact). Only sales made since stock was
    first counted into syncd take anything off: earlier ones are in the imported quantity. An
    item cancelled before dispatch takes nothing, and one without a readable creation time is
    left alone (it may predate the import).
    """
    found: dict[str, tuple[str, int]] = {}
    if since is None:
        return found
    for item in items:
        sku = adopted.get(item.listing_id)
        created = parse_time(item.created_at)
        if sku is None or created is None or created < since or item.quantity <= 0:
            continue
        if restock_due(item.statuses, shipped=False):
            continue
        found[item.item_id] = (sku, item.quantity)
    return found


def consume(
    rows: Sequence[OpenAdjust], quantity: int, item_created: datetime | None
) -> tuple[Take, ...]:
    """The open rows a sale of ``quantity`` units explains, oldest observation first.

    A row qualifies when the listing state it observed already included this sale: the
    remote updatedAt it saw is at or after the item's creation (Managem moves a listing's
    updatedAt when a checkout takes quantity off it). Without a creation time nothing qualifies.
    """
    if item_created is None or quantity <= 0:
        return ()
    eligible = sorted(
        (r for r in rows if r.open_quantity > 0 and r.observed_at is not None),
        key=lambda r: (r.observed_at, r.ledger_id),
    )
    takes: list[Take] = []
    left = quantity
    for row in eligible:
        if left == 0:
            break
        assert row.observed_at is not None
        if row.observed_at < item_created:
            continue
        take = min(left, row.open_quantity)
        takes.append(Take(row.ledger_id, take))
        left -= take
    return tuple(takes)


def plan_items(
    items: Iterable[SeenItem],
    known: Mapping[str, KnownItem],
    sku_of: Mapping[str, str],
    open_rows: Mapping[str, Sequence[OpenAdjust]],
) -> tuple[ItemStep, ...]:
    """Decide every item of a page; items of one sku share (and use up) its open rows.

    ``sku_of`` maps listing ids to skus for listings syncd owns; ``known`` holds the items
    already recorded. Items are taken in creation order so older sales consume first.
    """
    remaining = {sku: list(rows) for sku, rows in open_rows.items()}
    steps: list[ItemStep] = []
    unique = {item.id: item for item in items}
    for item in sorted(unique.values(), key=lambda i: (parse_time(i.created_at) or _EPOCH, i.id)):
        before = known.get(item.id)
        if before is None:
            steps.append(_first_seen(item, sku_of, remaining))
        else:
            steps.append(_seen_again(item, before))
    return tuple(steps)


def _first_seen(
    item: SeenItem, sku_of: Mapping[str, str], remaining: dict[str, list[OpenAdjust]]
) -> ItemStep:
    sku = sku_of.get(item.listing_id) if item.listing_id is not None else None
    quantity = max(item.quantity, 0)
    takes: tuple[Take, ...] = ()
    if sku is not None:
        rows = remaining.get(sku, [])
        # A row explains a decrease of the listing it observed; a sale on another listing of the
        # same sku (a duplicate) is a different decrease, not yet taken off local stock.
        mine = [r for r in rows if r.listing_id == item.listing_id]
        takes = consume(mine, quantity, parse_time(item.created_at))
        used = {t.ledger_id: t.quantity for t in takes}
        remaining[sku] = [
            replace(r, open_quantity=r.open_quantity - used.get(r.ledger_id, 0)) for r in rows
        ]
    consumed = sum(t.quantity for t in takes)
    restock = quantity if sku is not None and restock_due((item.status,), item.shipped) else 0
    return ItemStep(
        item=item,
        sku=sku,
        new=True,
        status_change=item.status,
        sold=quantity - consumed if sku is not None else 0,
        consumed=takes,
        restock=restock,
    )


def _seen_again(item: SeenItem, before: KnownItem) -> ItemStep:
    changed = not before.statuses or before.statuses[-1] != item.status
    history = (*before.statuses, item.status) if changed else before.statuses
    restock = 0
    if changed and before.sku is not None and restock_due(history, item.shipped):
        restock = before.quantity
    return ItemStep(
        item=item,
        sku=before.sku,
        new=False,
        status_change=item.status if changed else None,
        sold=0,
        consumed=(),
        restock=restock,
    )


# --- cursors -----------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: str | None) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime; None if absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset pushing it past year 1/9999
        return None


def format_time(moment: datetime) -> str:
    """UTC, milliseconds, ``Z`` — the way Managem writes timestamps."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def poll_since(
    cursor: str | None, overlap_s: float, run_start: datetime, first: datetime | None
) -> datetime | None:
    """Where a poll starts: the cursor minus the overlap window (re-reading is harmless, a
    record that became visible late is not missed). Without a cursor: ``first`` (None reads
    everything)."""
    at = parse_time(cursor)
    if at is None:
        return first
    return min(at, run_start) - timedelta(seconds=overlap_s)


def next_cursor(current: str | None, seen_max: datetime | None, run_start: datetime) -> str | None:
    """The cursor after a batch: the newest updatedAt seen, never past the run's start (a
    record stamped later may still be in flight) and never backwards."""
    at = parse_time(current)
    if seen_max is None:
        return current
    candidate = min(seen_max, run_start)
    if at is not None and at >= candidate:
        return current
    return format_time(candidate)
