"""The three-way quantity rule on its own (local L, remote R, last pushed P)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.core.quantity import QuantityDecision, three_way_quantity


@pytest.mark.parametrize(
    ("local", "remote", "pushed", "expected"),
    [
        pytest.param(5, 5, 5, QuantityDecision(5, 0), id="in step"),
        pytest.param(5, 3, 5, QuantityDecision(3, 2), id="unseen sale taken into stock"),
        pytest.param(4, 3, 5, QuantityDecision(2, 2), id="till sale and unseen sale both count"),
        pytest.param(1, 0, 5, QuantityDecision(0, 5), id="more gone than left locally"),
        pytest.param(3, 9, 3, QuantityDecision(3, 0), id="remote increase overwritten"),
        pytest.param(7, 2, None, QuantityDecision(7, 0), id="nothing pushed yet: local wins"),
        pytest.param(8, 5, 5, QuantityDecision(8, 0), id="local restock pushed"),
        pytest.param(-2, 3, 3, QuantityDecision(0, 0), id="oversold locally: target is 0"),
    ],
)
def test_table(local: int, remote: int, pushed: int | None, expected: QuantityDecision) -> None:
    assert three_way_quantity(local, remote, pushed) == expected


@given(st.integers(-5, 20), st.integers(0, 20), st.one_of(st.none(), st.integers(0, 20)))
def test_a_remote_decrease_is_never_pushed_back_up(
    local: int, remote: int, pushed: int | None
) -> None:
    decision = three_way_quantity(local, remote, pushed)
    assert decision.target >= 0
    if pushed is not None and remote < pushed:
        assert decision.taken == pushed - remote
        assert decision.target == max(local - decision.taken, 0)
        if local <= pushed:
            assert decision.target <= remote
    else:
        assert decision == QuantityDecision(max(local, 0), 0)
