"""Properties of the listings planner over generated worlds (design.md §6).

Each world has inventory rows, remote listings (owned, duplicated, soft-deleted, unreferenced,
foreign), links with and without ids and last pushed quantities, rejections and holds. The fake
shell (``planner_model.perform``) applies a plan as the real shell would on full success.
"""

from __future__ import annotations

import json
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from planner_model import World, known_skus, owner_of, perform, worlds

from syncd.core.plan import NoteKind, Op, Plan, make_plan
from syncd.core.simulate import apply_to_remote

# Sized so the whole file takes about 10 s of CPU; the first test carries most properties.
EXAMPLES = settings(max_examples=200, deadline=None)
FEWER = settings(max_examples=100, deadline=None)


def _plan(world: World, **options: object) -> Plan:
    return make_plan(world.desired, world.remote, world.links, hold=world.hold, **options)  # type: ignore[arg-type]


def _rejected(world: World) -> set[str]:
    links = {link.sku: link for link in world.links}
    return {
        d.sku
        for d in world.desired
        if d.sku in links and links[d.sku].rejected_digest == d.fields.digest()
    }


def _frozen_skus(world: World) -> set[str]:
    """Skus the plan must leave alone: held, or rejected with the same fields."""
    return set(world.hold) | _rejected(world)


def check_the_desired_state_is_reached(world: World, plan: Plan) -> None:
    after = perform(plan, world)
    frozen = _frozen_skus(world)
    ambiguous = {n.sku for n in plan.notes if n.kind == NoteKind.AMBIGUOUS}
    taken = Counter[str]()
    for adjustment in plan.adjustments:
        taken[adjustment.sku] += adjustment.delta
    known = known_skus(after.desired, after.links)
    for sku in known_skus(world.desired, world.links) - frozen - ambiguous:
        live = [r for r in after.remote if r.live and owner_of(r, known, after.links) == sku]
        want = next((d for d in world.desired if d.sku == sku), None)
        expected = 0 if want is None else max(want.fields.quantity + taken[sku], 0)
        if expected == 0:
            assert live == [], sku
        else:
            assert want is not None
            assert len(live) == 1, (sku, live)
            assert live[0].reference == sku
            assert live[0].fields == want.fields.with_quantity(expected)
    for sku in ambiguous:
        assert not [r for r in after.remote if r.live and owner_of(r, known, after.links) == sku]


def _conflicted(world: World) -> bool:
    """A link on a listing whose reference names another known sku (edited on the website to
    another of the seller's skus). The link decides while it holds; once a plan moves or drops
    it, the reference decides: such a world settles in two plans, not one. Every other world
    settles in one."""
    known = known_skus(world.desired, world.links)
    by_id = {r.listing_id: r for r in world.remote}
    for link in world.links:
        listing = by_id.get(link.listing_id or "")
        if listing is not None and listing.reference in known and listing.reference != link.sku:
            return True
    return False


def check_a_second_plan_is_empty(world: World, plan: Plan) -> None:
    after = perform(plan, world)
    again = make_plan(after.desired, after.remote, after.links, hold=world.hold, force=True)
    if _conflicted(world) and not again.is_empty():
        after = perform(again, World(after.desired, after.remote, after.links, world.hold))
        again = make_plan(after.desired, after.remote, after.links, hold=world.hold, force=True)
    assert again.is_empty(), (plan, again)
    assert again.refused is None


def check_nothing_unowned_is_touched(world: World, plan: Plan) -> None:
    known = known_skus(world.desired, world.links)
    linked = {link.listing_id for link in world.links}
    before = {r.listing_id: r for r in world.remote}
    for action in plan.actions:
        if action.listing_id is None:
            assert action.op is Op.CREATE
            continue
        target = before[action.listing_id]
        if action.op is Op.ADOPT:
            assert not target.reference
            assert target.listing_id not in linked
        else:
            assert owner_of(target, known, world.links) == action.sku
    written = {a.listing_id for a in plan.actions}
    for item in apply_to_remote(plan, world.remote):
        if item.listing_id in before and item.listing_id not in written:
            assert item == before[item.listing_id]


def check_held_and_rejected_skus_are_untouched(world: World, plan: Plan) -> None:
    frozen = _frozen_skus(world)
    assert not [a for a in plan.actions if a.sku in frozen]
    assert not [adj for adj in plan.adjustments if adj.sku in frozen]
    noted = {n.sku for n in plan.notes if n.kind in (NoteKind.HELD, NoteKind.REJECTED)}
    assert frozen & known_skus(world.desired, world.links) <= noted


