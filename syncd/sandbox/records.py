"""The fake's stored records (listings, orders, cases, history) and their JSON round trip.

Records hold internal field names and epoch-millisecond times; the wire shapes (camelCase, ISO
strings, embedded item and seller) are made by the modules that serve them. ``to_json`` and
``from_json`` are what the state file holds. This module must not enforce business rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PHOTO_PRICE = 2000  # pence: at or above it a listing needs a photo to be valid (§6.2)


@dataclass
class Listing:
    id: str
    seller_id: str
    urn: str
    condition: str
    price: int
    language: str
    quantity: int
    available: int
    created_ms: int
    updated_ms: int
    variants: list[str] = field(default_factory=list)
    comment: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None
    notes: str | None = None
    reference: str | None = None
    hidden: bool = False
    locked: bool = False
    attachments: list[str] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        return self.grading_provider is not None

    @property
    def valid(self) -> bool:
        needs_photo = self.price >= PHOTO_PRICE or self.graded
        return not needs_photo or bool(self.attachments)


@dataclass
class OrderItem:
    id: str
    order_id: str
    listing_id: str
    urn: str
    price: int
    quantity: int
    condition: str
    language: str
    status: str
    created_ms: int
    updated_ms: int
    variants: list[str] = field(default_factory=list)
    comment: str | None = None
    shipment_id: str | None = None


@dataclass
class Order:
    id: str
    seller_id: str
    purchase_id: str
    buyer: str
    delivery_charge: int
    created_ms: int
    updated_ms: int
    items: list[OrderItem] = field(default_factory=list)
    carrier: str | None = None
    tracking: str | None = None

    @property
    def subtotal(self) -> int:
        return sum(item.price * item.quantity for item in self.items)


@dataclass
class HistoryEntry:
    id: str
    order_id: str
    purchase_id: str
    comment: str
    party: str  # BUYER | SELLER | SYSTEM
    created_ms: int
    username: str | None = None
    order_item_ids: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    id: str
    case_id: str
    type: str  # RETURN | REFUND | REPLACEMENT
    party: str  # BUYER | SELLER
    status: str  # PENDING | ACCEPTED | REJECTED
    amount: int
    created_ms: int
    updated_ms: int
    comment: str | None = None


@dataclass
class Case:
    id: str
    workflow_id: str
    purchase_id: str
    order_id: str
    seller_id: str
    reason: str
    status: str
    created_ms: int
    updated_ms: int
    order_item_ids: list[str] = field(default_factory=list)
    comment: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)


def to_json(record: Listing | Order | HistoryEntry | Case) -> dict[str, Any]:
    return asdict(record)


def listing_from_json(data: dict[str, Any]) -> Listing:
    return Listing(**data)


def order_from_json(data: dict[str, Any]) -> Order:
    items = [OrderItem(**item) for item in data.get("items", [])]
    return Order(**{**data, "items": items})


def history_from_json(data: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(**data)


def case_from_json(data: dict[str, Any]) -> Case:
    outcomes = [Outcome(**outcome) for outcome in data.get("outcomes", [])]
    return Case(**{**data, "outcomes": outcomes})
