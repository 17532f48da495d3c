"""The plan guards on their own: mass deletes and an inventory that came back empty."""

from __future__ import annotations

import pytest

from syncd.core.guards import refusal


def check(deletes: int, owned_live: int, rows_for_sale: int = 1) -> str | None:
    return refusal(
        deletes=deletes,
        owned_live=owned_live,
        rows_for_sale=rows_for_sale,
        max_delete_share=0.2,
        delete_guard_min=5,
    )


@pytest.mark.parametrize(
    ("deletes", "owned_live", "refused"),
    [
        (0, 0, False),
        (5, 5, False),  # at most delete_guard_min is always allowed
        (6, 30, False),  # exactly 20 %
        (7, 30, True),
        (6, 29, True),
        (200, 1000, False),
        (201, 1000, True),
    ],
)
def test_delete_share(deletes: int, owned_live: int, refused: bool) -> None:
    assert (check(deletes, owned_live) is not None) is refused


def test_nothing_for_sale_with_live_listings_is_refused_whatever_the_deletes() -> None:
    message = check(0, 3, rows_for_sale=0)
    assert message is not None
    assert "inventory came back empty" in message
    assert "3 owned listing(s)" in message
    assert check(0, 0, rows_for_sale=0) is None


def test_the_message_names_the_numbers_and_the_way_out() -> None:
    message = check(7, 30)
    assert message is not None
    assert "7 of 30" in message and "20%" in message and "--force" in message
