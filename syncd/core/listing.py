"""Value types of the listings planner: what syncd controls on a listing, what the inventory
wants, what Managem shows, and what syncd remembers between cycles.

Plain frozen data and a few pure methods. Nothing here knows wire names (the gateway maps
``gradingProvider`` and friends), talks to a database or reads a clock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

# Optional text fields: Managem stores an empty string as absent and the CSV leaves them blank,
# so "" and None are one value. Normalising here keeps a blank from looking like an edit.
_OPTIONAL_TEXT = ("comment", "notes", "grading_provider", "grading_score", "grading_number")

MatchKey = tuple[str, str, str, str | None, str | None, str | None]


@dataclass(frozen=True)
class ListingFields:
    """Everything syncd sets on a listing except its ``reference`` (which is the sku)."""

    urn: str
    condition: str
    language: str
    price: int
    quantity: int
    hidden: bool = False
    comment: str | None = None
    notes: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None

    def __post_init__(self) -> None:
        for name in _OPTIONAL_TEXT:
            if getattr(self, name) == "":
                object.__setattr__(self, name, None)

    def match_key(self) -> MatchKey:
        """What identifies "the same card" when adopting a listing that has no reference."""
        return (
            self.urn,
            self.condition,
            self.language,
            self.grading_provider,
            self.grading_score,
            self.grading_number,
        )

    def digest(self) -> str:
        """Stable hash of every field; a rejection is keyed on it, so any change retries."""
        return _digest({name: getattr(self, name) for name in _FIELD_NAMES})

    def content_digest(self) -> str:
        """Hash of every field but quantity (``Link.last_pushed_quantity`` tracks that one)."""
        return _digest({name: getattr(self, name) for name in _FIELD_NAMES if name != "quantity"})

    def diff(self, other: ListingFields) -> tuple[str, ...]:
        """Names of the fields whose values differ, in declaration order."""
        return tuple(name for name in _FIELD_NAMES if getattr(self, name) != getattr(other, name))

    def with_quantity(self, quantity: int) -> ListingFields:
        return replace(self, quantity=quantity)


# Digests are stored by the shell (rejections, last pushed): their input must never change shape.
_FIELD_NAMES = tuple(f.name for f in fields(ListingFields))


def _digest(values: dict[str, object]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Desired:
    """One inventory row as the planner sees it. Quantity 0 (or less) means not for sale."""

    sku: str
    fields: ListingFields


@dataclass(frozen=True)
class Remote:
    """One listing as Managem shows it. Quantity 0 means soft-deleted (kept, not on sale)."""

    listing_id: str
    reference: str | None
    fields: ListingFields
    created_at: str
    locked: bool = False

    @property
    def live(self) -> bool:
        return self.fields.quantity > 0

    def other_card(self, urn: str) -> bool:
        """True when the listing shows a card other than ``urn``. Managem cannot change a
        listing's urn; an empty one (a read that left out the item) is not taken as another."""
        return bool(self.fields.urn) and self.fields.urn != urn

    def age_key(self) -> tuple[str, str]:
        """Sort key, oldest first: creation instant, then id so ties are still deterministic."""
        return (sortable_instant(self.created_at), self.listing_id)


@dataclass(frozen=True)
class Link:
    """What syncd remembers about one sku's listing between cycles.

    ``listing_id`` None: a create was sent but the id is not learnt yet (it is learnt from the
    next read of the listings, joined on ``reference``). ``last_pushed_quantity`` is the
    quantity the remote is expected to show: what syncd last wrote, lowered by every sale the
    orders job has booked on that listing since, so only *unexplained* decreases remain (see
    ``quantity``). ``pushed_digest`` is ``content_digest()`` of the fields last written; when
    present it lets the planner tell a remote edit (drift) from a local change.
    """

    sku: str
    listing_id: str | None
    last_pushed_quantity: int | None
    rejected_digest: str | None = None
    rejected_reason: str | None = None
    pushed_digest: str | None = None


def sortable_instant(text: str) -> str:
    """An ISO-8601 timestamp rewritten so that text order is time order.

    Managem writes ``...000Z``; other sources write ``+00:00`` or leave out the fraction.
    Naive times are taken as UTC. Text that does not parse is returned as it is, so a bad
    value still sorts deterministically instead of stopping the plan.
    """
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    utc = instant.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"
