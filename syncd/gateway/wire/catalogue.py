"""Wire models for catalogue items, item look-ups, price history and the seller account.

Shapes from managem-api.md §2.1, §4.0 and the §8.5 assumptions. Nested fields syncd needs
(``min.price``, ``set.name``) are lifted to flat fields. No I/O here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from syncd.gateway.wire.base import Pence, WireModel, lift


class Item(WireModel):
    """A catalogue item (card or sealed product)."""

    urn: str
    type: str | None = None
    game: str | None = None
    name: str | None = None
    title: str | None = None
    rarity: str | None = None
    number: str | None = None
    slug: str | None = None
    price: Pence = None
    available: int | None = None
    quantity: int | None = None
    min_price: Pence = None
    max_price: Pence = None
    set_name: str | None = None
    set_urn: str | None = None
    series_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        for source, key, target in (
            ("min", "price", "min_price"),
            ("max", "price", "max_price"),
            ("set", "name", "set_name"),
            ("set", "urn", "set_urn"),
            ("series", "name", "series_name"),
        ):
            data = lift(data, source, key, target)
        return data


class ItemLookup(WireModel):
    """Answer to a batch look-up: the items found and the URNs that were not."""

    hits: list[Item] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class PricePoint(WireModel):
    """One day of sales for an item, in pence."""

    date: dt.date
    low: Pence = None
    median: Pence = None
    high: Pence = None
    sold: int | None = None


class PriceHistory(WireModel):
    """Daily price points for one item (days with sales only)."""

    urn: str
    points: list[PricePoint] = Field(default_factory=list)


class Seller(WireModel):
    """The caller's seller account (the Stripe-backed fields syncd may show)."""

    id: str
    email: str | None = None
    country: str | None = None
    default_currency: str | None = None
    details_submitted: bool | None = None
    charges_enabled: bool | None = None
    payouts_enabled: bool | None = None


class SuggestRequest(WireModel):
    """One item to price: what it is, in which condition and language."""

    urn: str
    condition: str
    language: str


class Suggestion(WireModel):
    """A suggested price in pence, or ``None`` when Managem has no figure."""

    urn: str
    condition: str | None = None
    language: str | None = None
    price: Pence = None
