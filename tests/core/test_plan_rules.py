"""Table tests: one or two small cases per rule of the listings planner (design.md §2)."""

from __future__ import annotations

import json

import pytest
from planner_model import card, listing

from syncd.core.listing import Desired, Link, Remote
from syncd.core.plan import Action, NoteKind, Op, Plan, make_plan
from syncd.core.simulate import apply_to_remote

OLD = "2025-01-01T00:00:00.000Z"
NEW = "2026-01-01T00:00:00.000Z"


def only(plan: Plan) -> Action:
    assert len(plan.actions) == 1, plan.actions
    return plan.actions[0]


def kinds(plan: Plan) -> list[tuple[str | None, str]]:
    return [(n.sku, str(n.kind)) for n in plan.notes]


# --- creates, updates, deletes ---------------------------------------------------------------


def test_a_new_row_is_created_and_an_unchanged_one_left_alone() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 2)), Desired("s2", card("urn:b", 1))],
        [listing("r2", "s2", card("urn:b", 1))],
        [Link("s2", "r2", 1)],
    )
    action = only(plan)
    assert (action.op, action.sku, action.reason) == (Op.CREATE, "s1", "new listing")
    assert action.fields == card("urn:a", 2)
    assert plan.create_batches == ((action,),)
    assert plan.unchanged == 1
    assert dict(plan.links) == {"s2": "r2"}


def test_quantity_zero_and_a_removed_row_are_soft_deleted_even_when_locked() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 0)), Desired("keep", card("urn:k", 1))],
        [
            listing("r1", "s1", card("urn:a", 2), locked=True),
            listing("r2", "s2", card("urn:b", 1)),
            listing("rk", "keep", card("urn:k", 1)),
        ],
        [Link("s2", "r2", 1)],  # s2 is no longer in the inventory; syncd still owns r2
    )
    assert [(a.op, a.listing_id, a.reason) for a in plan.actions] == [
        (Op.DELETE, "r1", "quantity 0 in the inventory"),
        (Op.DELETE, "r2", "not in the inventory"),
    ]
    assert all(a.decreases_quantity and a.fields is None for a in plan.actions)


def test_a_changed_row_is_updated_with_the_fields_that_differ() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 3, price=200, comment="mint"))],
        [listing("r1", "s1", card("urn:a", 3, price=150))],
        [Link("s1", "r1", 3)],
    )
    action = only(plan)
    assert action.op is Op.UPDATE
    assert action.changed == ("price", "comment")
    assert action.reason == "update: price, comment"
    assert not action.decreases_quantity


def test_blank_and_missing_optional_text_are_the_same_value() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1, comment="", notes=None))],
        [listing("r1", "s1", card("urn:a", 1, comment=None, notes=""))],
        [],
    )
    assert plan.is_empty()


# --- ownership -------------------------------------------------------------------------------


def test_a_foreign_reference_is_never_touched_nor_adopted() -> None:
    foreign = listing("x1", "other-tool-7", card("urn:a", 4))
    plan = make_plan([Desired("s1", card("urn:a", 1))], [foreign], [])
    assert only(plan).op is Op.CREATE
    assert kinds(plan) == [(None, "foreign")]
    assert "x1" in plan.notes[0].detail
    assert foreign in apply_to_remote(plan, [foreign])


def test_the_link_owns_a_listing_even_when_its_reference_was_edited() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1)), Desired("s2", card("urn:b", 0))],
        [listing("r1", "s2", card("urn:a", 1))],
        [Link("s1", "r1", 1)],
    )
    action = only(plan)
    assert (action.op, action.sku, action.changed) == (Op.UPDATE, "s1", ("reference",))
    assert action.reason == "drift corrected: reference"


# --- adoption --------------------------------------------------------------------------------


def test_a_unique_unreferenced_match_is_adopted_not_created() -> None:
    wanted = card("urn:a", 1, price=300)
    plan = make_plan([Desired("s1", wanted)], [listing("r1", "", card("urn:a", 2))], [])
    action = only(plan)
    assert (action.op, action.listing_id, action.fields) == (Op.ADOPT, "r1", wanted)
    assert action.changed == ("price", "quantity", "reference")
    assert action.decreases_quantity
    assert dict(plan.links) == {"s1": "r1"}
    adopted = apply_to_remote(plan, [listing("r1", "", card("urn:a", 2))])
    assert adopted == [listing("r1", "s1", wanted)]


