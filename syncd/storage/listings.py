"""Listings sync tables: the remote mirror, the links, the intent log and own-price rows.

SQL only. The listings job decides what to write; this module reads rows into plain values and
writes what it is given, in the caller's transaction. Upserts use ``ON CONFLICT`` (SQLite and
Postgres both have it) so a re-read of ten thousand listings is a few statements, not ten
thousand round trips. Nothing here talks to Managem or decides what a row means.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.inventory import InventoryRow
from syncd.core.listing import Link, ListingFields, Remote
from syncd.storage.tables import InventoryItem, ListingLink, OwnPrice, RemoteListing, WriteIntent

# Rows per multi-row statement: well under SQLite's bound-parameter limit for 19 columns.
_CHUNK = 500
OPEN_STATES = ("pending", "ambiguous")


@dataclass(frozen=True)
class MirrorRow:
    """One listing as last read from Managem (a ``remote_listings`` row without ``seen_at``)."""

    listing_id: str
    reference: str | None
    urn: str
    condition: str
    language: str
    price: int
    quantity: int
    available: int | None = None
    hidden: bool = False
    valid: bool | None = None
    locked: bool = False
    comment: str | None = None
    notes: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None
    remote_created_at: str | None = None
    remote_updated_at: str | None = None

    def fields(self) -> ListingFields:
        return ListingFields(
            urn=self.urn,
            condition=self.condition,
            language=self.language,
            price=self.price,
            quantity=self.quantity,
            hidden=self.hidden,
            comment=self.comment,
            notes=self.notes,
            grading_provider=self.grading_provider,
            grading_score=self.grading_score,
            grading_number=self.grading_number,
        )

    def remote(self) -> Remote:
        return Remote(
            self.listing_id,
            self.reference,
            self.fields(),
            self.remote_created_at or "",
            locked=self.locked,
        )


_MIRROR_COLUMNS = tuple(f.name for f in fields(MirrorRow))
_INVENTORY_COLUMNS = tuple(f.name for f in fields(InventoryRow))


@dataclass(frozen=True)
class LinkRow:
    """One ``listing_links`` row."""

    sku: str
    listing_id: str | None
    urn: str
    last_pushed_quantity: int | None = None
    last_pushed_digest: str | None = None
    created_at: datetime | None = None
    rejected_digest: str | None = None
    rejected_reason: str | None = None
    rejected_at: datetime | None = None

    def link(self) -> Link:
        return Link(
            sku=self.sku,
            listing_id=self.listing_id,
            last_pushed_quantity=self.last_pushed_quantity,
            rejected_digest=self.rejected_digest,
            rejected_reason=self.rejected_reason,
            pushed_digest=self.last_pushed_digest,
        )


_LINK_COLUMNS = tuple(f.name for f in fields(LinkRow))


@dataclass(frozen=True)
class IntentRow:
    """One ``write_intents`` row; ``payload`` is the JSON that was (or was about to be) sent."""

    id: int
    run_id: str
    sku: str
    op: str
    listing_id: str | None
    payload: dict[str, Any]
    state: str
    created_at: datetime


@dataclass(frozen=True)
class NewIntent:
    sku: str
    op: str
    listing_id: str | None
    payload: Mapping[str, Any]


# --- the inventory, as the planner wants it ----------------------------------------------


def load_inventory(session: Session) -> list[InventoryRow]:
    """Every inventory row, read as plain columns (ten thousand ORM objects cost seconds)."""
    rows = session.execute(select(*(getattr(InventoryItem, c) for c in _INVENTORY_COLUMNS)))
    return [InventoryRow(*row) for row in rows]


# --- the mirror ---------------------------------------------------------------------------


def load_mirror(session: Session) -> dict[str, MirrorRow]:
    rows = session.execute(select(*(getattr(RemoteListing, c) for c in _MIRROR_COLUMNS)))
    return {row[0]: MirrorRow(*row) for row in rows}


def upsert_mirror(session: Session, rows: Sequence[MirrorRow], *, now: datetime) -> None:
    """Insert or replace mirror rows: one compiled statement, executed for many rows."""
    if not rows:
        return
    stmt = _insert_for(session)(RemoteListing)
    stmt = stmt.on_conflict_do_update(
        index_elements=["listing_id"],
        set_={c: stmt.excluded[c] for c in (*_MIRROR_COLUMNS[1:], "seen_at")},
    )
    values = [{**_as_dict(row, _MIRROR_COLUMNS), "seen_at": now} for row in rows]
    connection = session.connection()
    for start in range(0, len(values), _CHUNK):
        connection.execute(stmt, values[start : start + _CHUNK])


def forget_mirror(session: Session, listing_ids: Iterable[str]) -> None:
    """Drop mirror rows of listings a full read no longer shows."""
    ids = sorted(listing_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(RemoteListing).where(RemoteListing.listing_id.in_(chunk)))


def set_mirror_quantity(session: Session, listing_id: str, quantity: int, *, now: datetime) -> None:
    """What a soft delete did to a listing (DELETE answers with no body)."""
    session.execute(
        update(RemoteListing)
        .where(RemoteListing.listing_id == listing_id)
        .values(quantity=quantity, available=quantity, seen_at=now)
    )


# --- links --------------------------------------------------------------------------------


def load_links(session: Session) -> dict[str, LinkRow]:
    rows = session.execute(select(*(getattr(ListingLink, c) for c in _LINK_COLUMNS)))
    links = {}
    for row in rows:
        values = dict(zip(_LINK_COLUMNS, row, strict=True))
        links[row[0]] = LinkRow(**values)
    return links


def write_links(
    session: Session, changes: Mapping[str, Mapping[str, Any]], *, now: datetime
) -> None:
    """Create or change link rows: sku → the columns to set.

    Changes that name ``urn`` may create the row (an upsert); the others only update it.
    Rows changing the same columns go in one executemany.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for sku in sorted(changes):
        values = changes[sku]
        groups.setdefault(tuple(sorted(values)), []).append(
            {**values, "sku": sku, "updated_at": now}
        )
    connection = session.connection()
    for columns, rows in groups.items():
        if "urn" in columns:
            stmt = _insert_for(session)(ListingLink)
            stmt = stmt.on_conflict_do_update(
                index_elements=["sku"],
                set_={c: stmt.excluded[c] for c in (*columns, "updated_at")},
            )
            for start in range(0, len(rows), _CHUNK):
                connection.execute(stmt, rows[start : start + _CHUNK])
        else:
            change = (
                update(ListingLink)
                .where(ListingLink.sku == bindparam("b_sku"))
                .values({c: bindparam("b_" + c) for c in (*columns, "updated_at")})
            )
            connection.execute(change, [{"b_" + k: v for k, v in row.items()} for row in rows])


