"""Guards: refuse a plan that would take too much off sale at once.

Two cases stop a plan before any write (design.md §2): deleting more than a set share of the
owned live listings (and more than a small absolute number, so a shop of six listings can still
sell out two), and an inventory that came back with nothing for sale while listings are live
(an empty or truncated source looks exactly like that). Duplicate repairs do not count: they
never take a sku off sale. This module only says whether and why; ``make_plan`` applies
``force``, and the shell decides what a refusal means (exit code, log line).
"""

from __future__ import annotations


def refusal(
    *,
    deletes: int,
    owned_live: int,
    rows_for_sale: int,
    max_delete_share: float,
    delete_guard_min: int,
) -> str | None:
    """The reason to refuse the plan, or None when it may be applied."""
    if rows_for_sale == 0 and owned_live > 0:
        return (
            f"inventory came back empty: no row is for sale but {owned_live} owned listing(s) "
            "are live; nothing was changed (use --force if the shop really is sold out)"
        )
    if deletes > delete_guard_min and deletes > max_delete_share * owned_live:
        return (
            f"would delete {deletes} of {owned_live} owned live listing(s), more than "
            f"{max_delete_share:.0%} and more than {delete_guard_min}; nothing was changed "
            "(use --force to apply)"
        )
    return None
