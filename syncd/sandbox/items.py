"""Catalogue endpoints (§8.5): item look-up, price history and price suggestions.

Look-up and price history are public; suggestions are a seller endpoint. Limits: ≤ 200 URNs
per look-up or suggestion request, ``days`` 1–365 (default 30). This module must not touch
listings, orders or cases.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox.errors import bad_request, not_found
from syncd.sandbox.market import Market
from syncd.sandbox.paging import Query
from syncd.sandbox.prices import base_price, history, suggested_price
from syncd.sandbox.validation import get_str, require_object

LOOKUP_LIMIT = 200
HISTORY_DAYS_LIMIT = 365


def lookup(market: Market, body: Any) -> dict[str, Any]:
    urns = require_object(body).get("urns")
    if not isinstance(urns, list) or not all(isinstance(urn, str) for urn in urns):
        raise bad_request("urns must be an array of strings")
    if len(urns) > LOOKUP_LIMIT:
        raise bad_request(f"at most {LOOKUP_LIMIT} urns per request")
    today = market.now_ms()
    hits: list[dict[str, Any]] = []
    missing: list[str] = []
    seen: set[str] = set()
    for urn in urns:
        if urn in seen:
            continue
        seen.add(urn)
        item = market.catalogue.item(urn, today)
        if item is None:
            missing.append(urn)
        else:
            hits.append(item)
    return {"hits": hits, "missing": missing}


def price_history(market: Market, query: Query) -> dict[str, Any]:
    urn = (query.get("urn") or [""])[0]
    if not urn:
        raise bad_request("urn is required")
    raw_days = (query.get("days") or ["30"])[0]
    try:
        days = int(raw_days)
    except ValueError:
        raise bad_request("days must be an integer") from None
    if not 1 <= days <= HISTORY_DAYS_LIMIT:
        raise bad_request(f"days must be between 1 and {HISTORY_DAYS_LIMIT}")
    if not market.catalogue.exists(urn):
        raise not_found("item")
    rarity = market.catalogue.rarity(urn)
    base = base_price(market.seed, urn, rarity)
    points = history(market.seed, urn, base, rarity, market.now_ms(), days)
    return {"urn": urn, "points": points}


def suggest(market: Market, body: Any) -> dict[str, Any]:
    entries = require_object(body).get("items")
    if not isinstance(entries, list):
        raise bad_request("items must be an array")
    if len(entries) > LOOKUP_LIMIT:
        raise bad_request(f"at most {LOOKUP_LIMIT} items per request")
    today = market.now_ms()
    suggestions: list[dict[str, Any]] = []
    for entry in entries:
        data = require_object(entry, "each item")
        urn = get_str(data, "urn") or ""
        condition = get_str(data, "condition") or ""
        language = get_str(data, "language") or ""
        item = market.catalogue.item(urn, today)
        price = None if item is None else suggested_price(int(item["price"]), condition, language)
        suggestions.append(
            {"urn": urn, "condition": condition, "language": language, "price": price}
        )
    return {"suggestions": suggestions}
