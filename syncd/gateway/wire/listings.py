"""Wire models for listings: what syncd sends (``ListingDraft``) and what it reads (``Listing``).

Shapes from managem-api.md §2.3, §4.1 and §8.4. A draft turns itself into the create body (with
``urn``) or the full-state update body (without: the item of a listing cannot change). No I/O.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from syncd.gateway.wire.base import Pence, Timestamped, WireModel, lift
from syncd.gateway.wire.catalogue import Item

# Fields a PUT replaces (§8.4: full replacement of the editable fields).
_UPDATE_FIELDS = (
    "condition",
    "language",
    "price",
    "quantity",
    "hidden",
    "comment",
    "notes",
    "grading_provider",
    "grading_score",
    "grading_number",
    "reference",
    "variants",
)


class ListingDraft(WireModel):
    """The desired state of one listing, as syncd would write it."""

    urn: str
    condition: str
    language: str
    price: int
    quantity: int
    hidden: bool = False
    comment: str | None = None
    notes: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None
    reference: str | None = None
    variants: list[str] = Field(default_factory=list)

    def to_create_body(self) -> dict[str, Any]:
        """Body of ``POST /seller/listings`` (and one entry of a bulk create)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_update_body(self) -> dict[str, Any]:
        """Body of ``PUT /seller/listings/{id}``: every editable field, ``null`` to clear."""
        return self.model_dump(mode="json", by_alias=True, include=set(_UPDATE_FIELDS))


class Listing(Timestamped):
    """A listing as Managem reports it. Only ``id`` is sure to be there."""

    id: str
    reference: str | None = None
    urn: str | None = None
    seller_id: str | None = None
    condition: str | None = None
    language: str | None = None
    price: Pence = None
    quantity: int = 0
    available: int | None = None
    hidden: bool = False
    valid: bool | None = None
    locked: bool = False
    comment: str | None = None
    notes: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None
    variants: list[Any] = Field(default_factory=list)
    attachments: list[Any] = Field(default_factory=list)
    item: Item | None = None

    @model_validator(mode="before")
    @classmethod
    def _urn_from_item(cls, data: Any) -> Any:
        return lift(data, "item", "urn", "urn")


class BulkResult(WireModel):
    """Answer of a bulk create: URNs that worked and URNs that did not (§4.1)."""

    successful: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
