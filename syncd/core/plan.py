"""The listings planner: desired state, remote state and links in; a ``Plan`` (plain data) out.

Rules (design.md §2), sku by sku, in this order:

1. A sku in ``hold`` (a write whose outcome the shell has not resolved) gets nothing.
   A sku whose link recorded a rejection of exactly the fields now desired gets nothing; any
   change to the row retries it. Nor does a sku with leading or trailing spaces (Managem trims
   a reference, so its listing could never be found again).
   Listings of the sku that show another card than the row (its urn changed; Managem cannot
   change a listing's urn) are taken off sale and left out of rules 2–5 (``reconcile``).
2. At most one live owned listing per sku: the linked one is kept, else the oldest; the rest
   get ``REPAIR_DELETE``. Soft-deleted duplicates are left alone (they are not on sale).
3. A live listing: quantity by the three-way rule (``quantity``), every other field from the
   inventory. Nothing left for sale (or the row is gone) → ``DELETE`` (soft).
4. No live listing but a soft-deleted owned one (linked first, else oldest): a row for sale
   brings it back with ``UPDATE`` ("restock"), never a new create.
5. No owned listing at all: adopt an unreferenced match (``adoption``); if the match is
   ambiguous, report it and create nothing; otherwise ``CREATE``. A link whose create is not
   on the remote yet is expected to be in ``hold`` during the shell's grace period; once it
   is not, the row is created again and any duplicate is repaired by rule 2 later.

Rule 1 is applied here, rules 2–5 in ``reconcile``. Listings that are neither owned nor being
adopted are never in the plan. Guards (``guards``) may refuse the whole plan; batches
(``batches``) group the creates. Nothing here does I/O or reads a clock, and the same input, in
any order, always yields the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TypeVar

from syncd.core.actions import Action, Note, NoteKind, Op, Plan, StockAdjustment
from syncd.core.adoption import match_unreferenced
from syncd.core.batches import batch_by_urn
from syncd.core.guards import refusal
from syncd.core.listing import Desired, Link, Remote
from syncd.core.ownership import assign_owners
from syncd.core.reconcile import Decisions, after_other_cards, reconcile_sku

__all__ = ["Action", "Note", "NoteKind", "Op", "Plan", "StockAdjustment", "make_plan"]

T = TypeVar("T")


def make_plan(
    desired: Iterable[Desired],
    remote: Iterable[Remote],
    links: Iterable[Link],
    *,
    hold: frozenset[str] = frozenset(),
    max_delete_share: float = 0.2,
    delete_guard_min: int = 5,
    force: bool = False,
    batch_size: int = 200,
) -> Plan:
    """Plan one listings sync. Raises ValueError when the inputs repeat a key (a shell bug)."""
    wants = _by_key(desired, lambda d: d.sku, "inventory sku")
    link_of = _by_key(links, lambda link: link.sku, "link sku")
    sku_of_listing = _by_key(
        (link for link in link_of.values() if link.listing_id is not None),
        lambda link: str(link.listing_id),
        "linked listing id",
    )
    ownership = assign_owners(
        _unique_listings(remote),
        wants.keys() | link_of.keys(),
        {listing_id: link.sku for listing_id, link in sku_of_listing.items()},
    )
    # Managem trims a reference (managem-api.md §4.1): a listing made for such a sku would never
    # be found under it again, and would be created again every cycle.
    untrimmed = {sku for sku in wants if sku != sku.strip()}
    rejected = {
        sku: link
        for sku, link in link_of.items()
        if link.rejected_digest is not None
        and sku in wants
        and link.rejected_digest == wants[sku].fields.digest()
    }
    adoption = match_unreferenced(
        ownership.unreferenced,
        {
            sku: want.fields
            for sku, want in wants.items()
            if _may_adopt(want, link_of.get(sku), ownership.owned.get(sku, ()))
        },
        frozen=hold | rejected.keys() | untrimmed,
    )

    decisions = Decisions()
    for sku in sorted(wants.keys() | link_of.keys()):
        link = link_of.get(sku)
        want = wants.get(sku)
        if sku in hold:
            decisions.leave_alone(
                sku, link, Note(sku, NoteKind.HELD, "held by the shell; nothing planned")
            )
        elif sku in untrimmed:
            detail = "the sku starts or ends with a space, which Managem trims; fix the sku"
            decisions.leave_alone(sku, link, Note(sku, NoteKind.REJECTED, detail))
        elif sku in rejected:
            reason = rejected[sku].rejected_reason or "no reason recorded"
            decisions.leave_alone(
                sku, link, Note(sku, NoteKind.REJECTED, f"rejected earlier: {reason}")
            )
        else:
            reconcile_sku(decisions, sku, want, link, ownership.owned.get(sku, ()), adoption)
    if ownership.foreign:
        shown = ", ".join(r.listing_id for r in ownership.foreign[:5])
        more = ", …" if len(ownership.foreign) > 5 else ""
        decisions.notes.append(
            Note(
                None,
                NoteKind.FOREIGN,
                f"{len(ownership.foreign)} listing(s) carry a reference syncd does not know "
                f"(another tool's?) and are left alone: {shown}{more}",
            )
        )

    actions = tuple(sorted(decisions.actions, key=Action.apply_order))
    refused = refusal(
        deletes=sum(1 for a in actions if a.op is Op.DELETE),
        owned_live=ownership.owned_live(),
        rows_for_sale=sum(1 for want in wants.values() if want.fields.quantity > 0),
        max_delete_share=max_delete_share,
        delete_guard_min=delete_guard_min,
    )
    if refused is not None and force:
        decisions.notes.append(
            Note(None, NoteKind.FORCED, f"guard overridden by --force: {refused}")
        )
        refused = None
    touched = {a.sku for a in actions} | {n.sku for n in decisions.notes}
    touched |= {adj.sku for adj in decisions.adjustments}
    return Plan(
        actions=actions,
        create_batches=batch_by_urn([a for a in actions if a.op is Op.CREATE], _urn_of, batch_size),
        adjustments=tuple(decisions.adjustments),
        links=MappingProxyType(dict(sorted(decisions.links.items()))),
        notes=tuple(decisions.notes),
        refused=refused,
        unchanged=sum(1 for sku in wants if sku not in touched),
    )


def _may_adopt(want: Desired, link: Link | None, owned: tuple[Remote, ...]) -> bool:
    """A row competes for an unreferenced listing when it owns none of its card (listings of
    another card can never be its listing) and has stock for sale once the decreases seen on
    those other-card listings are taken off."""
    if not all(r.other_card(want.fields.urn) for r in owned):
        return False
    return after_other_cards(want, link, owned)[0].fields.quantity > 0


def _urn_of(action: Action) -> str:
    assert action.fields is not None  # creates always carry their fields
    return action.fields.urn


def _by_key(items: Iterable[T], key: Callable[[T], str], what: str) -> dict[str, T]:
    found: dict[str, T] = {}
    for item in items:
        name = key(item)
        if name in found:
            raise ValueError(f"{what} {name!r} appears twice in the planner's input")
        found[name] = item
    return found


def _unique_listings(remote: Iterable[Remote]) -> list[Remote]:
    """The remote listings, each once.

    Offset paging over a listing set that changes while it is read can return a listing twice;
    identical copies are harmless. Two different versions of one id mean the read raced a write;
    which one is current cannot be known here, so the planner refuses to guess.
    """
    found: dict[str, Remote] = {}
    for listing in remote:
        seen = found.setdefault(listing.listing_id, listing)
        if seen != listing:
            raise ValueError(f"listing {listing.listing_id!r} appears twice with different values")
    return list(found.values())
