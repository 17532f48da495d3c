"""Test support for the listings planner: builders, Hypothesis worlds and a fake shell.

The fake shell does what the real one is specified to do after a plan succeeds in full: apply
it to the remote (``apply_to_remote``), book stock adjustments into the inventory, and update the
links (learnt ids, last pushed quantity, pushed digest). ``owner_of`` restates the ownership rule
from the spec, independently of ``syncd.core.ownership``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from syncd.core.listing import Desired, Link, ListingFields, Remote
from syncd.core.plan import Op, Plan
from syncd.core.simulate import apply_to_remote


def card(urn: str = "urn:c1", quantity: int = 1, **changes: object) -> ListingFields:
    base = ListingFields(urn=urn, condition="NM", language="English", price=150, quantity=quantity)
    return replace(base, **changes)  # type: ignore[arg-type]


def listing(
    listing_id: str,
    reference: str | None,
    fields: ListingFields,
    created_at: str = "2026-01-01T00:00:00.000Z",
    **changes: object,
) -> Remote:
    return replace(Remote(listing_id, reference, fields, created_at), **changes)  # type: ignore[arg-type]


# --- the world Hypothesis draws --------------------------------------------------------------

SKUS = ("s0", "s1", "s2", "s3", "s4", "s5")
FOREIGN_REFS = ("other-tool-1", "other-tool-2")
CREATED = (
    "2025-06-01T10:00:00.000Z",
    "2025-06-01T10:00:00Z",  # the same instant, written differently: ties go to the id
    "2025-06-01T11:00:00+01:00",  # the same instant again
    "2024-01-01T00:00:00.000Z",
    "2026-02-03T04:05:06.789Z",
    "2026-02-03T04:05:06",
)


@dataclass(frozen=True)
class World:
    desired: tuple[Desired, ...]
    remote: tuple[Remote, ...]
    links: tuple[Link, ...]
    hold: frozenset[str]


card_fields = st.builds(
    ListingFields,
    urn=st.sampled_from(("urn:a", "urn:b", "urn:c")),
    condition=st.sampled_from(("NM", "EX")),
    language=st.just("English"),
    price=st.sampled_from((100, 2500)),
    quantity=st.integers(0, 4),
    hidden=st.booleans(),
    comment=st.sampled_from((None, "", "mint")),
    grading_provider=st.sampled_from((None, "PSA")),
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    skus = draw(st.lists(st.sampled_from(SKUS), unique=True, max_size=len(SKUS)))
    desired = {sku: draw(card_fields) for sku in skus}
    remote: list[Remote] = []
    for number in range(draw(st.integers(0, 10) | st.integers(4, 10))):
        reference = draw(
            st.one_of(
                st.sampled_from(SKUS),
                st.sampled_from(SKUS),
                st.none(),
                st.just(""),
                st.sampled_from(FOREIGN_REFS),
            )
        )
        # Often a near copy of its own sku's row or of another row, so that settled, drifted
        # and adoptable listings all come up.
        if reference in desired and draw(st.booleans()):
            base: ListingFields | None = desired[str(reference)]
        elif desired and draw(st.booleans()):
            base = desired[draw(st.sampled_from(sorted(desired)))]
        else:
            base = None
        if base is None:
            fields = draw(card_fields)
        else:
            fields = replace(
                base,
                quantity=draw(st.just(base.quantity) | st.integers(0, 4)),
                price=draw(st.sampled_from((base.price, 999))),
            )
        remote.append(
            Remote(
                f"r{number}",
                reference,
                fields,
                draw(st.sampled_from(CREATED)),
                locked=draw(st.booleans()),
            )
        )
    ids = [r.listing_id for r in remote] + ["gone-1"]
    by_id = {r.listing_id: r for r in remote}
    links: list[Link] = []
    used: set[str] = set()
    for sku in SKUS:
        if draw(st.integers(0, 3)) == 0:
            continue  # no link: never synced, or a lost link
        # Usually the sku's own listing (the common, settled case), sometimes anything at all.
        own_ids = [r.listing_id for r in remote if r.reference == sku]
        choices = st.sampled_from(own_ids) if own_ids else st.none()
        listing_id = draw(st.one_of(choices, choices, st.none(), st.sampled_from(ids)))
        if listing_id in used:
            listing_id = None
        if listing_id is not None:
            used.add(listing_id)
        own = desired.get(sku)
        shown = by_id[listing_id].fields.quantity if listing_id in by_id else 0
        # Last pushed: what the listing shows (settled), more (a sale not seen), or anything.
        pushed = st.one_of(st.just(shown), st.just(shown + 1), st.none(), st.integers(0, 5))
        rejected = draw(st.sampled_from((None, None, "stale", own.digest() if own else None)))
        links.append(
            Link(
                sku,
                listing_id,
                draw(pushed),
                rejected_digest=rejected,
                rejected_reason="400 bad condition" if rejected else None,
                pushed_digest=draw(st.sampled_from((None, own.content_digest() if own else None))),
            )
        )
    hold = frozenset(draw(st.lists(st.sampled_from(SKUS), max_size=2)))
    return World(
        desired=tuple(Desired(sku, fields) for sku, fields in desired.items()),
        remote=tuple(remote),
        links=tuple(links),
        hold=hold,
    )


# --- the spec's ownership rule, restated --------------------------------------------------


def owner_of(item: Remote, known: set[str], links: Iterable[Link]) -> str | None:
    for link in links:
        if link.listing_id == item.listing_id:
            return link.sku
    return item.reference if item.reference in known else None


def known_skus(desired: Iterable[Desired], links: Iterable[Link]) -> set[str]:
    return {d.sku for d in desired} | {link.sku for link in links}


# --- the fake shell ---------------------------------------------------------------------------


@dataclass(frozen=True)
class After:
    desired: tuple[Desired, ...]
    remote: tuple[Remote, ...]
    links: tuple[Link, ...]


def perform(plan: Plan, world: World) -> After:
    """Everything in ``plan`` succeeds; return the inventory, remote and links that result."""
    before = {r.listing_id: r for r in world.remote}
    remote = apply_to_remote(plan, world.remote)
    booked: Counter[str] = Counter()
    seen_at: dict[str, int | None] = {}
    for adjustment in plan.adjustments:
        booked[adjustment.sku] += adjustment.delta
        seen_at[adjustment.sku] = adjustment.remote_quantity
    desired = tuple(
        Desired(d.sku, d.fields.with_quantity(d.fields.quantity + booked[d.sku]))
        for d in world.desired
    )
    written = {a.sku: a for a in plan.actions if a.op is not Op.REPAIR_DELETE}
    old = {link.sku: link for link in world.links}
    links: list[Link] = []
    for sku in sorted(old.keys() | plan.links.keys() | written.keys()):
        prev = old.get(sku)
        action = written.get(sku)
        listing_id = None if action and action.op is Op.CREATE else plan.links.get(sku)
        if action is None and listing_id is None:
            if prev is not None and prev.listing_id is None:
                links.append(prev)  # still waiting for an id, or a rejection to remember
            continue
        if action is not None:
            pushed = 0 if action.fields is None else action.fields.quantity
            digest = action.fields.content_digest() if action.fields else None
            if action.fields is None and prev is not None and prev.listing_id == listing_id:
                digest = prev.pushed_digest
            links.append(Link(sku, listing_id, pushed, pushed_digest=digest))
        elif prev is not None and prev.listing_id == listing_id:
            pushed_now = seen_at.get(sku, prev.last_pushed_quantity)
            links.append(replace(prev, last_pushed_quantity=pushed_now))
        else:
            # The link follows a listing nothing was written to (learnt, or another one kept):
            # what it shows now is the baseline, as the real shell records it.
            shown = before[str(listing_id)].fields
            links.append(
                Link(
                    sku,
                    listing_id,
                    seen_at.get(sku, shown.quantity),
                    rejected_digest=prev.rejected_digest if prev else None,
                    rejected_reason=prev.rejected_reason if prev else None,
                    pushed_digest=shown.content_digest(),
                )
            )
    return After(desired=desired, remote=tuple(remote), links=tuple(links))
