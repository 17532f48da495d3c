"""Every table syncd owns, as SQLAlchemy 2 typed models. SQL only: no HTTP, no business rules.

Money is integer pence, times are timezone-aware UTC. ``inventory_items`` is a public contract
(a till or a web shop may write it directly; see the README): change it only on purpose.
Alembic migrations in ``migrations/`` must match these models exactly (a test autogenerates
against them and expects no difference).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends.

    Postgres keeps the zone; SQLite stores text without one and hands back naive values. Values
    are normalised to UTC on the way in and come back aware on the way out, so no caller has to
    patch ``tzinfo``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Autoincrement ids: BIGINT on Postgres, INTEGER (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- foundation -----------------------------------------------------------------------------


class InventoryItem(Base):
    """The seller's stock: one row per sku. Public contract."""

    __tablename__ = "inventory_items"

    sku: Mapped[str] = mapped_column(String(255), primary_key=True)
    urn: Mapped[str] = mapped_column(String(255))
    condition: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(64))
    price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    comment: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(String(255))
    grading_provider: Mapped[str | None] = mapped_column(String(64))
    grading_score: Mapped[str | None] = mapped_column(String(32))
    grading_number: Mapped[str | None] = mapped_column(String(64))


class StockLedger(Base):
    """One row per change of local stock, with why. Unique per (reason, source_id)."""

    __tablename__ = "stock_ledger"
    __table_args__ = (UniqueConstraint("reason", "source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(255), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    # For remote_adjust rows: units not yet explained by an order seen later (see core/ledger).
    open_quantity: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JobRun(Base):
    """One row per job run: when, how it ended, and its summary."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), unique=True)
    job: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))  # running | ok | failed | refused
    summary: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)


class Cursor(Base):
    """A named high-water mark (orders, cases, listings) as an ISO-8601 UTC string."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- listings sync ----------------------------------------------------------------------------


class ListingLink(Base):
    """What syncd knows about the listing of a sku: its id and what was last pushed."""

    __tablename__ = "listing_links"

    sku: Mapped[str] = mapped_column(String(255), primary_key=True)
    listing_id: Mapped[str | None] = mapped_column(String(255), index=True)
    urn: Mapped[str] = mapped_column(String(255))
    last_pushed_quantity: Mapped[int | None] = mapped_column(Integer)
    last_pushed_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when syncd created it
    rejected_digest: Mapped[str | None] = mapped_column(String(64))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RemoteListing(Base):
    """The mirror of the seller's Managem listings, as last read."""

    __tablename__ = "remote_listings"

    listing_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(255), index=True)
    urn: Mapped[str] = mapped_column(String(255))
    condition: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(64))
    price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    available: Mapped[int | None] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(String(255))
    grading_provider: Mapped[str | None] = mapped_column(String(64))
    grading_score: Mapped[str | None] = mapped_column(String(32))
    grading_number: Mapped[str | None] = mapped_column(String(64))
    remote_created_at: Mapped[str | None] = mapped_column(String(40))
    remote_updated_at: Mapped[str | None] = mapped_column(String(40), index=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WriteIntent(Base):
    """The intent log: committed before a write, outcome recorded after."""

    __tablename__ = "write_intents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32))
    sku: Mapped[str] = mapped_column(String(255), index=True)
    op: Mapped[str] = mapped_column(String(16))  # create | update | delete | adopt | repair_delete
    listing_id: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)  # JSON of what is sent (never the credential)
    # pending | ok | ambiguous | rejected | failed | resolved_applied | resolved_absent
    state: Mapped[str] = mapped_column(String(24), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# --- orders and cases -------------------------------------------------------------------------


class Order(Base):
    """A seller order as last seen on Managem."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    purchase_id: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[int | None] = mapped_column(Integer)
    subtotal: Mapped[int | None] = mapped_column(Integer)
    delivery_charge: Mapped[int | None] = mapped_column(Integer)
    remote_created_at: Mapped[str | None] = mapped_column(String(40))
    remote_updated_at: Mapped[str | None] = mapped_column(String(40))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrderItem(Base):
    """One order line; its stock effect is in the ledger, keyed by this id."""

    __tablename__ = "order_items"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    listing_id: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255), index=True)  # None: not ours
    urn: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    remote_created_at: Mapped[str | None] = mapped_column(String(40))
    remote_updated_at: Mapped[str | None] = mapped_column(String(40))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrderItemStatus(Base):
    """Status history of an order item, one row per change seen."""

    __tablename__ = "order_item_statuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_item_id: Mapped[str] = mapped_column(ForeignKey("order_items.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Case(Base):
    """A dispute on one of the seller's orders."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    purchase_id: Mapped[str | None] = mapped_column(String(255))
    order_id: Mapped[str | None] = mapped_column(String(255), index=True)
    order_item_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON array
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    remote_created_at: Mapped[str | None] = mapped_column(String(40))
    remote_updated_at: Mapped[str | None] = mapped_column(String(40))
    escalation_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CaseStatus(Base):
    """Status history of a case, one row per change seen."""

    __tablename__ = "case_statuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CaseOutcome(Base):
    """A proposed or accepted outcome of a case (returns coming back, refunds)."""

    __tablename__ = "case_outcomes"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    party: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(Integer)
    remote_updated_at: Mapped[str | None] = mapped_column(String(40))
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- prices -----------------------------------------------------------------------------------


class PriceSnapshot(Base):
    """One market snapshot of one card, appended per prices run; never updated."""

    __tablename__ = "price_snapshots"
    __table_args__ = (Index("ix_price_snapshots_urn_taken_at", "urn", "taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    urn: Mapped[str] = mapped_column(String(255))
    market_price: Mapped[int | None] = mapped_column(Integer)
    low: Mapped[int | None] = mapped_column(Integer)
    high: Mapped[int | None] = mapped_column(Integer)
    market_available: Mapped[int | None] = mapped_column(Integer)
    own_price: Mapped[int | None] = mapped_column(Integer)
    own_quantity: Mapped[int | None] = mapped_column(Integer)


class PricePoint(Base):
    """A daily historical market point (from the backfill), one per (urn, day)."""

    __tablename__ = "price_points"

    urn: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    low: Mapped[int | None] = mapped_column(Integer)
    median: Mapped[int | None] = mapped_column(Integer)
    high: Mapped[int | None] = mapped_column(Integer)
    sold: Mapped[int | None] = mapped_column(Integer)


class OwnPrice(Base):
    """Every price syncd pushed (or imported) for a sku, with when and why."""

    __tablename__ = "own_prices"
    __table_args__ = (Index("ix_own_prices_sku_recorded_at", "sku", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(255))
    urn: Mapped[str] = mapped_column(String(255), index=True)
    price: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))  # import | rule | manual | push
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogueItem(Base):
    """A card's display names, refreshed by the prices job, so tables and charts can name it."""

    __tablename__ = "catalogue_items"

    urn: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    set_name: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
