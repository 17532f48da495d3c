"""The assumed paged-list contract (§8.1) shared by ``GET /seller/orders`` and ``/seller/cases``.

``page`` ≥ 1 (default 1), ``size`` 1–100 (default 20), ``sort`` createdAt|updatedAt (default
createdAt), ``order`` asc|desc (default desc), optional ``updatedSince`` (ISO-8601, inclusive).
Anything else → 400. A page past the end answers ``hits: []``. This module must not know which
records it pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from syncd.sandbox.clock import parse_iso_ms
from syncd.sandbox.errors import bad_request

PAGE_SIZE_LIMIT = 100
T = TypeVar("T")
Query = dict[str, list[str]]


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int
    sort: str
    descending: bool
    updated_since_ms: int | None


def _one(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int_param(query: Query, name: str, default: int, low: int, high: int | None) -> int:
    raw = _one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"{name} must be {bound}")
    return value


def parse_page(query: Query) -> PageRequest:
    sort = _one(query, "sort") or "createdAt"
    if sort not in ("createdAt", "updatedAt"):
        raise bad_request("sort must be createdAt or updatedAt")
    order = _one(query, "order") or "desc"
    if order not in ("asc", "desc"):
        raise bad_request("order must be asc or desc")
    since_raw = _one(query, "updatedSince")
    since: int | None = None
    if since_raw is not None:
        try:
            since = parse_iso_ms(since_raw)
        except ValueError:
            raise bad_request("updatedSince must be an ISO-8601 timestamp") from None
    return PageRequest(
        page=_int_param(query, "page", 1, 1, None),
        size=_int_param(query, "size", 20, 1, PAGE_SIZE_LIMIT),
        sort=sort,
        descending=order == "desc",
        updated_since_ms=since,
    )


def page_of(
    records: Sequence[T],
    request: PageRequest,
    *,
    created: Callable[[T], int],
    updated: Callable[[T], int],
    key: Callable[[T], str],
) -> tuple[int, list[T]]:
    """(total after the updatedSince filter, the requested page) in a stable order."""
    chosen = [
        record
        for record in records
        if request.updated_since_ms is None or updated(record) >= request.updated_since_ms
    ]
    stamp = created if request.sort == "createdAt" else updated
    chosen.sort(key=lambda record: (stamp(record), key(record)), reverse=request.descending)
    start = (request.page - 1) * request.size
    return len(chosen), chosen[start : start + request.size]
