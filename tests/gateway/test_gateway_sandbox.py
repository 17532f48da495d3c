"""The gateway against the sandbox: the endpoint table matches, and faults are survived.

Real loopback HTTP and the real clock (the sandbox runs on real time), with short backoffs so
the suite stays quick. Counts (calls, 429s, listings) are asserted, never durations.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from syncd.clock import SystemClock
from syncd.errors import AmbiguousWrite
from syncd.gateway import Gateway, ListingDraft, SuggestRequest
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import ManagemSettings, RateLimitSettings

FAST_RETRIES: dict[str, Any] = {"backoff_base": 0.01, "backoff_cap": 0.2, "max_attempts": 8}


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    started: list[Sandbox] = []
    before = {t.ident for t in threading.enumerate()}
    yield started
    for sandbox in started:
        sandbox.stop()
    assert [s.internal_errors for s in started] == [0] * len(started)
    leftover = [t.name for t in threading.enumerate() if t.ident not in before]
    assert leftover == []


def start(sandboxes: list[Sandbox], **options: Any) -> Sandbox:
    sandbox = start_sandbox(SandboxOptions(seed=11, catalogue_size=400, **options))
    sandboxes.append(sandbox)
    return sandbox


def gateway(sandbox: Sandbox, **limits: Any) -> Gateway:
    settings = ManagemSettings(base_url=sandbox.url, token=sandbox.token, call_deadline=30.0)
    merged = {"rate": 1000.0, "burst": 1000, **FAST_RETRIES, **limits}
    return Gateway(settings, RateLimitSettings(**merged), clock=SystemClock(), rng=random.Random(3))


def drafts(sandbox: Sandbox, count: int, prefix: str = "sku") -> list[ListingDraft]:
    return [
        ListingDraft(
            urn=urn,
            condition="NM",
            language="English",
            price=150 + i,
            quantity=3,
            reference=f"{prefix}-{i}",
        )
        for i, urn in enumerate(sandbox.catalogue_urns(count))
    ]


def test_every_operation_against_the_sandbox(sandboxes: list[Sandbox]) -> None:
    sandbox = start(sandboxes)
    with gateway(sandbox) as gw:
        assert gw.seller().id
        wanted = drafts(sandbox, 6)
        single = gw.create_listing(wanted[0])
        assert (single.reference, single.urn, single.quantity) == ("sku-0", wanted[0].urn, 3)
        result = gw.bulk_create(wanted[1:])
        assert sorted(result.successful) == sorted(d.urn for d in wanted[1:])
        listings = list(gw.iter_listings())
        assert {x.reference for x in listings} == {f"sku-{i}" for i in range(6)}
        newest_first = list(gw.iter_listings(sort="updatedAt", order="desc"))
        assert len(newest_first) == 6
        first = gw.get_listing(single.id)
        assert first.created is not None
        changed = wanted[0].model_copy(update={"quantity": 5, "comment": "mint"})
        assert gw.update_listing(single.id, changed).quantity == 5
        gw.delete_listing(single.id)
        gw.delete_listing(single.id)  # already gone: done, no error
        assert gw.get_listing(single.id).quantity == 0

        other = next(x for x in listings if x.id != single.id)
        order = sandbox.purchase(other.id, 1)
        orders = list(gw.iter_orders(None))
        assert [o.id for o in orders] == [order["id"]]
        assert gw.get_order(order["id"]).items[0].listing_id == other.id
        assert gw.order_history(order["id"]) is not None
        item_ids = [item["id"] for item in order["items"]]
        case = sandbox.open_case(order["id"], item_ids)
        assert [c.id for c in gw.iter_cases(None)] == [case["id"]]
        assert gw.get_case(case["id"]).order_item_ids == item_ids

        urns = [d.urn for d in wanted]
        lookup = gw.lookup_items([*urns, "urn:managem:pokemon:card/nope"])
        assert len(lookup.hits) == 6
        assert lookup.missing == ["urn:managem:pokemon:card/nope"]
        assert gw.item_prices(urns[0], days=30).urn == urns[0]
        asks = [SuggestRequest(urn=u, condition="NM", language="English") for u in urns]
        assert len(gw.suggest_prices(asks)) == 6


def test_reads_survive_5xx_and_dropped_connections(sandboxes: list[Sandbox]) -> None:
    sandbox = start(sandboxes)
    with gateway(sandbox) as gw:
        created = gw.bulk_create(drafts(sandbox, 60))
        assert len(created.successful) == 60
        ids = [x.id for x in gw.iter_listings()]
        sandbox.set_faults(error_rate=0.2, drop_rate=0.1)
        sandbox.reset_stats()
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda i: gw.get_listing(i).id, ids * 2))
        assert got == ids * 2
        assert len(list(gw.iter_listings())) == 60
        assert len(gw.lookup_items(sandbox.catalogue_urns(60)).hits) == 60
        totals = sandbox.stats()["totals"]
    failures = sum(n for status, n in totals.items() if status.startswith("5"))
    assert failures > 0
    assert totals.get("dropped", 0) > 0
    assert gw.metrics.snapshot()["retries"] >= failures


def test_ambiguous_bulk_create_raises_and_the_listings_exist(sandboxes: list[Sandbox]) -> None:
    sandbox = start(sandboxes)
    sandbox.script_faults(
        [{"method": "POST", "path": "/seller/listings/bulk", "fault": "ambiguous", "times": 1}]
    )
    wanted = drafts(sandbox, 5, prefix="amb")
    with gateway(sandbox) as gw:
        with pytest.raises(AmbiguousWrite) as caught:
            gw.bulk_create(wanted)
        assert caught.value.sent == {"listings": [d.to_create_body() for d in wanted]}
        references = {x.reference for x in gw.iter_listings()}
    assert references == {f"amb-{i}" for i in range(5)}
    assert sandbox.stats()["POST /seller/listings/bulk"] == {"500": 1}


def test_a_create_dropped_after_it_landed_is_not_resent(sandboxes: list[Sandbox]) -> None:
    sandbox = start(sandboxes)
    sandbox.script_faults(
        [{"method": "POST", "path": "/seller/listings", "fault": "drop_after", "times": 1}]
    )
    wanted = drafts(sandbox, 1, prefix="drop")[0]
    with gateway(sandbox) as gw:
        with pytest.raises(AmbiguousWrite):
            gw.create_listing(wanted)
        assert [x.reference for x in gw.iter_listings()] == ["drop-0"]


def test_learns_the_server_rate_with_few_429s(sandboxes: list[Sandbox]) -> None:
    sandbox = start(sandboxes, rate=25.0, burst=25)
    with gateway(sandbox, rate=60.0, burst=60, priority_share=0.25) as gw:
        with ThreadPoolExecutor(4) as pool:
            found = list(pool.map(lambda _: gw.seller().id, range(100)))
        state = gw.limiter_state()
    assert len(found) == 100
    assert gw.metrics.rate_limited <= 1
    assert state.capacity == 25
    assert state.rate <= 25.0
