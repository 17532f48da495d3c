"""The listings planner: desired state, remote state and links in; a ``Plan`` (plain data) out.

Rules (design.md §2), sku by sku, in this order:

1. A sku in ``hold`` (a write whose outcome the shell has not resolved) gets nothing.
   A sku whose link recorded a rejection of exactly the fields now desired gets nothing; any
   change to the row retries it.
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

Listings that are neither owned nor being adopted are never in the plan. Guards (``guards``)
may refuse the whole plan; batches (``batches``) group the creates. Nothing here does I/O or
reads a clock, and the same input always yields the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TypeVar

from syncd.core.actions import Action, Note, NoteKind, Op, Plan, StockAdjustment
from syncd.core.adoption import Adoption, match_unreferenced
from syncd.core.batches import batch_by_urn
from syncd.core.guards import refusal
from syncd.core.listing import Desired, Link, ListingFields, Remote
from syncd.core.ownership import assign_owners, pick_one
from syncd.core.quantity import three_way_quantity

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
    adoption = match_unreferenced(
        ownership.unreferenced,
        {
            sku: want.fields
            for sku, want in wants.items()
            if want.fields.quantity > 0 and sku not in ownership.owned
        },
    )

    draft = _Draft()
    for sku in sorted(wants.keys() | link_of.keys()):
        link = link_of.get(sku)
        want = wants.get(sku)
        if sku in hold:
            draft.keep(sku, link, Note(sku, NoteKind.HELD, "held by the shell; nothing planned"))
        elif want and link and link.rejected_digest == want.fields.digest():
            reason = link.rejected_reason or "no reason recorded"
            draft.keep(sku, link, Note(sku, NoteKind.REJECTED, f"rejected earlier: {reason}"))
        else:
            _plan_sku(draft, sku, want, link, ownership.owned.get(sku, ()), adoption)
    if ownership.foreign:
        shown = ", ".join(r.listing_id for r in ownership.foreign[:5])
        more = ", …" if len(ownership.foreign) > 5 else ""
        draft.notes.append(
            Note(
                None,
                NoteKind.FOREIGN,
                f"{len(ownership.foreign)} listing(s) carry a reference syncd does not know "
                f"(another tool's?) and are left alone: {shown}{more}",
            )
        )

    actions = tuple(sorted(draft.actions, key=Action.apply_order))
    refused = refusal(
        deletes=sum(1 for a in actions if a.op is Op.DELETE),
        owned_live=ownership.owned_live(),
        rows_for_sale=sum(1 for want in wants.values() if want.fields.quantity > 0),
        max_delete_share=max_delete_share,
        delete_guard_min=delete_guard_min,
    )
    if refused is not None and force:
        draft.notes.append(Note(None, NoteKind.FORCED, f"guard overridden by --force: {refused}"))
        refused = None
    touched = {a.sku for a in actions} | {n.sku for n in draft.notes}
    touched |= {adj.sku for adj in draft.adjustments}
    return Plan(
        actions=actions,
        create_batches=batch_by_urn([a for a in actions if a.op is Op.CREATE], _urn_of, batch_size),
        adjustments=tuple(draft.adjustments),
        links=MappingProxyType(dict(sorted(draft.links.items()))),
        notes=tuple(draft.notes),
        refused=refused,
        unchanged=sum(1 for sku in wants if sku not in touched),
    )


class _Draft:
    """What the per-sku rules have decided so far (local to one ``make_plan`` call)."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.adjustments: list[StockAdjustment] = []
        self.links: dict[str, str] = {}
        self.notes: list[Note] = []

    def keep(self, sku: str, link: Link | None, note: Note) -> None:
        if link is not None and link.listing_id is not None:
            self.links[sku] = link.listing_id
        self.notes.append(note)

    def take_stock(self, sku: str, listing: Remote, taken: int) -> None:
        self.adjustments.append(
            StockAdjustment(
                sku, listing.listing_id, -taken, remote_quantity=listing.fields.quantity
            )
        )


