"""Rules 2–5 of the listings planner (see ``plan``), for one sku at a time.

Given one sku's inventory row, link and owned listings, decide its writes, stock adjustment,
note and linked listing, into a ``Decisions`` accumulator that ``make_plan`` turns into a
``Plan``. Holds, rejections, guards, batching and ordering are ``plan``'s job, not this
module's; nothing here looks at another sku except through the precomputed ``Adoption``.
"""

from __future__ import annotations

from syncd.core.actions import Action, Note, NoteKind, Op, StockAdjustment
from syncd.core.adoption import Adoption
from syncd.core.listing import Desired, Link, ListingFields, Remote
from syncd.core.ownership import pick_one
from syncd.core.quantity import three_way_quantity


class Decisions:
    """What the rules have decided so far, local to one ``make_plan`` call."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.adjustments: list[StockAdjustment] = []
        self.links: dict[str, str] = {}
        self.notes: list[Note] = []

    def leave_alone(self, sku: str, link: Link | None, note: Note) -> None:
        if link is not None and link.listing_id is not None:
            self.links[sku] = link.listing_id
        self.notes.append(note)

    def take_stock(self, sku: str, listing: Remote, taken: int) -> None:
        self.adjustments.append(
            StockAdjustment(
                sku, listing.listing_id, -taken, remote_quantity=listing.fields.quantity
            )
        )


def reconcile_sku(
    decisions: Decisions,
    sku: str,
    want: Desired | None,
    link: Link | None,
    owned: tuple[Remote, ...],
    adoption: Adoption,
) -> None:
    linked_id = link.listing_id if link else None
    if want is not None:
        want, owned = _other_cards_off_sale(decisions, sku, want, link, owned)
    live = [r for r in owned if r.live]
    kept = pick_one(live, linked_id)
    if kept is not None:
        decisions.links[sku] = kept.listing_id
        for duplicate in live:
            if duplicate is not kept:
                reason = f"duplicate of {kept.listing_id}"
                decisions.actions.append(_delete(Op.REPAIR_DELETE, sku, duplicate, reason))
        _sync_live(decisions, sku, want, link, kept)
        return
    revive = pick_one([r for r in owned if not r.live], linked_id)
    if revive is not None:
        decisions.links[sku] = revive.listing_id
        if want is not None:
            _restock(decisions, sku, want, link, revive)
    elif want is not None and want.fields.quantity > 0:
        _adopt_or_create(decisions, sku, want, link, adoption)


def _other_cards_off_sale(
    decisions: Decisions, sku: str, want: Desired, link: Link | None, owned: tuple[Remote, ...]
) -> tuple[Desired, tuple[Remote, ...]]:
    """Set aside the sku's listings of another card; returns the row and the listings left.

    Managem cannot change a listing's urn (``PUT`` has none), so when the row's urn changed no
    write to the old listing can make it the row's listing: a live one is soft-deleted, none is
    ever restocked, and the rules go on with the listings of the row's card (a create when there
    is none). A decrease on the linked old listing is still real stock gone: it is taken, and
    the row goes on with what is left.
    """
    same = tuple(r for r in owned if not r.other_card(want.fields.urn))
    want, taken = after_other_cards(want, link, owned)
    for other, units in taken:
        decisions.take_stock(sku, other, units)
    for other in owned:
        if not other.other_card(want.fields.urn):
            continue
        if other.live:
            reason = f"urn changed to {want.fields.urn}; a listing's card cannot be changed"
            decisions.actions.append(_delete(Op.DELETE, sku, other, reason))
    return want, same


def after_other_cards(
    want: Desired, link: Link | None, owned: tuple[Remote, ...]
) -> tuple[Desired, tuple[tuple[Remote, int], ...]]:
    """The row once the decreases seen on its listings of another card are taken off, and those
    (listing, units). Adoption asks it too: a row those decreases leave with none for sale
    does not compete for an unreferenced listing."""
    taken: list[tuple[Remote, int]] = []
    for other in owned:
        if not other.other_card(want.fields.urn):
            continue
        decision = three_way_quantity(
            want.fields.quantity, other.fields.quantity, _pushed(link, other)
        )
        if decision.taken:
            taken.append((other, decision.taken))
            want = Desired(
                want.sku, want.fields.with_quantity(want.fields.quantity - decision.taken)
            )
    return want, tuple(taken)


def _sync_live(
    decisions: Decisions, sku: str, want: Desired | None, link: Link | None, kept: Remote
) -> None:
    if want is None:
        decisions.actions.append(_delete(Op.DELETE, sku, kept, "not in the inventory"))
        return
    pushed = _pushed(link, kept)
    decision = three_way_quantity(want.fields.quantity, kept.fields.quantity, pushed)
    if decision.taken:
        decisions.take_stock(sku, kept, decision.taken)
    if decision.target == 0:
        if want.fields.quantity <= 0:
            reason = "quantity 0 in the inventory"
        else:
            reason = f"remote decrease of {decision.taken} leaves none for sale"
        decisions.actions.append(_delete(Op.DELETE, sku, kept, reason))
        return
    target = want.fields.with_quantity(decision.target)
    changed = _changes(sku, kept, target)
    if not changed:
        return
    # A field counts as a local change unless the link shows it has not moved since syncd
    # pushed it; an update made of no local change corrects an edit on the website (drift).
    same = link is not None and link.listing_id == kept.listing_id
    content_pushed = (
        same and link is not None and link.pushed_digest == want.fields.content_digest()
    )
    quantity_pushed = pushed is not None and pushed == want.fields.quantity
    local = [
        name
        for name in changed
        if name != "reference" and not (quantity_pushed if name == "quantity" else content_pushed)
    ]
    label = "update" if local else "drift corrected"
    decisions.actions.append(
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


def _restock(
    decisions: Decisions, sku: str, want: Desired, link: Link | None, revive: Remote
) -> None:
    """Bring a soft-deleted listing back rather than create a second one for the sku.

    The three-way rule applies here too: a linked listing deleted on the website since syncd
    pushed it is a remote decrease (to zero), taken into stock like any other.
    """
    decision = three_way_quantity(
        want.fields.quantity, revive.fields.quantity, _pushed(link, revive)
    )
    if decision.taken:
        decisions.take_stock(sku, revive, decision.taken)
    if decision.target > 0:
        target = want.fields.with_quantity(decision.target)
        decisions.actions.append(
            Action(
                Op.UPDATE,
                sku,
                revive.listing_id,
                target,
                "restock",
                changed=_changes(sku, revive, target),
            )
        )


def _adopt_or_create(
    decisions: Decisions, sku: str, want: Desired, link: Link | None, adoption: Adoption
) -> None:
    found = adoption.adopt.get(sku)
    if found is not None:
        state = "live" if found.live else "soft-deleted"
        decisions.links[sku] = found.listing_id
        decisions.actions.append(
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
        decisions.notes.append(Note(sku, NoteKind.AMBIGUOUS, adoption.ambiguous[sku]))
    else:
        if link is None:
            reason = "new listing"
        elif link.listing_id is None:
            reason = "create again: the earlier create is not on the remote"
        else:
            reason = f"create again: linked listing {link.listing_id} is gone from the remote"
        decisions.actions.append(Action(Op.CREATE, sku, None, want.fields, reason))


def _delete(op: Op, sku: str, listing: Remote, reason: str) -> Action:
    return Action(
        op, sku, listing.listing_id, None, reason, changed=("quantity",), decreases_quantity=True
    )


def _changes(sku: str, listing: Remote, target: ListingFields) -> tuple[str, ...]:
    """Fields a write would change, with ``reference`` when it is not the sku yet.

    Never ``urn``: ``PUT`` cannot change it, and a listing of another card was set aside before
    this point, so a differing urn here is one the read left out, and no write would settle it.
    """
    changed = tuple(name for name in target.diff(listing.fields) if name != "urn")
    return (*changed, "reference") if listing.reference != sku else changed


def _pushed(link: Link | None, listing: Remote) -> int | None:
    """The quantity the remote should show, when the link is about this very listing."""
    if link is None or link.listing_id != listing.listing_id:
        return None
    return link.last_pushed_quantity
