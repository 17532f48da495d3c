"""The plan as data: what the listings planner decided, with a reason for every entry.

These are the values the shell performs (gateway), records (storage) and prints
(``syncd plan [--json]``). They are frozen and carry no behaviour beyond ordering, counting and
a JSON-able view. ``syncd.core.plan`` re-exports them next to ``make_plan``, which builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum

from syncd.core.listing import ListingFields


class Op(StrEnum):
    CREATE = "create"  # bulk create; the id is learnt on the next read (joined on reference)
    UPDATE = "update"  # full PUT; also brings a soft-deleted listing back (restock)
    DELETE = "delete"  # soft delete: the listing stays with quantity 0
    ADOPT = "adopt"  # an UPDATE that also sets reference = sku on an unreferenced listing
    REPAIR_DELETE = "repair_delete"  # soft delete of a second live listing of one sku


class NoteKind(StrEnum):
    HELD = "held"
    REJECTED = "rejected"
    AMBIGUOUS = "ambiguous adoption"
    FOREIGN = "foreign"
    FORCED = "forced"


# Within one phase, actions on one sku keep a fixed order: repairs before the kept listing.
_OP_RANK = {Op.REPAIR_DELETE: 0, Op.DELETE: 1, Op.ADOPT: 2, Op.UPDATE: 3, Op.CREATE: 4}


@dataclass(frozen=True)
class Action:
    """One write. ``fields`` is the full state to send (None for deletes, which send none);
    ``changed`` names what the write changes on the remote, ``reference`` included."""

    op: Op
    sku: str
    listing_id: str | None
    fields: ListingFields | None
    reason: str
    changed: tuple[str, ...] = ()
    decreases_quantity: bool = False

    def phase(self) -> int:
        """0: takes stock off sale; 1: other updates and adoptions; 2: creates.

        Applied in this order, a run that stops halfway has under-listed, never oversold.
        """
        if self.op in (Op.DELETE, Op.REPAIR_DELETE) or self.decreases_quantity:
            return 0
        return 2 if self.op is Op.CREATE else 1

    def apply_order(self) -> tuple[int, str, int, str]:
        return (self.phase(), self.sku, _OP_RANK[self.op], self.listing_id or "")


@dataclass(frozen=True)
class StockAdjustment:
    """A remote decrease no order explains, to take off local stock (``delta`` < 0).

    When booking it, the shell also records ``remote_quantity`` as the link's last pushed
    quantity, so the same decrease is never taken twice.
    """

    sku: str
    listing_id: str
    delta: int
    reason: str = "remote_adjust"
    remote_quantity: int | None = None


@dataclass(frozen=True)
class Note:
    """Something a person should know that is not a write (held, rejected, ambiguous...)."""

    sku: str | None
    kind: str
    detail: str


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]  # apply order: off-sale first, then updates, then creates
    create_batches: tuple[tuple[Action, ...], ...]  # the creates: ≤ batch size, URNs distinct
    adjustments: tuple[StockAdjustment, ...]
    links: Mapping[str, str]  # sku → the listing id syncd now considers linked (before creates)
    notes: tuple[Note, ...]
    refused: str | None  # the guard's reason; when set, nothing may be applied
    unchanged: int  # inventory rows already in step (no action, no adjustment, no note)

    def counts(self) -> dict[str, int]:
        counts = {op.value: 0 for op in Op}
        for action in self.actions:
            counts[action.op.value] += 1
        counts["adjust"] = len(self.adjustments)
        counts["unchanged"] = self.unchanged
        return counts

    def is_empty(self) -> bool:
        """No write and no stock adjustment (notes alone do not make a plan non-empty)."""
        return not self.actions and not self.adjustments

    def to_dict(self) -> dict[str, object]:
        """A JSON-able view for ``syncd plan --json``; field names are part of that contract."""
        return {
            "refused": self.refused,
            "counts": self.counts(),
            "actions": [_action_dict(a) for a in self.actions],
            "create_batches": [[a.sku for a in batch] for batch in self.create_batches],
            "adjustments": [asdict(adjustment) for adjustment in self.adjustments],
            "links": dict(self.links),
            "notes": [asdict(note) for note in self.notes],
            "unchanged": self.unchanged,
        }


def _action_dict(action: Action) -> dict[str, object]:
    return {
        "op": action.op.value,
        "sku": action.sku,
        "listing_id": action.listing_id,
        "reason": action.reason,
        "changed": list(action.changed),
        "decreases_quantity": action.decreases_quantity,
        "fields": None if action.fields is None else asdict(action.fields),
    }
