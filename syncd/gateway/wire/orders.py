"""Wire models for orders, order items, order history and cases.

Shapes from managem-api.md §2.4–2.6 and the §8.2–8.3 assumptions. Status, reason, party and
outcome type are open enums: they stay plain strings and an unknown value is kept as it came.
No I/O here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from syncd.gateway.wire.base import IdList, Pence, Timestamped, lift


class OrderItem(Timestamped):
    """One sold line of an order. Status lives here, not on the order (§2.4)."""

    id: str
    listing_id: str | None = None
    order_id: str | None = None
    urn: str | None = None
    price: Pence = None
    quantity: int = 0
    condition: str | None = None
    language: str | None = None
    status: str | None = None
    shipment_id: str | None = None
    comment: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _urn_from_item(cls, data: Any) -> Any:
        return lift(data, "item", "urn", "urn")


class Order(Timestamped):
    """A seller order: totals in pence and its items."""

    id: str
    seller_id: str | None = None
    purchase_id: str | None = None
    total: Pence = None
    subtotal: Pence = None
    delivery_charge: Pence = None
    items: list[OrderItem] = Field(default_factory=list)


class OrderHistoryEntry(Timestamped):
    """One line of an order's history: who did what, in words."""

    id: str
    purchase_id: str | None = None
    comment: str | None = None
    party: str | None = None
    order_id: str | None = None
    user_id: str | None = None
    order_item_ids: IdList = Field(default_factory=list)


class CaseOutcome(Timestamped):
    """A proposed or settled outcome of a case (return, refund, replacement)."""

    id: str
    type: str | None = None
    party: str | None = None
    status: str | None = None
    case_id: str | None = None
    amount: Pence = None
    comment: str | None = None


class Case(Timestamped):
    """A dispute on one or more order items."""

    id: str
    workflow_id: str | None = None
    purchase_id: str | None = None
    order_id: str | None = None
    order_item_ids: IdList = Field(default_factory=list)
    reason: str | None = None
    status: str | None = None
    comment: str | None = None
    outcomes: list[CaseOutcome] = Field(default_factory=list)
