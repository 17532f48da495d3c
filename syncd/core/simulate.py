"""What Managem would look like after a plan, computed without Managem.

Used by the planner's tests and handy for dry runs: every write succeeds, creates get fresh
ids and ``reference`` = sku, updates replace every field but the urn (Managem cannot change
it), deletes set quantity 0. It models no failure (423, 4xx, timeouts) and no search-index
lag; it is not the sandbox server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from syncd.core.actions import Op, Plan
from syncd.core.listing import Remote

# Later than any real listing, so simulated creates are the newest (as real ones would be).
SIMULATED_CREATED_AT = "9999-12-31T00:00:00.000Z"


def apply_to_remote(
    plan: Plan, remote: Iterable[Remote], *, created_at: str = SIMULATED_CREATED_AT
) -> list[Remote]:
    """The remote listings after ``plan`` succeeded in full; unchanged when it was refused."""
    listings = {r.listing_id: r for r in remote}
    if plan.refused is not None:
        return list(listings.values())
    fresh = 0
    for action in plan.actions:
        if action.op is Op.CREATE:
            assert action.fields is not None
            fresh += 1
            while f"sim-{fresh}" in listings:
                fresh += 1
            listing_id = f"sim-{fresh}"
            listings[listing_id] = Remote(listing_id, action.sku, action.fields, created_at)
            continue
        assert action.listing_id is not None
        current = listings[action.listing_id]
        if action.op in (Op.DELETE, Op.REPAIR_DELETE):
            listings[action.listing_id] = replace(current, fields=current.fields.with_quantity(0))
        else:
            assert action.fields is not None
            # Managem cannot change a listing's urn: an update keeps the one it has.
            fields = replace(action.fields, urn=current.fields.urn)
            listings[action.listing_id] = replace(current, reference=action.sku, fields=fields)
    return list(listings.values())
