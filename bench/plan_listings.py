"""Benchmark: the pure listings planner on a large shop.

Usage: .venv/bin/python bench/plan_listings.py [N]   (default 50000)

Builds N inventory rows and a remote side where most listings are in step, some differ in
price, some were sold on Managem since the last push, some are duplicates, soft-deleted,
unreferenced (to adopt) or foreign, then times ``make_plan`` (best of 3) and the second plan
after ``apply_to_remote``. Prints figures only; machines are noisy, so nothing is asserted.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter

from syncd.core.listing import Desired, Link, ListingFields, Remote
from syncd.core.plan import Op, make_plan
from syncd.core.simulate import apply_to_remote


def shop(n: int, rng: random.Random) -> tuple[list[Desired], list[Remote], list[Link]]:
    desired: list[Desired] = []
    remote: list[Remote] = []
    links: list[Link] = []
    for i in range(n):
        sku = f"sku-{i:07}"
        row = ListingFields(
            f"urn:managem:pokemon:card/{i % (n // 3 + 1)}",
            "NM",
            "English",
            100 + i % 900,
            rng.randint(0, 4),
        )
        desired.append(Desired(sku, row))
        roll = rng.random()
        created = f"2025-{1 + i % 12:02}-01T00:00:00.000Z"
        if roll < 0.70 and row.quantity > 0:  # in step, linked
            remote.append(Remote(f"L{i}", sku, row, created))
            links.append(Link(sku, f"L{i}", row.quantity, pushed_digest=row.content_digest()))
        elif roll < 0.78:  # price edited on the website
            remote.append(Remote(f"L{i}", sku, row.with_quantity(max(row.quantity, 1)), created))
            links.append(Link(sku, f"L{i}", max(row.quantity, 1)))
        elif roll < 0.82:  # sold on Managem, order not seen yet
            remote.append(Remote(f"L{i}", sku, row.with_quantity(0), created))
            links.append(Link(sku, f"L{i}", 1))
        elif roll < 0.84:  # duplicate from an ambiguous create
            remote.append(Remote(f"L{i}", sku, row.with_quantity(1), created))
            remote.append(Remote(f"D{i}", sku, row.with_quantity(1), "2026-01-01T00:00:00Z"))
        elif roll < 0.88:  # listed by hand, no reference
            remote.append(Remote(f"U{i}", None, row.with_quantity(2), created))
        elif roll < 0.90:  # another tool's listing
            remote.append(Remote(f"F{i}", f"other-{i}", row, created))
    return desired, remote, links


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    desired, remote, links = shop(n, random.Random(7))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        plan = make_plan(desired, remote, links, force=True)
        best = min(best, time.perf_counter() - started)
    counts = Counter(a.op.value for a in plan.actions)
    print(f"rows {n}, remote listings {len(remote)}, links {len(links)}")
    print(f"make_plan best of 3: {best:.3f} s ({best / n * 1e6:.1f} µs per row)")
    print(
        f"actions {dict(sorted(counts.items()))}, adjustments {len(plan.adjustments)}, "
        f"notes {len(plan.notes)}, unchanged {plan.unchanged}, "
        f"create batches {len(plan.create_batches)} "
        f"(largest {max((len(b) for b in plan.create_batches), default=0)})"
    )
    started = time.perf_counter()
    after = apply_to_remote(plan, remote)
    created = {r.reference: r.listing_id for r in after if r.listing_id.startswith("sim-")}
    pushed = {
        a.sku: (a.fields.quantity if a.fields else 0)
        for a in plan.actions
        if a.op is not Op.REPAIR_DELETE
    }
    next_links = [
        Link(sku, created.get(sku, plan.links.get(sku)), pushed.get(sku))
        for sku in plan.links.keys() | pushed.keys()
    ]
    booked = Counter[str]()
    for adjustment in plan.adjustments:
        booked[adjustment.sku] += adjustment.delta
    next_desired = [
        Desired(d.sku, d.fields.with_quantity(d.fields.quantity + booked[d.sku])) for d in desired
    ]
    again = make_plan(next_desired, after, next_links, force=True)
    print(
        f"second plan: {len(again.actions)} actions, {len(again.adjustments)} adjustments "
        f"({time.perf_counter() - started:.3f} s including the simulated apply)"
    )


if __name__ == "__main__":
    main()
