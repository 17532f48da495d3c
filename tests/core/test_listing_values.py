"""The planner's value types: match keys, digests, diffs and timestamp ordering."""

from __future__ import annotations

from dataclasses import replace

import pytest

from syncd.core.listing import ListingFields, Remote, sortable_instant

BASE = ListingFields("urn:a", "NM", "English", 150, 2)


def test_blank_optional_text_is_absent() -> None:
    blank = replace(BASE, comment="", notes="", grading_provider="")
    assert blank == BASE
    assert blank.digest() == BASE.digest()


def test_match_key_is_the_card_not_the_offer() -> None:
    offer = replace(BASE, price=999, quantity=7, hidden=True, comment="x", notes="y")
    assert offer.match_key() == BASE.match_key()
    for change in (
        {"urn": "urn:b"},
        {"condition": "EX"},
        {"language": "Japanese"},
        {"grading_provider": "PSA"},
        {"grading_score": "9"},
        {"grading_number": "1"},
    ):
        assert replace(BASE, **change).match_key() != BASE.match_key()  # type: ignore[arg-type]


def test_digest_changes_with_every_field_and_content_digest_ignores_quantity() -> None:
    changes = {
        "urn": "urn:b",
        "condition": "EX",
        "language": "J",
        "price": 1,
        "quantity": 9,
        "hidden": True,
        "comment": "c",
        "notes": "n",
        "grading_provider": "PSA",
        "grading_score": "9",
        "grading_number": "1",
    }
    digests = {replace(BASE, **{name: value}).digest() for name, value in changes.items()}  # type: ignore[arg-type]
    assert len(digests) == len(changes) and BASE.digest() not in digests
    assert BASE.with_quantity(9).content_digest() == BASE.content_digest()
    assert replace(BASE, price=1).content_digest() != BASE.content_digest()
    assert BASE.digest() == ListingFields("urn:a", "NM", "English", 150, 2).digest()


def test_diff_names_the_fields_in_order() -> None:
    other = replace(BASE, notes="n", price=1)
    assert BASE.diff(other) == ("price", "notes")
    assert BASE.diff(BASE) == ()


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00.001Z"),
        ("2026-03-01T12:00:00+01:00", "2026-03-01T11:30:00Z"),
        ("2026-03-01T11:59:59.999Z", "2026-03-01T12:00:00Z"),
        ("2026-03-01T11:00:00", "2026-03-01T11:00:01.000Z"),  # naive is UTC
    ],
)
def test_timestamps_sort_by_instant(earlier: str, later: str) -> None:
    assert sortable_instant(earlier) < sortable_instant(later)


def test_equal_instants_written_differently_tie_on_the_listing_id() -> None:
    a = Remote("a", None, BASE, "2026-03-01T12:00:00.000Z")
    b = Remote("b", None, BASE, "2026-03-01T13:00:00+01:00")
    assert sortable_instant(a.created_at) == sortable_instant(b.created_at)
    assert sorted([b, a], key=Remote.age_key) == [a, b]


def test_an_unparseable_timestamp_still_sorts() -> None:
    assert sortable_instant("yesterday") == "yesterday"