def test_adoption_prefers_the_live_candidate_over_soft_deleted_ones() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1))],
        [listing("dead", None, card("urn:a", 0), OLD), listing("live", None, card("urn:a", 1))],
        [],
    )
    action = only(plan)
    assert (action.op, action.listing_id) == (Op.ADOPT, "live")
    assert action.changed == ("reference",)


@pytest.mark.parametrize(
    ("rows", "remote"),
    [
        pytest.param(["s1"], ["r1", "r2"], id="two live listings for one row"),
        pytest.param(["s1", "s2"], ["r1"], id="two rows for one live listing"),
    ],
)
def test_an_ambiguous_match_is_reported_and_nothing_is_created(
    rows: list[str], remote: list[str]
) -> None:
    plan = make_plan(
        [Desired(sku, card("urn:a", 1)) for sku in rows],
        [listing(r, None, card("urn:a", 1)) for r in remote],
        [],
    )
    assert plan.actions == ()
    assert kinds(plan) == [(sku, "ambiguous adoption") for sku in rows]
    assert "urn:a" in plan.notes[0].detail


def test_soft_deleted_candidates_are_taken_oldest_first_and_extra_rows_created() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1)), Desired("s2", card("urn:a", 2))],
        [
            listing("newer", None, card("urn:a", 0), NEW),
            listing("older", None, card("urn:a", 0), OLD),
        ],
        [],
    )
    assert [(a.op, a.sku, a.listing_id) for a in plan.actions] == [
        (Op.ADOPT, "s1", "older"),
        (Op.ADOPT, "s2", "newer"),
    ]
    assert "soft-deleted" in plan.actions[0].reason


def test_a_held_row_does_not_take_a_soft_deleted_candidate_from_another() -> None:
    plan = make_plan(
        [Desired("a-held", card("urn:a", 1)), Desired("b", card("urn:a", 1))],
        [listing("dead", None, card("urn:a", 0))],
        [],
        hold=frozenset({"a-held"}),
    )
    action = only(plan)
    assert (action.op, action.sku, action.listing_id) == (Op.ADOPT, "b", "dead")


def test_a_held_row_still_makes_a_live_match_ambiguous() -> None:
    plan = make_plan(
        [Desired("a-held", card("urn:a", 1)), Desired("b", card("urn:a", 1))],
        [listing("live", None, card("urn:a", 1))],
        [],
        hold=frozenset({"a-held"}),
    )
    assert plan.actions == ()
    assert kinds(plan) == [("a-held", "held"), ("b", "ambiguous adoption")]


def test_grading_is_part_of_the_match() -> None:
    graded = card("urn:a", 1, grading_provider="PSA", grading_score="10", grading_number="9")
    plan = make_plan([Desired("s1", graded)], [listing("r1", None, card("urn:a", 1))], [])
    assert only(plan).op is Op.CREATE


def test_a_linked_listing_is_not_an_adoption_candidate() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1)), Desired("s2", card("urn:a", 1))],
        [listing("r1", None, card("urn:a", 1))],
        [Link("s1", "r1", 1)],
    )
    assert [(a.op, a.sku) for a in plan.actions] == [(Op.UPDATE, "s1"), (Op.CREATE, "s2")]


# --- one live listing per sku ---------------------------------------------------------------


def test_duplicates_are_repaired_keeping_the_linked_listing() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1))],
        [listing("old", "s1", card("urn:a", 1), OLD), listing("new", "s1", card("urn:a", 1), NEW)],
        [Link("s1", "new", 1)],
    )
    action = only(plan)
    assert (action.op, action.listing_id, action.reason) == (
        Op.REPAIR_DELETE,
        "old",
        "duplicate of new",
    )
    assert dict(plan.links) == {"s1": "new"}


