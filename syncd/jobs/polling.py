"""Reading a stream sorted by updatedAt (orders, cases) in pages that cannot skip a record.

Numbered pages shift when a record on an earlier page is updated while we read (it moves to the
end and everything after it moves up one place), so page 2 can silently skip a record. Here each
page after the first restarts the stream at the newest updatedAt already read (``updatedSince``
is inclusive): a record updated meanwhile now sorts after that point, and nothing that stayed
put can be jumped over. Records read twice at the boundary are handed out once per
(key, updatedAt). Only when a whole page shares one updatedAt does the stream keep its page
numbers, so it can never stall.

The stream must be lazy (one HTTP page per ``size`` records). No HTTP, SQL or logging here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Batch(Generic[T]):
    """One page read: the records new to this run, and the newest updatedAt on the page."""

    records: tuple[T, ...]
    newest: datetime | None


def _close(stream: Iterator[object]) -> None:
    close = getattr(stream, "close", None)
    if callable(close):
        close()


def keyset_batches(
    fetch: Callable[[datetime | None], Iterator[T]],
    since: datetime | None,
    *,
    size: int,
    updated: Callable[[T], datetime | None],
    key: Callable[[T], Hashable],
    stop: threading.Event,
) -> Iterator[Batch[T]]:
    """Pages of ``fetch(since)`` (oldest change first) until the end or until ``stop`` is set.

    The caller handles each batch (and commits) before the next page is fetched.
    """
    seen: set[Hashable] = set()
    stream = fetch(since)
    try:
        while not stop.is_set():
            page = list(islice(stream, size))
            fresh = []
            for record in page:
                k = key(record)
                if k not in seen:
                    seen.add(k)
                    fresh.append(record)
            stamps = [s for s in map(updated, page) if s is not None]
            newest = max(stamps, default=None)
            yield Batch(tuple(fresh), newest)
            if len(page) < size:
                return
            if newest is not None and (since is None or newest > since):
                _close(stream)
                since = newest
                stream = fetch(since)
    finally:
        _close(stream)
