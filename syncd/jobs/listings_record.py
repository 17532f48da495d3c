"""Recording what the listings sync did: intents, links, the mirror, stock and own prices.

Every answer is recorded in one transaction (intent state, link, mirror row, own price), so a
run that dies between two answers leaves each write either recorded or still ``pending`` for
the next run to resolve. What an answer means is decided here: ok; a 4xx for the item
(recorded on the link, skipped until the item changes); 423, locked by holds (left for the
next cycle); 401/403 (nothing happened; the run stops); anything else is ambiguous and resolved from
the mirror next run (``listings_intents``). It also books remote decreases into local stock and
keeps links pointing at the listings the plan keeps. It sends nothing and decides no writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncd.core.listing import ListingFields
from syncd.core.plan import Action, Op
from syncd.errors import AuthError, NotFound, Rejected
from syncd.gateway import BulkResult, Listing, ListingDraft
from syncd.jobs.listings_links import link_corrections
from syncd.jobs.listings_read import mirror_row
from syncd.jobs.runner import JobContext
from syncd.storage import Session
from syncd.storage.inventory import adjust_stock
from syncd.storage.listings import (
    LinkRow,
    NewIntent,
    add_intents,
    add_own_prices,
    finish_intents,
    forget_mirror,
    set_mirror_quantity,
    upsert_mirror,
    write_links,
)

if TYPE_CHECKING:
    from syncd.jobs.listings import Prepared

BULK_FAILED = "bulk create failed; Managem gives no reason"
LOCKED = "locked by active holds (423); tried again next cycle"
DELETES = (Op.DELETE, Op.REPAIR_DELETE)
_COUNT_OF = {
    Op.CREATE: "created",
    Op.UPDATE: "updated",
    Op.DELETE: "deleted",
    Op.ADOPT: "adopted",
    Op.REPAIR_DELETE: "repaired",
}


@dataclass(frozen=True)
class Answer:
    """What one update or delete came back with: the listing (PUT), or the error."""

    listing: Listing | None = None
    error: Exception | None = None


class Recorder:
    """Writes outcomes for one run; only ever used from the run's own thread."""

    def __init__(self, ctx: JobContext, prepared: Prepared) -> None:
        self.db = ctx.app.db
        self.clock = ctx.app.clock
        self.log = ctx.log
        self.run_id = ctx.run_id
        self.prepared = prepared
        self.links = dict(prepared.links)
        self.own_prices = dict(prepared.own_prices)
        self.tally: Counter[str] = Counter()
        self.problems: list[str] = []
        self.auth_error: str | None = None

    def adjust_and_relink(self) -> None:
        """Book remote decreases into local stock and point links at the listings the plan
        keeps, in one transaction, before anything is sent."""
        plan, mirror, now = self.prepared.plan, self.prepared.mirror, self.clock.now()
        changes: dict[str, dict[str, Any]] = {}
        with self.db.transaction() as session:
            for adj in plan.adjustments:
                row = mirror.get(adj.listing_id)
                # One ledger row per observed remote state, so a re-run never books it twice.
                source = f"{adj.listing_id}@{row.remote_updated_at if row else ''}"
                adjust_stock(
                    session,
                    sku=adj.sku,
                    delta=adj.delta,
                    reason=adj.reason,
                    source_id=source,
                    now=now,
                    open_quantity=-adj.delta,
                )
                changes[adj.sku] = {
                    "listing_id": adj.listing_id,
                    "urn": self.urn(adj.sku, adj.listing_id),
                    "last_pushed_quantity": adj.remote_quantity,
                }
                self.tally["adjusted"] += 1
                self.log.info(
                    "remote_adjust", sku=adj.sku, listing_id=adj.listing_id, delta=adj.delta
                )
            for sku, values in link_corrections(plan, self.links, mirror).items():
                changes.setdefault(sku, {"urn": self.urn(sku, values["listing_id"]), **values})
            self._write_links(session, changes, now)

    def commit_intents(self, entries: list[tuple[Action, ListingDraft | None]]) -> list[int]:
        intents = [
            NewIntent(
                sku=action.sku,
                op=action.op.value,
                listing_id=action.listing_id,
                payload=_payload(action, draft),
            )
            for action, draft in entries
        ]
        now = self.clock.now()
        with self.db.transaction() as session:
            ids = add_intents(session, self.run_id, intents, now=now)
            # If the process dies once this is sent, the orders job needs a link row to lower
            # for the sales it books on the new listing (see ``_maybe_created``).
            first = tuple(
                action
                for action, _draft in entries
                if action.op is Op.CREATE
                and (
                    self.links.get(action.sku) is None or self.links[action.sku].listing_id is None
                )
            )
            self._write_links(session, _maybe_created(first), now)
            return ids

    def record(self, action: Action, intent_id: int, answer: Answer) -> None:
        now, error, sku = self.clock.now(), answer.error, action.sku
        with self.db.transaction() as session:
            if error is None:
                finish_intents(session, [intent_id], "ok", now=now)
                self._record_written(session, action, answer.listing, now)
                self.tally[_COUNT_OF[action.op]] += 1
            elif isinstance(error, Rejected) and error.status == 423:
                # Holds come and go (baskets, checkout): not a verdict on the item.
                finish_intents(session, [intent_id], "failed", now=now, detail=LOCKED)
                self.tally["locked"] += 1
                self.log.info("listing_locked", sku=sku, listing_id=action.listing_id)
            elif isinstance(error, Rejected):
                reason = f"{error.status}: {error.body or error}"[:300]
                finish_intents(session, [intent_id], "rejected", now=now, detail=reason)
                if action.op is not Op.REPAIR_DELETE:
                    self._record_rejection(session, sku, reason, now)
                self.problem("rejected", action, reason)
            elif isinstance(error, NotFound):
                # The listing is gone or not ours: forget it so the next plan re-decides.
                finish_intents(session, [intent_id], "failed", now=now, detail=str(error)[:500])
                assert action.listing_id is not None
                forget_mirror(session, [action.listing_id])
                self.problem("failed", action, "listing not found")
            elif isinstance(error, AuthError):
                # Refused before anything was done; every later write would be refused too.
                self.auth_error = str(error)
                finish_intents(session, [intent_id], "failed", now=now, detail=str(error)[:500])
                self.problem("failed", action, str(error))
            else:
                detail = f"{type(error).__name__}: {error}"[:500]
                finish_intents(session, [intent_id], "ambiguous", now=now, detail=detail)
                self._lower_pushed(session, action, now)
                self.problem("ambiguous", action, detail)

    def _record_written(
        self, session: Session, action: Action, listing: Listing | None, now: datetime
    ) -> None:
        sku, listing_id = action.sku, action.listing_id
        assert listing_id is not None
        if action.op in DELETES:
            set_mirror_quantity(session, listing_id, 0, now=now)
            if action.op is Op.DELETE:
                self._write_links(
                    session,
                    {
                        sku: {
                            "listing_id": listing_id,
                            "urn": self.urn(sku, listing_id),
                            "last_pushed_quantity": 0,
                        }
                    },
                    now,
                )
            return
        fields = action.fields
        assert fields is not None
        if listing is not None:
            # The answer may leave out the item; the urn of a listing never changes.
            row = mirror_row(listing)
            upsert_mirror(session, [replace(row, urn=row.urn or fields.urn)], now=now)
        self._write_links(session, {sku: _pushed(listing_id, fields.urn, fields)}, now)
        self._own_prices(session, [(sku, fields.urn, fields.price)], now)

    def record_bulk(
        self,
        batch: tuple[Action, ...],
        ids: list[int],
        result: BulkResult | None,
        error: Exception | None,
    ) -> None:
        now = self.clock.now()
        states: dict[str, list[int]] = {}
        changes: dict[str, dict[str, Any]] = {}
        prices: list[tuple[str, str, int]] = []
        with self.db.transaction() as session:
            if result is None:
                state, detail = _bulk_failure(error)
                if isinstance(error, AuthError):
                    self.auth_error = str(error)
                finish_intents(session, ids, state, now=now, detail=detail)
                if state == "ambiguous":
                    self._write_links(session, _maybe_created(batch), now)
                self.tally[state] += len(ids)
                self.problems.append(f"bulk create of {len(ids)}: {state} ({detail})")
                self.log.warning("bulk_create_" + state, entries=len(ids), detail=detail)
                return
            successful, failed = set(result.successful), set(result.failed)
            for action, intent_id in zip(batch, ids, strict=True):
                fields = action.fields
                assert fields is not None
                if fields.urn in successful:
                    states.setdefault("ok", []).append(intent_id)
                    changes[action.sku] = {
                        **_pushed(None, fields.urn, fields),
                        "created_at": now,
                    }
                    prices.append((action.sku, fields.urn, fields.price))
                    self.tally["created"] += 1
                elif fields.urn in failed:
                    states.setdefault("rejected", []).append(intent_id)
                    self._record_rejection(session, action.sku, BULK_FAILED, now, created=True)
                    self.problem("rejected", action, BULK_FAILED)
                else:
                    states.setdefault("ambiguous", []).append(intent_id)
                    changes.update(_maybe_created((action,)))
                    self.problem("ambiguous", action, "missing from the bulk answer")
            for state, group in states.items():
                finish_intents(
                    session,
                    group,
                    state,
                    now=now,
                    detail=BULK_FAILED if state == "rejected" else None,
                )
            self._write_links(session, changes, now)
            self._own_prices(session, prices, now)

    def _record_rejection(
        self, session: Session, sku: str, reason: str, now: datetime, *, created: bool = False
    ) -> None:
        want = self.prepared.desired.get(sku)
        if want is None:
            return  # nothing to key the rejection on: the row is gone, so it is retried
        values: dict[str, Any] = {
            "urn": self.urn(sku, None),
            "rejected_digest": want.fields.digest(),
            "rejected_reason": reason,
            "rejected_at": now,
        }
        if created:
            values.update(listing_id=None, created_at=None)
        self._write_links(session, {sku: values}, now)

    def _lower_pushed(self, session: Session, action: Action, now: datetime) -> None:
        """After an ambiguous write, remember the lower of the old and the sent quantity."""
        link = self.links.get(action.sku)
        if action.op is Op.REPAIR_DELETE or link is None or link.listing_id != action.listing_id:
            return
        sent = 0 if action.fields is None else action.fields.quantity
        if link.last_pushed_quantity is not None and sent < link.last_pushed_quantity:
            self._write_links(session, {action.sku: {"last_pushed_quantity": sent}}, now)

    def _write_links(
        self, session: Session, changes: dict[str, dict[str, Any]], now: datetime
    ) -> None:
        if not changes:
            return
        write_links(session, changes, now=now)
        for sku, values in changes.items():
            old = self.links.get(sku)
            self.links[sku] = replace(old, **values) if old else LinkRow(sku=sku, **values)

    def _own_prices(
        self, session: Session, pushed: list[tuple[str, str, int]], now: datetime
    ) -> None:
        """A ``manual`` own-price row for each pushed price that differs from the newest one:
        the price was changed in the table directly (integration.md, "Own price history")."""
        new = [(sku, urn, price) for sku, urn, price in pushed if self.own_prices.get(sku) != price]
        add_own_prices(session, new, reason="manual", now=now)
        self.own_prices.update((sku, price) for sku, _urn, price in new)

    def urn(self, sku: str, listing_id: str | None) -> str:
        link, want = self.links.get(sku), self.prepared.desired.get(sku)
        if want is not None:
            return want.fields.urn
        if link is not None:
            return link.urn
        row = self.prepared.mirror.get(listing_id or "")
        return row.urn if row is not None else ""

    def problem(self, kind: str, action: Action, detail: str) -> None:
        self.tally[kind] += 1
        self.problems.append(f"{action.sku}: {action.op.value} {kind} ({detail})")
        self.log.warning(
            "listing_write_" + kind,
            sku=action.sku,
            op=action.op.value,
            listing_id=action.listing_id,
            detail=detail,
        )


