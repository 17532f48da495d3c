"""The gateway: everything syncd says to Managem goes through here.

Only this package imports the HTTP client. Public names: ``Gateway``, its metrics, the wire
models, the endpoint table and the limiter lanes. Errors raised are those of ``syncd.errors``
(plus ``UnexpectedResponse``, a ``Retriable`` for answers of the wrong shape).
"""

from syncd.gateway.endpoints import Endpoint, Lane
from syncd.gateway.gateway import Gateway
from syncd.gateway.metrics import GatewayMetrics
from syncd.gateway.outcomes import UnexpectedResponse
from syncd.gateway.ratelimit import LimiterState, RateLimiter
from syncd.gateway.wire import (
    BulkResult,
    Case,
    CaseOutcome,
    Item,
    ItemLookup,
    Listing,
    ListingDraft,
    Order,
    OrderHistoryEntry,
    OrderItem,
    PriceHistory,
    PricePoint,
    Seller,
    Suggestion,
    SuggestRequest,
)

__all__ = [
    "BulkResult",
    "Case",
    "CaseOutcome",
    "Endpoint",
    "Gateway",
    "GatewayMetrics",
    "Item",
    "ItemLookup",
    "Lane",
    "LimiterState",
    "Listing",
    "ListingDraft",
    "Order",
    "OrderHistoryEntry",
    "OrderItem",
    "PriceHistory",
    "PricePoint",
    "RateLimiter",
    "Seller",
    "SuggestRequest",
    "Suggestion",
    "UnexpectedResponse",
]