def test_duplicates_are_repaired_keeping_the_oldest_when_none_is_linked() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1))],
        [
            # 09:30Z is later than 10:00+01:00 (09:00Z): text order would get this wrong.
            listing("b", "s1", card("urn:a", 1), "2026-01-01T09:30:00Z"),
            listing("a", "s1", card("urn:a", 1), "2026-01-01T10:00:00+01:00"),
            listing("c", "s1", card("urn:a", 0), "2020-01-01T00:00:00Z"),  # soft-deleted: ignored
        ],
        [],
    )
    assert [(a.op, a.listing_id, a.reason) for a in plan.actions] == [
        (Op.REPAIR_DELETE, "b", "duplicate of a")
    ]


# --- restock ---------------------------------------------------------------------------------


def test_a_restock_reactivates_the_soft_deleted_listing() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 3))],
        [
            listing("newer", "s1", card("urn:a", 0), NEW),
            listing("older", "s1", card("urn:a", 0), OLD),
        ],
        [],
    )
    action = only(plan)
    assert (action.op, action.listing_id, action.reason) == (Op.UPDATE, "older", "restock")
    assert action.fields == card("urn:a", 3)
    assert action.changed == ("quantity",)


def test_a_restock_prefers_the_linked_soft_deleted_listing() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 3))],
        [
            listing("newer", "s1", card("urn:a", 0), NEW),
            listing("older", "s1", card("urn:a", 0), OLD),
        ],
        [Link("s1", "newer", 0)],
    )
    assert (only(plan).listing_id, dict(plan.links)) == ("newer", {"s1": "newer"})


def test_a_listing_deleted_on_the_website_is_taken_into_stock_before_a_restock() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 5))],
        [listing("r1", "s1", card("urn:a", 0))],
        [Link("s1", "r1", 2)],
    )
    assert [(a.delta, a.remote_quantity) for a in plan.adjustments] == [(-2, 0)]
    assert only(plan).fields == card("urn:a", 3)


# --- three-way quantity and drift -------------------------------------------------------------


def test_an_unexplained_remote_decrease_is_taken_into_stock() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 5))],
        [listing("r1", "s1", card("urn:a", 3))],
        [Link("s1", "r1", 5)],
    )
    [adjustment] = plan.adjustments
    assert (adjustment.sku, adjustment.listing_id, adjustment.delta) == ("s1", "r1", -2)
    assert (adjustment.reason, adjustment.remote_quantity) == ("remote_adjust", 3)
    assert plan.actions == ()  # local 5 − 2 = 3 is what the remote shows: nothing to push


def test_a_remote_decrease_to_below_local_changes_deletes_the_listing() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 2))],
        [listing("r1", "s1", card("urn:a", 1))],
        [Link("s1", "r1", 4)],  # pushed 4, the till sold 2, Managem sold 3 unseen
    )
    assert [a.delta for a in plan.adjustments] == [-3]
    action = only(plan)
    assert (action.op, action.reason) == (Op.DELETE, "remote decrease of 3 leaves none for sale")


def test_a_remote_increase_is_overwritten_as_drift() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 2))],
        [listing("r1", "s1", card("urn:a", 7))],
        [Link("s1", "r1", 2)],
    )
    action = only(plan)
    assert action.fields is not None and action.fields.quantity == 2
    assert (action.reason, action.decreases_quantity) == ("drift corrected: quantity", True)
    assert plan.adjustments == ()


def test_a_remote_field_edit_is_corrected_as_drift_and_a_local_one_is_an_update() -> None:
    row = card("urn:a", 1, price=500)
    website_edit = listing("r1", "s1", card("urn:a", 1, price=450))
    drift = make_plan(
        [Desired("s1", row)],
        [website_edit],
        [Link("s1", "r1", 1, pushed_digest=row.content_digest())],
    )
    assert only(drift).reason == "drift corrected: price"
    local = make_plan(
        [Desired("s1", row)],
        [website_edit],
        [Link("s1", "r1", 1, pushed_digest=card("urn:a", 1, price=450).content_digest())],
    )
    assert only(local).reason == "update: price"
    unknown = make_plan([Desired("s1", row)], [website_edit], [Link("s1", "r1", 1)])
    assert only(unknown).reason == "update: price"


