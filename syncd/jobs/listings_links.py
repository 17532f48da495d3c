"""Keeping links on the listings the plan keeps, when no write will do it.

The plan says which listing stands for each sku (``Plan.links``). Usually that is the linked
one. It is another when a link was lost or pointed at a listing that is gone, or when a
duplicate was kept. A sku with a write planned gets its link from that write's answer; for the
rest, the link is corrected here. When nothing is planned for a sku the remote already shows
what syncd wants, so its quantity is what the remote is expected to show (the three-way rule's
"last pushed"); without this, a listing that never needed a write would never have one, and a
sale seen on it would be pushed back up. Pure: plain values in, column changes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.core.plan import Plan
from syncd.storage.listings import LinkRow, MirrorRow


def link_corrections(
    plan: Plan, links: Mapping[str, LinkRow], mirror: Mapping[str, MirrorRow]
) -> dict[str, dict[str, Any]]:
    """sku → link columns to change (``listing_id`` always among them)."""
    touched = {a.sku for a in plan.actions} | {n.sku for n in plan.notes if n.sku}
    touched |= {adj.sku for adj in plan.adjustments}
    changes: dict[str, dict[str, Any]] = {}
    for sku, listing_id in plan.links.items():
        link, row = links.get(sku), mirror.get(listing_id)
        if row is None:
            continue
        untouched = sku not in touched
        moved = link is None or link.listing_id != listing_id
        if not moved and not (untouched and link and link.last_pushed_quantity != row.quantity):
            continue
        values: dict[str, Any] = {"listing_id": listing_id}
        if untouched:
            values["last_pushed_quantity"] = row.quantity
            values["last_pushed_digest"] = row.fields().content_digest()
        else:
            # A write is planned for this listing; its answer sets what was pushed.
            values["last_pushed_quantity"] = None
            values["last_pushed_digest"] = None
        changes[sku] = values
    return changes
