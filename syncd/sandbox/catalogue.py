"""A generated Pokémon card catalogue, deterministic from the seed and cheap to build.

Only the list of sets is made up front (a few dozen entries); each card is derived on demand
from a hash of seed + URN and cached, so a 12,000-card catalogue starts in microseconds. URNs look
like ``urn:managem:pokemon:set/<set-slug>/card/<n>``. Prices come from ``prices``. This module
must not hold listings or any other mutable marketplace state.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass
from typing import Any

from syncd.sandbox.prices import base_price, market_price

URN_PREFIX = "urn:managem:pokemon:set/"
IMAGE_HOST = "https://images.sandbox.managem.invalid"

_ADJECTIVES = (
    "Surging", "Obsidian", "Paldean", "Silver", "Crimson", "Lost", "Astral", "Brilliant",
    "Fusion", "Evolving", "Chilling", "Battle", "Rebel", "Darkness", "Vivid", "Cosmic",
    "Hidden", "Shining", "Ancient", "Temporal", "Paradox", "Stellar", "Twilight", "Shrouded",
)  # fmt: skip
_NOUNS = (
    "Sparks", "Flames", "Fates", "Tempest", "Origin", "Stars", "Strike", "Skies", "Reign",
    "Clash", "Voltage", "Eclipse", "Guardians", "Legends", "Rift", "Masquerade", "Crown",
    "Fable", "Storm", "Forces",
)  # fmt: skip
_SERIES = (
    "Scarlet & Violet", "Sword & Shield", "Sun & Moon", "XY", "Black & White",
    "Diamond & Pearl", "EX", "Neo",
)  # fmt: skip
_HEADS = ("Fla", "Zor", "Gli", "Mo", "Tur", "Vol", "Pip", "Qui", "Dra", "Sno", "Ele", "Ter",
          "Aqu", "Lum", "Bri", "Kra", "Nox", "Sal", "Fen", "Oro")  # fmt: skip
_MIDS = ("ra", "lo", "mi", "ze", "ka", "to", "vi", "nu", "", "", "")
_TAILS = ("chu", "mon", "gon", "zard", "tle", "ron", "lix", "pup", "bat", "dor", "rex", "nite")
_RARITIES = (  # (name, weight)
    ("Common", 45), ("Uncommon", 28), ("Rare", 12), ("Holo Rare", 8),
    ("Ultra Rare", 5), ("Secret Rare", 2),
)  # fmt: skip


@dataclass(frozen=True)
class CardSet:
    slug: str
    name: str
    series: str
    size: int
    released: str  # YYYY-MM-DD


def _slugify(text: str) -> str:
    return "-".join(text.lower().replace("&", "and").split())


def _item_rng(seed: int, urn: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{urn}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class Catalogue:
    """The catalogue for one seed; items are derived lazily and cached (thread-safe)."""

    def __init__(self, seed: int, size: int) -> None:
        if size < 1:
            raise ValueError("catalogue_size must be at least 1")
        self.seed = seed
        self.size = size
        self.sets = self._make_sets(seed, size)
        self._by_slug = {card_set.slug: card_set for card_set in self.sets}
        self._cache: dict[str, dict[str, Any]] = {}
        self._guard = threading.Lock()

    @staticmethod
    def _make_sets(seed: int, size: int) -> list[CardSet]:
        rng = random.Random(seed)
        names = [f"{a} {n}" for a in _ADJECTIVES for n in _NOUNS]
        rng.shuffle(names)
        sets: list[CardSet] = []
        remaining = size
        while remaining > 0:
            count = min(remaining, rng.randint(80, 260))
            index = len(sets)
            name = names[index % len(names)] + ("" if index < len(names) else f" {index}")
            year = 2026 - index // 4
            released = f"{year:04d}-{1 + (index * 3) % 12:02d}-{1 + index % 27:02d}"
            series = _SERIES[(index // 8) % len(_SERIES)]
            sets.append(CardSet(_slugify(name), name, series, count, released))
            remaining -= count
        return sets

    def urns(self, limit: int | None = None) -> list[str]:
        """The first ``limit`` URNs (all when None), set by set, in a stable order."""
        wanted = self.size if limit is None else max(0, min(limit, self.size))
        found: list[str] = []
        for card_set in self.sets:
            for number in range(1, card_set.size + 1):
                if len(found) >= wanted:
                    return found
                found.append(f"{URN_PREFIX}{card_set.slug}/card/{number}")
        return found

    def locate(self, urn: str) -> tuple[CardSet, int] | None:
        """The set and card number a URN names, or None when it is not in this catalogue."""
        if not urn.startswith(URN_PREFIX):
            return None
        slug, sep, rest = urn[len(URN_PREFIX) :].partition("/card/")
        card_set = self._by_slug.get(slug)
        if not sep or card_set is None or not rest.isdigit() or rest != str(int(rest)):
            return None
        number = int(rest)
        return (card_set, number) if 1 <= number <= card_set.size else None

    def exists(self, urn: str) -> bool:
        return self.locate(urn) is not None

    def rarity(self, urn: str) -> str:
        return str(self._static(urn)["rarity"])

    def item(self, urn: str, today_ms: int) -> dict[str, Any] | None:
        """The full catalogue Item (§2.1) with today's market price, or None if unknown."""
        static = self._static(urn)
        if not static:
            return None
        base = base_price(self.seed, urn, static["rarity"])
        price = market_price(self.seed, urn, base, today_ms)
        item = dict(static)
        item["price"] = price
        item["min"] = {"price": max(1, price * 7 // 10)}
        item["max"] = {"price": price * 3 // 2 + 1}
        return item

    def item_summary(self, urn: str) -> dict[str, Any]:
        """The subset embedded in order items (no prices, which change daily)."""
        static = self._static(urn)
        keys = ("urn", "type", "game", "title", "name", "rarity", "number", "set", "images")
        return {key: static[key] for key in keys if key in static}

    def _static(self, urn: str) -> dict[str, Any]:
        with self._guard:
            cached = self._cache.get(urn)
        if cached is not None:
            return cached
        located = self.locate(urn)
        if located is None:
            return {}
        card_set, number = located
        rng = _item_rng(self.seed, urn)
        name = rng.choice(_HEADS) + rng.choice(_MIDS) + rng.choice(_TAILS)
        rarity = rng.choices([r for r, _ in _RARITIES], weights=[w for _, w in _RARITIES])[0]
        set_urn = f"{URN_PREFIX}{card_set.slug}"
        static: dict[str, Any] = {
            "urn": urn,
            "type": "card",
            "game": "Pokemon",
            "title": f"{card_set.name}: {name}",
            "name": name,
            "rarity": rarity,
            "number": str(number),
            "set": {
                "name": card_set.name,
                "urn": set_urn,
                "counts": {"printed": card_set.size, "total": card_set.size},
                "references": [],
                "size": card_set.size,
                "released": card_set.released,
            },
            "series": {
                "name": card_set.series,
                "urn": f"urn:managem:pokemon:series/{_slugify(card_set.series)}",
            },
            "images": [
                {
                    "urn": f"{urn}/image/1",
                    "orientation": "portrait",
                    "url": f"{IMAGE_HOST}/{card_set.slug}/{number}.webp",
                }
            ],
            "slug": f"pokemon/card/{card_set.slug}/{number}-{name.lower()}",
            "available": rng.randint(0, 40),
            "quantity": rng.randint(0, 60),
        }
        with self._guard:
            self._cache[urn] = static
        return static