def test_last_pushed_quantity_of_another_listing_is_not_used() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 5))],
        [listing("r2", "s1", card("urn:a", 1))],
        [Link("s1", "r1", 5)],  # r1 is gone; r2 was made some other way
    )
    assert plan.adjustments == ()
    assert only(plan).fields == card("urn:a", 5)
    assert dict(plan.links) == {"s1": "r2"}


# --- hold, rejections, awaiting index --------------------------------------------------------


def test_a_held_sku_gets_nothing() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 5))],
        [listing("r1", "s1", card("urn:a", 1)), listing("r2", "s1", card("urn:a", 1))],
        [Link("s1", "r1", 4)],
        hold=frozenset({"s1"}),
    )
    assert plan.is_empty()
    assert kinds(plan) == [("s1", "held")]
    assert dict(plan.links) == {"s1": "r1"}


def test_a_rejected_row_waits_until_it_changes() -> None:
    row = card("urn:a", 1, price=100)
    link = Link("s1", None, None, rejected_digest=row.digest(), rejected_reason="400: bad urn")
    plan = make_plan([Desired("s1", row)], [], [link])
    assert plan.is_empty()
    assert [(n.kind, n.detail) for n in plan.notes] == [
        (NoteKind.REJECTED, "rejected earlier: 400: bad urn")
    ]
    changed = make_plan([Desired("s1", row.with_quantity(2))], [], [link])
    assert only(changed).op is Op.CREATE


def test_a_create_not_indexed_yet_is_made_again_once_not_held() -> None:
    link = Link("s1", None, 1)
    held = make_plan([Desired("s1", card("urn:a", 1))], [], [link], hold=frozenset({"s1"}))
    assert held.is_empty()
    again = make_plan([Desired("s1", card("urn:a", 1))], [], [link])
    action = only(again)
    assert (action.op, action.reason) == (
        Op.CREATE,
        "create again: the earlier create is not on the remote",
    )


def test_a_created_listing_is_learnt_from_its_reference() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1))],
        [listing("r9", "s1", card("urn:a", 1))],
        [Link("s1", None, 1)],
    )
    assert plan.is_empty()
    assert dict(plan.links) == {"s1": "r9"}


# --- guards ----------------------------------------------------------------------------------


def _shop(live: int, deleting: int, **options: object) -> Plan:
    desired = [Desired(f"s{i:02}", card(f"urn:{i}", 0 if i < deleting else 1)) for i in range(live)]
    remote = [listing(f"r{i:02}", f"s{i:02}", card(f"urn:{i}", 1)) for i in range(live)]
    return make_plan(desired, remote, [], **options)  # type: ignore[arg-type]


def test_a_mass_delete_is_refused_unless_forced() -> None:
    refused = _shop(20, 6)
    assert refused.refused is not None and "6 of 20" in refused.refused
    assert refused.counts()["delete"] == 6  # kept for display
    assert apply_to_remote(refused, [listing("r00", "s00", card("urn:0", 1))]) == [
        listing("r00", "s00", card("urn:0", 1))
    ]
    forced = _shop(20, 6, force=True)
    assert forced.refused is None
    assert [n.kind for n in forced.notes] == [NoteKind.FORCED]


@pytest.mark.parametrize(
    ("live", "deleting", "options", "refused"),
    [
        pytest.param(20, 4, {}, False, id="20% of 20 is allowed"),
        pytest.param(10, 5, {}, False, id="5 deletes never trip the share"),
        pytest.param(100, 21, {}, True, id="21%"),
        pytest.param(100, 21, {"max_delete_share": 0.5}, False, id="configured share"),
        pytest.param(10, 3, {"delete_guard_min": 2}, True, id="configured minimum"),
    ],
)
def test_delete_guard_thresholds(
    live: int, deleting: int, options: dict[str, object], refused: bool
) -> None:
    assert (_shop(live, deleting, **options).refused is not None) is refused


