"""Test controls: the buyer, the seller's website, the clock and the fault knobs.

Each operation here is served both as a ``Sandbox`` method and as a ``/_sandbox/`` route, so a
test in Python and a demo over HTTP drive the same code. Refusals raise ``ApiError`` (business
rules) or ``ValueError`` (bad knob values). Controls are never rate-limited, faulted or counted.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from syncd.sandbox import api, cases, listings, orders
from syncd.sandbox.clock import iso_ms
from syncd.sandbox.faults import FaultInjector, FaultSettings
from syncd.sandbox.market import Market
from syncd.sandbox.ratelimit import RateLimiter
from syncd.sandbox.stats import RequestStats

_RATE_KEYS = ("error_rate", "ambiguous_rate", "drop_rate")
KNOBS = ("rate", "burst", "index_lag", "latency", "error_codes", *_RATE_KEYS)


class Controls:
    def __init__(
        self,
        market: Market,
        limiter: RateLimiter,
        faults: FaultInjector,
        stats: RequestStats,
        state_file: str | None,
    ) -> None:
        self.market = market
        self.limiter = limiter
        self.faults = faults
        self.stats = stats
        self.state_file = state_file
        self._rate: float | None = None
        self._burst: int | None = None

    # -- buyer and seller simulation ------------------------------------------------------------

    def purchase_many(
        self, items: list[tuple[str, int]], *, buyer: str = "buyer1"
    ) -> dict[str, Any]:
        with self.market.lock:
            order = orders.purchase(self.market, items, buyer)
            return orders.render(self.market, order)

    def cancel_item(self, order_item_id: str, status: str = "CANCELLED") -> dict[str, Any]:
        with self.market.lock:
            return orders.render(
                self.market, orders.cancel_item(self.market, order_item_id, status)
            )

    def set_item_status(self, order_item_id: str, status: str) -> dict[str, Any]:
        with self.market.lock:
            order = orders.set_item_status(self.market, order_item_id, status)
            return orders.render(self.market, order)

    def open_case(self, order_id: str, order_item_ids: list[str], reason: str) -> dict[str, Any]:
        with self.market.lock:
            return cases.render(cases.open_case(self.market, order_id, order_item_ids, reason))

    def propose_outcome(self, case_id: str, kind: str, amount: int) -> dict[str, Any]:
        with self.market.lock:
            return cases.render(cases.buyer_propose(self.market, case_id, kind, amount))

    def set_case_status(self, case_id: str, status: str) -> dict[str, Any]:
        with self.market.lock:
            return cases.render(cases.set_status(self.market, case_id, status))

    def seller_edit(self, listing_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.market.lock:
            listing = listings.seller_edit(self.market, listing_id, fields)
            return listings.render(self.market, listing)

    def seed_listing(self, fields: dict[str, Any]) -> dict[str, Any]:
        with self.market.lock:
            return listings.render(self.market, listings.seed(self.market, fields))

    # -- time -------------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> str:
        with self.market.lock:
            self.market.clock.advance(seconds)
            cases.auto_escalate(self.market)
            return iso_ms(self.market.now_ms())

    def now(self) -> str:
        return iso_ms(self.market.now_ms())

    # -- faults and limits ------------------------------------------------------------------

    def configure(self, rate: float | None, burst: int | None) -> None:
        self.limiter.configure(rate, burst)
        self._rate, self._burst = rate, burst

    def set_faults(self, **knobs: Any) -> None:
        """Change any of ``KNOBS`` at run time; all checked first, so bad input changes nothing."""
        unknown = sorted(set(knobs) - set(KNOBS))
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        current = self.faults.settings
        updated = FaultSettings(**{**asdict(current), **_checked(knobs)})
        if "rate" in knobs or "burst" in knobs:
            self.configure(knobs.get("rate", self._rate), knobs.get("burst", self._burst))
        with self.market.lock:
            if "index_lag" in knobs:
                self.market.index_lag = float(knobs["index_lag"])
            self.faults.settings = updated

    def fault_settings(self) -> dict[str, Any]:
        settings = asdict(self.faults.settings)
        settings["error_codes"] = list(settings["error_codes"])
        return {
            **settings,
            "rate": self.limiter.rate,
            "burst": self.limiter.burst if self.limiter.rate is not None else None,
            "index_lag": self.market.index_lag,
        }

    def script_faults(self, rules: list[dict[str, Any]]) -> None:
        """Replace the queue of one-shot rules (an empty list clears it)."""
        self.faults.set_script(rules)

    # -- introspection and persistence ------------------------------------------------------

    def listings(self) -> list[dict[str, Any]]:
        with self.market.lock:
            return [listings.render(self.market, item) for item in self.market.listings.values()]

    def state(self) -> dict[str, Any]:
        m = self.market
        with m.lock:
            return {
                "now": iso_ms(m.now_ms()),
                "seller": api.seller_account(m),
                "listings": [listings.render(m, item) for item in m.listings.values()],
                "orders": [orders.render(m, order) for order in m.orders.values()],
                "history": {
                    order_id: [orders.render_history(entry) for entry in entries]
                    for order_id, entries in m.history.items()
                },
                "cases": [cases.render(case) for case in m.cases.values()],
                "faults": self.fault_settings(),
                "script": self.faults.script(),
            }

    def save(self, path: str | None = None) -> str:
        target = path or self.state_file
        if not target:
            raise ValueError("no state file: start with state_file or name a path")
        self.market.save(target)
        return target


def _checked(knobs: dict[str, Any]) -> dict[str, Any]:
    """The FaultSettings part of ``knobs``, validated and normalised."""
    out: dict[str, Any] = {}
    for key in _RATE_KEYS:
        if key in knobs:
            value = float(knobs[key])
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1")
            out[key] = value
    if "latency" in knobs:
        if float(knobs["latency"]) < 0:
            raise ValueError("latency must not be negative")
        out["latency"] = float(knobs["latency"])
    if "index_lag" in knobs and float(knobs["index_lag"]) < 0:
        raise ValueError("index_lag must not be negative")
    if "error_codes" in knobs:
        codes = tuple(int(code) for code in knobs["error_codes"])
        if not codes or not all(400 <= code <= 599 for code in codes):
            raise ValueError("error_codes must be HTTP error statuses (400–599)")
        out["error_codes"] = codes
    if knobs.get("rate") is not None and float(knobs["rate"]) <= 0:
        raise ValueError("rate must be positive (or None for no limit)")
    if knobs.get("burst") is not None and int(knobs["burst"]) < 1:
        raise ValueError("burst must be at least 1")
    return out
