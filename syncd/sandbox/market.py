"""The fake marketplace's state: one seller's listings, orders, cases and history, plus ids.

``Market`` is a plain container with one re-entrant lock; the rule modules (``listings``,
``orders``, ``cases``) are functions that take it, and callers hold ``market.lock`` around each
whole operation. Persistence to a JSON state file lives here too. This module must not know
about HTTP, faults or rate limits, and never stores the API token.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from syncd.sandbox.catalogue import Catalogue
from syncd.sandbox.clock import SandboxClock
from syncd.sandbox.errors import not_found
from syncd.sandbox.records import (
    Case,
    HistoryEntry,
    Listing,
    Order,
    case_from_json,
    history_from_json,
    listing_from_json,
    order_from_json,
    to_json,
)

STATE_VERSION = 1
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class Market:
    """Everything the fake server remembers. Hold ``lock`` around every read-modify-write."""

    def __init__(self, seed: int, catalogue_size: int, clock: SandboxClock) -> None:
        self.seed = seed
        self.clock = clock
        self.catalogue = Catalogue(seed, catalogue_size)
        self.lock = threading.RLock()
        self.seller_id = "sel_" + self._digest("seller")[:16]
        self.username = f"sandbox-seller-{seed}"
        self.index_lag = 0.0
        self.listings: dict[str, Listing] = {}
        self.orders: dict[str, Order] = {}
        self.history: dict[str, list[HistoryEntry]] = {}
        self.cases: dict[str, Case] = {}
        self._counter = 0
        # Bumped on every listing change (``touch``/``add_listing``): the search caches on it.
        self.revision = 0
        self.search_cache: dict[Any, Any] = {}  # owned by ``search``; keyed on ``revision``

    def _digest(self, *parts: object) -> str:
        text = "|".join(str(part) for part in (self.seed, *parts))
        return hashlib.sha256(text.encode()).hexdigest()

    def new_id(self, prefix: str) -> str:
        """An opaque id like ``lst_9f2c…``: deterministic from the seed, not sequential-looking."""
        self._counter += 1
        return f"{prefix}_{self._digest(prefix, self._counter)[:20]}"

    def new_cuid(self) -> str:
        """A cuid2-shaped id (a letter then 23 base-36 characters), for cases and history."""
        self._counter += 1
        number = int(self._digest("cuid", self._counter), 16)
        chars = []
        for _ in range(23):
            number, digit = divmod(number, 36)
            chars.append(_BASE36[digit])
        return "c" + "".join(chars)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def add_listing(self, listing: Listing) -> None:
        self.listings[listing.id] = listing
        self.revision += 1

    def touch(self, listing: Listing, now_ms: int | None = None) -> None:
        """Record that a listing changed: its ``updatedAt`` moves (our @updatedAt assumption)."""
        listing.updated_ms = self.now_ms() if now_ms is None else now_ms
        self.revision += 1

    def own_listing(self, listing_id: str) -> Listing:
        """The caller's listing, or 404 (missing and foreign look the same, §6.8)."""
        listing = self.listings.get(listing_id)
        if listing is None or listing.seller_id != self.seller_id:
            raise not_found("listing")
        return listing

    def own_order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.seller_id != self.seller_id:
            raise not_found("order")
        return order

    def own_case(self, case_id: str) -> Case:
        case = self.cases.get(case_id)
        if case is None or case.seller_id != self.seller_id:
            raise not_found("case")
        return case

    def seller_summary(self, seller_id: str) -> dict[str, Any]:
        """The seller block embedded in listings (§2.2); other sellers get plausible fillers."""
        mine = seller_id == self.seller_id
        return {
            "id": seller_id,
            "username": self.username if mine else f"seller-{seller_id[-6:]}",
            "reviews": 128 if mine else 7,
            "rating": 4.9,
            "score": 4.8,
            "sales": 512 if mine else 12,
            "purchases": 3,
        }

    # -- persistence -----------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "seed": self.seed,
            "clockOffset": self.clock.offset,
            "counter": self._counter,
            "listings": [to_json(item) for item in self.listings.values()],
            "orders": [to_json(item) for item in self.orders.values()],
            "history": [to_json(entry) for entries in self.history.values() for entry in entries],
            "cases": [to_json(item) for item in self.cases.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"state file version {data.get('version')!r} is not {STATE_VERSION}")
        if data.get("seed") != self.seed:
            # Another seed means another catalogue: the saved URNs would not resolve.
            raise ValueError(
                f"state file was saved with seed {data.get('seed')!r}, not {self.seed}"
            )
        self._counter = int(data["counter"])
        offset = float(data.get("clockOffset", 0.0))
        if offset > self.clock.offset:
            self.clock.advance(offset - self.clock.offset)
        self.listings = {d["id"]: listing_from_json(d) for d in data["listings"]}
        self.orders = {d["id"]: order_from_json(d) for d in data["orders"]}
        self.history = {}
        for raw in data["history"]:
            entry = history_from_json(raw)
            self.history.setdefault(entry.order_id, []).append(entry)
        self.cases = {d["id"]: case_from_json(d) for d in data["cases"]}
        self.revision += 1

    def save(self, path: str) -> None:
        """Write the state atomically (temp file + rename) so a crash never leaves half a file."""
        target = Path(path)
        temp = target.with_name(target.name + ".tmp")
        with self.lock:
            text = json.dumps(self.dump(), indent=1, sort_keys=True)
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)

    def load(self, path: str) -> bool:
        """Load the state file if it exists; False when there is none yet."""
        target = Path(path)
        if not target.exists():
            return False
        data = json.loads(target.read_text(encoding="utf-8"))
        with self.lock:
            self.restore(data)
        return True
