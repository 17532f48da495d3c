"""First sync, idempotence, price and quantity changes, removals and restocks, end to end."""

from __future__ import annotations

from typing import Any

from syncd.storage.tables import ListingLink, WriteIntent


def test_first_sync_creates_everything_and_the_second_writes_nothing(world: Any) -> None:
    world.stock(500)
    first = world.sync()
    assert first.status == "ok", first.message
    assert first.counts["created"] == 500
    world.assert_converged()
    calls = world.calls()
    assert calls["POST /seller/listings/bulk"] == 3  # 500 in batches of ≤ 200
    assert calls["POST /seller/listings"] == 0
    intents = world.rows(WriteIntent)
    assert len(intents) == 500 and {i.state for i in intents} == {"ok"}

    world.advance(10)  # past the overlap, as a daemon's next cycle would be
    world.sandbox.reset_stats()
    second = world.sync()
    assert second.status == "ok", second.message
    assert world.writes() == 0
    # the ids of the new listings are learnt on this read, joined on reference
    links = world.rows(ListingLink)
    by_ref = {ref: ls[0]["id"] for ref, ls in world.live().items()}
    assert {link.sku: link.listing_id for link in links} == by_ref

    world.sandbox.reset_stats()
    third = world.sync()
    assert third.status == "ok" and world.writes() == 0
    assert second.counts["read"] == third.counts["read"] == "incremental"
    assert world.calls()["POST /seller/listings/search"] == 1  # an idle cycle costs one page
