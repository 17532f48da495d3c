"""Local changes reach Managem: prices, quantity 0, removed rows, restocks; own-price history."""

from __future__ import annotations

from typing import Any

from syncd.storage.tables import ListingLink, OwnPrice, WriteIntent


def _synced(world: Any, n: int) -> dict[str, str]:
    """Stock ``n`` rows, sync, and learn the ids; returns sku → listing id."""
    world.stock(n)
    assert world.sync().status == "ok"
    world.advance(10)
    assert world.sync().status == "ok"
    return {ref: listings[0]["id"] for ref, listings in world.live().items()}


def test_price_quantity_zero_removal_and_restock(world: Any) -> None:
    ids = _synced(world, 10)
    world.set_row("sku-00000", price=999)
    world.set_row("sku-00001", quantity=0)
    world.remove_row("sku-00002")
    world.set_row("sku-00003", quantity=7)
    world.sandbox.reset_stats()

    outcome = world.sync()
    assert outcome.status == "ok", outcome.message
    assert (outcome.counts["updated"], outcome.counts["deleted"]) == (2, 2)
    assert outcome.counts["created"] == 0
    calls = world.calls()
    assert calls["PUT /seller/listings/{id}"] == 2
    assert calls["DELETE /seller/listings/{id}"] == 2
    world.assert_converged()
    by_id = {listing["id"]: listing for listing in world.sandbox.listings()}
    assert by_id[ids["sku-00001"]]["quantity"] == 0  # soft-deleted, kept
    assert by_id[ids["sku-00002"]]["quantity"] == 0

    # the pushed price is remembered as the seller's own (changed in the table directly)
    prices = [(p.sku, p.price, p.reason) for p in world.rows(OwnPrice) if p.sku == "sku-00000"]
    assert prices[-1] == ("sku-00000", 999, "manual")

    world.sandbox.reset_stats()
    assert world.sync().status == "ok"
    assert world.writes() == 0

    # restock: the same listing comes back through PUT, never a second create
    world.set_row("sku-00001", quantity=4)
    world.sandbox.reset_stats()
    outcome = world.sync()
    assert outcome.status == "ok" and outcome.counts["updated"] == 1
    assert world.calls()["POST /seller/listings/bulk"] == 0
    assert world.live()["sku-00001"][0]["id"] == ids["sku-00001"]
    world.assert_converged()
    link = {link.sku: link for link in world.rows(ListingLink)}["sku-00001"]
    assert (link.listing_id, link.last_pushed_quantity) == (ids["sku-00001"], 4)


def test_every_write_has_an_intent_with_its_outcome(world: Any) -> None:
    _synced(world, 3)
    world.set_row("sku-00000", price=321)
    world.set_row("sku-00001", quantity=0)
    world.sync()
    intents = sorted(world.rows(WriteIntent), key=lambda i: i.id)
    assert [(i.op, i.state) for i in intents[3:]] == [("delete", "ok"), ("update", "ok")]
    update = intents[-1]
    assert '"price":321' in update.payload and '"reference":"sku-00000"' in update.payload
    assert update.finished_at is not None and update.listing_id is not None
