"""Reading the seller's listings for the listings sync: a full read or an incremental one.

A full read pages through every listing, oldest created first (a stable order: listings made
while we read land at the end). An incremental read pages newest ``updatedAt`` first and stops
at the last mark minus an overlap, so an idle cycle on a big shop costs about one call. The
overlap (``safety.ambiguous_grace``) covers search-index lag: a listing created just before the
last read shows up late with an ``updatedAt`` a little older than the mark.

The mark is the later of the newest ``updatedAt`` seen and the moment the read started (our
clock). The newest ``updatedAt`` alone would not do: after a mass create every listing sits
within the overlap of it, and every idle cycle would read them all again. Using our clock
assumes it is within (overlap − index lag) of Managem's; with the default two minutes and a
search cache of about 30 s (managem-api.md §5) that leaves a minute and a half of skew.

This module only reads and converts; it writes nothing (the caller upserts the mirror and moves
the cursors, or, for ``syncd plan``, keeps them in memory).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.gateway import Gateway, Listing
from syncd.gateway.wire.base import format_timestamp, parse_timestamp
from syncd.storage.listings import MirrorRow

MARK_CURSOR = "listings_mark"  # newest remote updatedAt seen by a read (Managem's clock)
FULL_AT_CURSOR = "listings_full_at"  # when the last full read finished (our clock)


@dataclass(frozen=True)
class RemoteRead:
    """What one read saw: the listings, whether it was a full read, and the new mark."""

    rows: tuple[MirrorRow, ...]
    full: bool
    mark: str


def full_read_due(mark: str | None, full_at: str | None, now: datetime, interval: float) -> bool:
    """A full read when there is no mark yet or the last full one is ``interval`` seconds old."""
    last = parse_timestamp(full_at)
    if mark is None or parse_timestamp(mark) is None or last is None:
        return True
    return now - last >= timedelta(seconds=interval)


def read_listings(
    gateway: Gateway,
    *,
    full: bool,
    mark: str | None,
    overlap: float,
    started: datetime,
    stop: threading.Event | None = None,
) -> RemoteRead:
    """Read the listings (all of them, or those changed since ``mark`` minus ``overlap``).

    ``started`` is when the read began, on our clock: the new mark is never earlier.
    """
    since = parse_timestamp(mark)
    if since is None:
        full = True
    if full:
        listings = gateway.iter_listings(sort="createdAt", order="asc")
    else:
        assert since is not None
        threshold = since - timedelta(seconds=overlap)

        def older(listing: Listing) -> bool:
            updated = listing.updated
            return updated is not None and updated < threshold

        listings = gateway.iter_listings(sort="updatedAt", order="desc", stop=older)
    rows = tuple(mirror_row(listing) for listing in _until(listings, stop))
    return RemoteRead(rows=rows, full=full, mark=newest_mark(format_timestamp(started), rows))


def newest_mark(mark: str, rows: tuple[MirrorRow, ...]) -> str:
    """The newest of ``mark`` and the rows' ``updatedAt``, as text (Managem's when it wins)."""
    best: str = mark
    best_at = parse_timestamp(mark)
    for row in rows:
        at = parse_timestamp(row.remote_updated_at)
        if at is not None and row.remote_updated_at and (best_at is None or at > best_at):
            best, best_at = row.remote_updated_at, at
    return best


def mirror_row(listing: Listing) -> MirrorRow:
    return MirrorRow(
        listing_id=listing.id,
        reference=listing.reference or None,
        urn=listing.urn or "",
        condition=listing.condition or "",
        language=listing.language or "",
        price=listing.price if listing.price is not None else 0,
        quantity=listing.quantity,
        available=listing.available,
        hidden=listing.hidden,
        valid=listing.valid,
        locked=listing.locked,
        comment=listing.comment or None,
        notes=listing.notes or None,
        grading_provider=listing.grading_provider or None,
        grading_score=listing.grading_score or None,
        grading_number=listing.grading_number or None,
        remote_created_at=listing.created_at,
        remote_updated_at=listing.updated_at,
    )


def _until(listings: Iterator[Listing], stop: threading.Event | None) -> Iterator[Listing]:
    for listing in listings:
        yield listing
        if stop is not None and stop.is_set():
            # A stopped read is incomplete: the caller must not treat it as a full one.
            raise ReadStopped


class ReadStopped(Exception):
    """The run was asked to stop while reading; nothing read is used."""
