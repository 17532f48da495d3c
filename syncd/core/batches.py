"""Bulk-create batches: at most ``size`` entries, never the same URN twice in one call.

Managem's bulk create answers by URN only (managem-api.md §7), so two entries with one URN in a
call could not be told apart. The fewest batches possible is the larger of ceil(n / size) and
the highest number of entries sharing one URN; this module always reaches that bound: entries
are grouped by URN (largest groups first) and dealt round-robin into that many batches, so a
URN's entries land in distinct batches and batch sizes differ by at most one. Pure and
deterministic for a given input order; it knows nothing of actions beyond ``urn_of``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def batch_by_urn(
    items: Sequence[T], urn_of: Callable[[T], str], size: int
) -> tuple[tuple[T, ...], ...]:
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    if not items:
        return ()
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(urn_of(item), []).append(item)
    count = max(math.ceil(len(items) / size), max(len(group) for group in groups.values()))
    ordered = sorted(groups.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    batches: list[list[T]] = [[] for _ in range(count)]
    dealt = 0
    for _urn, group in ordered:
        for item in group:
            batches[dealt % count].append(item)
            dealt += 1
    return tuple(tuple(batch) for batch in batches)
