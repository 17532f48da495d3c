"""Identity changes made in the inventory table: a row's card (urn) changed, a row renamed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from syncd.storage.tables import InventoryItem, ListingLink


def _synced(world: Any, n: int) -> dict[str, str]:
    world.stock(n)
    assert world.sync().status == "ok"
    world.advance(10)
    assert world.sync().status == "ok"
    return {ref: listings[0]["id"] for ref, listings in world.live().items()}


def test_a_changed_urn_lists_the_new_card_and_takes_the_old_one_off_sale(world: Any) -> None:
    ids = _synced(world, 2)
    world.set_row("sku-00000", urn=world.urns[500])

    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    by_id = {listing["id"]: listing for listing in world.sandbox.listings()}
    assert by_id[ids["sku-00000"]]["quantity"] == 0  # the old card is no longer for sale
    world.advance(10)
    world.sync()  # learns the new listing's id
    world.assert_converged()
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00000"]
    assert link.listing_id not in (None, ids["sku-00000"])

    world.sandbox.reset_stats()
    assert world.sync().status == "ok"
    assert world.writes() == 0  # settled: no PUT every cycle
    assert world.quantity("sku-00000") == 2  # nothing taken into stock on the way


def test_a_renamed_row_moves_to_a_new_listing(world: Any) -> None:
    ids = _synced(world, 2)
    with world.app.db.transaction() as session:
        session.execute(
            update(InventoryItem).where(InventoryItem.sku == "sku-00000").values(sku="renamed-0")
        )
    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert (outcome.counts["deleted"], outcome.counts["created"]) == (1, 1)
    world.advance(10)
    world.sync()
    world.assert_converged()
    assert world.live()["renamed-0"][0]["id"] != ids["sku-00000"]
    assert world.quantity("renamed-0") == 2


def test_a_sku_managem_would_trim_is_reported_not_created_again_and_again(world: Any) -> None:
    # A till wrote the row directly; Managem trims a reference, so a listing created for this
    # sku would never be found again under it.
    world.stock(1)
    with world.app.db.transaction() as session:
        session.execute(
            update(InventoryItem).where(InventoryItem.sku == "sku-00000").values(sku="padded ")
        )
    outcomes = []
    for _ in range(3):
        outcomes.append(world.sync())
        world.advance(10)
    assert sum(len(found) for found in world.live().values()) == 0
    assert outcomes[-1].status == "ok"
    assert outcomes[-1].counts.get("rejected", 0) == 0
