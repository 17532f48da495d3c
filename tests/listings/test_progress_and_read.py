"""The progress bar, and when a read is full or incremental."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from syncd.jobs.listings_read import full_read_due, newest_mark
from syncd.progress import Progress
from syncd.storage.listings import MirrorRow
from syncd.storage.tables import RemoteListing


def test_progress_draws_on_the_stream_and_erases_itself() -> None:
    out = io.StringIO()
    with Progress("listings", 4, enabled=True, stream=out) as bar:
        for _ in range(4):
            bar.advance()
        assert bar.line() == "listings [" + "#" * 30 + "] 4/4"
    text = out.getvalue()
    assert "4/4" in text and text.endswith("\r")
    quiet = io.StringIO()
    with Progress("listings", 4, enabled=False, stream=quiet) as bar:
        bar.advance(2)
    assert quiet.getvalue() == "" and bar.done == 2


def test_full_read_when_there_is_no_mark_or_the_last_full_one_is_old() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert full_read_due(None, None, now, 3600)
    assert full_read_due("2026-03-01T11:59:00.000Z", None, now, 3600)
    assert not full_read_due("2026-03-01T11:59:00.000Z", "2026-03-01T11:30:00.000Z", now, 3600)
    assert full_read_due("2026-03-01T11:59:00.000Z", "2026-03-01T10:59:59.000Z", now, 3600)


def test_the_mark_is_the_newest_of_the_read_start_and_what_was_seen() -> None:
    def row(updated: str | None) -> MirrorRow:
        return MirrorRow("L", None, "u", "NM", "English", 1, 1, remote_updated_at=updated)

    start = "2026-03-01T12:00:00.000Z"
    assert newest_mark(start, ()) == start
    assert newest_mark(start, (row("2026-03-01T11:00:00.000Z"), row(None))) == start
    later = "2026-03-01T12:00:05.123Z"
    assert newest_mark(start, (row(later),)) == later


def test_a_periodic_full_read_drops_listings_that_are_gone(make_world: Any) -> None:
    world = make_world(schedule={"full_resync_interval": 60.0})
    world.stock(3)
    world.sync()
    world.advance(10)
    world.sync()
    with world.app.db.transaction() as session:
        session.add(
            RemoteListing(
                listing_id="ghost",
                reference=None,
                urn="u",
                condition="NM",
                language="English",
                price=1,
                quantity=1,
                seen_at=world.clock.now(),
            )
        )
    world.advance(10)
    assert world.sync().counts["read"] == "incremental"
    assert "ghost" in {r.listing_id for r in world.rows(RemoteListing)}
    world.advance(60)
    outcome = world.sync()
    assert outcome.counts["read"] == "full" and outcome.counts["seen"] == 3
    assert {r.listing_id for r in world.rows(RemoteListing)} == {
        ls["id"] for ls in world.sandbox.listings()
    }
