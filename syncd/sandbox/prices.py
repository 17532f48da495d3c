"""Market prices and daily price history, derived from a hash of seed + URN (+ date), never stored.

A card's price follows a slow seasonal curve around a base that depends on its rarity; each day's
point is a pure function of (seed, urn, date), so a day's history never changes whichever "today"
it is asked from (a backfill today and one next week agree on the overlap). All figures are pence.
This module must not know about listings, HTTP or the catalogue's structure.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

_DAY_MS = 86_400_000
_RARITY_BASE = {  # typical median price in pence
    "Common": 20,
    "Uncommon": 45,
    "Rare": 180,
    "Holo Rare": 450,
    "Ultra Rare": 1600,
    "Secret Rare": 4200,
}
# Condition discount applied by the price suggestion (assumed; the real endpoint is undocumented).
CONDITION_FACTOR = {"M": 1.15, "NM": 1.0, "EX": 0.85, "GD": 0.7, "LP": 0.6, "PL": 0.45, "PO": 0.3}


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) from the hash of the parts."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def base_price(seed: int, urn: str, rarity: str) -> int:
    typical = _RARITY_BASE.get(rarity, 50)
    spread = 0.35 + 2.6 * _unit(seed, urn, "base")  # 0.35x .. 2.95x the typical price
    return max(1, round(typical * spread))


def _curve(seed: int, urn: str, day: int) -> float:
    """A slow seasonal swing of about ±15 % with a per-card phase and period."""
    period = 40 + 80 * _unit(seed, urn, "period")
    phase = 2 * math.pi * _unit(seed, urn, "phase")
    return 1.0 + 0.15 * math.sin(2 * math.pi * day / period + phase)


def _day_number(ms: int) -> int:
    return ms // _DAY_MS


def market_price(seed: int, urn: str, base: int, today_ms: int) -> int:
    """The market figure an item lookup shows on the sandbox clock's current day."""
    return max(1, round(base * _curve(seed, urn, _day_number(today_ms))))


def history(
    seed: int, urn: str, base: int, rarity: str, today_ms: int, days: int
) -> list[dict[str, Any]]:
    """One point per day with sales over the last ``days`` days, oldest first, ending today."""
    today = _day_number(today_ms)
    # Rarer cards trade on fewer days, so their history has gaps, as real sparse markets do.
    quiet = {"Secret Rare": 0.55, "Ultra Rare": 0.4, "Holo Rare": 0.25}.get(rarity, 0.1)
    points: list[dict[str, Any]] = []
    for day in range(today - days + 1, today + 1):
        if _unit(seed, urn, day, "quiet") < quiet:
            continue
        median = max(
            1, round(base * _curve(seed, urn, day) * (0.92 + 0.16 * _unit(seed, urn, day)))
        )
        low = max(1, round(median * (0.7 + 0.25 * _unit(seed, urn, day, "low"))))
        high = max(median, round(median * (1.05 + 0.4 * _unit(seed, urn, day, "high"))))
        sold = 1 + int(12 * (1 - quiet) * _unit(seed, urn, day, "sold"))
        points.append(
            {
                "date": _iso_date(day),
                "low": min(low, median),
                "median": median,
                "high": high,
                "sold": sold,
            }
        )
    return points


def suggested_price(market: int, condition: str, language: str) -> int | None:
    """Market price scaled for condition and language; None for a condition it cannot price."""
    factor = CONDITION_FACTOR.get(condition)
    if factor is None:
        return None
    if language.strip().lower() != "english":
        factor *= 0.8
    return max(1, round(market * factor))


def _iso_date(day: int) -> str:
    moment: date = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).date()
    return moment.isoformat()