def check_a_remote_decrease_is_taken_into_stock(world: World, plan: Plan) -> None:
    after = {r.listing_id: r for r in apply_to_remote(plan, world.remote)}
    by_id = {r.listing_id: r for r in world.remote}
    wants = {d.sku: d for d in world.desired}
    frozen = _frozen_skus(world)
    adjustments = {adj.sku: adj for adj in plan.adjustments}
    for link in world.links:
        listing = by_id.get(link.listing_id or "")
        pushed = link.last_pushed_quantity
        if link.sku in frozen or link.sku not in wants or listing is None or pushed is None:
            continue
        if not listing.live or listing.fields.quantity >= pushed:
            continue
        decrease = pushed - listing.fields.quantity
        adjustment = adjustments[link.sku]
        assert adjustment.delta == -decrease
        assert adjustment.remote_quantity == listing.fields.quantity
        local = wants[link.sku].fields.quantity
        if listing.fields.urn != wants[link.sku].fields.urn:
            assert after[listing.listing_id].fields.quantity == 0  # another card: off sale
            continue
        assert after[listing.listing_id].fields.quantity == max(local - decrease, 0)
        if local <= pushed:
            assert after[listing.listing_id].fields.quantity <= listing.fields.quantity
    for adjustment in plan.adjustments:  # and only linked listings that went down are adjusted
        link = next(link for link in world.links if link.sku == adjustment.sku)
        assert link.listing_id == adjustment.listing_id
        assert link.last_pushed_quantity is not None
        assert adjustment.remote_quantity is not None
        assert adjustment.remote_quantity < link.last_pushed_quantity


def check_no_create_while_an_unadopted_match_exists(world: World, plan: Plan) -> None:
    linked = {link.listing_id for link in world.links}
    adopted = {a.listing_id for a in plan.actions if a.op is Op.ADOPT}
    wants = {d.sku: d for d in world.desired}
    for action in plan.actions:
        if action.op is not Op.CREATE:
            continue
        key = wants[action.sku].fields.match_key()
        for item in world.remote:
            unreferenced = not item.reference and item.listing_id not in linked
            if unreferenced and item.fields.match_key() == key:
                assert not item.live
                assert item.listing_id in adopted


def check_plan_shape(world: World, plan: Plan, batch_size: int) -> None:
    creates = [a for a in plan.actions if a.op is Op.CREATE]
    assert sorted(a.sku for batch in plan.create_batches for a in batch) == sorted(
        a.sku for a in creates
    )
    for batch in plan.create_batches:
        assert 0 < len(batch) <= batch_size
        urns = [a.fields.urn for a in batch if a.fields]
        assert len(urns) == len(set(urns)) == len(batch)
    phases = [a.phase() for a in plan.actions]
    assert phases == sorted(phases)
    # One write per sku, besides repairs and taking a listing of another card off sale.
    wants = {d.sku: d.fields.urn for d in world.desired}
    urn_of = {r.listing_id: r.fields.urn for r in world.remote}
    other_card = {
        a.listing_id
        for a in plan.actions
        if a.op is Op.DELETE and a.sku in wants and urn_of[str(a.listing_id)] != wants[a.sku]
    }
    writes = Counter(
        a.sku
        for a in plan.actions
        if a.op is not Op.REPAIR_DELETE and a.listing_id not in other_card
    )
    assert max(writes.values(), default=0) <= 1
    targets = [a.listing_id for a in plan.actions if a.listing_id is not None]
    assert len(targets) == len(set(targets))
    json.dumps(plan.to_dict())


@EXAMPLES
@given(worlds(), st.sampled_from((1, 2, 3, 200)))
def test_properties_of_a_forced_plan(world: World, batch_size: int) -> None:
    """One generated world, every property (generating worlds is the slow part)."""
    plan = _plan(world, force=True, batch_size=batch_size)
    check_plan_shape(world, plan, batch_size)
    check_nothing_unowned_is_touched(world, plan)
    check_held_and_rejected_skus_are_untouched(world, plan)
    check_a_remote_decrease_is_taken_into_stock(world, plan)
    check_no_create_while_an_unadopted_match_exists(world, plan)
    check_the_desired_state_is_reached(world, plan)
    check_a_second_plan_is_empty(world, plan)


@FEWER
@given(worlds(), st.randoms(use_true_random=False))
def test_the_same_input_in_any_order_gives_the_same_plan(world: World, rnd: random.Random) -> None:
    def shuffled(items: tuple[object, ...]) -> list[object]:
        copy = list(items)
        rnd.shuffle(copy)
        return copy

    first = _plan(world)
    second = make_plan(
        shuffled(world.desired),  # type: ignore[arg-type]
        shuffled(world.remote),  # type: ignore[arg-type]
        shuffled(world.links),  # type: ignore[arg-type]
        hold=world.hold,
    )
    assert first == second


@FEWER
@given(worlds())
def test_a_refused_plan_changes_nothing_when_applied(world: World) -> None:
    plan = _plan(world, max_delete_share=0.0, delete_guard_min=0)
    if any(a.op is Op.DELETE for a in plan.actions):
        assert plan.refused is not None
        assert sorted(apply_to_remote(plan, world.remote), key=lambda r: r.listing_id) == sorted(
            world.remote, key=lambda r: r.listing_id
        )


def test_model_sanity_the_worlds_cover_the_interesting_cases() -> None:
    """Guard against a generator that quietly stopped producing the hard cases."""
    seen: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(worlds())
    def collect(world: World) -> None:
        plan = _plan(world, force=True)
        seen.update(a.op.value for a in plan.actions)
        seen.update(str(n.kind) for n in plan.notes)
        seen.update("adjust" for _ in plan.adjustments)
        seen.update("restock" for a in plan.actions if a.reason == "restock")
        seen.update("drift" for a in plan.actions if a.reason.startswith("drift"))

    collect()
    for case in (
        "create",
        "update",
        "delete",
        "adopt",
        "repair_delete",
        "adjust",
        "restock",
        "drift",
        "held",
        "rejected",
        "ambiguous adoption",
        "foreign",
    ):
        assert seen[case] > 0, (case, seen)
