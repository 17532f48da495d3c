"""The cases job: record disputes and tell the seller when one needs them.

Pages through cases updated since the ``cases`` cursor minus ``safety.order_overlap`` (all of
them on a first run: an open dispute from before syncd started still needs an answer). Per page,
one transaction records cases, outcomes, status changes and the cursor advance; the alerts the
page raises (``core.cases``) are emitted after it commits — a structured ``case_alert`` log
event and ``syncd_case_alerts_total{kind}``. Then every recorded case awaiting the seller is
checked against the 7-day auto-escalation (a quiet case is not in the poll), warned once.
A dry run reads and counts, writes nothing and raises no alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from syncd.core.cases import Alert, SeenCase, SeenOutcome, case_alerts, warnings_due
from syncd.core.ledger import next_cursor, parse_time, poll_since
from syncd.gateway.endpoints import CASE_LIST, LIST_PAGE_SIZE
from syncd.jobs.polling import keyset_batches
from syncd.jobs.runner import JobContext, JobOutcome
from syncd.storage.cases import (
    WIDTH,
    CaseRecord,
    OutcomeRecord,
    awaiting_seller,
    known_cases,
    mark_warned,
    save_case,
)
from syncd.storage.runs import get_cursor, set_cursor

if TYPE_CHECKING:
    from syncd.gateway import Case

CURSOR = "cases"
PAGE_SIZE = CASE_LIST.page_size or LIST_PAGE_SIZE
ALERT_METRIC = "syncd_case_alerts_total"


def case_record(case: Case) -> CaseRecord:
    """The wire case in storage terms (open enums kept as they came; missing → ``UNKNOWN``)."""
    return CaseRecord(
        id=case.id,
        purchase_id=case.purchase_id,
        order_id=case.order_id,
        order_item_ids=tuple(case.order_item_ids),
        reason=case.reason or "UNKNOWN",
        # Cut like the column, so a long unknown status reads back as the same status.
        status=(case.status or "UNKNOWN")[:WIDTH],
        comment=case.comment,
        created_at=case.created_at,
        updated_at=case.updated_at,
        outcomes=tuple(
            OutcomeRecord(
                id=o.id,
                type=o.type or "UNKNOWN",
                status=o.status or "UNKNOWN",
                party=o.party,
                amount=o.amount,
                updated_at=o.updated_at,
            )
            for o in case.outcomes
        ),
    )


def _seen(record: CaseRecord) -> SeenCase:
    return SeenCase(
        id=record.id,
        status=record.status,
        reason=record.reason,
        order_id=record.order_id,
        created=parse_time(record.created_at),
        outcomes=tuple(SeenOutcome(o.id, o.type, o.status) for o in record.outcomes),
    )


def _page(
    ctx: JobContext, records: Sequence[CaseRecord], cursor: str | None, counts: dict[str, int]
) -> list[Alert]:
    app = ctx.app
    now = app.clock.now()
    alerts: list[Alert] = []
    with app.db.transaction() as session:
        known = known_cases(session, [r.id for r in records])
        for record in records:
            before = known.get(record.id)
            changed = before is None or before.status != record.status
            counts["cases_new"] += before is None
            counts["status_changes"] += changed
            alerts.extend(case_alerts(_seen(record), before))
            if not ctx.dry_run:
                save_case(session, record, status_changed=changed, now=now)
        if not ctx.dry_run and cursor is not None:
            set_cursor(session, CURSOR, cursor, now=now)
    return alerts


def _emit(ctx: JobContext, alerts: Sequence[Alert], counts: dict[str, int]) -> None:
    counts["alerts"] += len(alerts)
    if ctx.dry_run:
        return
    log: Any = ctx.log or structlog.get_logger("syncd.job")
    for alert in alerts:
        log.warning(
            "case_alert",
            kind=alert.kind,
            case_id=alert.case_id,
            status=alert.status,
            reason=alert.reason,
            order_id=alert.order_id,
        )
        ctx.app.metrics.inc(ALERT_METRIC, labels={"kind": alert.kind})


def _warn_escalations(ctx: JobContext, now: datetime, counts: dict[str, int]) -> None:
    with ctx.app.db.transaction() as session:
        due = warnings_due(awaiting_seller(session), now)
        if not ctx.dry_run:
            mark_warned(session, [a.case_id for a in due])
    counts["escalation_warnings"] = len(due)
    _emit(ctx, due, counts)


def run(ctx: JobContext) -> JobOutcome:
    app = ctx.app
    gateway = app.gateway()
    run_start = app.clock.now()
    app.metrics.describe(ALERT_METRIC, "Case alerts raised, by kind")
    with app.db.transaction() as session:
        cursor = get_cursor(session, CURSOR)
    since = poll_since(cursor, app.settings.safety.order_overlap, run_start, None)
    counts = dict.fromkeys(("cases_seen", "cases_new", "status_changes", "alerts", "pages"), 0)
    seen: set[str] = set()
    newest: datetime | None = None
    for batch in keyset_batches(
        gateway.iter_cases,
        since,
        size=PAGE_SIZE,
        updated=lambda c: c.updated,
        key=lambda c: (c.id, c.updated_at),
        stop=ctx.stop,
    ):
        counts["pages"] += 1
        if batch.newest is not None and (newest is None or batch.newest > newest):
            newest = batch.newest
        cursor_after = next_cursor(cursor, newest, run_start)
        if not batch.records and cursor_after == cursor:
            continue
        records = [case_record(c) for c in batch.records]
        seen.update(r.id for r in records)
        alerts = _page(ctx, records, cursor_after, counts)
        cursor = cursor_after
        _emit(ctx, alerts, counts)
    counts["cases_seen"] = len(seen)
    if not ctx.stop.is_set():
        _warn_escalations(ctx, run_start, counts)
    return JobOutcome("ok", counts)
