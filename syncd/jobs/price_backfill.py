"""The prices backfill: daily market history for cards that have none, or not far enough back.

Part of the prices job (``syncd run-once --job prices --backfill-days N``). One history call per
card, a few in flight on the thread-safe gateway (one call at a time cannot reach the allowed
rate), stored in chunks so a stop or a failure keeps what was fetched. Insert-only: running it
twice stores every (urn, day) once. Also holds the plain stderr progress bar the job draws on a
TTY. This module decides nothing itself (``syncd.core.prices`` does) and writes no snapshots.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, TextIO

from syncd.core.prices import DailyPoint, chunked, complete_days, needs_backfill
from syncd.errors import NotFound, Rejected
from syncd.jobs.runner import JobContext
from syncd.storage import prices as store

if TYPE_CHECKING:
    from syncd.gateway import Gateway

WORKERS = 4  # calls in flight; the gateway's limiter keeps them within the allowed rate
CHUNK = 50  # cards per stored chunk (and between stop checks)


class ProgressBar:
    """``label [#####.....] 120/1000  12%`` redrawn in place on stderr; silent when disabled."""

    def __init__(
        self, label: str, total: int, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0
        self._stream = stream or sys.stderr
        self._drawn = ""

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // self.total
        pct = 100 * self.done // self.total
        text = (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.total} {pct:3d}%"
        )
        if text != self._drawn:  # redraw only what changed: a 10,000-step bar stays cheap
            self._stream.write("\r" + text)
            self._stream.flush()
            self._drawn = text

    def close(self) -> None:
        if self.enabled and self._drawn:
            self._stream.write("\n")
            self._stream.flush()


def _fetch(
    gateway: Gateway, urn: str, days: int, today: date
) -> tuple[str, list[DailyPoint] | None, str]:
    """One card's history as complete days; (urn, None, why) when Managem has none for it."""
    try:
        history = gateway.item_prices(urn, days=days)
    except NotFound:
        return urn, None, "missing"
    except Rejected as exc:
        return urn, None, f"rejected {exc.status}"
    points = [DailyPoint(urn, p.date, p.low, p.median, p.high, p.sold) for p in history.points]
    return urn, complete_days(urn, points, today=today, days=days), ""


def backfill(
    ctx: JobContext, gateway: Gateway, urns: Sequence[str], *, days: int, today: date
) -> dict[str, int]:
    """Fetch and store ``days`` days of history for the cards that lack it; returns counts.

    A dry run only counts the cards that would be fetched (fetching 10,000 histories to throw
    them away helps nobody).
    """
    with ctx.app.db.transaction() as session:
        earliest = store.earliest_points(session)
    todo = needs_backfill(urns, earliest, today=today, days=days)
    counts = {"backfill_cards": len(todo), "backfill_points": 0, "backfill_missing": 0}
    if ctx.dry_run or not todo:
        return counts
    bar = ProgressBar("backfill", len(todo), enabled=ctx.progress)
    failed: list[str] = []
    workers = min(WORKERS, ctx.app.settings.managem.max_connections)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backfill") as pool:
            for chunk in chunked(todo, CHUNK):
                if ctx.stop.is_set():
                    break
                results = list(pool.map(lambda u: _fetch(gateway, u, days, today), chunk))
                points = [p for _, found, _ in results if found for p in found]
                for urn, found, why in results:
                    if found is None:
                        counts["backfill_missing"] += 1
                        failed.append(f"{urn} ({why})")
                with ctx.app.db.transaction() as session:
                    counts["backfill_points"] += store.insert_points(session, points)
                bar.advance(len(chunk))
    finally:
        bar.close()
    if failed:
        ctx.log.warning("prices_backfill_missing", count=len(failed), sample=failed[:10])
    return counts
