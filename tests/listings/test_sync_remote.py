"""What the remote brings: hand-made listings (adoption), website edits, duplicates, refusals."""

from __future__ import annotations

from typing import Any

from syncd.storage.tables import ListingLink, StockLedger


def _learn(world: Any) -> dict[str, str]:
    assert world.sync().status == "ok"
    world.advance(10)
    assert world.sync().status == "ok"
    return {ref: listings[0]["id"] for ref, listings in world.live().items()}


def test_listings_made_by_hand_are_adopted_not_duplicated(world: Any) -> None:
    urns = world.urns
    handmade = world.sandbox.seed_listing(
        urn=urns[0], condition="NM", language="English", price=100, quantity=1
    )
    stranger = world.sandbox.seed_listing(urn=urns[900], price=100, quantity=1)
    twin_a = world.sandbox.seed_listing(urn=urns[1], price=100, quantity=1)
    twin_b = world.sandbox.seed_listing(urn=urns[1], price=120, quantity=1)
    world.stock(3)  # sku-00000 matches the hand-made one; sku-00001 matches two: ambiguous

    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert (outcome.counts["adopted"], outcome.counts["created"]) == (1, 1)
    assert outcome.counts["unmatched"] == 1
    by_id = {listing["id"]: listing for listing in world.sandbox.listings()}
    adopted = by_id[handmade["id"]]
    assert (adopted["reference"], adopted["quantity"], adopted["price"]) == ("sku-00000", 2, 150)
    # never touched: a listing matching no row, and the two candidates nobody can choose from
    for untouched in (stranger, twin_a, twin_b):
        assert by_id[untouched["id"]] == {
            **untouched,
            "item": by_id[untouched["id"]]["item"],
            "seller": by_id[untouched["id"]]["seller"],
        }
    assert "sku-00001" not in world.live()
    assert [ls["reference"] for ls in world.live()["sku-00002"]] == ["sku-00002"]
    assert len(world.sandbox.listings()) == 5  # one create, nothing else new


def test_a_website_edit_is_corrected_and_a_decrease_is_taken_into_stock(world: Any) -> None:
    world.stock(3, quantity=5)
    ids = _learn(world)
    world.sandbox.seller_edit(ids["sku-00000"], price=9999, comment="edited online")
    edited = world.sandbox.seller_edit(ids["sku-00001"], quantity=3)
    world.sandbox.reset_stats()

    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert outcome.counts["updated"] == 1 and outcome.counts["adjusted"] == 1
    assert world.calls()["PUT /seller/listings/{id}"] == 1  # only the drift; no push back up
    world.assert_converged()
    assert world.quantity("sku-00001") == 3
    ledger = [row for row in world.rows(StockLedger) if row.reason == "remote_adjust"]
    assert [(r.sku, r.delta, r.open_quantity, r.source_id) for r in ledger] == [
        ("sku-00001", -2, 2, f"{ids['sku-00001']}@{edited['updatedAt']}")
    ]
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00001"]
    assert link.last_pushed_quantity == 3

    world.sandbox.reset_stats()
    again = world.sync()
    assert again.status == "ok" and world.writes() == 0
    assert len([r for r in world.rows(StockLedger) if r.reason == "remote_adjust"]) == 1


def test_two_live_listings_of_one_sku_are_repaired_keeping_the_oldest(world: Any) -> None:
    urn = world.urns[0]
    old = world.sandbox.seed_listing(
        urn=urn, price=150, quantity=2, reference="sku-00000", createdAt="2026-01-01T00:00:00.000Z"
    )
    new = world.sandbox.seed_listing(
        urn=urn, price=150, quantity=2, reference="sku-00000", createdAt="2026-02-01T00:00:00.000Z"
    )
    world.stock(1)
    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert outcome.counts["repaired"] == 1 and outcome.counts["created"] == 0
    assert [ls["id"] for ls in world.live()["sku-00000"]] == [old["id"]]
    assert {ls["id"]: ls["quantity"] for ls in world.sandbox.listings()}[new["id"]] == 0


def test_a_rejected_create_is_recorded_and_not_retried_until_the_row_changes(world: Any) -> None:
    world.stock(2)
    world.set_row("sku-00001", urn="urn:managem:pokemon:set/nowhere/card/1")
    first = world.sync()
    assert first.status == "failed" and first.counts["rejected"] == 1
    assert first.counts["created"] == 1
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00001"]
    assert link.rejected_reason == "bulk create failed; Managem gives no reason"
    assert link.listing_id is None

    world.advance(10)
    world.sandbox.reset_stats()
    second = world.sync()
    assert second.status == "ok", second.message
    assert world.writes() == 0

    world.set_row("sku-00001", urn=world.urns[1])
    third = world.sync()
    assert third.status == "ok" and third.counts["created"] == 1
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00001"]
    assert link.rejected_digest is None


def test_a_rejected_update_waits_for_a_change_and_a_locked_delete_for_the_next_cycle(
    world: Any,
) -> None:
    world.stock(3)
    ids = _learn(world)
    world.sandbox.script_faults(
        [{"method": "PUT", "path": "/seller/listings/", "fault": "error", "status": 422}]
    )
    world.set_row("sku-00000", price=777)
    world.sandbox.seller_edit(ids["sku-00001"], locked=True)
    world.set_row("sku-00001", quantity=0)
    outcome = world.sync()
    assert outcome.status == "failed"
    assert (outcome.counts["rejected"], outcome.counts["locked"]) == (1, 1)
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00000"]
    assert link.rejected_reason is not None and link.rejected_reason.startswith("422")

    world.sandbox.seller_edit(ids["sku-00001"], locked=False)
    world.sandbox.reset_stats()
    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert world.calls()["PUT /seller/listings/{id}"] == 0  # rejected: not retried unchanged
    assert outcome.counts["deleted"] == 1

    world.set_row("sku-00000", price=778)
    outcome = world.sync()
    assert outcome.status == "ok" and outcome.counts["updated"] == 1
    world.assert_converged()


def test_a_locked_update_is_tried_again_next_cycle_not_recorded_as_rejected(world: Any) -> None:
    world.stock(2, quantity=5)
    _learn(world)
    world.set_row("sku-00000", quantity=1)  # sold in the shop: the listing must go down
    world.sandbox.script_faults(
        [{"method": "PUT", "path": "/seller/listings/", "fault": "error", "status": 423}]
    )
    outcome = world.sync()
    assert outcome.counts["locked"] == 1 and "rejected" not in outcome.message
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00000"]
    assert link.rejected_digest is None

    world.sandbox.script_faults([])
    outcome = world.sync()
    assert outcome.status == "ok" and outcome.counts["updated"] == 1
    world.assert_converged()