# --- the intent log -----------------------------------------------------------------------


def add_intents(
    session: Session, run_id: str, intents: Sequence[NewIntent], *, now: datetime
) -> list[int]:
    """Insert ``pending`` intents and return their ids, in order (the caller commits)."""
    rows = [
        {
            "run_id": run_id,
            "sku": intent.sku,
            "op": intent.op,
            "listing_id": intent.listing_id,
            "payload": json.dumps(intent.payload, sort_keys=True, separators=(",", ":")),
            "state": "pending",
            "created_at": now,
        }
        for intent in intents
    ]
    if not rows:
        return []
    stmt = insert(WriteIntent).returning(WriteIntent.id, sort_by_parameter_order=True)
    return list(session.connection().execute(stmt, rows).scalars())


def finish_intents(
    session: Session, ids: Sequence[int], state: str, *, now: datetime, detail: str | None = None
) -> None:
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        connection.execute(
            update(WriteIntent)
            .where(WriteIntent.id.in_(chunk))
            .values(state=state, detail=detail, finished_at=now)
        )


def open_intents(session: Session) -> list[IntentRow]:
    """Intents whose outcome is unknown (``pending``: the run died; ``ambiguous``), oldest first."""
    found = session.scalars(
        select(WriteIntent).where(WriteIntent.state.in_(OPEN_STATES)).order_by(WriteIntent.id)
    )
    return [
        IntentRow(
            id=row.id,
            run_id=row.run_id,
            sku=row.sku,
            op=row.op,
            listing_id=row.listing_id,
            payload=json.loads(row.payload),
            state=row.state,
            created_at=row.created_at,
        )
        for row in found
    ]


# --- own prices ---------------------------------------------------------------------------


def newest_own_prices(session: Session) -> dict[str, int]:
    """The price of each sku's newest ``own_prices`` row (ids grow with time)."""
    newest = select(func.max(OwnPrice.id)).group_by(OwnPrice.sku).scalar_subquery()
    rows = session.execute(select(OwnPrice.sku, OwnPrice.price).where(OwnPrice.id.in_(newest)))
    return {sku: price for sku, price in rows}


def add_own_prices(
    session: Session, prices: Sequence[tuple[str, str, int]], *, reason: str, now: datetime
) -> None:
    """Record (sku, urn, price) rows with one reason."""
    if prices:
        session.connection().execute(
            insert(OwnPrice),
            [
                {"sku": sku, "urn": urn, "price": price, "reason": reason, "recorded_at": now}
                for sku, urn, price in prices
            ],
        )


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT (both have ON CONFLICT; the generic one does not)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _as_dict(row: object, columns: Sequence[str]) -> dict[str, Any]:
    return {c: getattr(row, c) for c in columns}
