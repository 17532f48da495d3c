"""The endpoint table: every Managem path syncd calls, with how to call it.

This is the one place that holds the assumptions of ``shared/managem-api.md`` §8 (the contract
syncd assumes where Managem's public docs are silent) together with the documented paths. When
the real shape of an undocumented operation is learnt, change it here and nowhere else.

Each row says: method and path, whether the call is a *write that must not be resent* (a POST
that creates something: an ambiguous failure raises ``AmbiguousWrite``), whether it is public
(no credential needed, §5 and §8.5), which limiter lane it uses (orders and cases poll on the
priority lane so they never wait behind a listings backfill), and how it pages.

This module is data only: it must not import the HTTP client or do any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import quote


class Lane(StrEnum):
    """Which queue of the rate limiter a call waits in."""

    PRIORITY = "priority"
    BULK = "bulk"


Paging = Literal["none", "offset_body", "page_query"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Managem operation as syncd calls it."""

    operation: str
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    lane: Lane = Lane.BULK
    # A POST that changes server state. If it may have reached the server and we got no
    # clear answer, it is not resent (a second create makes a second listing, §1.8).
    unsafe_write: bool = False
    public: bool = False
    paging: Paging = "none"
    page_size: int | None = None
    # Most items one call may carry (bulk create, look-ups, suggestions).
    max_items: int | None = None

    @property
    def retries_after_ambiguity(self) -> bool:
        """True when a resend is harmless even if the first try reached the server."""
        return not self.unsafe_write

    def url(self, **ids: str) -> str:
        """The path with its ``{placeholders}`` filled; ids are opaque strings (§1.4)."""
        return self.path.format(**{key: quote(value, safe="") for key, value in ids.items()})


# Search pages are 1–50 (§1.6); §8.1 paged lists allow up to 100.
SEARCH_PAGE_SIZE = 50
LIST_PAGE_SIZE = 100
MAX_BATCH = 200

SELLER = Endpoint("seller.get", "GET", "/seller")

# --- listings (§4.1 documented, §8.4 assumed) ----------------------------------------------
LISTING_CREATE = Endpoint("listings.create", "POST", "/seller/listings", unsafe_write=True)
LISTING_BULK_CREATE = Endpoint(
    "listings.bulk_create",
    "POST",
    "/seller/listings/bulk",
    unsafe_write=True,
    max_items=MAX_BATCH,
)
LISTING_SEARCH = Endpoint(
    "listings.search",
    "POST",
    "/seller/listings/search",
    paging="offset_body",
    page_size=SEARCH_PAGE_SIZE,
)
LISTING_GET = Endpoint("listings.get", "GET", "/seller/listings/{listing_id}")
LISTING_UPDATE = Endpoint("listings.update", "PUT", "/seller/listings/{listing_id}")
LISTING_DELETE = Endpoint("listings.delete", "DELETE", "/seller/listings/{listing_id}")
# §8.5: a POST, but a read (it only computes suggestions).
SUGGEST_PRICES = Endpoint(
    "listings.suggest_prices",
    "POST",
    "/seller/listings/suggest-prices",
    max_items=MAX_BATCH,
)

# --- orders (§4.2 documented paths, §8.2 assumed list) -------------------------------------
ORDER_LIST = Endpoint(
    "orders.list",
    "GET",
    "/seller/orders",
    lane=Lane.PRIORITY,
    paging="page_query",
    page_size=LIST_PAGE_SIZE,
)
ORDER_GET = Endpoint("orders.get", "GET", "/seller/orders/{order_id}", lane=Lane.PRIORITY)
ORDER_HISTORY = Endpoint(
    "orders.history", "GET", "/seller/orders/{order_id}/history", lane=Lane.PRIORITY
)

# --- cases (§4.3 inferred, §8.3 assumed) ---------------------------------------------------
CASE_LIST = Endpoint(
    "cases.list",
    "GET",
    "/seller/cases",
    lane=Lane.PRIORITY,
    paging="page_query",
    page_size=LIST_PAGE_SIZE,
)
CASE_GET = Endpoint("cases.get", "GET", "/seller/cases/{case_id}", lane=Lane.PRIORITY)

# --- catalogue and prices (§8.5 assumed; public) -------------------------------------------
ITEM_LOOKUP = Endpoint("items.lookup", "POST", "/items/lookup", public=True, max_items=MAX_BATCH)
ITEM_PRICES = Endpoint("items.prices", "GET", "/items/prices", public=True)

ALL_ENDPOINTS: tuple[Endpoint, ...] = (
    SELLER,
    LISTING_CREATE,
    LISTING_BULK_CREATE,
    LISTING_SEARCH,
    LISTING_GET,
    LISTING_UPDATE,
    LISTING_DELETE,
    SUGGEST_PRICES,
    ORDER_LIST,
    ORDER_GET,
    ORDER_HISTORY,
    CASE_LIST,
    CASE_GET,
    ITEM_LOOKUP,
    ITEM_PRICES,
)