def _plan_sku(
    draft: _Draft,
    sku: str,
    want: Desired | None,
    link: Link | None,
    owned: tuple[Remote, ...],
    adoption: Adoption,
) -> None:
    linked_id = link.listing_id if link else None
    live = [r for r in owned if r.live]
    kept = pick_one(live, linked_id)
    if kept is not None:
        draft.links[sku] = kept.listing_id
        for duplicate in live:
            if duplicate is not kept:
                draft.actions.append(
                    Action(
                        Op.REPAIR_DELETE,
                        sku,
                        duplicate.listing_id,
                        None,
                        f"duplicate of {kept.listing_id}",
                        changed=("quantity",),
                        decreases_quantity=True,
                    )
                )
        _sync_live(draft, sku, want, link, kept)
        return

    revive = pick_one([r for r in owned if not r.live], linked_id)
    if revive is not None:
        draft.links[sku] = revive.listing_id
    if want is None:
        return
    if revive is not None:
        decision = three_way_quantity(
            want.fields.quantity, revive.fields.quantity, _pushed(link, revive)
        )
        if decision.taken:
            draft.take_stock(sku, revive, decision.taken)
        if decision.target > 0:
            target = want.fields.with_quantity(decision.target)
            draft.actions.append(
                Action(
                    Op.UPDATE,
                    sku,
                    revive.listing_id,
                    target,
                    "restock",
                    changed=_changes(sku, revive, target),
                )
            )
        return
    if want.fields.quantity <= 0:
        return

    found = adoption.adopt.get(sku)
    if found is not None:
        state = "live" if found.live else "soft-deleted"
        draft.links[sku] = found.listing_id
        draft.actions.append(
            Action(
                Op.ADOPT,
                sku,
                found.listing_id,
                want.fields,
                f"adopt: {state} listing without a reference, same urn, condition, language "
                "and grading",
                changed=_changes(sku, found, want.fields),
                decreases_quantity=want.fields.quantity < found.fields.quantity,
            )
        )
    elif sku in adoption.ambiguous:
        draft.notes.append(Note(sku, NoteKind.AMBIGUOUS, adoption.ambiguous[sku]))
    else:
        if link is None:
            reason = "new listing"
        elif link.listing_id is None:
            reason = "create again: the earlier create is not on the remote"
        else:
            reason = f"create again: linked listing {link.listing_id} is gone from the remote"
        draft.actions.append(Action(Op.CREATE, sku, None, want.fields, reason))


def _sync_live(
    draft: _Draft, sku: str, want: Desired | None, link: Link | None, kept: Remote
) -> None:
    if want is None:
        draft.actions.append(_delete(sku, kept, "not in the inventory"))
        return
    pushed = _pushed(link, kept)
    decision = three_way_quantity(want.fields.quantity, kept.fields.quantity, pushed)
    if decision.taken:
        draft.take_stock(sku, kept, decision.taken)
    if decision.target == 0:
        if want.fields.quantity <= 0:
            reason = "quantity 0 in the inventory"
        else:
            reason = f"remote decrease of {decision.taken} leaves none for sale"
        draft.actions.append(_delete(sku, kept, reason))
        return
    target = want.fields.with_quantity(decision.target)
    changed = _changes(sku, kept, target)
    if not changed:
        return
    # A field is a local change unless what syncd last pushed shows the row has not moved;
    # an update made only of non-local changes corrects an edit made on the website (drift).
    same_link = link if link is not None and link.listing_id == kept.listing_id else None
    content_pushed = (
        same_link is not None and same_link.pushed_digest == want.fields.content_digest()
    )
    quantity_pushed = pushed is not None and pushed == want.fields.quantity
    local = [
        name
        for name in changed
        if name != "reference" and not (quantity_pushed if name == "quantity" else content_pushed)
    ]
    label = "update" if local else "drift corrected"
    draft.actions.append(
        Action(
            Op.UPDATE,
            sku,
            kept.listing_id,
            target,
            f"{label}: {', '.join(changed)}",
            changed=changed,
            decreases_quantity=target.quantity < kept.fields.quantity,
        )
    )


def _delete(sku: str, listing: Remote, reason: str) -> Action:
    return Action(
        Op.DELETE,
        sku,
        listing.listing_id,
        None,
        reason,
        changed=("quantity",),
        decreases_quantity=True,
    )


def _changes(sku: str, listing: Remote, target: ListingFields) -> tuple[str, ...]:
    """Fields a write would change, with ``reference`` when it is not the sku yet."""
    changed = target.diff(listing.fields)
    return (*changed, "reference") if listing.reference != sku else changed


def _pushed(link: Link | None, listing: Remote) -> int | None:
    """The expected remote quantity, when the link is about this very listing."""
    if link is None or link.listing_id != listing.listing_id:
        return None
    return link.last_pushed_quantity


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
    identical copies are harmless, two different versions of one id are not (which is true?).
    """
    found: dict[str, Remote] = {}
    for listing in remote:
        seen = found.setdefault(listing.listing_id, listing)
        if seen != listing:
            raise ValueError(f"listing {listing.listing_id!r} appears twice with different values")
    return list(found.values())
