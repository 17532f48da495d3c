"""Bulk-create batches: size cap, distinct URNs per batch, fewest batches possible."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.batches import batch_by_urn


def urn(item: tuple[str, int]) -> str:
    return item[0]


def test_empty() -> None:
    assert batch_by_urn([], urn, 200) == ()


def test_a_bad_size_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        batch_by_urn([("u", 1)], urn, 0)


def test_450_distinct_urns_make_three_batches_of_at_most_200() -> None:
    items = [(f"u{i}", i) for i in range(450)]
    batches = batch_by_urn(items, urn, 200)
    assert [len(b) for b in batches] == [150, 150, 150]


def test_one_urn_many_times_makes_one_batch_each() -> None:
    items = [("same", i) for i in range(4)] + [("other", 9)]
    assert batch_by_urn(items, urn, 200) == (
        (("same", 0), ("other", 9)),
        (("same", 1),),
        (("same", 2),),
        (("same", 3),),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 60), max_size=700).map(
        lambda picks: [(f"urn:{p % 37 if p < 50 else 0}", n) for n, p in enumerate(picks)]
    ),
    st.sampled_from((1, 3, 7, 200)),
)
def test_batches_are_valid_and_as_few_as_possible(items: list[tuple[str, int]], size: int) -> None:
    batches = batch_by_urn(items, urn, size)
    assert sorted(x for batch in batches for x in batch) == sorted(items)
    for batch in batches:
        assert 0 < len(batch) <= size
        assert len({urn(x) for x in batch}) == len(batch)
    if items:
        most = max(Counter(urn(x) for x in items).values())
        assert len(batches) == max(math.ceil(len(items) / size), most)
    assert batch_by_urn(items, urn, size) == batches
