"""Adoption: matching listings that carry no reference to inventory rows, on first contact.

A seller who listed by hand before running syncd has listings without a ``reference``. Before
syncd creates anything it looks for such a listing with the same urn, condition, language and
grading (``ListingFields.match_key``). Rules:

- One live candidate and one inventory row for a key: adopt it.
- Two or more live candidates, or two or more rows, with at least one live candidate: that is
  ambiguous. It is reported and nothing is created for those rows, since creating would put a
  second live listing of the same card on sale ("never create while a likely match exists").
- No live candidate, only soft-deleted ones: none of them is on sale, so they are
  interchangeable; rows (by sku) take them oldest first, and rows left over are created.

This module only pairs rows with listings. It does not decide whether a row needs a listing
(the caller passes only rows that are for sale and own no listing) and it builds no actions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from syncd.core.listing import ListingFields, MatchKey, Remote


@dataclass(frozen=True)
class Adoption:
    adopt: Mapping[str, Remote]  # sku → the listing it adopts
    ambiguous: Mapping[str, str]  # sku → why no listing could be chosen (for the note)


def match_unreferenced(
    candidates: Iterable[Remote],
    rows: Mapping[str, ListingFields],
    frozen: Collection[str] = frozenset(),
) -> Adoption:
    """Pair inventory rows (sku → wanted fields) with unreferenced listings.

    ``frozen`` rows (held, or rejected) still count when deciding whether a live match is
    ambiguous, since the listing may be theirs, but they adopt nothing, so they take no
    soft-deleted listing away from a row that can use it.
    """
    listings_by_key: dict[MatchKey, list[Remote]] = {}
    for listing in sorted(candidates, key=Remote.age_key):
        listings_by_key.setdefault(listing.fields.match_key(), []).append(listing)
    skus_by_key: dict[MatchKey, list[str]] = {}
    for sku in sorted(rows):
        skus_by_key.setdefault(rows[sku].match_key(), []).append(sku)

    adopt: dict[str, Remote] = {}
    ambiguous: dict[str, str] = {}
    for key, skus in skus_by_key.items():
        found = listings_by_key.get(key, [])
        live = [r for r in found if r.live]
        if len(live) == 1 and len(skus) == 1:
            adopt[skus[0]] = live[0]
        elif live:
            detail = (
                f"{len(live)} live listing(s) without a reference "
                f"({_first([r.listing_id for r in live])}) and "
                f"{len(skus)} inventory row(s) ({_first(skus)}) share urn {key[0]}, "
                f"condition {key[1]}, language {key[2]}; set the reference on the right "
                "listing by hand"
            )
            for sku in skus:
                ambiguous[sku] = detail
        else:
            movable = [sku for sku in skus if sku not in frozen]
            adopt.update(zip(movable, found, strict=False))
    return Adoption(adopt=adopt, ambiguous=ambiguous)


def _first(names: list[str], shown: int = 5) -> str:
    """A few names for a note; a shop may have hundreds of the same card."""
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")
