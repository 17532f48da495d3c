"""Which remote listings syncd owns, and which one listing stands for each sku.

A listing is owned when syncd linked it (its id is in a link: that sku owns it, even if someone
edited its reference since) or when its ``reference`` is a known sku (in the inventory at any
quantity, or linked). A listing with no reference and no link is an adoption candidate. Any
other reference belongs to another tool: syncd never touches such a listing. This module only
sorts listings into those groups; it does not decide what to do with them.

A linked listing whose reference was edited to another known sku stays with its link while the
link holds; when a plan moves that link to another listing, the next plan gives it to the sku
its reference names (so such a listing settles in two plans, not one; the orders job attributes
sales by link first, and the two must agree).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from syncd.core.listing import Remote


@dataclass(frozen=True)
class Ownership:
    owned: Mapping[str, tuple[Remote, ...]]  # sku → its listings, oldest first
    unreferenced: tuple[Remote, ...]  # no reference, not linked: may be adopted
    foreign: tuple[Remote, ...]  # another tool's reference: never touched

    def owned_live(self) -> int:
        return sum(1 for listings in self.owned.values() for r in listings if r.live)


def assign_owners(
    listings: Iterable[Remote], known_skus: Collection[str], sku_of_listing: Mapping[str, str]
) -> Ownership:
    owned: dict[str, list[Remote]] = {}
    unreferenced: list[Remote] = []
    foreign: list[Remote] = []
    for listing in sorted(listings, key=Remote.age_key):
        owner = sku_of_listing.get(listing.listing_id)
        if owner is None and listing.reference in known_skus:
            owner = listing.reference
        if owner is not None:
            owned.setdefault(owner, []).append(listing)
        elif not listing.reference:
            unreferenced.append(listing)
        else:
            foreign.append(listing)
    return Ownership(
        owned={sku: tuple(found) for sku, found in owned.items()},
        unreferenced=tuple(unreferenced),
        foreign=tuple(foreign),
    )


def pick_one(listings: Sequence[Remote], linked_id: str | None) -> Remote | None:
    """The linked listing if it is among ``listings``, else the oldest; None if there are none.

    One rule for both jobs it does: which live listing survives a duplicate repair, and which
    soft-deleted listing a restock brings back. Oldest keeps a sku on the listing it has had
    longest (its history and any watchers), and makes the choice stable from cycle to cycle.
    """
    for listing in listings:
        if listing.listing_id == linked_id:
            return listing
    return min(listings, key=Remote.age_key, default=None)
