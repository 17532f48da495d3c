"""Request counts per route template and status, for tests that assert how many calls were made.

Keys are ``"<METHOD> <route template>"`` (e.g. ``"PUT /seller/listings/{id}"``) mapping status
(as a string, or ``"dropped"``) to a count; ``"totals"`` has the same shape plus ``"all"``.
Control routes under ``/_sandbox/`` are not counted. ``internal_errors`` counts sandbox bugs.
"""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._counts: dict[str, Counter[str]] = {}
        self.internal_errors = 0

    def count(self, route: str, outcome: str) -> None:
        with self._guard:
            self._counts.setdefault(route, Counter())[outcome] += 1

    def count_internal_error(self) -> None:
        with self._guard:
            self.internal_errors += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._guard:
            result = {route: dict(counter) for route, counter in self._counts.items()}
        totals: Counter[str] = Counter()
        for counter in result.values():
            totals.update(counter)
        result["totals"] = {"all": sum(totals.values()), **dict(totals)}
        return result

    def reset(self) -> None:
        with self._guard:
            self._counts.clear()
