"""Settling what earlier runs left open, before a new plan is made (design.md §2, crash safety).

An intent still ``pending`` (the run died between committing it and recording the answer) or
``ambiguous`` (the answer did not say whether the write happened) is resolved from the mirror:

- a create whose listing is there (``reference`` = sku) was applied: link it;
- a create that is not there yet but younger than the grace period may still be on its way
  through the search index: its sku is *held* (nothing is sent for it this cycle);
- an older create that is not there did not happen: the plan may create it again;
- updates and deletes are idempotent, so the new plan simply re-decides them. What the link
  remembers as pushed is lowered to what the write would have set when that is lower, so an
  applied decrease is never mistaken for a sale, and an increase is never assumed.

Then links whose create is answered but whose id is not learnt are joined on ``reference``, and
those still unseen within the grace are held ("awaiting index"). Pure decisions over plain rows:
no I/O, no clock (``now`` comes in); the caller writes the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from syncd.core.listing import ListingFields
from syncd.core.ownership import pick_one
from syncd.gateway import ListingDraft
from syncd.storage.listings import IntentRow, LinkRow, MirrorRow

LinkChanges = dict[str, dict[str, Any]]


@dataclass
class Settlement:
    """Outcome of resolving intents and learning ids: what to record, and which skus to hold."""

    intent_states: dict[int, tuple[str, str]] = field(default_factory=dict)
    link_changes: LinkChanges = field(default_factory=dict)
    hold: dict[str, str] = field(default_factory=dict)  # sku → why

    def links(self, stored: Mapping[str, LinkRow]) -> dict[str, LinkRow]:
        """The links as they will be once the changes are recorded."""
        merged = dict(stored)
        for sku in self.link_changes:
            link = self.link(stored, sku)
            if link is not None:
                merged[sku] = link
        return merged

    def link(self, stored: Mapping[str, LinkRow], sku: str) -> LinkRow | None:
        """One link as it will be once the changes are recorded."""
        old, values = stored.get(sku), self.link_changes.get(sku)
        if not values:
            return old
        return replace(old, **values) if old else LinkRow(sku=sku, **values)

    def change(self, sku: str, **values: Any) -> None:
        self.link_changes.setdefault(sku, {}).update(values)


def settle(
    intents: Sequence[IntentRow],
    mirror: Mapping[str, MirrorRow],
    links: Mapping[str, LinkRow],
    *,
    now: datetime,
    grace: float,
) -> Settlement:
    by_reference: dict[str, list[MirrorRow]] = {}
    for row in mirror.values():
        if row.reference:
            by_reference.setdefault(row.reference, []).append(row)
    settled = Settlement()
    young = now - timedelta(seconds=grace)
    for intent in intents:
        if intent.op == "create":
            _settle_create(settled, intent, by_reference.get(intent.sku, ()), links, young)
        else:
            _settle_write(settled, intent, mirror.get(intent.listing_id or ""), links)
    current = settled.links(links)
    for sku, link in current.items():
        if link.listing_id is not None:
            continue
        found = _kept(by_reference.get(sku, ()), link.urn)
        if found is not None:
            settled.change(sku, listing_id=found.listing_id)
        elif link.created_at is not None and link.created_at > young:
            settled.hold.setdefault(sku, "created; waiting for the listing to show in search")
    return settled


def _settle_create(
    settled: Settlement,
    intent: IntentRow,
    found: Iterable[MirrorRow],
    links: Mapping[str, LinkRow],
    young: datetime,
) -> None:
    sent = fields_from_payload(intent.payload)
    kept = _kept(found, sent.urn)
    if kept is not None:
        settled.intent_states[intent.id] = ("resolved_applied", f"listing {kept.listing_id}")
        link = links.get(intent.sku)
        if link is None or link.listing_id is None:
            pushed = sent.quantity
            if (
                link is not None
                and link.last_pushed_digest == sent.content_digest()
                and link.last_pushed_quantity is not None
            ):
                # Recorded for this create and lowered since by the sales the orders job booked.
                pushed = min(pushed, link.last_pushed_quantity)
            settled.change(
                intent.sku,
                listing_id=kept.listing_id,
                urn=sent.urn,
                last_pushed_quantity=pushed,
                last_pushed_digest=sent.content_digest(),
                created_at=link.created_at if link and link.created_at else intent.created_at,
                rejected_digest=None,
                rejected_reason=None,
                rejected_at=None,
            )
    elif intent.created_at > young:
        settled.hold[intent.sku] = f"create {intent.state}; waiting for the search index"
    else:
        settled.intent_states[intent.id] = ("resolved_absent", "not on the remote after the grace")


def _settle_write(
    settled: Settlement, intent: IntentRow, listing: MirrorRow | None, links: Mapping[str, LinkRow]
) -> None:
    deleting = intent.op in ("delete", "repair_delete")
    if listing is None:
        settled.intent_states[intent.id] = ("resolved_absent", "listing not in the mirror")
        return
    if deleting:
        quantity, applied = 0, listing.quantity == 0
        sent = None
    else:
        sent = fields_from_payload(intent.payload, urn=listing.urn)
        quantity = sent.quantity
        applied = listing.fields() == sent and listing.reference == intent.sku
    state = "resolved_applied" if applied else "resolved_absent"
    settled.intent_states[intent.id] = (state, "re-planned from the mirror")
    if intent.op == "repair_delete":
        return  # the link is about the listing that was kept, not this one
    link = settled.link(links, intent.sku)
    if intent.op == "adopt" and applied and sent is not None:
        settled.change(
            intent.sku,
            listing_id=listing.listing_id,
            urn=sent.urn,
            last_pushed_quantity=quantity,
            last_pushed_digest=sent.content_digest(),
        )
        return
    if link is None or link.listing_id != listing.listing_id:
        return
    if applied:
        settled.change(intent.sku, last_pushed_quantity=quantity)
        if sent is not None:
            settled.change(intent.sku, last_pushed_digest=sent.content_digest())
    elif link.last_pushed_quantity is not None and quantity < link.last_pushed_quantity:
        settled.change(intent.sku, last_pushed_quantity=quantity)


def _kept(found: Iterable[MirrorRow], urn: str) -> MirrorRow | None:
    """The listing that stands for a sku: the oldest live one, else the oldest.

    Only listings of ``urn`` (what was created) count when it is known: a listing of the card
    the row showed before its urn changed keeps the sku's reference but is not the new one.
    """
    rows = {row.listing_id: row for row in found if not (urn and row.urn) or row.urn == urn}
    remotes = [row.remote() for row in rows.values()]
    chosen = pick_one([r for r in remotes if r.live], None) or pick_one(remotes, None)
    return rows[chosen.listing_id] if chosen is not None else None


# --- what is sent ---------------------------------------------------------------------------


def draft_for(sku: str, fields: ListingFields) -> ListingDraft:
    """The wire draft of a listing syncd wants: its fields with ``reference`` = sku."""
    return ListingDraft(
        urn=fields.urn,
        condition=fields.condition,
        language=fields.language,
        price=fields.price,
        quantity=fields.quantity,
        hidden=fields.hidden,
        comment=fields.comment,
        notes=fields.notes,
        grading_provider=fields.grading_provider,
        grading_score=fields.grading_score,
        grading_number=fields.grading_number,
        reference=sku,
    )


def fields_from_payload(payload: Mapping[str, Any], *, urn: str | None = None) -> ListingFields:
    """The fields an intent's payload (a create or update body) would set."""
    draft = ListingDraft.model_validate({"urn": urn or "", **payload})
    return ListingFields(
        urn=draft.urn,
        condition=draft.condition,
        language=draft.language,
        price=draft.price,
        quantity=draft.quantity,
        hidden=draft.hidden,
        comment=draft.comment,
        notes=draft.notes,
        grading_provider=draft.grading_provider,
        grading_score=draft.grading_score,
        grading_number=draft.grading_number,
    )
