"""A row whose card (urn) changed: Managem cannot change a listing's urn (``PUT`` has no urn,
managem-api.md §4.1), so no write to the old listing can ever make it the row's listing."""

from __future__ import annotations

from types import MappingProxyType

from planner_model import World, card, listing, perform

from syncd.core.listing import Desired, Link
from syncd.core.plan import Action, NoteKind, Op, Plan, make_plan
from syncd.core.simulate import apply_to_remote

OLD = "2025-01-01T00:00:00.000Z"


def test_a_changed_urn_takes_the_old_listing_off_sale_and_creates_one_of_the_new_card() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:b", 3))],
        [listing("r1", "s1", card("urn:a", 3))],
        [Link("s1", "r1", 3)],
    )
    assert [(a.op, a.listing_id) for a in plan.actions] == [
        (Op.DELETE, "r1"),
        (Op.CREATE, None),
    ]
    assert plan.actions[1].fields == card("urn:b", 3)
    assert "urn" in plan.actions[0].reason


def test_a_soft_deleted_listing_of_another_card_is_not_restocked() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:b", 2))],
        [listing("r1", "s1", card("urn:a", 0))],
        [Link("s1", "r1", 0)],
    )
    [action] = plan.actions
    assert (action.op, action.fields) == (Op.CREATE, card("urn:b", 2))


def test_a_decrease_on_the_old_card_is_still_taken_into_stock() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:b", 5))],
        [listing("r1", "s1", card("urn:a", 3))],
        [Link("s1", "r1", 5)],  # two went on Managem that no order explains yet
    )
    assert [(a.delta, a.remote_quantity) for a in plan.adjustments] == [(-2, 3)]
    create = plan.actions[-1]
    assert (create.op, create.fields) == (Op.CREATE, card("urn:b", 3))


def test_the_right_card_is_kept_and_the_other_taken_off_sale() -> None:
    # A failed delete left the old card live next to the new one: keep the new card.
    plan = make_plan(
        [Desired("s1", card("urn:b", 2))],
        [listing("old", "s1", card("urn:a", 2), OLD), listing("new", "s1", card("urn:b", 2))],
        [Link("s1", "old", 2)],
    )
    assert [(a.op, a.listing_id) for a in plan.actions] == [(Op.DELETE, "old")]
    assert dict(plan.links) == {"s1": "new"}


def test_a_listing_read_without_its_card_is_not_taken_for_another_card() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:b", 2))],
        [listing("r1", "s1", card("", 2))],
        [Link("s1", "r1", 2)],
    )
    assert plan.actions == ()  # nothing deleted, and no PUT that could never settle the urn
    assert dict(plan.links) == {"s1": "r1"}


def test_a_listing_read_without_its_card_is_still_corrected_on_its_other_fields() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:b", 2, price=2500))],
        [listing("r1", "s1", card("", 2))],
        [Link("s1", "r1", 2)],
    )
    [action] = plan.actions
    assert (action.op, action.changed) == (Op.UPDATE, ("price",))


def test_the_simulated_remote_keeps_a_listing_urn_on_update() -> None:
    update = Action(Op.UPDATE, "s1", "r1", card("urn:b", 3, price=999), "update: urn, price")
    plan = Plan((update,), (), (), MappingProxyType({"s1": "r1"}), (), None, 0)
    [after] = apply_to_remote(plan, [listing("r1", "s1", card("urn:a", 3))])
    assert after.fields == card("urn:a", 3, price=999)


def test_a_sku_with_spaces_around_it_gets_a_note_and_no_write() -> None:
    plan = make_plan(
        [Desired("padded ", card("urn:a", 2)), Desired("ok", card("urn:b", 1))],
        [listing("r0", None, card("urn:a", 2))],  # would otherwise be adopted
        [],
    )
    assert [(a.op, a.sku) for a in plan.actions] == [(Op.CREATE, "ok")]
    assert [(n.sku, n.kind) for n in plan.notes] == [("padded ", NoteKind.REJECTED)]


def test_a_row_whose_old_card_sold_out_does_not_block_another_rows_adoption() -> None:
    # s0's row moved to urn:a; its linked listing of the old card sold its last copy, which
    # leaves s0 with none for sale: s5 alone matches the unreferenced listing, so it adopts it.
    plan = make_plan(
        [Desired("s0", card("urn:a", 1)), Desired("s5", card("urn:a", 1))],
        [listing("r1", "s0", card("urn:b", 0)), listing("r0", None, card("urn:a", 1))],
        [Link("s0", "r1", 1)],
    )
    assert [(a.sku, a.delta) for a in plan.adjustments] == [("s0", -1)]
    assert [(a.op, a.sku, a.listing_id) for a in plan.actions] == [(Op.ADOPT, "s5", "r0")]
    assert not plan.notes


def test_a_linked_listing_whose_reference_names_another_sku_settles_in_two_plans() -> None:
    # r1 is linked to s0 but its reference was edited on the website to s2. The link decides
    # while it holds (s2 owns nothing and the two unreferenced listings are ambiguous for s2
    # and s3); once s0 keeps its live r0 instead, r1 is s2's by its reference and restocked.
    desired = tuple(Desired(sku, card("urn:a", 1)) for sku in ("s0", "s2", "s3"))
    remote = (
        listing("r0", "s0", card("urn:a", 1)),
        listing("r1", "s2", card("urn:a", 0)),
        listing("r2", None, card("urn:a", 1)),
        listing("r3", None, card("urn:a", 1)),
    )
    world = World(desired, remote, (Link("s0", "r1", 0),), frozenset())
    first = make_plan(world.desired, world.remote, world.links)
    assert first.actions == () and dict(first.links) == {"s0": "r0"}
    assert {(n.sku, n.kind) for n in first.notes} == {
        ("s2", NoteKind.AMBIGUOUS),
        ("s3", NoteKind.AMBIGUOUS),
    }
    after = perform(first, world)
    world = World(after.desired, after.remote, after.links, frozenset())
    second = make_plan(world.desired, world.remote, world.links)
    assert [(a.op, a.sku, a.listing_id) for a in second.actions] == [(Op.UPDATE, "s2", "r1")]
    after = perform(second, world)
    assert make_plan(after.desired, after.remote, after.links).actions == ()
