"""Typed Managem request and response bodies (pydantic v2, lenient, frozen)."""

from syncd.gateway.wire.base import format_timestamp, parse_timestamp
from syncd.gateway.wire.catalogue import (
    Item,
    ItemLookup,
    PriceHistory,
    PricePoint,
    Seller,
    Suggestion,
    SuggestRequest,
)
from syncd.gateway.wire.listings import BulkResult, Listing, ListingDraft
from syncd.gateway.wire.orders import Case, CaseOutcome, Order, OrderHistoryEntry, OrderItem

__all__ = [
    "BulkResult",
    "Case",
    "CaseOutcome",
    "Item",
    "ItemLookup",
    "Listing",
    "ListingDraft",
    "Order",
    "OrderHistoryEntry",
    "OrderItem",
    "PriceHistory",
    "PricePoint",
    "Seller",
    "SuggestRequest",
    "Suggestion",
    "format_timestamp",
    "parse_timestamp",
]
