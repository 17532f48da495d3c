"""Performing a listings plan, crash-safely (design.md §2, "Crash safety").

Order: stock adjustments (remote decreases taken into local stock) and link corrections first,
then deletes and quantity decreases, then the other updates and adoptions, then the bulk
creates, so a run that stops halfway has under-listed, never oversold. Updates and deletes run
a few at a time on a small pool (``ratelimit.max_in_flight``): at 20 requests/s and 200 ms an
answer, one call at a time cannot reach the allowed rate. Every write has its intent committed
before it is sent and its answer recorded after (``listings_record``). Only the run's thread
touches the database; pool threads only call the gateway. ``ctx.stop`` is checked before each
write and each bulk call; what was sent is always recorded before returning.

This module must not decide *what* to write (the plan) or what an answer means (the recorder).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from syncd.core.plan import Action, NoteKind, Op
from syncd.gateway import BulkResult, ListingDraft
from syncd.jobs.listings_intents import draft_for
from syncd.jobs.listings_record import DELETES, Answer, Recorder
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.progress import Progress

if TYPE_CHECKING:
    from syncd.jobs.listings import Prepared

_SUMMARY = ("created", "updated", "deleted", "adopted", "repaired", "rejected", "unchanged")
_EXTRA = ("ambiguous", "failed", "locked", "adjusted")


def apply_plan(ctx: JobContext, prepared: Prepared, *, extra_counts: dict[str, Any]) -> JobOutcome:
    applier = _Applier(ctx, prepared)
    with applier.progress:
        applier.run()
    return applier.outcome(extra_counts)


class _Applier:
    def __init__(self, ctx: JobContext, prepared: Prepared) -> None:
        self.ctx = ctx
        self.gateway = ctx.app.gateway()
        self.plan = prepared.plan
        self.recorder = Recorder(ctx, prepared)
        self.stopped = False
        self.progress = Progress("listings", len(self.plan.actions), enabled=ctx.progress)
        self.in_flight = ctx.app.settings.ratelimit.max_in_flight

    def run(self) -> None:
        self.recorder.adjust_and_relink()
        writes = [a for a in self.plan.actions if a.op is not Op.CREATE]
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="syncd-write") as pool:
            for phase in (0, 1):  # every decrease is answered before any other update starts
                self._send_all(pool, [a for a in writes if a.phase() == phase])
        for batch in self.plan.create_batches:
            if self._halted():
                return
            self._create(batch)

    def _send_all(self, pool: ThreadPoolExecutor, actions: list[Action]) -> None:
        """Updates and deletes of one phase, a few in flight, each behind its own intent."""
        queue = iter(actions)
        pending: dict[Future[Answer], tuple[Action, int]] = {}
        while True:
            # Twice the pool size queued, so a thread never waits for the next write.
            while len(pending) < 2 * self.in_flight and not self._halted():
                action = next(queue, None)
                if action is None:
                    break
                draft = None if action.op in DELETES else _draft(action)
                intent_id = self.recorder.commit_intents([(action, draft)])[0]
                pending[pool.submit(self._send, action, draft)] = (action, intent_id)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                action, intent_id = pending.pop(future)
                self.recorder.record(action, intent_id, future.result())
                self.progress.advance()

    def _send(self, action: Action, draft: ListingDraft | None) -> Answer:
        """Runs on a pool thread: the gateway call only, no database."""
        assert action.listing_id is not None
        try:
            if draft is None:
                self.gateway.delete_listing(action.listing_id)
                return Answer()
            return Answer(listing=self.gateway.update_listing(action.listing_id, draft))
        except Exception as exc:  # the outcome to record; nothing may escape a pool thread
            return Answer(error=exc)

    def _create(self, batch: tuple[Action, ...]) -> None:
        drafts = [_draft(action) for action in batch]
        ids = self.recorder.commit_intents(list(zip(batch, drafts, strict=True)))
        result: BulkResult | None = None
        error: Exception | None = None
        try:
            result = self.gateway.bulk_create(drafts)
        except Exception as exc:
            error = exc
        self.recorder.record_bulk(batch, ids, result, error)
        self.progress.advance(len(batch))

    def _halted(self) -> bool:
        if self.ctx.stop.is_set():
            self.stopped = True
        return self.stopped or self.recorder.auth_error is not None

    def outcome(self, extra: dict[str, Any]) -> JobOutcome:
        tally = self.recorder.tally
        counts: dict[str, Any] = {name: tally[name] for name in _SUMMARY}
        counts["unchanged"] = self.plan.unchanged
        counts.update({name: tally[name] for name in _EXTRA if tally[name]})
        kinds = Counter(note.kind for note in self.plan.notes)
        for kind, name in ((NoteKind.HELD, "held"), (NoteKind.AMBIGUOUS, "unmatched")):
            if kinds[kind]:
                counts[name] = kinds[kind]
        counts.update(extra)
        problems = self.recorder.problems
        messages = problems[:5] + (["…"] if len(problems) > 5 else [])
        if self.recorder.auth_error:
            messages.insert(0, f"stopped: {self.recorder.auth_error}")
        elif self.stopped:
            messages.insert(0, "stopped early; the next cycle carries on")
        bad = tally["rejected"] + tally["ambiguous"] + tally["failed"]
        return JobOutcome("failed" if bad else "ok", counts, "; ".join(messages))


def _draft(action: Action) -> ListingDraft:
    assert action.fields is not None
    return draft_for(action.sku, action.fields)