def _pushed(listing_id: str | None, urn: str, fields: ListingFields) -> dict[str, Any]:
    """Link columns after a successful write of ``fields``."""
    return {
        "listing_id": listing_id,
        "urn": urn,
        "last_pushed_quantity": fields.quantity,
        "last_pushed_digest": fields.content_digest(),
        "rejected_digest": None,
        "rejected_reason": None,
        "rejected_at": None,
    }


def _maybe_created(batch: tuple[Action, ...]) -> dict[str, dict[str, Any]]:
    """Link columns for creates whose outcome is unknown (not answered yet, or answered
    ambiguously): what was sent, no id.

    With a link row in place the orders job lowers ``last_pushed_quantity`` for each sale it
    books on the listing before the next sync finds it (the listing may well exist), so
    settling the create does not take that sale off stock a second time.
    """
    changes = {}
    for action in batch:
        assert action.fields is not None
        changes[action.sku] = _pushed(None, action.fields.urn, action.fields)
    return changes


def _payload(action: Action, draft: ListingDraft | None) -> dict[str, Any]:
    if draft is None:
        return {}
    return draft.to_create_body() if action.op is Op.CREATE else draft.to_update_body()


def _bulk_failure(error: Exception | None) -> tuple[str, str]:
    """The state of every entry of a bulk call that got no per-entry answer."""
    detail = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, AuthError | Rejected | ValueError):
        return "failed", detail  # refused as a whole (or never sent): nothing was created
    return "ambiguous", detail
