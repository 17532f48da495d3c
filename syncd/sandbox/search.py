"""``POST /seller/listings/search``: the seller's own listings through a lagging search index.

``from``/``size`` (1–50) paging, ``sorting.field`` name|createdAt|updatedAt, ``order`` asc|desc,
a substring ``query``, a few facets. Hits include soft-deleted listings (§8.4). A listing created
less than ``market.index_lag`` seconds ago is not in the index yet (GET by id still sees it).
Callers hold ``market.lock``. This module must not change any listing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from syncd.sandbox import listings
from syncd.sandbox.errors import bad_request
from syncd.sandbox.market import Market
from syncd.sandbox.records import Listing
from syncd.sandbox.validation import get_choice, get_int, get_str, require_object

SEARCH_SIZE_LIMIT = 50
SORT_FIELDS = ("name", "createdAt", "updatedAt")


def _facet_filters(data: dict[str, Any]) -> dict[str, list[str]]:
    facets = data.get("facets")
    if facets is None:
        return {}
    if not isinstance(facets, dict) or not all(
        isinstance(values, list) and all(isinstance(v, str) for v in values)
        for values in facets.values()
    ):
        raise bad_request("facets must map a name to an array of strings")
    return {str(name): list(values) for name, values in facets.items()}


def _facet_values(listing: Listing) -> dict[str, str | None]:
    return {
        "Condition": listing.condition,
        "Hidden": "Hidden" if listing.hidden else None,
        "Valid": "Valid" if listing.valid else None,
        "Availability": "In Stock" if listing.available > 0 else None,
        "Grading": "Graded" if listing.graded else None,
    }


def _matches(market: Market, listing: Listing, query: str, facets: dict[str, list[str]]) -> bool:
    if query:
        item = market.catalogue.item_summary(listing.urn)
        haystack = " ".join(
            str(part)
            for part in (item.get("title", ""), listing.urn, listing.reference, listing.notes)
            if part
        ).lower()
        if query not in haystack:
            return False
    values = _facet_values(listing)
    # Unknown facet names filter nothing, like an index without that field.
    return all(values[name] in wanted for name, wanted in facets.items() if name in values)


def search(market: Market, body: Any) -> dict[str, Any]:
    data = require_object(body if body is not None else {})
    start = get_int(data, "from", default=0, minimum=0)
    size = get_int(data, "size", default=10, minimum=1, maximum=SEARCH_SIZE_LIMIT)
    sorting = require_object(data.get("sorting") or {}, "sorting")
    field = get_choice(sorting, "field", SORT_FIELDS, "createdAt")
    descending = get_choice(sorting, "order", ("asc", "desc"), "asc") == "desc"
    query = (get_str(data, "query", required=False) or "").strip().lower()
    facets = _facet_filters(data)

    now = market.now_ms()
    lag_ms = market.index_lag * 1000
    found = [
        listing
        for listing in market.listings.values()
        if listing.seller_id == market.seller_id
        and now - listing.created_ms >= lag_ms
        and _matches(market, listing, query, facets)
    ]

    def sort_key(listing: Listing) -> tuple[Any, str]:
        if field == "name":
            return (market.catalogue.item_summary(listing.urn).get("name", ""), listing.id)
        stamp = listing.created_ms if field == "createdAt" else listing.updated_ms
        return (stamp, listing.id)

    found.sort(key=sort_key, reverse=descending)
    counts: dict[str, Counter[str]] = {}
    for listing in found:
        for name, value in _facet_values(listing).items():
            if value is not None:
                counts.setdefault(name, Counter())[value] += 1
    return {
        "total": len(found),
        "hits": [listings.render(market, listing) for listing in found[start : start + size]],
        "facets": {name: dict(counter) for name, counter in counts.items()},
    }
