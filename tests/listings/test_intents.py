"""Resolving intents left open by earlier runs (pure: rows in, decisions out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.core.listing import ListingFields
from syncd.jobs.listings_intents import draft_for, fields_from_payload, settle
from syncd.storage.listings import IntentRow, LinkRow, MirrorRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GRACE = 60.0
FIELDS = ListingFields("urn:a", "NM", "English", 150, 3)


def _mirror(listing_id: str, reference: str | None, quantity: int = 3, **kw: Any) -> MirrorRow:
    return MirrorRow(
        listing_id=listing_id,
        reference=reference,
        urn="urn:a",
        condition="NM",
        language="English",
        price=kw.pop("price", 150),
        quantity=quantity,
        remote_created_at=kw.pop("created", "2026-03-01T11:00:00.000Z"),
        **kw,
    )


def _intent(op: str, *, age: float, listing_id: str | None = None, **payload: Any) -> IntentRow:
    fields = ListingFields(
        "urn:a", "NM", "English", payload.pop("price", 150), payload.pop("quantity", 3)
    )
    draft = draft_for("s1", fields)
    body = (
        {}
        if op in ("delete", "repair_delete")
        else draft.to_create_body()
        if op == "create"
        else draft.to_update_body()
    )
    return IntentRow(
        id=1,
        run_id="r",
        sku="s1",
        op=op,
        listing_id=listing_id,
        payload=body,
        state="ambiguous",
        created_at=NOW - timedelta(seconds=age),
    )


def test_a_create_found_on_the_remote_was_applied_and_gets_linked() -> None:
    mirror = {"L1": _mirror("L1", "s1")}
    settled = settle([_intent("create", age=5)], mirror, {}, now=NOW, grace=GRACE)
    assert settled.intent_states == {1: ("resolved_applied", "listing L1")}
    assert settled.hold == {}
    link = settled.links({})["s1"]
    assert (link.listing_id, link.last_pushed_quantity) == ("L1", 3)
    assert link.last_pushed_digest == FIELDS.content_digest()


def test_a_young_create_not_seen_yet_is_held_and_left_open() -> None:
    settled = settle([_intent("create", age=5)], {}, {}, now=NOW, grace=GRACE)
    assert "s1" in settled.hold
    assert settled.intent_states == {}


def test_an_old_create_not_seen_is_resolved_absent() -> None:
    settled = settle([_intent("create", age=120)], {}, {}, now=NOW, grace=GRACE)
    assert settled.intent_states[1][0] == "resolved_absent"
    assert settled.hold == {}


def test_a_create_with_two_listings_links_the_oldest_live_one() -> None:
    mirror = {
        "L2": _mirror("L2", "s1", created="2026-03-01T11:30:00.000Z"),
        "L1": _mirror("L1", "s1", created="2026-03-01T11:10:00.000Z"),
        "L0": _mirror("L0", "s1", quantity=0, created="2026-03-01T10:00:00.000Z"),
    }
    settled = settle([_intent("create", age=5)], mirror, {}, now=NOW, grace=GRACE)
    assert settled.links({})["s1"].listing_id == "L1"


def test_an_unknown_update_lowers_what_was_pushed_but_never_raises_it() -> None:
    link = {"s1": LinkRow("s1", "L1", "urn:a", last_pushed_quantity=5)}
    lower = _intent("update", age=5, listing_id="L1", quantity=2)
    settled = settle([lower], {"L1": _mirror("L1", "s1", quantity=5)}, link, now=NOW, grace=GRACE)
    assert settled.intent_states[1][0] == "resolved_absent"
    assert settled.links(link)["s1"].last_pushed_quantity == 2

    higher = _intent("update", age=5, listing_id="L1", quantity=9)
    settled = settle([higher], {"L1": _mirror("L1", "s1", quantity=5)}, link, now=NOW, grace=GRACE)
    assert settled.links(link)["s1"].last_pushed_quantity == 5


def test_an_update_the_remote_shows_was_applied() -> None:
    link = {"s1": LinkRow("s1", "L1", "urn:a", last_pushed_quantity=5)}
    intent = _intent("update", age=5, listing_id="L1", quantity=4, price=175)
    mirror = {"L1": _mirror("L1", "s1", quantity=4, price=175)}
    settled = settle([intent], mirror, link, now=NOW, grace=GRACE)
    assert settled.intent_states[1][0] == "resolved_applied"
    after = settled.links(link)["s1"]
    assert after.last_pushed_quantity == 4
    assert (
        after.last_pushed_digest
        == fields_from_payload(intent.payload, urn="urn:a").content_digest()
    )


def test_a_link_awaiting_its_id_is_learnt_or_held() -> None:
    link = {"s1": LinkRow("s1", None, "urn:a", 3, created_at=NOW - timedelta(seconds=5))}
    settled = settle([], {"L9": _mirror("L9", "s1")}, link, now=NOW, grace=GRACE)
    assert settled.links(link)["s1"].listing_id == "L9"
    assert settled.hold == {}

    settled = settle([], {}, link, now=NOW, grace=GRACE)
    assert list(settled.hold) == ["s1"]

    old = {"s1": LinkRow("s1", None, "urn:a", 3, created_at=NOW - timedelta(seconds=600))}
    assert settle([], {}, old, now=NOW, grace=GRACE).hold == {}


def test_payload_round_trip() -> None:
    fields = ListingFields("urn:a", "EX", "Japanese", 2500, 1, True, "c", "n", "PSA", "9", "1")
    draft = draft_for("s1", fields)
    assert fields_from_payload(draft.to_create_body()) == fields
    assert fields_from_payload(draft.to_update_body(), urn="urn:a") == fields
    assert draft.to_create_body()["reference"] == "s1"


def test_an_id_is_learnt_only_from_a_listing_of_the_linked_card() -> None:
    # The row's urn changed: the old card's listing (soft-deleted, same reference) is not the
    # new listing, which the search index has not shown yet.
    old_card = {"OLD": _mirror("OLD", "s1", quantity=0, created="2025-01-01T00:00:00.000Z")}
    link = LinkRow(
        "s1", None, "urn:b", last_pushed_quantity=3, created_at=NOW - timedelta(seconds=600)
    )
    settled = settle([], old_card, {"s1": link}, now=NOW, grace=GRACE)
    assert settled.links({"s1": link})["s1"].listing_id is None


def test_an_open_create_is_not_resolved_by_a_listing_of_another_card() -> None:
    old_card = {"OLD": _mirror("OLD", "s1", quantity=0, created="2025-01-01T00:00:00.000Z")}
    intent = replace(_intent("create", age=5), payload={**_intent("create", age=5).payload})
    intent.payload["urn"] = "urn:b"
    settled = settle([intent], old_card, {}, now=NOW, grace=GRACE)
    assert settled.intent_states == {}
    assert "s1" in settled.hold  # still within the grace: waiting for the index
