"""``POST /seller/listings/search``: the seller's own listings through a lagging search index.

``from``/``size`` (1–50) paging, ``sorting.field`` name|createdAt|updatedAt, ``order`` asc|desc,
a substring ``query``, a few facets. Hits include soft-deleted listings (§8.4). A listing created
less than ``market.index_lag`` seconds ago is not in the index yet (GET by id still sees it).
Callers hold ``market.lock``. This module must not change any listing.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
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
    if not facets:
        return True
    values = _facet_values(listing)
    # Unknown facet names filter nothing, like an index without that field.
    return all(values[name] in wanted for name, wanted in facets.items() if name in values)


def _facet_counts(found: list[Listing]) -> dict[str, dict[str, int]]:
    # Counted field by field (not via _facet_values per listing): a search over 10,000
    # listings must stay in milliseconds, since the whole market is locked meanwhile.
    counts = {
        "Condition": dict(Counter(listing.condition for listing in found)),
        "Hidden": {"Hidden": sum(1 for listing in found if listing.hidden)},
        "Valid": {"Valid": sum(1 for listing in found if listing.valid)},
        "Availability": {"In Stock": sum(1 for listing in found if listing.available > 0)},
        "Grading": {"Graded": sum(1 for listing in found if listing.graded)},
    }
    return {name: values for name, values in counts.items() if any(values.values())}


def search(market: Market, body: Any) -> dict[str, Any]:
    data = require_object(body if body is not None else {})
    start = get_int(data, "from", default=0, minimum=0)
    size = get_int(data, "size", default=10, minimum=1, maximum=SEARCH_SIZE_LIMIT)
    sorting = require_object(data.get("sorting") or {}, "sorting")
    field = get_choice(sorting, "field", SORT_FIELDS, "createdAt")
    descending = get_choice(sorting, "order", ("asc", "desc"), "asc") == "desc"
    query = (get_str(data, "query", required=False) or "").strip().lower()
    facets = _facet_filters(data)

    # Paging through the whole inventory repeats one body with another ``from``: the sorted
    # hits are cached per listings revision, so each page costs a slice, not a sort. With an
    # index lag the visible set changes with time alone, so nothing is cached then.
    key = (market.revision, query, repr(sorted(facets.items())), field, descending)
    cached = market.search_cache.get(key) if market.index_lag == 0 else None
    if cached is None:
        cached = _find(market, query, facets, field, descending)
        if market.index_lag == 0:
            if len(market.search_cache) >= 16 or any(
                k[0] != market.revision for k in market.search_cache
            ):
                market.search_cache.clear()
            market.search_cache[key] = cached
    found, counts = cached
    return {
        "total": len(found),
        "hits": [listings.render(market, listing) for listing in found[start : start + size]],
        "facets": counts,
    }


def _find(
    market: Market, query: str, facets: dict[str, list[str]], field: str, descending: bool
) -> tuple[list[Listing], dict[str, dict[str, int]]]:
    seller_id = market.seller_id
    found = [listing for listing in market.listings.values() if listing.seller_id == seller_id]
    if market.index_lag > 0:
        newest = market.now_ms() - market.index_lag * 1000
        found = [listing for listing in found if listing.created_ms <= newest]
    if query or facets:
        found = [listing for listing in found if _matches(market, listing, query, facets)]
    if field == "name":
        names = {
            listing.urn: market.catalogue.item_summary(listing.urn)["name"] for listing in found
        }
        found.sort(key=lambda listing: (names[listing.urn], listing.id), reverse=descending)
    else:
        stamp = attrgetter("created_ms" if field == "createdAt" else "updated_ms", "id")
        found.sort(key=stamp, reverse=descending)
    return found, _facet_counts(found)
