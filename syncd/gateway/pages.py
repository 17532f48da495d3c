"""Walking Managem's two paging styles until the end, without looping forever.

``offset_pages`` drives the search style (body ``from``/``size``, §1.6); ``numbered_pages`` the
§8.1 list style (query ``page``/``size``). Both stop at an empty page, once ``total`` hits have
been seen (or, with no ``total``, at a short page), and when a page brings nothing new: a
server that ignores the offset must not make syncd page forever. Hits already seen (a record
that moved between pages while we read) are yielded once.

Pure iteration over a fetch function: no HTTP, no parsing of hits, no logging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an envelope ``{ total, hits }``."""

    total: int | None
    hits: list[Any]


def page_of(body: Any) -> Page:
    """Read the envelope; raise ValueError when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
        raise ValueError("expected an object with a 'hits' array")
    total = body.get("total")
    return Page(total=total if isinstance(total, int) else None, hits=body["hits"])


def _key(hit: Any) -> Any:
    return hit.get("id") if isinstance(hit, dict) else None


def _fresh(hits: list[Any], seen: set[Any]) -> Iterator[Any]:
    for hit in hits:
        key = _key(hit)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        yield hit


def _finished(page: Page, fresh: int, consumed: int, size: int) -> bool:
    if not page.hits or fresh == 0:
        return True
    if page.total is not None:
        return consumed >= page.total
    return len(page.hits) < size


def offset_pages(fetch: Callable[[int, int], Page], size: int) -> Iterator[Any]:
    """Hits of a search paged by ``fetch(offset, size)``.

    The offset moves by the hits actually received, so a server that caps ``size`` lower
    than asked still gets read to the end.
    """
    seen: set[Any] = set()
    offset = 0
    while True:
        page = fetch(offset, size)
        fresh = 0
        for hit in _fresh(page.hits, seen):
            fresh += 1
            yield hit
        offset += len(page.hits)
        if _finished(page, fresh, offset, size):
            return


def numbered_pages(fetch: Callable[[int, int], Page], size: int) -> Iterator[Any]:
    """Hits of a list paged by ``fetch(page, size)`` with pages numbered from 1."""
    seen: set[Any] = set()
    number = 1
    consumed = 0
    while True:
        page = fetch(number, size)
        fresh = 0
        for hit in _fresh(page.hits, seen):
            fresh += 1
            yield hit
        consumed += len(page.hits)
        if _finished(page, fresh, consumed, size):
            return
        number += 1
