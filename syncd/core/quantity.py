"""The three-way quantity rule: local stock, remote quantity and what syncd last pushed.

Sales happen on Managem, so a remote quantity below the expected one is real stock that has
gone (a sale the orders job has not seen yet, an edit on the website). That decrease is taken
into local stock and never pushed back up. A remote quantity above the expected one is an edit
that local stock overrides. This module only does the arithmetic; it does not decide whether a
sku is linked, and it does not write stock anywhere.

Contract with the shell: ``last_pushed`` must be the quantity the remote is *expected* to
show, i.e. the last quantity written, lowered by each sale the orders job books on that listing
(Managem takes a sold quantity off the listing at checkout, managem-api.md §8.2). Otherwise a
sale already taken off local stock by the orders job would be taken off a second time here.
When the shell books an adjustment it must also record the remote quantity as the new
``last_pushed`` (``StockAdjustment.remote_quantity``), so the same decrease is not taken twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuantityDecision:
    """``target`` is what the listing should show; ``taken`` is the unexplained remote decrease
    to take off local stock (0 when there is none)."""

    target: int
    taken: int


def three_way_quantity(local: int, remote: int, last_pushed: int | None) -> QuantityDecision:
    """Decide the quantity a linked listing should show.

    ``local`` may be negative (stock oversold elsewhere): the target never is.
    """
    if last_pushed is not None and remote < last_pushed:
        taken = last_pushed - remote
        return QuantityDecision(target=max(local - taken, 0), taken=taken)
    # A remote increase, an unchanged remote, or nothing pushed yet: local stock wins.
    return QuantityDecision(target=max(local, 0), taken=0)
