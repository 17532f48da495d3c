"""Performing a listings plan, crash-safely (design.md §2, "Crash safety").

Order: stock adjustments (remote decreases taken into local stock) and link corrections first,
then deletes and quantity decreases, then the other updates and adoptions, then the bulk
creates, so a run that stops halfway has under-listed, never oversold. Updates and deletes run
a few at a time on a small pool (``ratelimit.max_in_flight``): one call at a time cannot reach
the allowed rate. Every write has an intent row committed before it is sent; its answer is
recorded in one transaction (intent, link, mirror, own price). Only the calling thread touches
the database; pool threads only call the gateway.

What an answer means is decided here: ok; a 4xx for the item (recorded on the link, skipped
until the item changes); 423 on a delete (left for the next cycle); anything else is
ambiguous and left for the next run to resolve from the mirror (``listings_intents``). This
module must not decide *what* to write: that is the plan's job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncd.core.listing import ListingFields
from syncd.core.plan import Action, NoteKind, Op
from syncd.errors import AuthError, NotFound, Rejected
from syncd.gateway import BulkResult, Listing, ListingDraft
from syncd.jobs.listings_intents import draft_for
from syncd.jobs.listings_read import mirror_row
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.progress import Progress
from syncd.storage import Session
from syncd.storage.inventory import adjust_stock
from syncd.storage.listings import (
    LinkRow,
    NewIntent,
    add_intents,
    add_own_price,
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
_COUNT_OF = {
    Op.CREATE: "created",
    Op.UPDATE: "updated",
    Op.DELETE: "deleted",
    Op.ADOPT: "adopted",
    Op.REPAIR_DELETE: "repaired",
}
_SUMMARY = ("created", "updated", "deleted", "adopted", "repaired", "rejected", "unchanged")
_DELETES = (Op.DELETE, Op.REPAIR_DELETE)


@dataclass(frozen=True)
class _Answer:
    listing: Listing | None = None
    error: Exception | None = None


def apply_plan(ctx: JobContext, prepared: Prepared, *, extra_counts: dict[str, Any]) -> JobOutcome:
    applier = _Applier(ctx, prepared)
    with applier.progress:
        applier.run()
    return applier.outcome(extra_counts)


class _Applier:
    def __init__(self, ctx: JobContext, prepared: Prepared) -> None:
        self.ctx = ctx
        self.db = ctx.app.db
        self.clock = ctx.app.clock
        self.gateway = ctx.app.gateway()
        self.prepared = prepared
        self.plan = prepared.plan
        self.links = dict(prepared.links)
        self.own_prices = dict(prepared.own_prices)
        self.tally: Counter[str] = Counter()
        self.problems: list[str] = []
        self.auth_error: str | None = None
        self.stopped = False
        self.progress = Progress("listings", len(self.plan.actions), enabled=ctx.progress)
        self.in_flight = ctx.app.settings.ratelimit.max_in_flight

    # --- the steps --------------------------------------------------------------------------

    def run(self) -> None:
        self._adjust_and_relink()
        writes = [a for a in self.plan.actions if a.op is not Op.CREATE]
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="syncd-write") as pool:
            for phase in (0, 1):
                self._send_all(pool, [a for a in writes if a.phase() == phase])
        for batch in self.plan.create_batches:
            if self._halted():
                return
            self._create(batch)

    def _adjust_and_relink(self) -> None:
        """Book remote decreases and point links at the listings the plan keeps (one tx)."""
        plan, mirror, now = self.plan, self.prepared.mirror, self.clock.now()
        touched = {a.sku for a in plan.actions} | {n.sku for n in plan.notes if n.sku}
        changes: dict[str, dict[str, Any]] = {}
        with self.db.transaction() as session:
            for adj in plan.adjustments:
                row = mirror.get(adj.listing_id)
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
                    "urn": self._urn(adj.sku, adj.listing_id),
                    "last_pushed_quantity": adj.remote_quantity,
                }
                self.tally["adjusted"] += 1
                self.ctx.log.info(
                    "remote_adjust", sku=adj.sku, listing_id=adj.listing_id, delta=adj.delta
                )
            for sku, listing_id in plan.links.items():
                if sku not in changes:
                    relinked = self._relink(sku, listing_id, untouched=sku not in touched)
                    if relinked is not None:
                        changes[sku] = relinked
            self._write_links(session, changes, now)

    def _relink(self, sku: str, listing_id: str, *, untouched: bool) -> dict[str, Any] | None:
        """Link columns to change so the link follows the listing the plan keeps, if any."""
        link, row = self.links.get(sku), self.prepared.mirror.get(listing_id)
        if row is None:
            return None
        moved = link is None or link.listing_id != listing_id
        if untouched and link is not None and link.last_pushed_quantity != row.quantity:
            moved = True
        if not moved:
            return None
        values: dict[str, Any] = {"listing_id": listing_id, "urn": self._urn(sku, listing_id)}
        if untouched:
            # Nothing is written for it: the remote already shows what syncd wants.
            values["last_pushed_quantity"] = row.quantity
            values["last_pushed_digest"] = row.fields().content_digest()
        else:
            # Another listing than the one the link knew; the write about to happen sets these.
            values["last_pushed_quantity"] = None
            values["last_pushed_digest"] = None
        return values

    def _send_all(self, pool: ThreadPoolExecutor, actions: list[Action]) -> None:
        """Updates and deletes of one phase, a few in flight, each behind its own intent."""
        queue: Iterator[Action] = iter(actions)
        pending: dict[Future[_Answer], tuple[Action, int]] = {}
        while True:
            while len(pending) < 2 * self.in_flight and not self._halted():
                action = next(queue, None)
                if action is None:
                    break
                draft = None if action.op in _DELETES else self._draft(action)
                intent_id = self._commit_intents([(action, draft)])[0]
                pending[pool.submit(self._send, action, draft)] = (action, intent_id)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                action, intent_id = pending.pop(future)
                self._record(action, intent_id, future.result())

    def _send(self, action: Action, draft: ListingDraft | None) -> _Answer:
        """Runs on a pool thread: the gateway call only, no database."""
        assert action.listing_id is not None
        try:
            if draft is None:
                self.gateway.delete_listing(action.listing_id)
                return _Answer()
            return _Answer(listing=self.gateway.update_listing(action.listing_id, draft))
        except Exception as exc:  # recorded as the outcome; nothing may escape a pool thread
            return _Answer(error=exc)

    def _create(self, batch: tuple[Action, ...]) -> None:
        drafts = [self._draft(action) for action in batch]
        ids = self._commit_intents(list(zip(batch, drafts, strict=True)))
        result: BulkResult | None = None
        error: Exception | None = None
        try:
            result = self.gateway.bulk_create(drafts)
        except Exception as exc:
            error = exc
        self._record_bulk(batch, ids, result, error)
        self.progress.advance(len(batch))

    # --- recording ----------------------------------------------------------------------------

    def _commit_intents(self, entries: list[tuple[Action, ListingDraft | None]]) -> list[int]:
        intents = [
            NewIntent(
                sku=action.sku,
                op=action.op.value,
                listing_id=action.listing_id,
                payload=_payload(action, draft),
            )
            for action, draft in entries
        ]
        with self.db.transaction() as session:
            return add_intents(session, self.ctx.run_id, intents, now=self.clock.now())

    def _record(self, action: Action, intent_id: int, answer: _Answer) -> None:
        now, error, sku = self.clock.now(), answer.error, action.sku
        with self.db.transaction() as session:
            if error is None:
                finish_intents(session, [intent_id], "ok", now=now)
                self._record_written(session, action, answer.listing, now)
                self.tally[_COUNT_OF[action.op]] += 1
            elif isinstance(error, Rejected) and error.status == 423 and action.op in _DELETES:
                finish_intents(session, [intent_id], "failed", now=now, detail=LOCKED)
                self.tally["locked"] += 1
                self.ctx.log.info("listing_locked", sku=sku, listing_id=action.listing_id)
            elif isinstance(error, Rejected):
                reason = f"{error.status}: {error.body or error}"[:300]
                finish_intents(session, [intent_id], "rejected", now=now, detail=reason)
                if action.op is not Op.REPAIR_DELETE:
                    self._record_rejection(session, sku, reason, now)
                self._problem("rejected", action, reason)
            elif isinstance(error, NotFound):
                # The listing is gone or not ours: forget it so the next plan re-decides.
                finish_intents(session, [intent_id], "failed", now=now, detail=str(error)[:500])
                assert action.listing_id is not None
                forget_mirror(session, [action.listing_id])
                self._problem("failed", action, "listing not found")
            elif isinstance(error, AuthError):
                # Refused before anything was done; every later write would be refused too.
                self.auth_error = str(error)
                finish_intents(session, [intent_id], "failed", now=now, detail=str(error)[:500])
                self._problem("failed", action, str(error))
            else:
                detail = f"{type(error).__name__}: {error}"[:500]
                finish_intents(session, [intent_id], "ambiguous", now=now, detail=detail)
                self._lower_pushed(session, action, now)
                self._problem("ambiguous", action, detail)
        self.progress.advance()

    def _record_written(
        self, session: Session, action: Action, listing: Listing | None, now: datetime
    ) -> None:
        sku, listing_id = action.sku, action.listing_id
        assert listing_id is not None
        if action.op in _DELETES:
            set_mirror_quantity(session, listing_id, 0, now=now)
            if action.op is Op.DELETE:
                self._write_links(
                    session,
                    {
                        sku: {
                            "listing_id": listing_id,
                            "urn": self._urn(sku, listing_id),
                            "last_pushed_quantity": 0,
                        }
                    },
                    now,
                )
            return
        fields = action.fields
        assert fields is not None
        if listing is not None:
            upsert_mirror(session, [mirror_row(listing)], now=now)
        self._write_links(session, {sku: _pushed(listing_id, fields.urn, fields)}, now)
        self._own_price(session, sku, fields.urn, fields.price, now)

    def _record_bulk(
        self,
        batch: tuple[Action, ...],
        ids: list[int],
        result: BulkResult | None,
        error: Exception | None,
    ) -> None:
        now = self.clock.now()
        states: dict[str, list[int]] = {}
        changes: dict[str, dict[str, Any]] = {}
        with self.db.transaction() as session:
            if result is None:
                state, detail = _bulk_failure(error)
                if isinstance(error, AuthError):
                    self.auth_error = str(error)
                finish_intents(session, ids, state, now=now, detail=detail)
                self.tally[state] += len(ids)
                self.problems.append(f"bulk create of {len(ids)}: {state} ({detail})")
                self.ctx.log.warning("bulk_create_" + state, entries=len(ids), detail=detail)
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
                    self._own_price(session, action.sku, fields.urn, fields.price, now)
                    self.tally["created"] += 1
                elif fields.urn in failed:
                    states.setdefault("rejected", []).append(intent_id)
                    self._record_rejection(session, action.sku, BULK_FAILED, now, created=True)
                    self._problem("rejected", action, BULK_FAILED)
                else:
                    states.setdefault("ambiguous", []).append(intent_id)
                    self._problem("ambiguous", action, "missing from the bulk answer")
            for state, group in states.items():
                finish_intents(
                    session,
                    group,
                    state,
                    now=now,
                    detail=BULK_FAILED if state == "rejected" else None,
                )
            self._write_links(session, changes, now)

    def _record_rejection(
        self, session: Session, sku: str, reason: str, now: datetime, *, created: bool = False
    ) -> None:
        want = self.prepared.desired.get(sku)
        if want is None:
            return  # nothing to key the rejection on: the row is gone, so it is retried
        values: dict[str, Any] = {
            "urn": self._urn(sku, None),
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

    def _own_price(self, session: Session, sku: str, urn: str, price: int, now: datetime) -> None:
        if self.own_prices.get(sku) != price:
            add_own_price(session, sku=sku, urn=urn, price=price, reason="manual", now=now)
            self.own_prices[sku] = price

    # --- small parts --------------------------------------------------------------------------

    def _draft(self, action: Action) -> ListingDraft:
        assert action.fields is not None
        return draft_for(action.sku, action.fields)

    def _urn(self, sku: str, listing_id: str | None) -> str:
        link, want = self.links.get(sku), self.prepared.desired.get(sku)
        if want is not None:
            return want.fields.urn
        if link is not None:
            return link.urn
        row = self.prepared.mirror.get(listing_id or "")
        return row.urn if row is not None else ""

    def _halted(self) -> bool:
        if self.ctx.stop.is_set():
            self.stopped = True
        return self.stopped or self.auth_error is not None

    def _problem(self, kind: str, action: Action, detail: str) -> None:
        self.tally[kind] += 1
        self.problems.append(f"{action.sku}: {action.op.value} {kind} ({detail})")
        self.ctx.log.warning(
            "listing_write_" + kind,
            sku=action.sku,
            op=action.op.value,
            listing_id=action.listing_id,
            detail=detail,
        )

    def outcome(self, extra: dict[str, Any]) -> JobOutcome:
        counts: dict[str, Any] = {name: self.tally[name] for name in _SUMMARY}
        counts["unchanged"] = self.plan.unchanged
        for name in ("ambiguous", "failed", "locked", "adjusted"):
            if self.tally[name]:
                counts[name] = self.tally[name]
        kinds = Counter(note.kind for note in self.plan.notes)
        for kind, name in ((NoteKind.HELD, "held"), (NoteKind.AMBIGUOUS, "unmatched")):
            if kinds[kind]:
                counts[name] = kinds[kind]
        counts.update(extra)
        bad = self.tally["rejected"] + self.tally["ambiguous"] + self.tally["failed"]
        messages = self.problems[:5] + (["…"] if len(self.problems) > 5 else [])
        if self.auth_error:
            messages.insert(0, f"stopped: {self.auth_error}")
        elif self.stopped:
            messages.insert(0, "stopped early; the next cycle carries on")
        return JobOutcome("failed" if bad else "ok", counts, "; ".join(messages))


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
