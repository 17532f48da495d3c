"""The Gateway: syncd's one typed, rate-limited, retrying door to the Managem API.

Each method is one Managem operation (see ``endpoints`` for paths and the §8 assumptions): it
builds the body, hands it to the ``Exchange`` (limiter, retries, error mapping) and parses the
answer into wire models. Listing, order and case iterators page lazily, so a caller that stops
early stops fetching.

Every method is thread-safe: the listings job runs a few writes in parallel on one Gateway.
This module must not sleep, log or retry by itself, and must never expose the credential.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

import httpx2

from syncd import __version__
from syncd.clock import Clock
from syncd.gateway import endpoints as ep
from syncd.gateway.answers import check_batch, json_of, parse, unexpected
from syncd.gateway.exchange import Exchange
from syncd.gateway.metrics import GatewayMetrics
from syncd.gateway.pages import Page, numbered_pages, offset_pages, page_of
from syncd.gateway.ratelimit import LimiterState, RateLimiter
from syncd.gateway.retry import RetryPolicy
from syncd.gateway.wire import (
    BulkResult,
    Case,
    ItemLookup,
    Listing,
    ListingDraft,
    Order,
    OrderHistoryEntry,
    PriceHistory,
    Seller,
    Suggestion,
    SuggestRequest,
    format_timestamp,
)
from syncd.settings import ManagemSettings, RateLimitSettings


class Gateway:
    """Typed Managem operations over one pooled HTTP client and one rate limiter."""

    def __init__(
        self,
        settings: ManagemSettings,
        limits: RateLimitSettings,
        *,
        clock: Clock,
        transport: httpx2.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self.metrics = GatewayMetrics()
        self._limiter = RateLimiter(limits, clock)
        self._client = httpx2.Client(
            base_url=settings.base_url,
            transport=transport,
            limits=httpx2.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_connections,
            ),
            timeout=httpx2.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            headers={"Accept": "application/json", "User-Agent": f"syncd/{__version__}"},
            follow_redirects=False,
        )
        self._exchange = Exchange(
            client=self._client,
            settings=settings,
            limiter=self._limiter,
            policy=RetryPolicy(limits, rng or random.Random()),
            metrics=self.metrics,
            clock=clock,
        )

    def __repr__(self) -> str:
        return (
            f"Gateway(base_url={self._settings.base_url!r}, "
            f"auth_scheme={self._settings.auth_scheme!r})"
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def limiter_state(self) -> LimiterState:
        """What the rate limiter has learnt (rate, burst, tokens, pause)."""
        return self._limiter.state()

    # --- account --------------------------------------------------------------------------

    def seller(self) -> Seller:
        return parse(Seller, ep.SELLER, json_of(self._exchange.call(ep.SELLER)))

    # --- listings -------------------------------------------------------------------------

    def create_listing(self, draft: ListingDraft) -> Listing:
        body = draft.to_create_body()
        response = self._exchange.call(ep.LISTING_CREATE, body=body)
        return parse(Listing, ep.LISTING_CREATE, json_of(response), sent=body)

    def bulk_create(self, drafts: Sequence[ListingDraft]) -> BulkResult:
        """Create up to 200 listings; answers are keyed by URN, so URNs may not repeat."""
        check_batch(ep.LISTING_BULK_CREATE, len(drafts))
        urns = [draft.urn for draft in drafts]
        repeated = sorted({urn for urn in urns if urns.count(urn) > 1})
        if repeated:
            raise ValueError(f"bulk create answers by URN; repeated URNs: {repeated[:5]}")
        if not drafts:
            return BulkResult()
        body = {"listings": [draft.to_create_body() for draft in drafts]}
        response = self._exchange.call(ep.LISTING_BULK_CREATE, body=body)
        return parse(BulkResult, ep.LISTING_BULK_CREATE, json_of(response), sent=body)

    def iter_listings(
        self,
        *,
        sort: Literal["createdAt", "updatedAt"] = "createdAt",
        order: Literal["asc", "desc"] = "asc",
        stop: Callable[[Listing], bool] | None = None,
    ) -> Iterator[Listing]:
        """Every listing of the seller (soft-deleted ones too); ``stop`` ends the walk early."""

        def fetch(offset: int, size: int) -> Page:
            body = {"from": offset, "size": size, "sorting": {"field": sort, "order": order}}
            return self._page(ep.LISTING_SEARCH, body=body)

        for hit in offset_pages(fetch, ep.LISTING_SEARCH.page_size or ep.SEARCH_PAGE_SIZE):
            listing = parse(Listing, ep.LISTING_SEARCH, hit)
            if stop is not None and stop(listing):
                return
            yield listing

    def get_listing(self, listing_id: str) -> Listing:
        response = self._exchange.call(ep.LISTING_GET, ids={"listing_id": listing_id})
        return parse(Listing, ep.LISTING_GET, json_of(response))

    def update_listing(self, listing_id: str, draft: ListingDraft) -> Listing:
        """Replace the listing's editable fields with the draft's (full state, §8.4)."""
        response = self._exchange.call(
            ep.LISTING_UPDATE, ids={"listing_id": listing_id}, body=draft.to_update_body()
        )
        return parse(Listing, ep.LISTING_UPDATE, json_of(response))

    def delete_listing(self, listing_id: str) -> None:
        """Soft delete. Already gone (404) counts as done; 423 (holds) raises Rejected."""
        self._exchange.call(
            ep.LISTING_DELETE, ids={"listing_id": listing_id}, ok_statuses=frozenset({404})
        )

    def suggest_prices(self, items: Sequence[SuggestRequest]) -> list[Suggestion]:
        check_batch(ep.SUGGEST_PRICES, len(items))
        if not items:
            return []
        body = {"items": [item.model_dump(mode="json", by_alias=True) for item in items]}
        answer = json_of(self._exchange.call(ep.SUGGEST_PRICES, body=body))
        rows = answer.get("suggestions") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise unexpected(ep.SUGGEST_PRICES, "expected a 'suggestions' array")
        return [parse(Suggestion, ep.SUGGEST_PRICES, row) for row in rows]

    # --- orders and cases (priority lane) -------------------------------------------------

    def iter_orders(self, updated_since: datetime | None) -> Iterator[Order]:
        """Orders updated at or after ``updated_since`` (all when None), oldest change first."""
        for hit in self._updated_since(ep.ORDER_LIST, updated_since):
            yield parse(Order, ep.ORDER_LIST, hit)

    def get_order(self, order_id: str) -> Order:
        response = self._exchange.call(ep.ORDER_GET, ids={"order_id": order_id})
        return parse(Order, ep.ORDER_GET, json_of(response))

    def order_history(self, order_id: str) -> list[OrderHistoryEntry]:
        answer = json_of(self._exchange.call(ep.ORDER_HISTORY, ids={"order_id": order_id}))
        if not isinstance(answer, list):
            raise unexpected(ep.ORDER_HISTORY, "expected an array")
        return [parse(OrderHistoryEntry, ep.ORDER_HISTORY, row) for row in answer]

    def iter_cases(self, updated_since: datetime | None) -> Iterator[Case]:
        """Cases updated at or after ``updated_since`` (all when None), oldest change first."""
        for hit in self._updated_since(ep.CASE_LIST, updated_since):
            yield parse(Case, ep.CASE_LIST, hit)

    def get_case(self, case_id: str) -> Case:
        response = self._exchange.call(ep.CASE_GET, ids={"case_id": case_id})
        return parse(Case, ep.CASE_GET, json_of(response))

    # --- catalogue and prices -------------------------------------------------------------

    def lookup_items(self, urns: Sequence[str]) -> ItemLookup:
        check_batch(ep.ITEM_LOOKUP, len(urns))
        if not urns:
            return ItemLookup()
        response = self._exchange.call(ep.ITEM_LOOKUP, body={"urns": list(urns)})
        return parse(ItemLookup, ep.ITEM_LOOKUP, json_of(response))

    def item_prices(self, urn: str, days: int = 30) -> PriceHistory:
        if not 1 <= days <= 365:
            raise ValueError(f"days must be 1..365, not {days}")
        response = self._exchange.call(ep.ITEM_PRICES, params={"urn": urn, "days": days})
        return parse(PriceHistory, ep.ITEM_PRICES, json_of(response))

    # --- plumbing -------------------------------------------------------------------------

    def _updated_since(self, endpoint: ep.Endpoint, since: datetime | None) -> Iterator[Any]:
        # Oldest change first, so a caller may move its cursor forward as it goes.
        base: dict[str, str | int] = {"sort": "updatedAt", "order": "asc"}
        if since is not None:
            base["updatedSince"] = format_timestamp(since)

        def fetch(number: int, size: int) -> Page:
            return self._page(endpoint, params={**base, "page": number, "size": size})

        return numbered_pages(fetch, endpoint.page_size or ep.LIST_PAGE_SIZE)

    def _page(
        self,
        endpoint: ep.Endpoint,
        *,
        body: Any = None,
        params: dict[str, str | int] | None = None,
    ) -> Page:
        answer = json_of(self._exchange.call(endpoint, body=body, params=params))
        try:
            return page_of(answer)
        except ValueError as exc:
            raise unexpected(endpoint, str(exc)) from exc