def test_an_inventory_with_nothing_for_sale_is_refused() -> None:
    plan = make_plan([], [listing("r1", "s1", card("urn:a", 1))], [Link("s1", "r1", 1)])
    assert plan.refused is not None and "inventory came back empty" in plan.refused
    assert (
        make_plan([], [listing("r1", "s1", card("urn:a", 0))], [Link("s1", "r1", 0)]).refused
        is None
    )
    assert make_plan([], [listing("x", "foreign", card("urn:a", 1))], []).refused is None


def test_duplicate_repairs_do_not_count_towards_the_guard() -> None:
    remote = [
        listing(f"r{i}", "s1", card("urn:a", 1), f"2026-01-0{i + 1}T00:00:00Z") for i in range(8)
    ]
    plan = make_plan([Desired("s1", card("urn:a", 1))], remote, [])
    assert plan.counts()["repair_delete"] == 7
    assert plan.refused is None


# --- plan shape ------------------------------------------------------------------------------


def test_actions_are_ordered_to_under_list_rather_than_oversell() -> None:
    plan = make_plan(
        [
            Desired("a-new", card("urn:n", 1)),
            Desired("b-up", card("urn:u", 5)),
            Desired("c-down", card("urn:d", 1)),
            Desired("d-gone", card("urn:g", 0)),
        ],
        [
            listing("ru", "b-up", card("urn:u", 1)),
            listing("rd", "c-down", card("urn:d", 4)),
            listing("rg", "d-gone", card("urn:g", 2)),
        ],
        [],
    )
    assert [(a.op, a.sku) for a in plan.actions] == [
        (Op.UPDATE, "c-down"),
        (Op.DELETE, "d-gone"),
        (Op.UPDATE, "b-up"),
        (Op.CREATE, "a-new"),
    ]


def test_creates_sharing_a_urn_go_to_different_batches() -> None:
    desired = [Desired(f"s{i}", card("urn:same", 1, price=100 + i)) for i in range(3)]
    desired += [Desired("t", card("urn:other", 1))]
    plan = make_plan(desired, [], [])
    assert [sorted(a.sku for a in batch) for batch in plan.create_batches] == [
        ["s0", "t"],
        ["s1"],
        ["s2"],
    ]


def test_counts_and_json_view() -> None:
    plan = make_plan(
        [Desired("s1", card("urn:a", 1)), Desired("s2", card("urn:b", 5))],
        [listing("r2", "s2", card("urn:b", 3))],
        [Link("s2", "r2", 4)],
    )
    assert plan.counts() == {
        "create": 1,
        "update": 1,
        "delete": 0,
        "adopt": 0,
        "repair_delete": 0,
        "adjust": 1,
        "unchanged": 0,
    }
    view = json.loads(json.dumps(plan.to_dict()))
    assert view["actions"][0]["op"] == "update"
    assert view["actions"][0]["fields"]["quantity"] == 4
    assert view["create_batches"] == [["s1"]]
    assert view["adjustments"][0]["delta"] == -1
    assert view["links"] == {"s2": "r2"}


# --- inputs ----------------------------------------------------------------------------------


def test_repeated_keys_in_the_input_are_a_shell_bug() -> None:
    row = Desired("s1", card("urn:a", 1))
    with pytest.raises(ValueError, match="inventory sku 's1'"):
        make_plan([row, row], [], [])
    with pytest.raises(ValueError, match="linked listing id 'r1'"):
        make_plan([], [], [Link("s1", "r1", 1), Link("s2", "r1", 1)])
    twice = listing("r1", "s1", card("urn:a", 1))
    assert make_plan([row], [twice, twice], []).is_empty()  # paging overlap: harmless
    with pytest.raises(ValueError, match="listing 'r1' appears twice"):
        make_plan([row], [twice, listing("r1", "s1", card("urn:a", 2))], [])


def test_the_same_input_gives_an_equal_plan() -> None:
    def build() -> Plan:
        remote: list[Remote] = [
            listing("r1", None, card("urn:a", 2)),
            listing("r2", "s2", card("urn:b", 1)),
        ]
        return make_plan(
            [Desired("s1", card("urn:a", 1)), Desired("s2", card("urn:b", 0))], remote, []
        )

    assert build() == build()
