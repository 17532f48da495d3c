"""The keyset pager: no record skipped when pages shift under it, no stall on equal stamps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from syncd.jobs.polling import keyset_batches

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Rec:
    id: str
    updated: datetime


class Server:
    """Numbered pages over records sorted by updatedAt, like §8.1 (updatedSince inclusive)."""

    def __init__(self, records: list[Rec], page_size: int) -> None:
        self.records = records
        self.page_size = page_size
        self.pages_served = 0
        self.after_page: Callable[[int], None] = lambda n: None

    def stream(self, since: datetime | None) -> Iterator[Rec]:
        number = 1
        while True:
            chosen = sorted(
                (r for r in self.records if since is None or r.updated >= since),
                key=lambda r: (r.updated, r.id),
            )
            # Copies, like parsed JSON: a later update must not change what was answered.
            page = [
                Rec(r.id, r.updated)
                for r in chosen[(number - 1) * self.page_size : number * self.page_size]
            ]
            self.pages_served += 1
            self.after_page(self.pages_served)
            yield from page
            if len(page) < self.page_size:
                return
            number += 1


def read_all(server: Server, size: int, since: datetime | None = None) -> list[str]:
    out: list[str] = []
    for batch in keyset_batches(
        server.stream,
        since,
        size=size,
        updated=lambda r: r.updated,
        key=lambda r: (r.id, r.updated),
        stop=threading.Event(),
    ):
        out.extend(r.id for r in batch.records)
    return out


def test_a_record_updated_between_pages_does_not_make_another_skip() -> None:
    records = [Rec(f"r{i:02d}", T0 + timedelta(seconds=i)) for i in range(25)]
    server = Server(records, page_size=10)

    def touch_early_record(page: int) -> None:
        if page == 1:  # while the caller handles page 1, r03 is updated (moves to the end)
            records[3].updated = T0 + timedelta(seconds=100)

    server.after_page = touch_early_record
    seen = read_all(server, size=10)
    assert set(seen) == {r.id for r in records}
    assert seen.count("r03") == 2  # once as first read, once at its new updatedAt

    # The control: plain numbered pages skip r10 (it slid from page 2 onto page 1).
    records = [Rec(f"r{i:02d}", T0 + timedelta(seconds=i)) for i in range(25)]
    plain = Server(records, page_size=10)
    plain.after_page = touch_early_record
    assert "r10" not in [r.id for r in plain.stream(None)]


def test_a_full_page_of_one_timestamp_does_not_stall() -> None:
    same = [Rec(f"s{i:02d}", T0) for i in range(23)]
    later = [Rec("z", T0 + timedelta(seconds=1))]
    server = Server([*same, *later], page_size=10)
    assert sorted(read_all(server, size=10)) == sorted(r.id for r in [*same, *later])


def test_an_idle_poll_costs_one_page() -> None:
    server = Server([Rec("a", T0)], page_size=10)
    assert read_all(server, size=10, since=T0 + timedelta(seconds=5)) == []
    assert server.pages_served == 1


def test_stop_ends_between_pages() -> None:
    server = Server([Rec(f"r{i:02d}", T0 + timedelta(seconds=i)) for i in range(30)], 10)
    stop = threading.Event()
    got = []
    for batch in keyset_batches(
        server.stream,
        None,
        size=10,
        updated=lambda r: r.updated,
        key=lambda r: r.id,
        stop=stop,
    ):
        got.append(len(batch.records))
        stop.set()
    assert got == [10] and server.pages_served == 1
